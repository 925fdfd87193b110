/**
 * Incident field and status changes: the workflow's checks and timestamps, closing's effect on
 * the linked alerts, the timeline entries and the `incident.update` audit entry.
 */
import { ErrorCodes, VigilError } from '../errors.js';
import { setAlertsStatus } from '../store/alerts.js';
import { writeAudit } from '../store/audit.js';
import { type IncidentPatch, updateIncidentRow } from '../store/incidents.js';
import {
  appendTimeline,
  incidentAlerts,
  insertComment,
  type NewTimelineEntry,
} from '../store/incidents-items.js';
import * as items from './items.js';
import { INCIDENT_STATUSES, type IncidentSeverity, type IncidentStatus } from './types.js';
import { alertStatusOnClose, checkTransition, OPEN_ALERT_STATUSES, transitionTimes } from './workflow.js';
import { auditView, type Work } from './work.js';

export interface IncidentUpdate {
  readonly title?: string | undefined;
  readonly description?: string | undefined;
  readonly severity?: IncidentSeverity | undefined;
  readonly status?: IncidentStatus | undefined;
  /** A user name; null unassigns. */
  readonly assignee?: string | null | undefined;
  readonly tags?: readonly string[] | undefined;
  /** Added as a comment with the change. */
  readonly comment?: string | undefined;
}

/** Trimmed, non-empty, each once, in order. */
export const uniqueTags = (tags: readonly string[]): string[] => [
  ...new Set(tags.map((t) => t.trim()).filter(Boolean)),
];

/**
 * Changes fields and the status. A status change follows the workflow (`workflow.ts`), sets its
 * timestamp, and closing as `resolved` or `false_positive` sets the incident's open alerts to the
 * same status (alert history and timeline entries). No change, no entry.
 * @throws VigilError `VIGIL_ERR_NOT_FOUND`, `VIGIL_ERR_INCIDENT_TRANSITION` (409),
 *   `VIGIL_ERR_BAD_REQUEST` (status duplicate: use merge), `VIGIL_ERR_UNPROCESSABLE` (assignee)
 */
export async function updateIncident(w: Work, id: number, patch: IncidentUpdate): Promise<void> {
  if (patch.status === 'duplicate')
    throw new VigilError(ErrorCodes.BAD_REQUEST, 'an incident becomes a duplicate by a merge (POST …/merge)');
  const row = await items.mustExist(w, id);
  if (patch.assignee !== undefined) await items.checkAssignee(w, patch.assignee);
  const set: IncidentPatch = {};
  const before: Record<string, unknown> = {};
  const after: Record<string, unknown> = {};
  const timeline: NewTimelineEntry[] = [];
  const entry = (kind: string, details: Record<string, unknown>): NewTimelineEntry => ({
    incident_id: id,
    at: w.now,
    actor: w.actor.name,
    kind,
    details,
  });
  if (patch.title !== undefined && patch.title !== row.title) {
    before.title = row.title;
    after.title = set.title = patch.title;
  }
  if (patch.description !== undefined && patch.description !== row.description) {
    before.description = row.description;
    after.description = set.description = patch.description;
  }
  if (patch.assignee !== undefined && patch.assignee !== row.assignee) {
    before.assignee = row.assignee;
    after.assignee = set.assignee = patch.assignee;
  }
  if (patch.tags !== undefined) {
    const tags = uniqueTags(patch.tags);
    if (JSON.stringify(tags) !== JSON.stringify(row.tags)) {
      before.tags = row.tags;
      after.tags = tags;
      set.tags = JSON.stringify(tags);
    }
  }
  if (Object.keys(after).length > 0)
    timeline.push(entry('updated', { from: { ...before }, to: { ...after } }));
  if (patch.severity !== undefined && patch.severity !== row.severity) {
    before.severity = row.severity;
    after.severity = set.severity = patch.severity;
    timeline.push(entry('severity_changed', { from: row.severity, to: patch.severity, reason: 'manual' }));
  }
  let alertIds: number[] = [];
  if (patch.status !== undefined && patch.status !== row.status) {
    const from = INCIDENT_STATUSES.find((x) => x === row.status) ?? 'open';
    checkTransition(id, from, patch.status);
    Object.assign(set, transitionTimes(row, patch.status, w.now));
    before.status = from;
    after.status = set.status = patch.status;
    timeline.push(entry('status_changed', { from, to: patch.status }));
    const alertStatus = alertStatusOnClose(patch.status);
    if (alertStatus) {
      const open = await incidentAlerts(w.trx, id, OPEN_ALERT_STATUSES);
      const comment = `incident ${id} closed as ${patch.status}`;
      const changed = await setAlertsStatus(
        w.trx,
        open.map((a) => a.id),
        alertStatus,
        comment,
        w.actor.name,
        w.now,
      );
      alertIds = changed.map((a) => a.id);
      if (alertIds.length > 0)
        timeline.push(entry('alerts_status_changed', { status: alertStatus, alert_ids: alertIds }));
    }
  }
  let commentId: number | undefined;
  if (patch.comment !== undefined) {
    const c = await insertComment(w.trx, {
      incident_id: id,
      author: w.actor.name,
      body: patch.comment,
      created_at: w.now,
    });
    commentId = c.id;
    timeline.push(entry('comment_added', { comment_id: c.id }));
  }
  if (timeline.length === 0) return;
  await updateIncidentRow(w.trx, id, { ...set, updated_at: w.now });
  await appendTimeline(w.trx, timeline);
  await writeAudit(
    w.trx,
    {
      actor: w.actor,
      action: 'incident.update',
      target: String(id),
      before: { ...auditView(row), ...before },
      after: { ...auditView(row), ...after },
      details: {
        ...(commentId !== undefined ? { comment_id: commentId } : {}),
        ...(alertIds.length > 0 ? { alerts: { status: after.status, ids: alertIds } } : {}),
      },
    },
    w.now,
  );
  w.changes.markUpdated(id);
}
