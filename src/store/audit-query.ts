/**
 * Reading the audit log: verifying its hash chain (`audit-hash.ts`), listing it with filters and
 * keyset pagination, and exporting it in chain order. Nothing here writes; `audit.ts` appends.
 */
import {
  type Expression,
  type ExpressionBuilder,
  type Kysely,
  type Selectable,
  type SqlBool,
  sql,
} from 'kysely';
import type { AuditRecord } from './audit.js';
import { auditHash, GENESIS_HASH } from './audit-hash.js';
import { decodePageCursor, encodePageCursor } from './page-cursor.js';
import type { AuditLogTable, DatabaseSchema } from './schema.js';

type Db = Kysely<DatabaseSchema>;

/** Rows read per query when walking the whole log (verify, export). */
const PAGE_ROWS = 1000;

/** Breaks listed in an {@link AuditVerification}; `breakCount` counts them all. */
export const MAX_LISTED_BREAKS = 100;

/** One place where the chain does not hold. */
export interface AuditBreak {
  /** The id of the row where the break shows. */
  readonly id: number;
  /**
   * `hash_mismatch`: the row's `hash` is not the hash of its own fields chained to its own
   * `prev_hash` (the row was edited). `prev_hash_mismatch`: the row's `prev_hash` is not the
   * stored `hash` of the row before it (that row, or this link, was rewritten). `gap`: ids are
   * missing before this row (rows were deleted).
   */
  readonly reason: 'hash_mismatch' | 'prev_hash_mismatch' | 'gap';
  /** The hash (or, for a gap, the id) that should be there. */
  readonly expected?: string;
  /** The hash (or, for a gap, the id) that is there. */
  readonly found?: string;
}

/** The result of {@link verifyAuditChain}. */
export interface AuditVerification {
  /** True when no break was found. */
  readonly ok: boolean;
  /** Rows checked. */
  readonly entries: number;
  /** The stored hash of the last row ({@link GENESIS_HASH} for an empty log): record it elsewhere
   * to detect later truncation or a rewrite of the tail. */
  readonly lastHash: string;
  /** Every break found, counting those not listed. */
  readonly breakCount: number;
  /** The first {@link MAX_LISTED_BREAKS} breaks, in id order. */
  readonly breaks: AuditBreak[];
}

/** Which entries to read; every field narrows (AND). */
export interface AuditFilter {
  /** Exact actor, e.g. `user:alice`, `key:k_1`, `system`. */
  readonly actor?: string | undefined;
  /** Exact action (`auth.login`), or a prefix when it ends with `.` (`auth.` = every `auth.*`). */
  readonly action?: string | undefined;
  /** Exact target. */
  readonly target?: string | undefined;
  /** `success` or `failure`. */
  readonly outcome?: string | undefined;
  /** ISO 8601 bounds on `at`: `from` inclusive, `to` exclusive. */
  readonly from?: string | undefined;
  readonly to?: string | undefined;
}

export interface AuditQuery extends AuditFilter {
  /** Entries per page (the route bounds it to 1..1000). */
  readonly limit: number;
  /** Opaque cursor from the previous page's `next`. */
  readonly cursor?: string | undefined;
}

type Row = Selectable<AuditLogTable>;

/** Fields in a fixed, readable order (the hash does not depend on it: JCS sorts keys). */
function toRecord(r: Row): AuditRecord {
  return {
    id: Number(r.id),
    at: r.at.toISOString(),
    actor: r.actor,
    actor_ip: r.actor_ip,
    action: r.action,
    target: r.target,
    outcome: r.outcome,
    before: r.before,
    after: r.after,
    details: r.details,
    prev_hash: r.prev_hash,
    hash: r.hash,
  };
}

function filterConditions(
  eb: ExpressionBuilder<DatabaseSchema, 'audit_log'>,
  f: AuditFilter,
): Expression<SqlBool>[] {
  const conds: Expression<SqlBool>[] = [];
  if (f.actor !== undefined) conds.push(eb('actor', '=', f.actor));
  if (f.action !== undefined)
    conds.push(
      f.action.endsWith('.')
        ? sql<SqlBool>`action LIKE ${`${f.action.replace(/[\\%_]/g, '\\$&')}%`}`
        : eb('action', '=', f.action),
    );
  if (f.target !== undefined) conds.push(eb('target', '=', f.target));
  if (f.outcome !== undefined) conds.push(eb('outcome', '=', f.outcome));
  if (f.from !== undefined) conds.push(eb('at', '>=', new Date(f.from)));
  if (f.to !== undefined) conds.push(eb('at', '<', new Date(f.to)));
  return conds;
}

/** Rows matching `filter` in id order, {@link PAGE_ROWS} per query (keyset on id). */
async function* rowsInIdOrder(db: Db, filter: AuditFilter): AsyncGenerator<Row> {
  let after = 0;
  for (;;) {
    const rows = await db
      .selectFrom('audit_log')
      .selectAll()
      .where((eb) => eb.and([...filterConditions(eb, filter), eb('id', '>', after)]))
      .orderBy('id', 'asc')
      .limit(PAGE_ROWS)
      .execute();
    for (const r of rows) yield r;
    const last = rows[rows.length - 1];
    if (rows.length < PAGE_ROWS || !last) return;
    after = Number(last.id);
  }
}

/**
 * Recomputes the audit log's hash chain, streaming rows in id order.
 *
 * Each row is checked against the stored values around it, not against hashes recomputed from
 * the start, so one tampered row gives one break and the check goes on past it:
 * - ids run 1, 2, 3, … : a missing id is a `gap` at the next present row (whose link is then not
 *   checked, since its predecessor is gone);
 * - `prev_hash` equals the previous row's stored `hash` (GENESIS for id 1), else `prev_hash_mismatch`;
 * - `hash` equals `auditHash(prev_hash, row)` from the row's own stored `prev_hash`, else
 *   `hash_mismatch`.
 * An edited row shows as its `hash_mismatch`; an edited row whose hash was recomputed shows as the
 * next row's `prev_hash_mismatch`. Deleting the newest rows, or rewriting every hash from some row
 * to the end, leaves a valid chain: compare `lastHash` with a copy kept outside the database.
 * @throws the driver's error when the database cannot be read
 */
export async function verifyAuditChain(db: Db): Promise<AuditVerification> {
  const breaks: AuditBreak[] = [];
  let breakCount = 0;
  const report = (b: AuditBreak): void => {
    breakCount++;
    if (breaks.length < MAX_LISTED_BREAKS) breaks.push(b);
  };
  let entries = 0;
  let expectedId = 1;
  let previous = GENESIS_HASH;
  for await (const r of rowsInIdOrder(db, {})) {
    const id = Number(r.id);
    entries++;
    if (id !== expectedId) report({ id, reason: 'gap', expected: String(expectedId), found: String(id) });
    else if (r.prev_hash !== previous)
      report({ id, reason: 'prev_hash_mismatch', expected: previous, found: r.prev_hash });
    const recomputed = auditHash(r.prev_hash, toRecord(r));
    if (recomputed !== r.hash) report({ id, reason: 'hash_mismatch', expected: recomputed, found: r.hash });
    expectedId = id + 1;
    previous = r.hash;
  }
  return { ok: breakCount === 0, entries, lastHash: previous, breakCount, breaks };
}

/**
 * Lists entries newest first (`at` descending, then id), filtered.
 * @returns a page and the cursor of the next page (absent on the last)
 * @throws VigilError `VIGIL_ERR_BAD_REQUEST` for a cursor this store did not issue
 */
export async function queryAudit(db: Db, q: AuditQuery): Promise<{ entries: AuditRecord[]; next?: string }> {
  const after = q.cursor ? decodePageCursor(q.cursor) : undefined;
  const rows = await db
    .selectFrom('audit_log')
    .selectAll()
    .where((eb) => {
      const conds = filterConditions(eb, q);
      if (after)
        conds.push(
          eb.or([
            eb('at', '<', new Date(after.value)),
            eb.and([eb('at', '=', new Date(after.value)), eb('id', '<', after.id)]),
          ]),
        );
      return eb.and(conds);
    })
    .orderBy('at', 'desc')
    .orderBy('id', 'desc')
    .limit(q.limit + 1)
    .execute();
  const page = rows.slice(0, q.limit);
  const last = page[page.length - 1];
  return rows.length > q.limit && last
    ? { entries: page.map(toRecord), next: encodePageCursor(last.at, Number(last.id)) }
    : { entries: page.map(toRecord) };
}

/**
 * Every entry matching `filter`, oldest first (id order), read {@link PAGE_ROWS} at a time, with
 * `prev_hash` and `hash`. An unfiltered export can be re-verified link by link; a filtered one
 * only row by row (`hash` from the row and its `prev_hash`).
 */
export async function* exportAudit(db: Db, filter: AuditFilter = {}): AsyncGenerator<AuditRecord> {
  for await (const r of rowsInIdOrder(db, filter)) yield toRecord(r);
}
