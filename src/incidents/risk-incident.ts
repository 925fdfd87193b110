/**
 * Risk incidents: when an entity's risk score crosses its threshold (risk-based alerting), open a
 * `risk` incident for it — or, when one is open for that entity, update it — linking the alerts
 * that contributed. Alerts already in another incident stay there (an analyst may be working it);
 * the timeline entry names them and their incidents.
 */
import {
  findOpenRiskIncident,
  getIncidentRow,
  type IncidentRow,
  upsertEntities,
} from '../store/incidents.js';
import { appendTimeline, linkableAlerts, linksOf } from '../store/incidents-items.js';
import { riskSeverity } from './severity.js';
import { OPEN_INCIDENT_STATUSES, type RiskEntityType } from './types.js';
import { createIncident, linkAlerts, settle, type Work } from './work.js';

export interface RiskIncidentInput {
  readonly entity: { readonly type: RiskEntityType; readonly value: string };
  /** The entity's score now (0-100+). */
  readonly score: number;
  /** The threshold it crossed. */
  readonly threshold: number;
  /** The alerts that contributed to the score. */
  readonly alertIds: readonly number[];
}

/** `Risk threshold crossed: user alice (score 87)`. */
export function riskTitle(input: Pick<RiskIncidentInput, 'entity' | 'score'>): string {
  return `Risk threshold crossed: ${input.entity.type} ${input.entity.value} (score ${Math.round(input.score)})`;
}

/**
 * Opens or updates the entity's risk incident. @returns the incident row after the change, whether
 * it was created, and the alerts linked now
 */
export async function raiseRisk(
  w: Work,
  input: RiskIncidentInput,
): Promise<{ row: IncidentRow; created: boolean; linked: number[] }> {
  const subject = `${input.entity.type}:${input.entity.value}`;
  let row = await findOpenRiskIncident(w.trx, subject, OPEN_INCIDENT_STATUSES);
  const created = row === undefined;
  row ??= await createIncident(
    w,
    {
      kind: 'risk',
      title: riskTitle(input),
      severity: riskSeverity(input.score, input.threshold) ?? 'high',
      riskSubject: subject,
      riskScore: input.score,
    },
    { by: 'risk', entity: input.entity, score: input.score, threshold: input.threshold },
  );
  const id = row.id;
  await upsertEntities(w.trx, id, [{ ...input.entity, first_seen: w.now, last_seen: w.now }]);
  const before = await linksOf(w.trx, input.alertIds);
  const { linked } = await linkAlerts(w, id, await linkableAlerts(w.trx, input.alertIds), false);
  const related = [...before]
    .filter(([, inc]) => inc !== id)
    .map(([alert, inc]) => ({ alert_id: alert, incident_id: inc }));
  await appendTimeline(w.trx, [
    {
      incident_id: id,
      at: w.now,
      actor: w.actor.name,
      kind: 'risk_threshold',
      details: {
        entity: input.entity,
        score: input.score,
        threshold: input.threshold,
        alert_ids: linked,
        related,
      },
    },
  ]);
  await settle(w, [id], new Set(), new Map([[id, input.score]]));
  w.changes.markUpdated(id);
  return { row: (await getIncidentRow(w.trx, id)) ?? row, created, linked };
}
