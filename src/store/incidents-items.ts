/**
 * What hangs off an incident: alert links (an alert in at most one incident), the append-only
 * timeline, comments, observables and tasks. Rows in, rows out; the rules are in `incidents/`.
 */
import { type Insertable, type Kysely, type Selectable } from 'kysely';
import { decodePageCursor, encodePageCursor } from './page-cursor.js';
import type { DatabaseSchema } from './schema.js';
import type {
  IncidentCommentsTable,
  IncidentObservablesTable,
  IncidentTasksTable,
  IncidentTimelineTable,
} from './schema-incidents.js';

type Db = Kysely<DatabaseSchema>;

export type TimelineRow = Selectable<IncidentTimelineTable>;
export type CommentRow = Selectable<IncidentCommentsTable>;
export type ObservableRow = Selectable<IncidentObservablesTable>;
export type TaskRow = Selectable<IncidentTasksTable>;

/** A new timeline entry (`details` as an object; stored as jsonb). */
export interface NewTimelineEntry {
  readonly incident_id: number;
  readonly at: Date;
  readonly actor: string;
  readonly kind: string;
  readonly details: Readonly<Record<string, unknown>>;
}

/** Appends timeline entries, in order. */
export async function appendTimeline(trx: Db, entries: readonly NewTimelineEntry[]): Promise<void> {
  if (entries.length === 0) return;
  await trx
    .insertInto('incident_timeline')
    .values(entries.map((e) => ({ ...e, details: JSON.stringify(e.details) })))
    .execute();
}

/** A page of rows in id order, with a cursor after the last one when there is more. */
export interface Page<T> {
  readonly rows: T[];
  readonly next?: string;
}

function page<T extends { id: number }>(rows: T[], limit: number, at: (r: T) => Date): Page<T> {
  const out = rows.slice(0, limit);
  const last = out[out.length - 1];
  return rows.length > limit && last
    ? { rows: out, next: encodePageCursor(at(last), last.id) }
    : { rows: out };
}

/**
 * An incident's timeline, oldest first.
 * @throws VigilError `VIGIL_ERR_BAD_REQUEST` for a cursor this store did not issue
 */
export async function listTimeline(
  db: Db,
  incidentId: number,
  limit: number,
  cursor?: string,
): Promise<Page<TimelineRow>> {
  const after = cursor ? decodePageCursor(cursor).id : 0;
  const rows = await db
    .selectFrom('incident_timeline')
    .selectAll()
    .where('incident_id', '=', incidentId)
    .where('id', '>', after)
    .orderBy('id')
    .limit(limit + 1)
    .execute();
  return page(rows, limit, (r) => r.at);
}

/** Alert fields the grouping and the timeline need. */
export interface LinkableAlert {
  readonly id: number;
  readonly rule_id: string;
  readonly rule_title: string;
  readonly level: string;
  readonly status: string;
  readonly host_name: string | null;
  readonly user_name: string | null;
  readonly source_ip: string | null;
  readonly event_count: number;
  readonly first_seen: Date;
  readonly last_seen: Date;
  readonly created_at: Date;
}

/** The alerts with these ids (missing ids are absent), in id order. */
export async function linkableAlerts(db: Db, ids: readonly number[]): Promise<LinkableAlert[]> {
  if (ids.length === 0) return [];
  return db
    .selectFrom('alerts')
    .select([
      'id',
      'rule_id',
      'rule_title',
      'level',
      'status',
      'host_name',
      'user_name',
      'source_ip',
      'event_count',
      'first_seen',
      'last_seen',
      'created_at',
    ])
    .where('id', 'in', ids)
    .orderBy('id')
    .execute();
}

/** The alerts linked to an incident (all, or those with one of `statuses`), in id order. */
export async function incidentAlerts(
  db: Db,
  incidentId: number,
  statuses?: readonly string[],
): Promise<LinkableAlert[]> {
  const ids = db.selectFrom('incident_alerts').select('alert_id').where('incident_id', '=', incidentId);
  const rows = await db
    .selectFrom('alerts')
    .select('id')
    .where('id', 'in', ids)
    .$if(statuses !== undefined, (qb) => qb.where('status', 'in', statuses!))
    .orderBy('id')
    .execute();
  return linkableAlerts(
    db,
    rows.map((r) => r.id),
  );
}

/**
 * Row-locks an incident's alerts that have one of `statuses`, in id order (before the incident
 * lock, the order the detection transaction takes them in: alerts first), so closing an incident
 * cannot deadlock with a detection batch folding repeats into those alerts.
 */
export async function lockIncidentAlerts(
  db: Db,
  incidentId: number,
  statuses: readonly string[],
): Promise<void> {
  await db
    .selectFrom('alerts')
    .select('id')
    .where(
      'id',
      'in',
      db.selectFrom('incident_alerts').select('alert_id').where('incident_id', '=', incidentId),
    )
    .where('status', 'in', statuses)
    .orderBy('id')
    .forUpdate()
    .execute();
}

/** Which incident each of these alerts is linked to (unlinked alerts are absent). */
export async function linksOf(db: Db, alertIds: readonly number[]): Promise<Map<number, number>> {
  if (alertIds.length === 0) return new Map();
  const rows = await db
    .selectFrom('incident_alerts')
    .select(['alert_id', 'incident_id'])
    .where('alert_id', 'in', alertIds)
    .execute();
  return new Map(rows.map((r) => [r.alert_id, r.incident_id]));
}

/** Links an alert that is in no incident yet. @returns false when it already was in one */
export async function linkAlert(
  trx: Db,
  alertId: number,
  incidentId: number,
  actor: string,
  at: Date,
): Promise<boolean> {
  const r = await trx
    .insertInto('incident_alerts')
    .values({ alert_id: alertId, incident_id: incidentId, linked_at: at, linked_by: actor })
    .onConflict((oc) => oc.column('alert_id').doNothing())
    .returning('alert_id')
    .executeTakeFirst();
  return r !== undefined;
}

/** Moves linked alerts to another incident. */
export async function moveAlerts(
  trx: Db,
  alertIds: readonly number[],
  incidentId: number,
  actor: string,
  at: Date,
): Promise<void> {
  if (alertIds.length === 0) return;
  await trx
    .updateTable('incident_alerts')
    .set({ incident_id: incidentId, linked_at: at, linked_by: actor })
    .where('alert_id', 'in', alertIds)
    .execute();
}

/**
 * Moves comments, tasks and observables of `from` to `to` (observables `to` already has are
 * left behind). @returns how many of each moved
 */
export async function moveItems(
  trx: Db,
  from: number,
  to: number,
): Promise<{ comments: number; tasks: number; observables: number }> {
  const comments = await trx
    .updateTable('incident_comments')
    .set({ incident_id: to })
    .where('incident_id', '=', from)
    .executeTakeFirst();
  const tasks = await trx
    .updateTable('incident_tasks')
    .set({ incident_id: to })
    .where('incident_id', '=', from)
    .executeTakeFirst();
  const observables = await trx
    .updateTable('incident_observables as o')
    .set({ incident_id: to })
    .where('o.incident_id', '=', from)
    .where(({ not, exists, selectFrom }) =>
      not(
        exists(
          selectFrom('incident_observables as t')
            .select('t.id')
            .where('t.incident_id', '=', to)
            .whereRef('t.type', '=', 'o.type')
            .whereRef('t.value', '=', 'o.value'),
        ),
      ),
    )
    .executeTakeFirst();
  return {
    comments: Number(comments.numUpdatedRows),
    tasks: Number(tasks.numUpdatedRows),
    observables: Number(observables.numUpdatedRows),
  };
}

export async function insertComment(trx: Db, values: Insertable<IncidentCommentsTable>): Promise<CommentRow> {
  return trx.insertInto('incident_comments').values(values).returningAll().executeTakeFirstOrThrow();
}

/**
 * An incident's comments, oldest first.
 * @throws VigilError `VIGIL_ERR_BAD_REQUEST` for a cursor this store did not issue
 */
export async function listComments(
  db: Db,
  incidentId: number,
  limit: number,
  cursor?: string,
): Promise<Page<CommentRow>> {
  const after = cursor ? decodePageCursor(cursor).id : 0;
  const rows = await db
    .selectFrom('incident_comments')
    .selectAll()
    .where('incident_id', '=', incidentId)
    .where('id', '>', after)
    .orderBy('id')
    .limit(limit + 1)
    .execute();
  return page(rows, limit, (r) => r.created_at);
}

export async function countComments(db: Db, incidentId: number): Promise<number> {
  const r = await db
    .selectFrom('incident_comments')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('incident_id', '=', incidentId)
    .executeTakeFirstOrThrow();
  return Number(r.n);
}

/** Adds an observable. @returns the row, or undefined when the incident already has it */
export async function insertObservable(
  trx: Db,
  values: Insertable<IncidentObservablesTable>,
): Promise<ObservableRow | undefined> {
  return trx
    .insertInto('incident_observables')
    .values(values)
    .onConflict((oc) => oc.columns(['incident_id', 'type', 'value']).doNothing())
    .returningAll()
    .executeTakeFirst();
}

/** Removes an observable of an incident. @returns the removed row, or undefined */
export async function deleteObservable(
  trx: Db,
  incidentId: number,
  id: number,
): Promise<ObservableRow | undefined> {
  return trx
    .deleteFrom('incident_observables')
    .where('incident_id', '=', incidentId)
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirst();
}

export async function listObservables(db: Db, incidentId: number): Promise<ObservableRow[]> {
  return db
    .selectFrom('incident_observables')
    .selectAll()
    .where('incident_id', '=', incidentId)
    .orderBy('id')
    .execute();
}

export async function insertTask(trx: Db, values: Insertable<IncidentTasksTable>): Promise<TaskRow> {
  return trx.insertInto('incident_tasks').values(values).returningAll().executeTakeFirstOrThrow();
}

export async function getTask(db: Db, incidentId: number, id: number): Promise<TaskRow | undefined> {
  return db
    .selectFrom('incident_tasks')
    .selectAll()
    .where('incident_id', '=', incidentId)
    .where('id', '=', id)
    .executeTakeFirst();
}

export async function updateTask(
  trx: Db,
  id: number,
  set: Partial<Pick<TaskRow, 'title' | 'status' | 'assignee' | 'updated_at' | 'done_at'>>,
): Promise<TaskRow> {
  return trx
    .updateTable('incident_tasks')
    .set(set)
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function listTasks(db: Db, incidentId: number): Promise<TaskRow[]> {
  return db
    .selectFrom('incident_tasks')
    .selectAll()
    .where('incident_id', '=', incidentId)
    .orderBy('id')
    .execute();
}

/** True when a user of that name exists and is not disabled. */
export async function userExists(db: Db, name: string): Promise<boolean> {
  const r = await db
    .selectFrom('users')
    .select('id')
    .where('name', '=', name)
    .where('disabled', '=', false)
    .executeTakeFirst();
  return r !== undefined;
}
