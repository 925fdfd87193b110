/**
 * Automatic grouping of alerts into incidents, run inside the detection transaction (the
 * detection stage's `afterRecord` hook). A new alert joins the open incident (open, investigating,
 * contained) that shares one of its entities — `host.name`, `user.name`, `source.ip` — seen within
 * the grouping window of the alert's event time; when several do, the most recently active one
 * (latest `last_seen`); when none does, it opens a new incident. An alert with none of those
 * entities groups with alerts of the same rule. A suppressed repeat only updates the counts and
 * span of the incident its alert is in. An alert is linked at most once (`incident_alerts` is keyed
 * by alert id), so replaying a batch changes nothing.
 */
import type { AlertChange } from '../store/alerts.js';
import { findGroupingCandidate, upsertEntities } from '../store/incidents.js';
import { type LinkableAlert, linkableAlerts, linksOf } from '../store/incidents-items.js';
import { asSeverity } from './severity.js';
import { OPEN_INCIDENT_STATUSES } from './types.js';
import { alertEntities, createIncident, linkAlerts, settle, type Work } from './work.js';

const PHRASE: Record<string, string> = { host: 'on host', user: 'by user', ip: 'from' };

/** `<rule title> on host WS-01` (or `by user bob`, `from 203.0.113.9`; the rule title alone without entity). */
export function groupTitle(
  a: Pick<LinkableAlert, 'rule_title'>,
  entities: readonly { type: string; value: string }[],
): string {
  const e = entities[0];
  return e && PHRASE[e.type] ? `${a.rule_title} ${PHRASE[e.type]} ${e.value}` : a.rule_title;
}

/**
 * Groups a detection batch's alert changes (see the module comment). Alerts already in an
 * incident (e.g. linked by a risk incident earlier in the same transaction) are left there.
 */
export async function groupAlerts(w: Work, changes: readonly AlertChange[]): Promise<void> {
  const touched = new Set<number>();
  const created = changes.filter((c) => c.kind === 'created').map((c) => c.alert.id);
  if (created.length > 0 && w.settings.windowMs > 0) {
    const links = await linksOf(w.trx, created);
    for (const a of await linkableAlerts(w.trx, created)) {
      if (links.has(a.id)) continue;
      const entities = alertEntities(a, w.settings.groupBy);
      const found = await findGroupingCandidate(
        w.trx,
        entities,
        a.first_seen,
        w.settings.windowMs,
        OPEN_INCIDENT_STATUSES,
      );
      const id =
        found?.id ??
        (
          await createIncident(
            w,
            { kind: 'alerts', title: groupTitle(a, entities), severity: asSeverity(a.level) },
            { by: 'grouping', alert_id: a.id },
          )
        ).id;
      await linkAlerts(w, id, [a], false);
      touched.add(id);
    }
  }
  const suppressed = changes.filter((c) => c.kind === 'suppressed').map((c) => c.alert.id);
  if (suppressed.length > 0) {
    const links = await linksOf(w.trx, suppressed);
    for (const a of await linkableAlerts(w.trx, [...links.keys()])) {
      const id = links.get(a.id)!;
      const spans = alertEntities(a, w.settings.groupBy).map((e) => ({
        ...e,
        first_seen: a.first_seen,
        last_seen: a.last_seen,
      }));
      await upsertEntities(w.trx, id, spans);
      touched.add(id);
    }
  }
  await settle(w, touched);
  for (const id of touched) w.changes.markUpdated(id);
}
