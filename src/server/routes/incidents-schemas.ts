/**
 * Request schemas of the incident routes (the response shapes are in `incidents/types.ts`, shared
 * with the service). They validate, type the handlers and document the API.
 */
import { Type } from 'typebox';
import {
  IncidentSeveritySchema,
  IncidentStatusSchema,
  INCIDENT_KINDS,
  ObservableTypeSchema,
  TaskStatusSchema,
} from '../../incidents/types.js';
import { Cursor, DateTime, Limit } from '../schemas.js';

const Id = Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER });
const Title = Type.String({ minLength: 1, maxLength: 256 });
const Markdown = (description: string) => Type.String({ minLength: 1, maxLength: 65_536, description });
const UserName = Type.Union([Type.String({ minLength: 1, maxLength: 64 }), Type.Null()], {
  description: 'A user name; null unassigns',
});
const Tags = Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { maxItems: 50 });
const AlertIds = Type.Array(Id, { minItems: 1, maxItems: 1000, description: 'Alert ids' });

export const IncidentParams = Type.Object({ id: Id });
export const TaskParams = Type.Object({ id: Id, taskId: Id });
export const ObservableParams = Type.Object({ id: Id, observableId: Id });

export const ListQuery = Type.Object({
  status: Type.Optional(
    Type.Array(IncidentStatusSchema, {
      maxItems: 6,
      description: 'Repeat for several: status=open&status=investigating',
    }),
  ),
  severity: Type.Optional(Type.Array(IncidentSeveritySchema, { maxItems: 5 })),
  kind: Type.Optional(Type.Enum(INCIDENT_KINDS)),
  assignee: Type.Optional(Type.String({ maxLength: 64 })),
  tag: Type.Optional(Type.String({ maxLength: 64 })),
  entity: Type.Optional(
    Type.String({
      pattern: '^(host|user|ip|rule):.+$',
      maxLength: 1024,
      description: 'An entity the incident groups on: host:WS-01, user:alice, ip:203.0.113.9',
    }),
  ),
  from: Type.Optional(DateTime),
  to: Type.Optional(DateTime),
  sort: Type.Optional(Type.Union([Type.Literal('created_at'), Type.Literal('updated_at')])),
  order: Type.Optional(Type.Union([Type.Literal('asc'), Type.Literal('desc')])),
  limit: Type.Optional(Limit),
  cursor: Type.Optional(Cursor),
});

export const PageQuery = Type.Object({ limit: Type.Optional(Limit), cursor: Type.Optional(Cursor) });

export const MetricsQuery = Type.Object({ from: Type.Optional(DateTime), to: Type.Optional(DateTime) });

export const CreateBody = Type.Object({
  title: Title,
  description: Type.Optional(Type.String({ maxLength: 65_536, description: 'Markdown' })),
  severity: Type.Optional(IncidentSeveritySchema),
  assignee: Type.Optional(UserName),
  tags: Type.Optional(Tags),
  alert_ids: Type.Optional(AlertIds),
});

export const PatchBody = Type.Object(
  {
    title: Type.Optional(Title),
    description: Type.Optional(Type.String({ maxLength: 65_536, description: 'Markdown' })),
    severity: Type.Optional(IncidentSeveritySchema),
    status: Type.Optional(IncidentStatusSchema),
    assignee: Type.Optional(UserName),
    tags: Type.Optional(Tags),
    comment: Type.Optional(Markdown('Added as a comment with the change')),
  },
  { minProperties: 1 },
);

export const MergeBody = Type.Object({
  incident_ids: Type.Array(Id, { minItems: 1, maxItems: 100, description: 'Incidents merged into this one' }),
  comment: Type.Optional(Markdown('Added as a comment on this incident')),
});

export const SplitBody = Type.Object({
  alert_ids: AlertIds,
  title: Type.Optional(Title),
  comment: Type.Optional(Markdown('Added as a comment on the new incident')),
});

export const LinkBody = Type.Object({ alert_ids: AlertIds });

export const CommentBody = Type.Object({
  body: Markdown('Markdown, stored as text, never rendered by the server'),
});

export const ObservableBody = Type.Object({
  type: ObservableTypeSchema,
  value: Type.String({ minLength: 1, maxLength: 2048 }),
  description: Type.Optional(Type.String({ maxLength: 1024 })),
});

export const TaskBody = Type.Object({ title: Title, assignee: Type.Optional(UserName) });

export const TaskPatchBody = Type.Object(
  { title: Type.Optional(Title), status: Type.Optional(TaskStatusSchema), assignee: Type.Optional(UserName) },
  { minProperties: 1 },
);

export const MetricsResponse = Type.Object({
  by_status: Type.Record(Type.String(), Type.Integer()),
  by_severity: Type.Record(Type.String(), Type.Integer()),
  mttd_ms: Type.Union([Type.Integer(), Type.Null()], { description: 'Mean time to detect' }),
  mtta_ms: Type.Union([Type.Integer(), Type.Null()], { description: 'Mean time to acknowledge' }),
  mttc_ms: Type.Union([Type.Integer(), Type.Null()], { description: 'Mean time to contain' }),
  mttr_ms: Type.Union([Type.Integer(), Type.Null()], { description: 'Mean time to resolve (resolved only)' }),
});
