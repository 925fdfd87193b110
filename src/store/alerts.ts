/**
 * Alerts: idempotent creation from rule matches (unique on rule id + event id), suppression of
 * repeats on an open alert, listing with filters and keyset pagination, status updates.
 */
import { type Expression, type Kysely, type SqlBool, sql } from 'kysely';
import { afterCursor, decodePageCursor, encodePageCursor } from './page-cursor.js';
import type { DatabaseSchema, EvidenceEvent } from './schema.js';

/** Alert statuses; the first three are open (repeats are suppressed into them). */
export const ALERT_STATUSES = ['new', 'acknowledged', 'in_progress', 'resolved', 'false_positive'] as const;
export type AlertStatus = (typeof ALERT_STATUSES)[number];
const OPEN: readonly AlertStatus[] = ['new', 'acknowledged', 'in_progress'];

/** Matched events copied into an alert as evidence; later repeats only count. */
export const MAX_EVIDENCE = 10;

/** One rule match on one stored event. */
export interface AlertMatch {
  readonly ruleId: string;
  readonly ruleTitle: string;
  readonly level: string;
  readonly techniques: readonly string[];
  readonly tactics: readonly string[];
  readonly host: string | null;
  readonly user: string | null;
  readonly sourceIp: string | null;
  /** The ECS detection record (`rule.*`, `threat.*`, the event's ECS, `vigil.match`). */
  readonly document: Record<string, unknown>;
  /** The matched event (for a correlation alert: the event that completed it). */
  readonly evidence: EvidenceEvent;
  /** Correlation alerts: the other contributing events, oldest first (stored before `evidence`). */
  readonly extraEvidence?: readonly EvidenceEvent[];
}

/** An alert as the API returns it: the ECS detection record plus the alert's own state. */
export interface Alert {
  readonly id: number;
  readonly status: AlertStatus;
  readonly event_count: number;
  readonly first_seen: string;
  readonly last_seen: string;
  readonly created_at: string;
  readonly updated_at: string;
  /** ECS `rule.*` of the matching Sigma rule. */
  readonly rule: Record<string, unknown>;
  readonly [ecs: string]: unknown;
}

export interface AlertDetail extends Alert {
  readonly evidence: EvidenceEvent[];
  readonly history: { at: string; actor: string; status: string; comment: string | null }[];
}

export interface AlertQuery {
  readonly level?: string | undefined;
  readonly status?: string | undefined;
  readonly ruleId?: string | undefined;
  readonly host?: string | undefined;
  readonly user?: string | undefined;
  readonly sourceIp?: string | undefined;
  /** ATT&CK technique or sub-technique id (`T1059`, `T1059.001`) or tactic id (`TA0002`). */
  readonly attack?: string | undefined;
  /** Alerts linked to this incident. */
  readonly incidentId?: number | undefined;
  /** ISO bounds on `last_seen`. */
  readonly from?: string | undefined;
  readonly to?: string | undefined;
  readonly sort: 'created_at' | 'last_seen';
  readonly order: 'asc' | 'desc';
  readonly limit: number;
  readonly cursor?: string | undefined;
}

/** How an alert changed when a match was recorded. */
export type AlertChange = { readonly kind: 'created' | 'suppressed'; readonly alert: Alert };

type Db = Kysely<DatabaseSchema>;

export function entityKey(m: Pick<AlertMatch, 'host' | 'user' | 'sourceIp'>): string {
  // JSON, not a joined string: `WS|01` + `bob` and `WS` + `01|bob` must stay two entities.
  return JSON.stringify([m.host, m.user, m.sourceIp]);
}

type Row = {
  id: number;
  status: string;
  event_count: number;
  first_seen: Date;
  last_seen: Date;
  created_at: Date;
  updated_at: Date;
  document: Record<string, unknown>;
};

function toAlert(r: Row): Alert {
  return {
    ...r.document,
    rule: (r.document.rule ?? {}) as Record<string, unknown>,
    id: r.id,
    status: r.status as AlertStatus,
    event_count: r.event_count,
    first_seen: r.first_seen.toISOString(),
    last_seen: r.last_seen.toISOString(),
    created_at: r.created_at.toISOString(),
    updated_at: r.updated_at.toISOString(),
  };
}

const LIST_COLUMNS = [
  'id',
  'status',
  'event_count',
  'first_seen',
  'last_seen',
  'created_at',
  'updated_at',
  'document',
] as const;

/**
 * Records matches inside the caller's transaction. A match whose (rule id, event id) is already
 * recorded changes nothing, so replaying a batch after a crash cannot double-count. A match on an
 * entity with an open alert of the same rule whose `last_seen` is within `suppressMs` of the event
 * increments that alert's count (and adds evidence up to {@link MAX_EVIDENCE}).
 */
export async function recordMatches(
  trx: Db,
  matches: readonly AlertMatch[],
  suppressMs: number,
  now: Date,
): Promise<AlertChange[]> {
  const changes: AlertChange[] = [];
  for (const m of matches) {
    const seen = await trx
      .selectFrom('alert_events')
      .select('alert_id')
      .where('rule_id', '=', m.ruleId)
      .where('event_id', '=', m.evidence.id)
      .executeTakeFirst();
    if (seen) continue;
    const key = entityKey(m);
    const eventTime = new Date(m.evidence.timestamp);
    let change: AlertChange | undefined;
    if (suppressMs > 0) {
      const open = await trx
        .selectFrom('alerts')
        .select(['id', 'evidence'])
        .where('rule_id', '=', m.ruleId)
        .where('entity_key', '=', key)
        .where('status', 'in', OPEN)
        // The event falls within the window on either side of the alert's span (late events too).
        .where('last_seen', '>=', new Date(eventTime.getTime() - suppressMs))
        .where('first_seen', '<=', new Date(eventTime.getTime() + suppressMs))
        .orderBy('id', 'desc')
        .limit(1)
        .executeTakeFirst();
      if (open) {
        const evidence = open.evidence.length < MAX_EVIDENCE ? [...open.evidence, m.evidence] : open.evidence;
        const row = await trx
          .updateTable('alerts')
          .set((eb) => ({
            event_count: eb('event_count', '+', 1),
            last_seen: sql<Date>`greatest(last_seen, ${eventTime})`,
            first_seen: sql<Date>`least(first_seen, ${eventTime})`,
            updated_at: now,
            evidence: JSON.stringify(evidence),
          }))
          .where('id', '=', open.id)
          .returning(LIST_COLUMNS)
          .executeTakeFirstOrThrow();
        change = { kind: 'suppressed', alert: toAlert(row as Row) };
      }
    }
    if (!change) {
      const row = await trx
        .insertInto('alerts')
        .values({
          rule_id: m.ruleId,
          rule_title: m.ruleTitle,
          level: m.level,
          status: 'new',
          entity_key: key,
          host_name: m.host,
          user_name: m.user,
          source_ip: m.sourceIp,
          techniques: JSON.stringify(m.techniques),
          tactics: JSON.stringify(m.tactics),
          first_event_id: m.evidence.id,
          event_count: 1,
          first_seen: eventTime,
          last_seen: eventTime,
          created_at: now,
          updated_at: now,
          document: JSON.stringify(m.document),
          evidence: JSON.stringify([...(m.extraEvidence ?? []), m.evidence].slice(-MAX_EVIDENCE)),
        })
        .returning(LIST_COLUMNS)
        .executeTakeFirstOrThrow();
      change = { kind: 'created', alert: toAlert(row as Row) };
    }
    await trx
      .insertInto('alert_events')
      .values({ rule_id: m.ruleId, event_id: m.evidence.id, alert_id: change.alert.id })
      .execute();
    changes.push(change);
  }
  return changes;
}

/**
 * Stored events as alert evidence, in the order of `ids` (ids no longer stored are left out).
 */
export async function readEvidence(trx: Db, ids: readonly number[]): Promise<EvidenceEvent[]> {
  if (ids.length === 0) return [];
  const rows = await trx
    .selectFrom('events')
    .select(['id', 'timestamp', 'ecs', 'original'])
    .where('id', 'in', ids)
    .execute();
  const byId = new Map(rows.map((r) => [Number(r.id), r]));
  const out: EvidenceEvent[] = [];
  for (const id of ids) {
    const r = byId.get(id);
    if (r) out.push({ id, timestamp: r.timestamp.toISOString(), ecs: r.ecs, original: r.original });
  }
  return out;
}

/**
 * Lists alerts, with a cursor for the next page when there is one.
 * @throws VigilError `VIGIL_ERR_BAD_REQUEST` for a cursor this store did not issue
 */
export async function listAlerts(db: Db, q: AlertQuery): Promise<{ alerts: Alert[]; next?: string }> {
  const after = q.cursor ? decodePageCursor(q.cursor) : undefined;
  const rows = await db
    .selectFrom('alerts')
    .select(LIST_COLUMNS)
    .where((eb) => {
      const c: Expression<SqlBool>[] = [];
      if (q.level) c.push(eb('level', '=', q.level));
      if (q.status) c.push(eb('status', '=', q.status));
      if (q.ruleId) c.push(eb('rule_id', '=', q.ruleId));
      if (q.host) c.push(eb('host_name', '=', q.host));
      if (q.user) c.push(eb('user_name', '=', q.user));
      if (q.sourceIp) c.push(eb('source_ip', '=', q.sourceIp));
      if (q.attack)
        c.push(
          eb.or([
            sql<SqlBool>`techniques @> ${JSON.stringify([q.attack.toUpperCase()])}::jsonb`,
            sql<SqlBool>`tactics @> ${JSON.stringify([q.attack.toUpperCase()])}::jsonb`,
          ]),
        );
      if (q.incidentId !== undefined)
        c.push(
          eb(
            'id',
            'in',
            eb.selectFrom('incident_alerts').select('alert_id').where('incident_id', '=', q.incidentId),
          ),
        );
      if (q.from) c.push(eb('last_seen', '>=', new Date(q.from)));
      if (q.to) c.push(eb('last_seen', '<', new Date(q.to)));
      if (after) c.push(afterCursor(q.sort, q.order, after));
      return eb.and(c);
    })
    .orderBy(q.sort, q.order)
    .orderBy('id', q.order)
    .limit(q.limit + 1)
    .execute();
  const page = rows.slice(0, q.limit) as Row[];
  const last = page[page.length - 1];
  const alerts = page.map(toAlert);
  return rows.length > q.limit && last
    ? { alerts, next: encodePageCursor(q.sort === 'created_at' ? last.created_at : last.last_seen, last.id) }
    : { alerts };
}

export async function getAlert(db: Db, id: number): Promise<AlertDetail | undefined> {
  const row = await db
    .selectFrom('alerts')
    .select([...LIST_COLUMNS, 'evidence'])
    .where('id', '=', id)
    .executeTakeFirst();
  if (!row) return undefined;
  const history = await db
    .selectFrom('alert_history')
    .select(['at', 'actor', 'status', 'comment'])
    .where('alert_id', '=', id)
    .orderBy('id')
    .execute();
  return {
    ...toAlert(row as Row),
    evidence: row.evidence,
    history: history.map((h) => ({ ...h, at: h.at.toISOString() })),
  };
}

/** Sets an alert's status and records the change in its history. @returns the alert, or undefined */
export async function setAlertStatus(
  trx: Db,
  id: number,
  status: AlertStatus,
  comment: string | null,
  actor: string,
  now: Date,
): Promise<Alert | undefined> {
  const row = await trx
    .updateTable('alerts')
    .set({ status, updated_at: now })
    .where('id', '=', id)
    .returning(LIST_COLUMNS)
    .executeTakeFirst();
  if (!row) return undefined;
  await trx.insertInto('alert_history').values({ alert_id: id, at: now, actor, status, comment }).execute();
  return toAlert(row as Row);
}

/**
 * Sets the status of several alerts, each change recorded in its history (bulk actions, closing
 * an incident). Missing ids are skipped. @returns the changed alerts, in id order
 */
export async function setAlertsStatus(
  trx: Db,
  ids: readonly number[],
  status: AlertStatus,
  comment: string | null,
  actor: string,
  now: Date,
): Promise<Alert[]> {
  if (ids.length === 0) return [];
  const rows = (await trx
    .updateTable('alerts')
    .set({ status, updated_at: now })
    .where('id', 'in', ids)
    .returning(LIST_COLUMNS)
    .execute()) as Row[];
  rows.sort((a, b) => a.id - b.id);
  if (rows.length > 0)
    await trx
      .insertInto('alert_history')
      .values(rows.map((r) => ({ alert_id: r.id, at: now, actor, status, comment })))
      .execute();
  return rows.map(toAlert);
}
