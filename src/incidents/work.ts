/**
 * The building blocks every incident change is made of, run inside one transaction: create an
 * incident, link or move alerts into it (with timeline entries and grouping entities), and settle
 * the incidents touched (counts and times from their alerts, severity from the worst alert and
 * the entities' risk). A {@link ChangeSet} remembers what changed, to publish after the commit.
 */
import type { Kysely } from 'kysely';
import { type Actor, writeAudit } from '../store/audit.js';
import {
  alertAggregates,
  entitiesOf,
  type EntitySpan,
  getIncidentRow,
  type IncidentRow,
  insertIncident,
  replaceEntities,
  updateIncidentRow,
  upsertEntities,
} from '../store/incidents.js';
import {
  appendTimeline,
  incidentAlerts,
  type LinkableAlert,
  linkAlert,
  linksOf,
  moveAlerts,
  type NewTimelineEntry,
} from '../store/incidents-items.js';
import type { DatabaseSchema } from '../store/schema.js';
import { asSeverity, riskSeverity, severityRank, worstSeverity } from './severity.js';
import type {
  IncidentChange,
  IncidentKind,
  IncidentPublisher,
  IncidentSeverity,
  RiskEntityType,
  RiskLookup,
} from './types.js';
import { loadIncidents } from './view.js';

/** Grouping settings (`VIGIL_INCIDENT_WINDOW_MS`, `VIGIL_INCIDENT_GROUP_BY`) and the risk look-up. */
export interface IncidentSettings {
  /** Grouping window, ms; 0 = alerts open no incidents by themselves. */
  readonly windowMs: number;
  /** Entity types alerts are grouped on. */
  readonly groupBy: readonly RiskEntityType[];
  readonly riskOf?: RiskLookup | undefined;
  /** The entity risk threshold (`VIGIL_RISK_THRESHOLD`) severity by risk is relative to. */
  readonly riskThreshold: number;
}

/** Incidents created or updated in a transaction, published after it commits. */
export class ChangeSet {
  private readonly created = new Set<number>();
  private readonly updated = new Set<number>();

  markCreated(id: number): void {
    this.created.add(id);
  }

  markUpdated(id: number): void {
    if (!this.created.has(id)) this.updated.add(id);
  }

  get size(): number {
    return this.created.size + this.updated.size;
  }

  /**
   * Reads the changed incidents (inside the transaction) and returns the callback that publishes
   * them once it has committed.
   */
  async publisher(trx: Kysely<DatabaseSchema>, publish: IncidentPublisher | undefined): Promise<() => void> {
    if (!publish || this.size === 0) return () => undefined;
    const views = await loadIncidents(trx, [...this.created, ...this.updated]);
    const messages: [IncidentChange, (typeof views)[number]][] = views.map((v) => [
      this.created.has(v.id) ? 'created' : 'updated',
      v,
    ]);
    return () => {
      for (const [change, incident] of messages) publish(change, incident);
    };
  }
}

/** One transaction's worth of incident work. */
export interface Work {
  readonly trx: Kysely<DatabaseSchema>;
  readonly actor: Actor;
  readonly now: Date;
  readonly changes: ChangeSet;
  readonly settings: IncidentSettings;
}

/** The entities an alert is grouped on: its `host.name`, `user.name`, `source.ip` (per `groupBy`), else its rule. */
export function alertEntities(
  a: Pick<LinkableAlert, 'host_name' | 'user_name' | 'source_ip' | 'rule_id'>,
  groupBy: readonly RiskEntityType[],
): { type: string; value: string }[] {
  const out: { type: string; value: string }[] = [];
  if (groupBy.includes('host') && a.host_name) out.push({ type: 'host', value: a.host_name });
  if (groupBy.includes('user') && a.user_name) out.push({ type: 'user', value: a.user_name });
  if (groupBy.includes('ip') && a.source_ip) out.push({ type: 'ip', value: a.source_ip });
  if (out.length === 0) out.push({ type: 'rule', value: a.rule_id });
  return out;
}

function spans(a: LinkableAlert, groupBy: readonly RiskEntityType[]): EntitySpan[] {
  return alertEntities(a, groupBy).map((e) => ({ ...e, first_seen: a.first_seen, last_seen: a.last_seen }));
}

/** The fields of an incident the audit log keeps before and after a change. */
export function auditView(r: IncidentRow): Record<string, unknown> {
  return {
    title: r.title,
    status: r.status,
    severity: r.severity,
    assignee: r.assignee,
    tags: r.tags,
    duplicate_of: r.duplicate_of,
  };
}

export interface NewIncident {
  readonly kind: IncidentKind;
  readonly title: string;
  readonly description?: string | undefined;
  readonly severity: IncidentSeverity;
  readonly assignee?: string | null | undefined;
  readonly tags?: readonly string[] | undefined;
  readonly riskSubject?: string | undefined;
  readonly riskScore?: number | undefined;
}

/**
 * Creates an open incident with its `created` timeline entry and `incident.create` audit entry.
 * @param details - added to the timeline and audit details (`by: 'grouping' | 'api' | …`)
 */
export async function createIncident(
  w: Work,
  input: NewIncident,
  details: Record<string, unknown>,
): Promise<IncidentRow> {
  const row = await insertIncident(w.trx, {
    kind: input.kind,
    title: input.title,
    description: input.description ?? '',
    severity: input.severity,
    status: 'open',
    assignee: input.assignee ?? null,
    tags: JSON.stringify(input.tags ?? []),
    risk_subject: input.riskSubject ?? null,
    risk_score: input.riskScore ?? null,
    duplicate_of: null,
    alert_count: 0,
    event_count: 0,
    first_seen: null,
    last_seen: null,
    first_alert_at: null,
    created_at: w.now,
    updated_at: w.now,
    acknowledged_at: null,
    contained_at: null,
    resolved_at: null,
    created_by: w.actor.name,
  });
  await appendTimeline(w.trx, [
    {
      incident_id: row.id,
      at: w.now,
      actor: w.actor.name,
      kind: 'created',
      details: { kind: row.kind, title: row.title, severity: row.severity, ...details },
    },
  ]);
  await writeAudit(
    w.trx,
    { actor: w.actor, action: 'incident.create', target: String(row.id), after: auditView(row), details },
    w.now,
  );
  w.changes.markCreated(row.id);
  return row;
}

/** What linking did. */
export interface LinkResult {
  /** Alerts now in the incident (newly linked or moved in). */
  readonly linked: number[];
  /** Alerts moved in, by the incident they left. */
  readonly movedFrom: Map<number, number[]>;
  /** Alerts left where they were (already in this incident, or in another one when not moving). */
  readonly skipped: number[];
}

/**
 * Links alerts to an incident: unlinked ones join; ones in another incident move when `move` is
 * set (timeline entries on both sides), else are skipped. Widens the incident's span and adds the
 * alerts' entities; {@link settle} finishes the counts and severity.
 */
export async function linkAlerts(
  w: Work,
  incidentId: number,
  alerts: readonly LinkableAlert[],
  move: boolean,
): Promise<LinkResult> {
  const current = await linksOf(
    w.trx,
    alerts.map((a) => a.id),
  );
  const result: LinkResult = { linked: [], movedFrom: new Map(), skipped: [] };
  const timeline: NewTimelineEntry[] = [];
  const entry = (incident: number, kind: string, details: Record<string, unknown>): NewTimelineEntry => ({
    incident_id: incident,
    at: w.now,
    actor: w.actor.name,
    kind,
    details,
  });
  for (const a of alerts) {
    const from = current.get(a.id);
    if (from === incidentId || (from !== undefined && !move)) {
      result.skipped.push(a.id);
      continue;
    }
    if (from === undefined) {
      if (!(await linkAlert(w.trx, a.id, incidentId, w.actor.name, w.now))) {
        result.skipped.push(a.id);
        continue;
      }
    } else {
      await moveAlerts(w.trx, [a.id], incidentId, w.actor.name, w.now);
      result.movedFrom.set(from, [...(result.movedFrom.get(from) ?? []), a.id]);
      timeline.push(entry(from, 'alert_removed', { alert_id: a.id, to_incident: incidentId }));
      w.changes.markUpdated(from);
    }
    result.linked.push(a.id);
    timeline.push(
      entry(incidentId, 'alert_added', {
        alert_id: a.id,
        rule_id: a.rule_id,
        rule_title: a.rule_title,
        level: a.level,
        ...(from !== undefined ? { from_incident: from } : {}),
      }),
    );
    await upsertEntities(w.trx, incidentId, spans(a, w.settings.groupBy));
    // Kept current alert by alert, so the next alert of the batch picks the most recent incident.
    await w.trx
      .updateTable('incidents')
      .set((eb) => ({
        first_seen: eb.fn('least', ['first_seen', eb.val(a.first_seen)]),
        last_seen: eb.fn('greatest', ['last_seen', eb.val(a.last_seen)]),
        updated_at: w.now,
      }))
      .where('id', '=', incidentId)
      .execute();
  }
  await appendTimeline(w.trx, timeline);
  if (result.linked.length > 0) w.changes.markUpdated(incidentId);
  return result;
}

function parseSubject(subject: string | null): { type: string; value: string } | undefined {
  if (!subject) return undefined;
  const i = subject.indexOf(':');
  return i > 0 ? { type: subject.slice(0, i), value: subject.slice(i + 1) } : undefined;
}

/**
 * Brings incidents up to date with their alerts: counts, first/last seen, first alert time, and
 * severity raised (never lowered) to the worst alert level and to what the entities' risk calls
 * for (`severity.ts`), with a `severity_changed` timeline entry.
 * @param rebuild - incidents whose grouping entities are recomputed from their alerts (alerts
 *   moved out of them)
 * @param known - risk scores the caller already has, by incident (a risk incident's crossing)
 */
export async function settle(
  w: Work,
  ids: Iterable<number>,
  rebuild: ReadonlySet<number> = new Set(),
  known: ReadonlyMap<number, number> = new Map(),
): Promise<void> {
  const rows: IncidentRow[] = [];
  const levels = new Map<number, readonly string[]>();
  for (const id of new Set(ids)) {
    const row = await getIncidentRow(w.trx, id);
    if (!row) continue;
    const agg = await alertAggregates(w.trx, id);
    levels.set(id, agg.levels);
    if (rebuild.has(id)) {
      const alerts = await incidentAlerts(w.trx, id);
      const all = alerts.flatMap((a) => spans(a, w.settings.groupBy));
      const subject = parseSubject(row.risk_subject);
      if (subject)
        all.push({ ...subject, first_seen: agg.first_seen ?? w.now, last_seen: agg.last_seen ?? w.now });
      await replaceEntities(w.trx, id, merged(all));
    }
    const counts = {
      alert_count: agg.alert_count,
      event_count: agg.event_count,
      first_seen: agg.first_seen,
      last_seen: agg.last_seen,
      first_alert_at: agg.first_alert_at,
    };
    const same = (Object.keys(counts) as (keyof typeof counts)[]).every(
      (k) => String(counts[k]?.valueOf() ?? null) === String(row[k]?.valueOf() ?? null),
    );
    rows.push(same ? row : await updateIncidentRow(w.trx, id, { ...counts, updated_at: w.now }));
  }
  const risk = await riskScores(w, rows);
  for (const [id, score] of known) if (score > (risk.get(id) ?? -Infinity)) risk.set(id, score);
  const timeline: NewTimelineEntry[] = [];
  for (const row of rows) {
    const alertLevel = worstSeverity(levels.get(row.id) ?? []);
    const score = risk.get(row.id);
    const byRisk = riskSeverity(score, w.settings.riskThreshold);
    let to: IncidentSeverity = asSeverity(row.severity);
    let reason = '';
    if ((levels.get(row.id) ?? []).length > 0 && severityRank(alertLevel) > severityRank(to)) {
      to = alertLevel;
      reason = 'alert';
    }
    if (byRisk && severityRank(byRisk) > severityRank(to)) {
      to = byRisk;
      reason = 'risk';
    }
    const riskScore = score !== undefined ? Math.max(score, row.risk_score ?? 0) : row.risk_score;
    if (to === row.severity && riskScore === row.risk_score) continue;
    await updateIncidentRow(w.trx, row.id, { severity: to, risk_score: riskScore, updated_at: w.now });
    if (to !== row.severity)
      timeline.push({
        incident_id: row.id,
        at: w.now,
        actor: w.actor.name,
        kind: 'severity_changed',
        details: { from: row.severity, to, reason, ...(reason === 'risk' ? { risk_score: score } : {}) },
      });
    w.changes.markUpdated(row.id);
  }
  await appendTimeline(w.trx, timeline);
}

function merged(all: readonly EntitySpan[]): EntitySpan[] {
  const by = new Map<string, EntitySpan>();
  for (const s of all) {
    const k = `${s.type}:${s.value}`;
    const o = by.get(k);
    by.set(
      k,
      o
        ? {
            ...o,
            first_seen: o.first_seen < s.first_seen ? o.first_seen : s.first_seen,
            last_seen: o.last_seen > s.last_seen ? o.last_seen : s.last_seen,
          }
        : s,
    );
  }
  return [...by.values()];
}

/** The highest risk score among each incident's host, user and ip entities (none without `riskOf`). */
async function riskScores(w: Work, rows: readonly IncidentRow[]): Promise<Map<number, number>> {
  const out = new Map<number, number>();
  const riskOf = w.settings.riskOf;
  if (!riskOf || rows.length === 0) return out;
  const entities = await entitiesOf(
    w.trx,
    rows.map((r) => r.id),
  );
  const wanted = new Map<string, { type: RiskEntityType; value: string }>();
  for (const list of entities.values())
    for (const e of list)
      if (e.type === 'host' || e.type === 'user' || e.type === 'ip')
        wanted.set(`${e.type}:${e.value}`, { type: e.type, value: e.value });
  if (wanted.size === 0) return out;
  const scores = await riskOf(w.trx, [...wanted.values()], w.now);
  for (const [id, list] of entities) {
    for (const e of list) {
      const s = scores.get(`${e.type}:${e.value}`);
      if (s !== undefined && s > 0 && s > (out.get(id) ?? -Infinity)) out.set(id, s);
    }
  }
  return out;
}
