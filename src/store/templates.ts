/**
 * The log template repository: templates (`log_templates`), their counts per hour of event time
 * and host (`log_template_counts`) and the miner's saved state (`log_template_miner`). SQL only;
 * the logic is in `src/templates/service.ts`, the reads in `templates-read.ts`. `docs/templates-service.md` explains the tables.
 */
import { type Kysely, sql } from 'kysely';
import type { DatabaseSchema } from './schema.js';

type Db = Kysely<DatabaseSchema>;

/** One hour, ms. */
export const HOUR_MS = 3_600_000;

/**
 * Characters of `host.name` kept in `log_template_counts` (RFC 5424 HOSTNAME is at most 255; the
 * syslog header reads any non-space run, and a btree index row holds at most ~2.7 kB).
 */
export const MAX_HOST_CHARS = 255;

/** A template created or changed by the miner, to upsert before events reference it. */
export interface TemplateUpsert {
  readonly id: number;
  readonly template: string;
  /** The message that created it (kept from the first upsert). */
  readonly sample: string;
}

/** A template the miner merged into a live one. */
export interface TemplateMerge {
  readonly from: number;
  /** The live template (after following every later merge). */
  readonly into: number;
}

/** Stored events of one template, hour and host, with their event-time span. */
export interface CountDelta {
  readonly templateId: number;
  /** Start of the hour, ms since the epoch (UTC). */
  readonly bucket: number;
  /** `host.name`, `''` when absent. */
  readonly host: string;
  readonly count: number;
  /** Earliest and latest event time, ms. */
  readonly first: number;
  readonly last: number;
}

/** PostgreSQL text cannot hold NUL. */
function pgText(s: string): string {
  return s.includes('\0') ? s.replace(/\0/g, '\ufffd') : s;
}

/** What the miner is restored from: its saved state, and the saved templates' texts and merges. */
export interface SavedMiner {
  /** `TemplateMiner.toJSON()` as JSON text; undefined before the first save. */
  readonly state?: string;
  /** Live (not merged) template id → text. */
  readonly live: Map<number, string>;
  /** Ids saved as merged. */
  readonly merged: Set<number>;
  /** Highest saved template id (0 when none). */
  readonly maxId: number;
}

export async function loadMiner(db: Db): Promise<SavedMiner> {
  const row = await db
    .selectFrom('log_template_miner')
    .select('state')
    .where('id', '=', 1)
    .executeTakeFirst();
  const rows = await db.selectFrom('log_templates').select(['id', 'template', 'merged_into']).execute();
  const live = new Map<number, string>();
  const merged = new Set<number>();
  let maxId = 0;
  for (const r of rows) {
    if (r.merged_into === null) live.set(r.id, r.template);
    else merged.add(r.id);
    maxId = Math.max(maxId, r.id);
  }
  return row ? { state: row.state, live, merged, maxId } : { live, merged, maxId };
}

/**
 * Saves the miner in one transaction: upserts created or changed templates (text and
 * `updated_at`; `sample` and `created_at` stay from the first save), folds merged templates into
 * their survivors (counts, totals and event-time span move; the merged row keeps its text with
 * `merged_into` set, and rows merged into it follow), and replaces the saved state. The saved
 * state therefore always names every template a stored event refers to.
 * @param state - `TemplateMiner.toJSON()` as JSON text
 * @param templates - live templates in it
 * @param at - ingest time (`created_at` of new templates, `updated_at` of changed ones)
 */
export async function saveMiner(
  db: Db,
  change: {
    readonly upserts: readonly TemplateUpsert[];
    readonly merges: readonly TemplateMerge[];
    readonly state: string;
    readonly templates: number;
  },
  at: Date,
): Promise<void> {
  await db.transaction().execute(async (trx) => {
    if (change.upserts.length > 0)
      await trx
        .insertInto('log_templates')
        .values(
          change.upserts.map((u) => ({
            id: u.id,
            template: pgText(u.template),
            sample: pgText(u.sample),
            count: 0,
            first_seen: null,
            last_seen: null,
            merged_into: null,
            created_at: at,
            updated_at: at,
          })),
        )
        .onConflict((oc) =>
          oc.column('id').doUpdateSet((eb) => ({
            template: eb.ref('excluded.template'),
            updated_at: eb.ref('excluded.updated_at'),
          })),
        )
        .execute();
    for (const m of change.merges) {
      await sql`
        INSERT INTO log_template_counts (template_id, bucket, host_name, count)
        SELECT ${m.into}::integer, bucket, host_name, count FROM log_template_counts WHERE template_id = ${m.from}
        ON CONFLICT (template_id, bucket, host_name)
        DO UPDATE SET count = log_template_counts.count + excluded.count`.execute(trx);
      await trx.deleteFrom('log_template_counts').where('template_id', '=', m.from).execute();
      await sql`
        UPDATE log_templates s
        SET count = s.count + m.count,
            first_seen = LEAST(s.first_seen, m.first_seen),
            last_seen = GREATEST(s.last_seen, m.last_seen)
        FROM log_templates m
        WHERE s.id = ${m.into} AND m.id = ${m.from}`.execute(trx);
      await trx
        .updateTable('log_templates')
        .set({ merged_into: m.into, count: 0, updated_at: at })
        .where((eb) => eb.or([eb('id', '=', m.from), eb('merged_into', '=', m.from)]))
        .execute();
    }
    await trx
      .insertInto('log_template_miner')
      .values({ id: 1, state: change.state, templates: change.templates, saved_at: at })
      .onConflict((oc) =>
        oc.column('id').doUpdateSet((eb) => ({
          state: eb.ref('excluded.state'),
          templates: eb.ref('excluded.templates'),
          saved_at: eb.ref('excluded.saved_at'),
        })),
      )
      .execute();
  });
}

/**
 * Adds stored events to the hourly counts and to each template's total and event-time span, in one
 * transaction. Deltas must be unique by (template, bucket, host).
 */
export async function addCounts(db: Db, deltas: readonly CountDelta[]): Promise<void> {
  if (deltas.length === 0) return;
  const perTemplate = new Map<number, { n: number; first: number; last: number }>();
  for (const d of deltas) {
    const t = perTemplate.get(d.templateId);
    if (t) {
      t.n += d.count;
      t.first = Math.min(t.first, d.first);
      t.last = Math.max(t.last, d.last);
    } else perTemplate.set(d.templateId, { n: d.count, first: d.first, last: d.last });
  }
  // Sorted keys: concurrent writers (another process on the same PostgreSQL) lock rows in one order.
  const sorted = [...deltas].sort(
    (a, b) =>
      a.templateId - b.templateId || a.bucket - b.bucket || (a.host < b.host ? -1 : a.host > b.host ? 1 : 0),
  );
  const ids = [...perTemplate.keys()].sort((a, b) => a - b);
  await db.transaction().execute(async (trx) => {
    await trx
      .insertInto('log_template_counts')
      .values(
        sorted.map((d) => ({
          template_id: d.templateId,
          bucket: new Date(d.bucket),
          host_name: pgText(d.host),
          count: d.count,
        })),
      )
      .onConflict((oc) =>
        oc
          .columns(['template_id', 'bucket', 'host_name'])
          .doUpdateSet({ count: sql`log_template_counts.count + excluded.count` }),
      )
      .execute();
    const values = ids.map((id) => {
      const t = perTemplate.get(id)!;
      return sql`(${id}::integer, ${t.n}::bigint, ${new Date(t.first)}::timestamptz, ${new Date(t.last)}::timestamptz)`;
    });
    await sql`
      UPDATE log_templates t
      SET count = t.count + v.n, first_seen = LEAST(t.first_seen, v.f), last_seen = GREATEST(t.last_seen, v.l)
      FROM (VALUES ${sql.join(values)}) AS v (id, n, f, l)
      WHERE t.id = v.id`.execute(trx);
  });
}

/**
 * Recomputes every count from the stored events mined by the service (`decoder`, a numeric
 * `vigil.template.id` counted under the template it was merged into, if it was; `@timestamp`;
 * `host.name`), replacing what is there: after a crash between an event batch and its counts, or after a retention run (the counts of deleted
 * events go too). One scan of the events table, in one transaction, over the events up to the
 * highest id committed when it starts.
 * @param decoder - the decoder of mined events (`linux-syslog`)
 * @param inside - more work for the same transaction (the audit entry)
 * @returns the (template, hour, host) rows written and the highest event id counted
 */
export async function rebuildCounts(
  db: Db,
  decoder: string,
  inside?: (trx: Db) => Promise<void>,
): Promise<{ rows: number; through: number }> {
  return db.transaction().execute(async (trx) => {
    const max = await trx
      .selectFrom('events')
      .select((eb) => eb.fn.max('id').as('max'))
      .executeTakeFirst();
    const through = Number(max?.max ?? 0);
    await trx.deleteFrom('log_template_counts').execute();
    const r = await sql`
      INSERT INTO log_template_counts (template_id, bucket, host_name, count)
      SELECT coalesce(t.merged_into, t.id),
             date_trunc('hour', e.timestamp AT TIME ZONE 'UTC') AT TIME ZONE 'UTC',
             left(coalesce(e.ecs->'host'->>'name', ''), ${MAX_HOST_CHARS}),
             count(*)
      FROM events e
      JOIN log_templates t ON t.id = (e.ecs->'vigil'->'template'->>'id')::integer
      WHERE e.id <= ${through} AND e.decoder = ${decoder}
        AND jsonb_typeof(e.ecs->'vigil'->'template'->'id') = 'number'
      GROUP BY 1, 2, 3`.execute(trx);
    await trx.updateTable('log_templates').set({ count: 0, first_seen: null, last_seen: null }).execute();
    await sql`
      UPDATE log_templates t
      SET count = c.n, first_seen = c.f, last_seen = c.l
      FROM (
        SELECT coalesce(t.merged_into, t.id) AS id, count(*) AS n,
               min(e.timestamp) AS f, max(e.timestamp) AS l
        FROM events e
        JOIN log_templates t ON t.id = (e.ecs->'vigil'->'template'->>'id')::integer
        WHERE e.id <= ${through} AND e.decoder = ${decoder}
          AND jsonb_typeof(e.ecs->'vigil'->'template'->'id') = 'number'
        GROUP BY 1
      ) c
      WHERE t.id = c.id`.execute(trx);
    if (inside) await inside(trx);
    return { rows: Number(r.numAffectedRows ?? 0), through };
  });
}
