/**
 * One pass over the stored events of a training window into closed UEBA windows with features
 * (`WindowReplay`): events are read in pages of (timestamp, id) order, bounded, and only the
 * Windows authentication events whose outcome is in `Status` are re-decoded (the rest is read from
 * the stored ECS). The three UEBA trainers of one request share the pass. Also the replay of the
 * events after the scorer's last snapshot ({@link readEventsById}).
 */
import type { Kysely } from 'kysely';
import type { ClosedWindow } from '../../detect/ueba/close.js';
import type { EntityType } from '../../detect/ueba/entities.js';
import { needsFields, type UebaEvent, uebaEvent } from '../../detect/ueba/event-view.js';
import { WindowReplay } from '../../detect/ueba/replay.js';
import { redecode } from '../../pipeline/ingest/prepare.js';
import type { DatabaseSchema } from '../../store/schema.js';
import type { TrainingProgress } from '../types.js';

type Db = Kysely<DatabaseSchema>;

export interface PassOptions {
  readonly windowMs: number;
  /** Events read per page. */
  readonly pageSize: number;
  /** Events read at most (the earliest of the window); the rest is left out and reported. */
  readonly maxEvents: number;
}

/** The closed windows of a training window, per entity type, oldest first. */
export interface PassResult {
  readonly closed: Readonly<Record<EntityType, readonly ClosedWindow[]>>;
  /** Events read. */
  readonly events: number;
  /** Events counted in at least one window. */
  readonly counted: number;
  /** True when `maxEvents` stopped the read before the end of the window. */
  readonly truncated: boolean;
}

/**
 * Reads the events with `from ≤ @timestamp < to` and replays them into windows.
 * @param progress - reports reading progress in [0, `share`] by event time
 * @throws the signal's reason when aborted
 */
export async function readTrainingWindows(
  db: Db,
  window: { readonly from: Date; readonly to: Date },
  o: PassOptions,
  progress: TrainingProgress,
  share: number,
  signal: AbortSignal,
): Promise<PassResult> {
  const replay = new WindowReplay(o.windowMs);
  const from = window.from.getTime();
  const span = Math.max(1, window.to.getTime() - from);
  let after: { ts: Date; id: number } | undefined;
  let events = 0;
  let truncated = false;
  while (true) {
    signal.throwIfAborted();
    const limit = Math.min(o.pageSize, o.maxEvents - events);
    if (limit <= 0) {
      truncated = (await nextPage(db, window, after, 1)).length > 0;
      break;
    }
    const rows = await nextPage(db, window, after, limit);
    if (rows.length === 0) break;
    for (const e of await viewsOf(db, rows)) replay.add(e);
    events += rows.length;
    const last = rows[rows.length - 1]!;
    after = { ts: last.timestamp, id: last.id };
    progress(Math.min(share, (share * (last.timestamp.getTime() - from)) / span), 'reading events');
    if (rows.length < limit) break;
  }
  signal.throwIfAborted();
  return { closed: replay.finish(), events, counted: replay.events, truncated };
}

type Row = { id: number; timestamp: Date; ecs: Record<string, unknown> };

/**
 * The UEBA views of stored rows; the few whose outcome is in a Sigma field (`needsFields`) are
 * re-decoded from their stored original.
 */
async function viewsOf(db: Db, rows: readonly Row[]): Promise<UebaEvent[]> {
  const need = rows.filter((r) => needsFields(r.ecs)).map((r) => r.id);
  const originals = new Map<number, { format: string; original: string }>();
  if (need.length > 0) {
    const rs = await db
      .selectFrom('events')
      .select(['id', 'format', 'original'])
      .where('id', 'in', need)
      .execute();
    for (const r of rs) originals.set(Number(r.id), { format: r.format, original: r.original });
  }
  return rows.map((r) => {
    const o = originals.get(r.id);
    const decoded = o
      ? redecode(o.format, o.original, { year: r.timestamp.getUTCFullYear(), timezone: 'UTC' })
      : undefined;
    return uebaEvent(r.id, r.timestamp.getTime(), r.ecs, decoded ? (n) => decoded.get(n) : undefined);
  });
}

/**
 * Stored events with `after < id ≤ upTo`, in id order, as UEBA views, page by page (the detection
 * stage's replay after a restart).
 * @returns events read
 */
export async function readEventsById(
  db: Db,
  after: number,
  upTo: number,
  pageSize: number,
  each: (e: UebaEvent) => void,
): Promise<number> {
  let from = after;
  let n = 0;
  while (from < upTo) {
    const rows = await db
      .selectFrom('events')
      .select(['id', 'timestamp', 'ecs'])
      .where('id', '>', from)
      .where('id', '<=', upTo)
      .orderBy('id')
      .limit(pageSize)
      .execute();
    if (rows.length === 0) break;
    const page = rows.map((r) => ({ id: Number(r.id), timestamp: r.timestamp, ecs: r.ecs }));
    for (const e of await viewsOf(db, page)) each(e);
    n += page.length;
    from = page[page.length - 1]!.id;
  }
  return n;
}

async function nextPage(
  db: Db,
  window: { readonly from: Date; readonly to: Date },
  after: { ts: Date; id: number } | undefined,
  limit: number,
): Promise<Row[]> {
  let q = db
    .selectFrom('events')
    .select(['id', 'timestamp', 'ecs'])
    .where('timestamp', '>=', window.from)
    .where('timestamp', '<', window.to);
  if (after)
    q = q.where((eb) =>
      eb.or([
        eb('timestamp', '>', after.ts),
        eb.and([eb('timestamp', '=', after.ts), eb('id', '>', after.id)]),
      ]),
    );
  const rows = await q.orderBy('timestamp').orderBy('id').limit(limit).execute();
  return rows.map((r) => ({ id: Number(r.id), timestamp: r.timestamp, ecs: r.ecs }));
}
