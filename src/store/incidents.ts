/**
 * Incidents: rows, the entities they group alerts on, the grouping look-up, listing with filters
 * and keyset pagination, and aggregates over linked alerts. Items (links, comments, tasks,
 * observables, timeline) are in `incidents-items.ts`.
 */
import {
  type Expression,
  type Insertable,
  type Kysely,
  type Selectable,
  type SqlBool,
  sql,
  type Updateable,
} from 'kysely';
import { afterCursor, decodePageCursor, encodePageCursor } from './page-cursor.js';
import type { DatabaseSchema } from './schema.js';
import type { IncidentsTable } from './schema-incidents.js';

type Db = Kysely<DatabaseSchema>;

export type IncidentRow = Selectable<IncidentsTable>;
export type NewIncidentRow = Insertable<IncidentsTable>;
export type IncidentPatch = Updateable<IncidentsTable>;

/** An entity with the event-time span it was seen in an incident. */
export interface EntitySpan {
  readonly type: string;
  readonly value: string;
  readonly first_seen: Date;
  readonly last_seen: Date;
}

/** `pg_advisory_xact_lock` key serializing incident writers ('VIGI' as int32). */
const INCIDENT_LOCK = 0x56494749;

/**
 * Serializes incident changes (grouping, API changes, merges) across every instance sharing the
 * database, until the caller's transaction ends. Take it before the audit lock.
 */
export async function lockIncidents(trx: Db): Promise<void> {
  await sql`SELECT pg_advisory_xact_lock(${INCIDENT_LOCK})`.execute(trx);
}

export async function insertIncident(trx: Db, values: NewIncidentRow): Promise<IncidentRow> {
  return trx.insertInto('incidents').values(values).returningAll().executeTakeFirstOrThrow();
}

export async function getIncidentRow(db: Db, id: number): Promise<IncidentRow | undefined> {
  return db.selectFrom('incidents').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function getIncidentRows(db: Db, ids: readonly number[]): Promise<IncidentRow[]> {
  if (ids.length === 0) return [];
  return db.selectFrom('incidents').selectAll().where('id', 'in', ids).orderBy('id').execute();
}

export async function updateIncidentRow(trx: Db, id: number, set: IncidentPatch): Promise<IncidentRow> {
  return trx.updateTable('incidents').set(set).where('id', '=', id).returningAll().executeTakeFirstOrThrow();
}

/** Entities of each incident, most recently seen first. */
export async function entitiesOf(db: Db, ids: readonly number[]): Promise<Map<number, EntitySpan[]>> {
  const out = new Map<number, EntitySpan[]>(ids.map((id) => [id, []]));
  if (ids.length === 0) return out;
  const rows = await db
    .selectFrom('incident_entities')
    .selectAll()
    .where('incident_id', 'in', ids)
    .orderBy('incident_id')
    .orderBy('last_seen', 'desc')
    .orderBy('type')
    .orderBy('value')
    .execute();
  for (const r of rows) out.get(r.incident_id)?.push(r);
  return out;
}

/** Adds entities to an incident, widening the span of those it already has. */
export async function upsertEntities(
  trx: Db,
  incidentId: number,
  spans: readonly EntitySpan[],
): Promise<void> {
  if (spans.length === 0) return;
  await trx
    .insertInto('incident_entities')
    .values(spans.map((s) => ({ incident_id: incidentId, ...s })))
    .onConflict((oc) =>
      oc.columns(['incident_id', 'type', 'value']).doUpdateSet({
        first_seen: sql<Date>`least(incident_entities.first_seen, excluded.first_seen)`,
        last_seen: sql<Date>`greatest(incident_entities.last_seen, excluded.last_seen)`,
      }),
    )
    .execute();
}

/** Replaces an incident's entities (after alerts moved out of it). */
export async function replaceEntities(
  trx: Db,
  incidentId: number,
  spans: readonly EntitySpan[],
): Promise<void> {
  await trx.deleteFrom('incident_entities').where('incident_id', '=', incidentId).execute();
  await upsertEntities(trx, incidentId, spans);
}

/**
 * The incident an alert joins: the open one (`statuses`) sharing one of its entities whose span
 * for that entity, widened by `windowMs` on both sides, contains the alert's event time; when
 * several match, the most recently active (latest `last_seen`, then highest id).
 */
export async function findGroupingCandidate(
  trx: Db,
  entities: readonly { type: string; value: string }[],
  at: Date,
  windowMs: number,
  statuses: readonly string[],
): Promise<Pick<IncidentRow, 'id' | 'severity'> | undefined> {
  if (entities.length === 0) return undefined;
  return trx
    .selectFrom('incident_entities as e')
    .innerJoin('incidents as i', 'i.id', 'e.incident_id')
    .select(['i.id', 'i.severity'])
    .where((eb) =>
      eb.or(entities.map((x) => eb.and([eb('e.type', '=', x.type), eb('e.value', '=', x.value)]))),
    )
    .where('i.status', 'in', statuses)
    .where('e.last_seen', '>=', new Date(at.getTime() - windowMs))
    .where('e.first_seen', '<=', new Date(at.getTime() + windowMs))
    .orderBy(sql`i.last_seen DESC NULLS LAST`)
    .orderBy('i.id', 'desc')
    .limit(1)
    .executeTakeFirst();
}

/** The open risk incident of an entity (`type:value`), most recent first. */
export async function findOpenRiskIncident(
  trx: Db,
  subject: string,
  statuses: readonly string[],
): Promise<IncidentRow | undefined> {
  return trx
    .selectFrom('incidents')
    .selectAll()
    .where('risk_subject', '=', subject)
    .where('status', 'in', statuses)
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst();
}

export interface IncidentQuery {
  readonly statuses?: readonly string[] | undefined;
  readonly severities?: readonly string[] | undefined;
  readonly kind?: string | undefined;
  readonly assignee?: string | undefined;
  readonly tag?: string | undefined;
  /** Incidents having this entity. */
  readonly entity?: { readonly type: string; readonly value: string } | undefined;
  /** ISO bounds on `created_at`, [from, to). */
  readonly from?: string | undefined;
  readonly to?: string | undefined;
  readonly sort: 'created_at' | 'updated_at';
  readonly order: 'asc' | 'desc';
  readonly limit: number;
  readonly cursor?: string | undefined;
}

/**
 * Lists incidents, newest first by default, with a cursor for the next page when there is one.
 * @throws VigilError `VIGIL_ERR_BAD_REQUEST` for a cursor this store did not issue
 */
export async function listIncidentRows(
  db: Db,
  q: IncidentQuery,
): Promise<{ rows: IncidentRow[]; next?: string }> {
  const after = q.cursor ? decodePageCursor(q.cursor) : undefined;
  const rows = await db
    .selectFrom('incidents')
    .selectAll()
    .where((eb) => {
      const c: Expression<SqlBool>[] = [];
      if (q.statuses && q.statuses.length > 0) c.push(eb('status', 'in', q.statuses));
      if (q.severities && q.severities.length > 0) c.push(eb('severity', 'in', q.severities));
      if (q.kind) c.push(eb('kind', '=', q.kind));
      if (q.assignee) c.push(eb('assignee', '=', q.assignee));
      if (q.tag) c.push(sql<SqlBool>`tags @> ${JSON.stringify([q.tag])}::jsonb`);
      if (q.entity) {
        const { type, value } = q.entity;
        c.push(
          eb.exists(
            eb
              .selectFrom('incident_entities as e')
              .select('e.incident_id')
              .whereRef('e.incident_id', '=', 'incidents.id')
              .where('e.type', '=', type)
              .where('e.value', '=', value),
          ),
        );
      }
      if (q.from) c.push(eb('created_at', '>=', new Date(q.from)));
      if (q.to) c.push(eb('created_at', '<', new Date(q.to)));
      if (after) c.push(afterCursor(q.sort, q.order, after));
      return eb.and(c);
    })
    .orderBy(q.sort, q.order)
    .orderBy('id', q.order)
    .limit(q.limit + 1)
    .execute();
  const page = rows.slice(0, q.limit);
  const last = page[page.length - 1];
  return rows.length > q.limit && last
    ? { rows: page, next: encodePageCursor(last[q.sort], last.id) }
    : { rows: page };
}

/** What an incident's linked alerts add up to. */
export interface AlertAggregates {
  readonly alert_count: number;
  readonly event_count: number;
  readonly first_seen: Date | null;
  readonly last_seen: Date | null;
  readonly first_alert_at: Date | null;
  /** The distinct levels of the linked alerts. */
  readonly levels: readonly string[];
}

export async function alertAggregates(db: Db, incidentId: number): Promise<AlertAggregates> {
  const linked = db.selectFrom('incident_alerts').select('alert_id').where('incident_id', '=', incidentId);
  const agg = await db
    .selectFrom('alerts')
    .select((eb) => [
      eb.fn.countAll<number>().as('alert_count'),
      eb.fn.coalesce(eb.fn.sum<number>('event_count'), sql<number>`0`).as('event_count'),
      eb.fn.min('first_seen').as('first_seen'),
      eb.fn.max('last_seen').as('last_seen'),
      eb.fn.min('created_at').as('first_alert_at'),
    ])
    .where('id', 'in', linked)
    .executeTakeFirstOrThrow();
  const levels = await db.selectFrom('alerts').select('level').distinct().where('id', 'in', linked).execute();
  return {
    alert_count: Number(agg.alert_count),
    event_count: Number(agg.event_count),
    first_seen: (agg.first_seen as Date | null) ?? null,
    last_seen: (agg.last_seen as Date | null) ?? null,
    first_alert_at: (agg.first_alert_at as Date | null) ?? null,
    levels: levels.map((l) => l.level),
  };
}

/** Incident ids that merged into `id` (status duplicate, `duplicate_of = id`). */
export async function mergedInto(db: Db, id: number): Promise<number[]> {
  const rows = await db
    .selectFrom('incidents')
    .select('id')
    .where('duplicate_of', '=', id)
    .orderBy('id')
    .execute();
  return rows.map((r) => r.id);
}

/** Counts and mean response times, ms, over incidents created in a period. */
export interface IncidentStats {
  readonly by_status: Record<string, number>;
  readonly by_severity: Record<string, number>;
  readonly mttd_ms: number | null;
  readonly mtta_ms: number | null;
  readonly mttc_ms: number | null;
  readonly mttr_ms: number | null;
}

/**
 * Counts by status and severity, and mean times over incidents created in [from, to), duplicates
 * left out. Times as in `incidents/workflow.ts` (`responseTimes`): the start is the earlier of the
 * first alert and the incident's creation; MTTD is first alert − first event; MTTR counts only
 * `resolved` incidents (not false positives).
 */
export async function incidentStats(
  db: Db,
  from: string | undefined,
  to: string | undefined,
): Promise<IncidentStats> {
  const base = db
    .selectFrom('incidents')
    .$if(from !== undefined, (qb) => qb.where('created_at', '>=', new Date(from!)))
    .$if(to !== undefined, (qb) => qb.where('created_at', '<', new Date(to!)));
  const status = await base
    .select(['status', (eb) => eb.fn.countAll<number>().as('n')])
    .groupBy('status')
    .execute();
  const severity = await base
    .select(['severity', (eb) => eb.fn.countAll<number>().as('n')])
    .where('status', '!=', 'duplicate')
    .groupBy('severity')
    .execute();
  const ms = (a: string, b: string) => sql.raw(`extract(epoch from (${a} - ${b})) * 1000`);
  const start = 'least(first_alert_at, created_at)';
  const means = await base
    .select([
      sql<number | null>`avg(${ms('first_alert_at', 'first_seen')})`.as('mttd'),
      sql<number | null>`avg(${ms('acknowledged_at', start)})`.as('mtta'),
      sql<number | null>`avg(${ms('contained_at', start)})`.as('mttc'),
      sql<number | null>`avg(CASE WHEN status = 'resolved' THEN ${ms('resolved_at', start)} END)`.as('mttr'),
    ])
    .where('status', '!=', 'duplicate')
    .executeTakeFirstOrThrow();
  const round = (v: number | string | null) => (v === null ? null : Math.round(Number(v)));
  return {
    by_status: Object.fromEntries(status.map((r) => [r.status, Number(r.n)])),
    by_severity: Object.fromEntries(severity.map((r) => [r.severity, Number(r.n)])),
    mttd_ms: round(means.mttd),
    mtta_ms: round(means.mtta),
    mttc_ms: round(means.mttc),
    mttr_ms: round(means.mttr),
  };
}
