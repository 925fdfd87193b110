/**
 * Rows to API views: ISO times, response times, entities.
 */
import type { Kysely } from 'kysely';
import { entitiesOf, type EntitySpan, getIncidentRows, type IncidentRow } from '../store/incidents.js';
import type { CommentRow, ObservableRow, TaskRow, TimelineRow } from '../store/incidents-items.js';
import type { DatabaseSchema } from '../store/schema.js';
import { asSeverity } from './severity.js';
import {
  ENTITY_TYPES,
  type EntityType,
  type Incident,
  INCIDENT_KINDS,
  INCIDENT_STATUSES,
  type IncidentComment,
  type Observable,
  OBSERVABLE_TYPES,
  type Task,
  TIMELINE_KINDS,
  type TimelineEntry,
} from './types.js';
import { responseTimes } from './workflow.js';

const iso = (d: Date | null): string | null => (d === null ? null : d.toISOString());

function oneOf<T extends string>(values: readonly T[], v: string, fallback: T): T {
  return values.find((x) => x === v) ?? fallback;
}

export function incidentView(row: IncidentRow, entities: readonly EntitySpan[]): Incident {
  return {
    id: row.id,
    kind: oneOf(INCIDENT_KINDS, row.kind, 'manual'),
    title: row.title,
    description: row.description,
    severity: asSeverity(row.severity),
    status: oneOf(INCIDENT_STATUSES, row.status, 'open'),
    assignee: row.assignee,
    tags: row.tags,
    entities: entities.map((e) => ({
      type: oneOf<EntityType>(ENTITY_TYPES, e.type, 'host'),
      value: e.value,
    })),
    duplicate_of: row.duplicate_of,
    risk_score: row.risk_score,
    alert_count: row.alert_count,
    event_count: row.event_count,
    first_seen: iso(row.first_seen),
    last_seen: iso(row.last_seen),
    first_alert_at: iso(row.first_alert_at),
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
    acknowledged_at: iso(row.acknowledged_at),
    contained_at: iso(row.contained_at),
    resolved_at: iso(row.resolved_at),
    created_by: row.created_by,
    ...responseTimes(row),
  };
}

/** The incidents with these ids, as views, in id order. */
export async function loadIncidents(db: Kysely<DatabaseSchema>, ids: readonly number[]): Promise<Incident[]> {
  const rows = await getIncidentRows(db, ids);
  const entities = await entitiesOf(
    db,
    rows.map((r) => r.id),
  );
  return rows.map((r) => incidentView(r, entities.get(r.id) ?? []));
}

export function commentView(r: CommentRow): IncidentComment {
  return { id: r.id, author: r.author, body: r.body, created_at: r.created_at.toISOString() };
}

export function observableView(r: ObservableRow): Observable {
  return {
    id: r.id,
    type: oneOf(OBSERVABLE_TYPES, r.type, 'host'),
    value: r.value,
    description: r.description,
    created_by: r.created_by,
    created_at: r.created_at.toISOString(),
  };
}

export function taskView(r: TaskRow): Task {
  return {
    id: r.id,
    title: r.title,
    status: r.status === 'done' ? 'done' : 'todo',
    assignee: r.assignee,
    created_by: r.created_by,
    created_at: r.created_at.toISOString(),
    updated_at: r.updated_at.toISOString(),
    done_at: iso(r.done_at),
  };
}

export function timelineView(r: TimelineRow): TimelineEntry {
  return {
    id: r.id,
    at: r.at.toISOString(),
    actor: r.actor,
    kind: oneOf(TIMELINE_KINDS, r.kind, 'updated'),
    details: r.details,
  };
}
