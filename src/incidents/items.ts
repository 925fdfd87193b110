/**
 * Comments, observables and tasks of an incident: each change with its timeline entry and audit
 * entry, inside the caller's {@link Work} transaction.
 */
import { ErrorCodes, VigilError } from '../errors.js';
import { writeAudit } from '../store/audit.js';
import { getIncidentRow, type IncidentRow } from '../store/incidents.js';
import {
  appendTimeline,
  deleteObservable,
  getTask,
  insertComment,
  insertObservable,
  insertTask,
  updateTask,
  userExists,
} from '../store/incidents-items.js';
import { normalizeObservable } from './observables.js';
import type { IncidentComment, Observable, ObservableType, Task, TaskStatus } from './types.js';
import { commentView, observableView, taskView } from './view.js';
import type { Work } from './work.js';

/** @throws VigilError `VIGIL_ERR_NOT_FOUND` */
export async function mustExist(w: Pick<Work, 'trx'>, id: number): Promise<IncidentRow> {
  const row = await getIncidentRow(w.trx, id);
  if (!row) throw new VigilError(ErrorCodes.NOT_FOUND, `incident ${id}`);
  return row;
}

/** @throws VigilError `VIGIL_ERR_UNPROCESSABLE` (422) when no enabled user has that name */
export async function checkAssignee(w: Pick<Work, 'trx'>, name: string | null | undefined): Promise<void> {
  if (name !== null && name !== undefined && !(await userExists(w.trx, name)))
    throw new VigilError(ErrorCodes.UNPROCESSABLE, `assignee ${name} is not an enabled user`);
}

async function record(
  w: Work,
  id: number,
  kind: string,
  details: Record<string, unknown>,
  audit: { action: string; before?: Record<string, unknown>; after?: Record<string, unknown> },
): Promise<void> {
  await w.trx.updateTable('incidents').set({ updated_at: w.now }).where('id', '=', id).execute();
  await appendTimeline(w.trx, [{ incident_id: id, at: w.now, actor: w.actor.name, kind, details }]);
  await writeAudit(
    w.trx,
    {
      actor: w.actor,
      action: audit.action,
      target: String(id),
      before: audit.before,
      after: audit.after,
      details,
    },
    w.now,
  );
  w.changes.markUpdated(id);
}

/** Adds a Markdown comment (stored as text, never rendered). @throws VigilError `VIGIL_ERR_NOT_FOUND` */
export async function addComment(w: Work, id: number, body: string): Promise<IncidentComment> {
  await mustExist(w, id);
  const row = await insertComment(w.trx, { incident_id: id, author: w.actor.name, body, created_at: w.now });
  await record(w, id, 'comment_added', { comment_id: row.id }, { action: 'incident.comment' });
  return commentView(row);
}

/**
 * Adds an observable (validated and normalized, `observables.ts`).
 * @throws VigilError `VIGIL_ERR_NOT_FOUND`, `VIGIL_ERR_BAD_REQUEST` for an invalid value,
 *   `VIGIL_ERR_CONFLICT` when the incident already has it
 */
export async function addObservable(
  w: Work,
  id: number,
  input: { type: ObservableType; value: string; description?: string | undefined },
): Promise<Observable> {
  await mustExist(w, id);
  const value = normalizeObservable(input.type, input.value);
  const row = await insertObservable(w.trx, {
    incident_id: id,
    type: input.type,
    value,
    description: input.description ?? null,
    created_by: w.actor.name,
    created_at: w.now,
  });
  if (!row) throw new VigilError(ErrorCodes.CONFLICT, `incident ${id} already has ${input.type} ${value}`);
  await record(
    w,
    id,
    'observable_added',
    { observable_id: row.id, type: row.type, value: row.value },
    { action: 'incident.observable.add', after: { type: row.type, value: row.value } },
  );
  return observableView(row);
}

/** Removes an observable. @throws VigilError `VIGIL_ERR_NOT_FOUND` */
export async function removeObservable(w: Work, id: number, observableId: number): Promise<void> {
  await mustExist(w, id);
  const row = await deleteObservable(w.trx, id, observableId);
  if (!row) throw new VigilError(ErrorCodes.NOT_FOUND, `observable ${observableId} of incident ${id}`);
  await record(
    w,
    id,
    'observable_removed',
    { observable_id: row.id, type: row.type, value: row.value },
    { action: 'incident.observable.remove', before: { type: row.type, value: row.value } },
  );
}

/** Adds a task (status `todo`). @throws VigilError `VIGIL_ERR_NOT_FOUND`, `VIGIL_ERR_UNPROCESSABLE` (assignee) */
export async function addTask(
  w: Work,
  id: number,
  input: { title: string; assignee?: string | null | undefined },
): Promise<Task> {
  await mustExist(w, id);
  await checkAssignee(w, input.assignee);
  const row = await insertTask(w.trx, {
    incident_id: id,
    title: input.title,
    status: 'todo',
    assignee: input.assignee ?? null,
    created_by: w.actor.name,
    created_at: w.now,
    updated_at: w.now,
    done_at: null,
  });
  await record(
    w,
    id,
    'task_added',
    { task_id: row.id, title: row.title, assignee: row.assignee },
    { action: 'incident.task.add', after: { task_id: row.id, title: row.title, assignee: row.assignee } },
  );
  return taskView(row);
}

/**
 * Changes a task's title, status (`done_at` set on done, cleared on todo) or assignee.
 * @throws VigilError `VIGIL_ERR_NOT_FOUND`, `VIGIL_ERR_UNPROCESSABLE` (assignee)
 */
export async function changeTask(
  w: Work,
  id: number,
  taskId: number,
  patch: {
    title?: string | undefined;
    status?: TaskStatus | undefined;
    assignee?: string | null | undefined;
  },
): Promise<Task> {
  await mustExist(w, id);
  const task = await getTask(w.trx, id, taskId);
  if (!task) throw new VigilError(ErrorCodes.NOT_FOUND, `task ${taskId} of incident ${id}`);
  if (patch.assignee !== undefined) await checkAssignee(w, patch.assignee);
  const before: Record<string, unknown> = {};
  const after: Record<string, unknown> = {};
  for (const k of ['title', 'status', 'assignee'] as const) {
    if (patch[k] !== undefined && patch[k] !== task[k]) {
      before[k] = task[k];
      after[k] = patch[k];
    }
  }
  if (Object.keys(after).length === 0) return taskView(task);
  const row = await updateTask(w.trx, taskId, {
    ...after,
    updated_at: w.now,
    ...(after.status !== undefined ? { done_at: after.status === 'done' ? w.now : null } : {}),
  });
  await record(
    w,
    id,
    'task_updated',
    { task_id: taskId, from: before, to: after },
    {
      action: 'incident.task.update',
      before: { task_id: taskId, ...before },
      after: { task_id: taskId, ...after },
    },
  );
  return taskView(row);
}
