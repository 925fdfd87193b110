/**
 * Manual merge and split. Merge moves the alerts, comments, tasks and observables of incidents
 * B… into A, unions the tags, keeps the worst severity, and closes each B as `duplicate` with
 * `duplicate_of = A`. Split moves chosen alerts of an incident into a new one. Both leave timeline
 * entries on every incident involved and one audit entry.
 */
import { ErrorCodes, VigilError } from '../errors.js';
import { writeAudit } from '../store/audit.js';
import { getIncidentRow, type IncidentRow, updateIncidentRow } from '../store/incidents.js';
import {
  appendTimeline,
  incidentAlerts,
  linkableAlerts,
  linksOf,
  moveAlerts,
  moveItems,
  type NewTimelineEntry,
} from '../store/incidents-items.js';
import { severityRank, worstSeverity } from './severity.js';
import { auditView, createIncident, settle, type Work } from './work.js';

async function mustGet(w: Work, id: number): Promise<IncidentRow> {
  const row = await getIncidentRow(w.trx, id);
  if (!row) throw new VigilError(ErrorCodes.NOT_FOUND, `incident ${id}`);
  if (row.status === 'duplicate')
    throw new VigilError(
      ErrorCodes.CONFLICT,
      `incident ${id} is a duplicate of incident ${row.duplicate_of}`,
    );
  return row;
}

/**
 * Merges incidents `sourceIds` into `targetId`.
 * @returns the target after the merge
 * @throws VigilError `VIGIL_ERR_NOT_FOUND` for an unknown incident, `VIGIL_ERR_CONFLICT` for one
 *   already merged (duplicate), `VIGIL_ERR_BAD_REQUEST` when the target is among the sources
 */
export async function mergeIncidents(
  w: Work,
  targetId: number,
  sourceIds: readonly number[],
): Promise<IncidentRow> {
  const ids = [...new Set(sourceIds)];
  if (ids.includes(targetId))
    throw new VigilError(ErrorCodes.BAD_REQUEST, 'an incident cannot be merged into itself');
  const target = await mustGet(w, targetId);
  const sources: IncidentRow[] = [];
  for (const id of ids) sources.push(await mustGet(w, id));
  const timeline: NewTimelineEntry[] = [];
  const entry = (incident: number, kind: string, details: Record<string, unknown>): NewTimelineEntry => ({
    incident_id: incident,
    at: w.now,
    actor: w.actor.name,
    kind,
    details,
  });
  const tags = new Set(target.tags);
  let severity = target.severity;
  const moved: Record<string, unknown>[] = [];
  for (const s of sources) {
    const alertIds = (await incidentAlerts(w.trx, s.id)).map((a) => a.id);
    await moveAlerts(w.trx, alertIds, targetId, w.actor.name, w.now);
    const items = await moveItems(w.trx, s.id, targetId);
    for (const t of s.tags) tags.add(t);
    if (severityRank(s.severity) > severityRank(severity)) severity = s.severity;
    await updateIncidentRow(w.trx, s.id, {
      status: 'duplicate',
      duplicate_of: targetId,
      resolved_at: w.now,
      updated_at: w.now,
    });
    timeline.push(
      entry(s.id, 'status_changed', { from: s.status, to: 'duplicate' }),
      entry(s.id, 'merged_into', { incident_id: targetId }),
      entry(targetId, 'merged_from', { incident_id: s.id, title: s.title, alert_ids: alertIds, ...items }),
    );
    moved.push({ incident_id: s.id, alerts: alertIds.length, ...items });
    w.changes.markUpdated(s.id);
  }
  if (severity !== target.severity)
    timeline.push(
      entry(targetId, 'severity_changed', { from: target.severity, to: severity, reason: 'merge' }),
    );
  await updateIncidentRow(w.trx, targetId, { tags: JSON.stringify([...tags]), severity, updated_at: w.now });
  await appendTimeline(w.trx, timeline);
  const all = [targetId, ...ids];
  await settle(w, all, new Set(all));
  w.changes.markUpdated(targetId);
  const after = (await getIncidentRow(w.trx, targetId))!;
  await writeAudit(
    w.trx,
    {
      actor: w.actor,
      action: 'incident.merge',
      target: String(targetId),
      before: auditView(target),
      after: auditView(after),
      details: { merged: moved },
    },
    w.now,
  );
  return after;
}

/**
 * Moves alerts of incident `sourceId` into a new incident (kind `manual`, the source's assignee
 * and tags, title `Split from #<id>: <title>` unless given).
 * @returns the new incident
 * @throws VigilError `VIGIL_ERR_NOT_FOUND` for an unknown incident or alert, `VIGIL_ERR_CONFLICT`
 *   for a duplicate incident or an alert that is not in it
 */
export async function splitIncident(
  w: Work,
  sourceId: number,
  alertIds: readonly number[],
  title: string | undefined,
): Promise<IncidentRow> {
  const source = await mustGet(w, sourceId);
  const ids = [...new Set(alertIds)];
  const alerts = await linkableAlerts(w.trx, ids);
  const missing = ids.filter((id) => !alerts.some((a) => a.id === id));
  if (missing.length > 0) throw new VigilError(ErrorCodes.NOT_FOUND, `alert ${missing.join(', ')}`);
  const links = await linksOf(w.trx, ids);
  const outside = ids.filter((id) => links.get(id) !== sourceId);
  if (outside.length > 0)
    throw new VigilError(ErrorCodes.CONFLICT, `alert ${outside.join(', ')} not in incident ${sourceId}`);
  const row = await createIncident(
    w,
    {
      kind: 'manual',
      title: title ?? `Split from #${sourceId}: ${source.title}`,
      severity: worstSeverity(alerts.map((a) => a.level)),
      assignee: source.assignee,
      tags: source.tags,
    },
    { by: 'split', from_incident: sourceId },
  );
  await moveAlerts(w.trx, ids, row.id, w.actor.name, w.now);
  await appendTimeline(w.trx, [
    {
      incident_id: sourceId,
      at: w.now,
      actor: w.actor.name,
      kind: 'split_to',
      details: { incident_id: row.id, alert_ids: ids },
    },
    {
      incident_id: row.id,
      at: w.now,
      actor: w.actor.name,
      kind: 'split_from',
      details: { incident_id: sourceId, alert_ids: ids },
    },
  ]);
  await settle(w, [sourceId, row.id], new Set([sourceId, row.id]));
  w.changes.markUpdated(sourceId);
  await writeAudit(
    w.trx,
    {
      actor: w.actor,
      action: 'incident.split',
      target: String(sourceId),
      before: { alert_count: source.alert_count },
      after: { alert_count: source.alert_count - ids.length },
      details: { to_incident: row.id, alert_ids: ids },
    },
    w.now,
  );
  return (await getIncidentRow(w.trx, row.id))!;
}
