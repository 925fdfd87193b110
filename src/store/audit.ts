/**
 * The audit log: one append-only, hash-chained row per state change (who, from where, what,
 * which target, before/after, outcome), written by the service function that made the change,
 * inside its transaction. Writers are serialized by a transaction-scoped advisory lock, so the
 * chain has one order across every instance sharing the database.
 */
import { type Kysely, sql, type Transaction } from 'kysely';
import { auditHash, GENESIS_HASH } from './audit-hash.js';
import type { DatabaseSchema } from './schema.js';

/** Who made a change, and from where. */
export interface Actor {
  /** `user:<name>`, `key:<id>`, `system`, `cli:<os user>`, `anonymous`. */
  readonly name: string;
  /** Client IP address; null when not over the network. */
  readonly ip: string | null;
}

/** The service itself (start-up bootstrap, scheduled jobs). */
export const SYSTEM_ACTOR: Actor = Object.freeze({ name: 'system', ip: null });

export interface AuditEntry {
  readonly actor: Actor;
  /** What, as `resource.verb`: `alert.update`, `rule.upload`, `auth.login`, `user.create`, … */
  readonly action: string;
  /** Which: the resource id or name. */
  readonly target: string;
  /** Default `success`. */
  readonly outcome?: 'success' | 'failure';
  readonly before?: Readonly<Record<string, unknown>> | null;
  readonly after?: Readonly<Record<string, unknown>> | null;
  readonly details?: Readonly<Record<string, unknown>>;
}

/** `pg_advisory_xact_lock` key serializing audit writers ('VIGA' as int32). */
const AUDIT_LOCK = 0x56494741;

async function append(tx: Transaction<DatabaseSchema>, entry: AuditEntry, at: Date): Promise<void> {
  await sql`SELECT pg_advisory_xact_lock(${AUDIT_LOCK})`.execute(tx);
  const last = await tx
    .selectFrom('audit_log')
    .select(['id', 'hash'])
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst();
  const id = last ? Number(last.id) + 1 : 1;
  const prev = last?.hash ?? GENESIS_HASH;
  // Round-trip through JSON so the hashed form is what jsonb gives back (no undefined, no Dates).
  const before = entry.before ? (JSON.parse(JSON.stringify(entry.before)) as Record<string, unknown>) : null;
  const after = entry.after ? (JSON.parse(JSON.stringify(entry.after)) as Record<string, unknown>) : null;
  const details = JSON.parse(JSON.stringify(entry.details ?? {})) as Record<string, unknown>;
  const row = {
    id,
    at: at.toISOString(),
    actor: entry.actor.name,
    actor_ip: entry.actor.ip,
    action: entry.action,
    target: entry.target,
    outcome: entry.outcome ?? 'success',
    before,
    after,
    details,
  };
  const hash = auditHash(prev, row);
  await tx
    .insertInto('audit_log')
    .values({
      ...row,
      at,
      before: before ? JSON.stringify(before) : null,
      after: after ? JSON.stringify(after) : null,
      details: JSON.stringify(details),
      prev_hash: prev,
      hash,
    })
    .execute();
}

/**
 * Appends an audit entry, inside the caller's transaction when `db` is one (the entry commits or
 * rolls back with the change), else in its own.
 */
export async function writeAudit(db: Kysely<DatabaseSchema>, entry: AuditEntry, at: Date): Promise<void> {
  if (db.isTransaction) {
    await append(db as Transaction<DatabaseSchema>, entry, at);
    return;
  }
  await db.transaction().execute((tx) => append(tx, entry, at));
}

export interface AuditRecord {
  readonly id: number;
  readonly at: string;
  readonly actor: string;
  readonly actor_ip: string | null;
  readonly action: string;
  readonly target: string;
  readonly outcome: string;
  readonly before: Record<string, unknown> | null;
  readonly after: Record<string, unknown> | null;
  readonly details: Record<string, unknown>;
  readonly prev_hash: string;
  readonly hash: string;
}
