/**
 * The audit log: one row per state change, written by the service function that made it.
 */
import type { Kysely } from 'kysely';
import type { DatabaseSchema } from './schema.js';

export interface AuditEntry {
  /** Who: `local` until accounts exist. */
  readonly actor: string;
  /** What, as `resource.verb`: `alert.update`, `rule.upload`, `filter.disable`, … */
  readonly action: string;
  /** Which: the resource id. */
  readonly target: string;
  readonly details: Readonly<Record<string, unknown>>;
}

/** Writes an audit entry, inside the caller's transaction when given one. */
export async function writeAudit(db: Kysely<DatabaseSchema>, entry: AuditEntry, at: Date): Promise<void> {
  await db
    .insertInto('audit_log')
    .values({ ...entry, at, details: JSON.stringify(entry.details) })
    .execute();
}

export interface AuditRecord extends AuditEntry {
  readonly id: number;
  readonly at: string;
}

/** Newest first. */
export async function listAudit(db: Kysely<DatabaseSchema>, limit: number): Promise<AuditRecord[]> {
  const rows = await db.selectFrom('audit_log').selectAll().orderBy('id', 'desc').limit(limit).execute();
  return rows.map((r) => ({ ...r, at: r.at.toISOString() }));
}
