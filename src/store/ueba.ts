/**
 * UEBA tables (`docs/ueba.md`, Persistence): the scorer's state row, open window accumulators,
 * entity and population baselines and global process counts. Writers run inside the detection
 * transaction, so what UEBA counted commits or rolls back with the detection cursor.
 */
import { type Kysely, sql } from 'kysely';
import type { Baseline } from '../detect/ueba/baseline.js';
import type { BookClock } from '../detect/ueba/window-book.js';
import type { WindowJSON } from '../detect/ueba/window.js';
import { jsonbText } from './events.js';
import type { DatabaseSchema } from './schema.js';

type Db = Kysely<DatabaseSchema>;

/** Rows per multi-row statement (at most 10 parameters per row). */
const CHUNK = 500;

/** The scorer's persisted state. */
export interface UebaState {
  /** Id of the last event counted (0: none). */
  readonly position: number;
  readonly clock: BookClock;
  /** Process starts counted in `ueba_processes`. */
  readonly processTotal: number;
}

function ms(d: Date | null): number | null {
  return d === null ? null : d.getTime();
}

function date(t: number | null): Date | null {
  return t === null ? null : new Date(t);
}

export async function readUebaState(db: Db, name: string): Promise<UebaState | undefined> {
  const r = await db.selectFrom('ueba_state').selectAll().where('name', '=', name).executeTakeFirst();
  if (!r) return undefined;
  return {
    position: Number(r.position),
    clock: { watermark: ms(r.watermark), closedBefore: ms(r.closed_before) },
    processTotal: Number(r.process_total),
  };
}

export async function writeUebaState(trx: Db, name: string, s: UebaState, now: Date): Promise<void> {
  const values = {
    position: s.position,
    watermark: date(s.clock.watermark),
    closed_before: date(s.clock.closedBefore),
    process_total: s.processTotal,
    updated_at: now,
  };
  await trx
    .insertInto('ueba_state')
    .values({ name, ...values })
    .onConflict((oc) => oc.column('name').doUpdateSet(values))
    .execute();
}

/** Every open window accumulator. */
export async function readOpenWindows(db: Db): Promise<WindowJSON[]> {
  const rows = await db.selectFrom('ueba_windows').select('state').execute();
  return rows.map((r) => r.state);
}

/** Inserts or replaces open windows. */
export async function saveOpenWindows(trx: Db, windows: readonly WindowJSON[], now: Date): Promise<void> {
  for (let i = 0; i < windows.length; i += CHUNK) {
    await trx
      .insertInto('ueba_windows')
      .values(
        windows.slice(i, i + CHUNK).map((w) => ({
          entity_type: w.type,
          entity_value: w.value,
          window_start: new Date(w.start),
          window_end: new Date(w.end),
          state: jsonbText(w),
          updated_at: now,
        })),
      )
      .onConflict((oc) =>
        oc.columns(['entity_type', 'entity_value', 'window_start']).doUpdateSet((eb) => ({
          state: eb.ref('excluded.state'),
          updated_at: eb.ref('excluded.updated_at'),
        })),
      )
      .execute();
  }
}

/** Deletes closed windows. */
export async function deleteOpenWindows(
  trx: Db,
  keys: readonly { readonly type: string; readonly value: string; readonly start: number }[],
): Promise<void> {
  for (let i = 0; i < keys.length; i += CHUNK) {
    const part = keys.slice(i, i + CHUNK);
    await trx
      .deleteFrom('ueba_windows')
      .where((eb) =>
        eb(
          eb.refTuple('entity_type', 'entity_value', 'window_start'),
          'in',
          part.map((k) => eb.tuple(k.type, k.value, new Date(k.start))),
        ),
      )
      .execute();
  }
}

/** A stored baseline. */
export interface StoredBaseline {
  readonly type: string;
  readonly value: string;
  readonly baseline: Baseline;
  readonly lastWindowStart: Date | null;
  readonly lastFeatures: Record<string, number | null> | null;
  readonly lastScore: number | null;
  readonly updatedAt: Date;
}

/**
 * Baselines of these entities (value '' = the type's population), keyed `type` + U+0001 + `value`.
 */
export async function readBaselines(
  db: Db,
  refs: readonly { readonly type: string; readonly value: string }[],
): Promise<Map<string, StoredBaseline>> {
  const out = new Map<string, StoredBaseline>();
  for (let i = 0; i < refs.length; i += CHUNK) {
    const part = refs.slice(i, i + CHUNK);
    const rows = await db
      .selectFrom('ueba_baselines')
      .selectAll()
      .where((eb) =>
        eb(
          eb.refTuple('entity_type', 'entity_value'),
          'in',
          part.map((r) => eb.tuple(r.type, r.value)),
        ),
      )
      .execute();
    for (const r of rows)
      out.set(`${r.entity_type}\u0001${r.entity_value}`, {
        type: r.entity_type,
        value: r.entity_value,
        baseline: r.baseline,
        lastWindowStart: r.last_window_start,
        lastFeatures: r.last_features,
        lastScore: r.last_score,
        updatedAt: r.updated_at,
      });
  }
  return out;
}

/** A baseline to save, with the window that last changed it. */
export interface BaselineWrite {
  readonly type: string;
  readonly value: string;
  readonly baseline: Baseline;
  readonly lastWindowStart: number | null;
  readonly lastFeatures: Readonly<Record<string, number>> | null;
  readonly lastScore: number | null;
}

function finiteOrNull(f: Readonly<Record<string, number>>): Record<string, number | null> {
  const out: Record<string, number | null> = {};
  for (const [k, v] of Object.entries(f)) out[k] = Number.isFinite(v) ? v : null;
  return out;
}

/** Inserts or replaces baselines. */
export async function saveBaselines(trx: Db, rows: readonly BaselineWrite[], now: Date): Promise<void> {
  for (let i = 0; i < rows.length; i += CHUNK) {
    await trx
      .insertInto('ueba_baselines')
      .values(
        rows.slice(i, i + CHUNK).map((r) => ({
          entity_type: r.type,
          entity_value: r.value,
          windows: r.baseline.windows,
          first_seen: date(r.baseline.firstSeen),
          last_seen: date(r.baseline.lastSeen),
          baseline: jsonbText(r.baseline),
          last_window_start: date(r.lastWindowStart),
          last_features: r.lastFeatures === null ? null : JSON.stringify(finiteOrNull(r.lastFeatures)),
          last_score: r.lastScore,
          updated_at: now,
        })),
      )
      .onConflict((oc) =>
        oc.columns(['entity_type', 'entity_value']).doUpdateSet((eb) => ({
          windows: eb.ref('excluded.windows'),
          first_seen: eb.ref('excluded.first_seen'),
          last_seen: eb.ref('excluded.last_seen'),
          baseline: eb.ref('excluded.baseline'),
          last_window_start: eb.ref('excluded.last_window_start'),
          last_features: eb.ref('excluded.last_features'),
          last_score: eb.ref('excluded.last_score'),
          updated_at: eb.ref('excluded.updated_at'),
        })),
      )
      .execute();
  }
}

/** Global counts of these process names (absent: never counted). */
export async function readProcessCounts(db: Db, names: readonly string[]): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (let i = 0; i < names.length; i += CHUNK) {
    const rows = await db
      .selectFrom('ueba_processes')
      .select(['name', 'count'])
      .where('name', 'in', names.slice(i, i + CHUNK))
      .execute();
    for (const r of rows) out.set(r.name, Number(r.count));
  }
  return out;
}

/** Adds to the global process counts. */
export async function addProcessCounts(trx: Db, counts: ReadonlyMap<string, number>): Promise<void> {
  const entries = [...counts];
  for (let i = 0; i < entries.length; i += CHUNK) {
    await trx
      .insertInto('ueba_processes')
      .values(entries.slice(i, i + CHUNK).map(([name, count]) => ({ name, count })))
      .onConflict((oc) =>
        oc.column('name').doUpdateSet({ count: sql<number>`ueba_processes.count + excluded.count` }),
      )
      .execute();
  }
}
