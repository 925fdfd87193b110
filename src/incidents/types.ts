/**
 * Incidents (case management): the vocabulary and the API shapes, as typebox schemas from which
 * the TypeScript types are derived (`Static<…>`), so the routes' validation, the OpenAPI document
 * and the code cannot drift apart. A leaf module: constants and schemas, no I/O.
 */
import type { Kysely } from 'kysely';
import { type Static, type TSchema, Type } from 'typebox';
import type { DatabaseSchema } from '../store/schema.js';

/**
 * The status workflow: `open → investigating → contained → resolved`, plus `false_positive`
 * (closed, nothing happened) and `duplicate` (merged into another incident). See
 * {@link INCIDENT_TRANSITIONS} in `workflow.ts` for the allowed moves.
 */
export const INCIDENT_STATUSES = [
  'open',
  'investigating',
  'contained',
  'resolved',
  'false_positive',
  'duplicate',
] as const;
export type IncidentStatus = (typeof INCIDENT_STATUSES)[number];

/** Statuses an alert can still join (automatic grouping, risk incidents). */
export const OPEN_INCIDENT_STATUSES: readonly IncidentStatus[] = ['open', 'investigating', 'contained'];

/** Severities: the Sigma levels, in increasing order (Sigma spec v2.1, "Level"). */
export const INCIDENT_SEVERITIES = ['informational', 'low', 'medium', 'high', 'critical'] as const;
export type IncidentSeverity = (typeof INCIDENT_SEVERITIES)[number];

/** How an incident came to be: automatic grouping of alerts, an entity's risk, or a person. */
export const INCIDENT_KINDS = ['alerts', 'risk', 'manual'] as const;
export type IncidentKind = (typeof INCIDENT_KINDS)[number];

/**
 * What alerts are grouped on: ECS `host.name`, `user.name`, `source.ip`. An alert with none of
 * them is grouped with alerts of the same rule (`rule`, the rule id).
 */
export const ENTITY_TYPES = ['host', 'user', 'ip', 'rule'] as const;
export type EntityType = (typeof ENTITY_TYPES)[number];

/** The entity types risk is scored on (the risk contract). */
export type RiskEntityType = 'host' | 'user' | 'ip';

/** An entity: `{type:'host', value:'WS-01'}`; keyed as `host:WS-01`. */
export interface Entity {
  readonly type: EntityType;
  readonly value: string;
}

/** Observable types (STIX 2.1 cyber-observables: ipv4/ipv6-addr, domain-name, url, file hashes, user-account). */
export const OBSERVABLE_TYPES = ['ip', 'host', 'user', 'hash', 'domain', 'url'] as const;
export type ObservableType = (typeof OBSERVABLE_TYPES)[number];

export const TASK_STATUSES = ['todo', 'done'] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];

/** Timeline entry kinds; each entry's `details` shape is documented in `docs/incidents.md`. */
export const TIMELINE_KINDS = [
  'created',
  'alert_added',
  'alert_removed',
  'status_changed',
  'alerts_status_changed',
  'severity_changed',
  'updated',
  'comment_added',
  'task_added',
  'task_updated',
  'observable_added',
  'observable_removed',
  'merged_from',
  'merged_into',
  'split_to',
  'split_from',
  'risk_threshold',
] as const;
export type TimelineKind = (typeof TIMELINE_KINDS)[number];

const literals = <const T extends string[]>(values: readonly [...T], description?: string) =>
  Type.Enum(values, description ? { description } : {});

export const IncidentStatusSchema = literals(
  INCIDENT_STATUSES,
  'open → investigating → contained → resolved; false_positive; duplicate (merged)',
);
export const IncidentSeveritySchema = literals(INCIDENT_SEVERITIES);
export const IncidentKindSchema = literals(INCIDENT_KINDS);
export const ObservableTypeSchema = literals(OBSERVABLE_TYPES);
export const TaskStatusSchema = literals(TASK_STATUSES);

const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);
const Time = Type.String({ description: 'ISO 8601' });
const Millis = Nullable(Type.Integer({ description: 'ms' }));

export const EntitySchema = Type.Object({ type: literals(ENTITY_TYPES), value: Type.String() });

export const IncidentSchema = Type.Object({
  id: Type.Integer(),
  kind: IncidentKindSchema,
  title: Type.String(),
  description: Type.String({ description: 'Markdown, stored and returned as text (never rendered)' }),
  severity: IncidentSeveritySchema,
  status: IncidentStatusSchema,
  assignee: Nullable(Type.String({ description: 'A user name' })),
  tags: Type.Array(Type.String()),
  entities: Type.Array(EntitySchema, { description: 'What alerts are grouped on' }),
  duplicate_of: Nullable(Type.Integer({ description: 'The incident this one was merged into' })),
  risk_score: Nullable(Type.Number({ description: 'Highest entity risk score seen (0-100+)' })),
  alert_count: Type.Integer(),
  event_count: Type.Integer({ description: 'Matched events over the linked alerts' }),
  first_seen: Nullable(Time),
  last_seen: Nullable(Time),
  first_alert_at: Nullable(Type.String({ description: 'When the first linked alert was raised' })),
  created_at: Time,
  updated_at: Time,
  acknowledged_at: Nullable(Type.String({ description: 'First move out of open' })),
  contained_at: Nullable(Time),
  resolved_at: Nullable(Type.String({ description: 'Closed: resolved, false_positive or duplicate' })),
  created_by: Type.String(),
  mttd_ms: Millis,
  mtta_ms: Millis,
  mttc_ms: Millis,
  mttr_ms: Millis,
});
export type Incident = Static<typeof IncidentSchema>;

export const CommentSchema = Type.Object({
  id: Type.Integer(),
  author: Type.String(),
  body: Type.String({ description: 'Markdown text, never rendered by the server' }),
  created_at: Time,
});
export type IncidentComment = Static<typeof CommentSchema>;

export const ObservableSchema = Type.Object({
  id: Type.Integer(),
  type: ObservableTypeSchema,
  value: Type.String(),
  description: Nullable(Type.String()),
  created_by: Type.String(),
  created_at: Time,
});
export type Observable = Static<typeof ObservableSchema>;

export const TaskSchema = Type.Object({
  id: Type.Integer(),
  title: Type.String(),
  status: TaskStatusSchema,
  assignee: Nullable(Type.String()),
  created_by: Type.String(),
  created_at: Time,
  updated_at: Time,
  done_at: Nullable(Time),
});
export type Task = Static<typeof TaskSchema>;

export const TimelineEntrySchema = Type.Object({
  id: Type.Integer(),
  at: Time,
  actor: Type.String(),
  kind: literals(TIMELINE_KINDS),
  details: Type.Record(Type.String(), Type.Unknown()),
});
export type TimelineEntry = Static<typeof TimelineEntrySchema>;

export const IncidentDetailSchema = Type.Intersect([
  IncidentSchema,
  Type.Object({
    observables: Type.Array(ObservableSchema),
    tasks: Type.Array(TaskSchema),
    comment_count: Type.Integer(),
    merged: Type.Array(Type.Integer(), { description: 'Incidents merged into this one' }),
  }),
]);
export type IncidentDetail = Static<typeof IncidentDetailSchema>;

/** How a change shows on the stream. */
export type IncidentChange = 'created' | 'updated';

/** Called after a commit with each incident that changed (the WebSocket stream). */
export type IncidentPublisher = (change: IncidentChange, incident: Incident) => void;

/**
 * Entity risk scores (the risk contract): key `${type}:${value}`, score 0-100+; entities without a
 * score may be absent or 0. Runs inside the caller's transaction; `now` is the transaction's time
 * (a look-up may ignore it).
 */
export type RiskLookup = (
  trx: Kysely<DatabaseSchema>,
  entities: readonly { type: RiskEntityType; value: string }[],
  now: Date,
) => Promise<Map<string, number>>;
