/**
 * Reads of the log template repository (the writes are in `templates.ts`): pages of
 * templates, one template, its hourly counts and hosts, and per-host activity for UEBA.
 */
import { type Expression, type Kysely, type SqlBool, sql } from 'kysely';
import { ErrorCodes, VigilError } from '../errors.js';
import type { DatabaseSchema } from './schema.js';

type Db = Kysely<DatabaseSchema>;

/** A template as the API returns it. */
export interface TemplateRecord {
  readonly id: number;
  readonly template: string;
  readonly sample: string;
  readonly count: number;
  readonly first_seen: string | null;
  readonly last_seen: string | null;
  readonly merged_into: number | null;
  readonly created_at: string;
  readonly updated_at: string;
}

/** Sort orders of {@link listTemplates}: most events, latest event, or id (oldest template first). */
export type TemplateSort = 'count' | 'last_seen' | 'id';

export interface TemplateQuery {
  readonly sort: TemplateSort;
  /** Case-insensitive substring of the template text. */
  readonly text?: string | undefined;
  /** Rows per page, 1–1000. */
  readonly limit: number;
  /** Opaque cursor from the previous page's `next`. */
  readonly cursor?: string | undefined;
}

type TemplateRow = {
  id: number;
  template: string;
  sample: string;
  count: number;
  first_seen: Date | null;
  last_seen: Date | null;
  merged_into: number | null;
  created_at: Date;
  updated_at: Date;
};

function toRecord(r: TemplateRow): TemplateRecord {
  return {
    id: r.id,
    template: r.template,
    sample: r.sample,
    count: Number(r.count),
    first_seen: r.first_seen ? r.first_seen.toISOString() : null,
    last_seen: r.last_seen ? r.last_seen.toISOString() : null,
    merged_into: r.merged_into === null ? null : Number(r.merged_into),
    created_at: r.created_at.toISOString(),
    updated_at: r.updated_at.toISOString(),
  };
}

interface PageKey {
  readonly sort: TemplateSort;
  readonly value: number;
  readonly id: number;
}

function encodeCursor(k: PageKey): string {
  return Buffer.from(`${k.sort}|${k.value}|${k.id}`).toString('base64url');
}

/** @throws VigilError `VIGIL_ERR_BAD_REQUEST` for a cursor not issued for this sort order */
function decodeCursor(cursor: string, sort: TemplateSort): PageKey {
  const [s, v, i] = Buffer.from(cursor, 'base64url').toString('utf8').split('|');
  const value = Number(v);
  const id = Number(i);
  if (s !== sort || v === '' || !Number.isFinite(value) || !Number.isSafeInteger(id) || id < 0)
    throw new VigilError(ErrorCodes.BAD_REQUEST, 'invalid cursor');
  return { sort, value, id };
}

/** `last_seen` as ms for keyset paging; templates without stored events sort last. */
const NO_TIME = -8.64e15;

/**
 * A page of live (not merged) templates and the cursor of the next one (absent on the last).
 * `count` and `last_seen` sort descending (ties by id descending), `id` ascending.
 * @throws VigilError `VIGIL_ERR_BAD_REQUEST` for a bad cursor
 */
export async function listTemplates(
  db: Db,
  q: TemplateQuery,
): Promise<{ templates: TemplateRecord[]; next?: string }> {
  const after = q.cursor ? decodeCursor(q.cursor, q.sort) : undefined;
  const lastSeenMs = sql<number>`coalesce(extract(epoch from last_seen) * 1000, ${NO_TIME})`;
  let query = db
    .selectFrom('log_templates')
    .selectAll()
    .where((eb) => {
      const conds: Expression<SqlBool>[] = [eb('merged_into', 'is', null)];
      if (q.text) conds.push(sql<SqlBool>`template ILIKE ${`%${q.text.replace(/[\\%_]/g, '\\$&')}%`}`);
      if (after) {
        if (q.sort === 'id') conds.push(eb('id', '>', after.id));
        else {
          const col = q.sort === 'count' ? sql<number>`count` : lastSeenMs;
          conds.push(sql<SqlBool>`(${col}, id) < (${after.value}, ${after.id})`);
        }
      }
      return eb.and(conds);
    });
  if (q.sort === 'id') query = query.orderBy('id', 'asc');
  else if (q.sort === 'count') query = query.orderBy('count', 'desc').orderBy('id', 'desc');
  else query = query.orderBy(lastSeenMs, 'desc').orderBy('id', 'desc');
  const rows = (await query.limit(q.limit + 1).execute()) as TemplateRow[];
  const page = rows.slice(0, q.limit);
  const last = page[page.length - 1];
  const templates = page.map(toRecord);
  if (rows.length <= q.limit || !last) return { templates };
  const value =
    q.sort === 'count'
      ? Number(last.count)
      : q.sort === 'last_seen'
        ? (last.last_seen?.getTime() ?? NO_TIME)
        : 0;
  return { templates, next: encodeCursor({ sort: q.sort, value, id: last.id }) };
}

/** Ids of the templates merged into `id`, ascending. */
export async function mergedInto(db: Db, id: number): Promise<number[]> {
  const rows = await db
    .selectFrom('log_templates')
    .select('id')
    .where('merged_into', '=', id)
    .orderBy('id')
    .execute();
  return rows.map((r) => r.id);
}

export async function getTemplate(db: Db, id: number): Promise<TemplateRecord | undefined> {
  const row = await db.selectFrom('log_templates').selectAll().where('id', '=', id).executeTakeFirst();
  return row ? toRecord(row as TemplateRow) : undefined;
}

/** Hourly counts of one template in `[from, to)` (ms), summed over hosts or for one host, by hour ascending. */
export async function hourlyCounts(
  db: Db,
  id: number,
  from: number,
  to: number,
  host?: string,
): Promise<{ bucket: number; count: number }[]> {
  let query = db
    .selectFrom('log_template_counts')
    .select(['bucket', (eb) => eb.fn.sum<number>('count').as('n')])
    .where('template_id', '=', id)
    .where('bucket', '>=', new Date(from))
    .where('bucket', '<', new Date(to));
  if (host !== undefined) query = query.where('host_name', '=', host);
  const rows = await query.groupBy('bucket').orderBy('bucket').execute();
  return rows.map((r) => ({ bucket: r.bucket.getTime(), count: Number(r.n) }));
}

/** The hosts that logged a template most, with their counts (all time). */
export async function templateHosts(
  db: Db,
  id: number,
  limit: number,
): Promise<{ host: string; count: number }[]> {
  const rows = await db
    .selectFrom('log_template_counts')
    .select(['host_name', (eb) => eb.fn.sum<number>('count').as('n')])
    .where('template_id', '=', id)
    .groupBy('host_name')
    .orderBy('n', 'desc')
    .orderBy('host_name')
    .limit(limit)
    .execute();
  return rows.map((r) => ({ host: r.host_name, count: Number(r.n) }));
}

/** One host's template activity in a window (`templateActivityByHost`, `src/templates/features.ts`). */
export interface HostTemplateRow {
  /** `host.name` of the events; `''` for events without one. */
  readonly host: string;
  /** Mined (unknown) syslog lines from the host in the window. */
  readonly events: number;
  /** Distinct templates among them. */
  readonly templates: number;
  /** Of those, templates whose first event anywhere falls in the window (new to Vigil). */
  readonly newTemplates: number;
  /** Of those, templates the host had not logged before the window (new to the host). */
  readonly newForHost: number;
  /** Events in the window of rare templates (fewer than `rareBelow` events stored in all). */
  readonly rareEvents: number;
}

/**
 * Per host, over the hourly buckets in `[from, to)` (ms): mined events, distinct templates,
 * templates first seen anywhere in the window, templates the host had not logged before the
 * window, and events of templates with fewer than `rareBelow` stored events in all.
 */
export async function hostTemplateRows(
  db: Db,
  from: number,
  to: number,
  rareBelow: number,
): Promise<HostTemplateRow[]> {
  const f = new Date(from);
  const t = new Date(to);
  const r = await sql<{
    host_name: string;
    events: number | string;
    templates: number | string;
    new_templates: number | string;
    new_for_host: number | string;
    rare_events: number | string | null;
  }>`
    SELECT c.host_name,
      sum(c.count) AS events,
      count(DISTINCT c.template_id) AS templates,
      count(DISTINCT c.template_id) FILTER (WHERE t.first_seen >= ${f} AND t.first_seen < ${t}) AS new_templates,
      count(DISTINCT c.template_id) FILTER (WHERE NOT EXISTS (
        SELECT 1 FROM log_template_counts p
        WHERE p.template_id = c.template_id AND p.host_name = c.host_name AND p.bucket < ${f})) AS new_for_host,
      sum(c.count) FILTER (WHERE t.count < ${rareBelow}) AS rare_events
    FROM log_template_counts c JOIN log_templates t ON t.id = c.template_id
    WHERE c.bucket >= ${f} AND c.bucket < ${t}
    GROUP BY c.host_name
    ORDER BY c.host_name`.execute(db);
  return r.rows.map((x) => ({
    host: x.host_name,
    events: Number(x.events),
    templates: Number(x.templates),
    newTemplates: Number(x.new_templates),
    newForHost: Number(x.new_for_host),
    rareEvents: Number(x.rare_events ?? 0),
  }));
}
