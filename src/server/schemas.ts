/**
 * Typebox schemas shared by the routes: they validate requests, type the handlers and generate
 * the OpenAPI document (one source, no drift).
 */
import { type Static, Type } from 'typebox';
import { ALERT_STATUSES } from '../store/alerts.js';

export const Problem = Type.Object(
  {
    type: Type.String(),
    title: Type.String(),
    status: Type.Integer(),
    code: Type.String({ description: 'Stable error code (VIGIL_ERR_*)' }),
    detail: Type.String(),
    instance: Type.Optional(Type.String()),
    errors: Type.Optional(Type.Array(Type.Unknown())),
  },
  { $id: 'Problem', description: 'RFC 9457 problem details' },
);

/** Standard error responses, by status. */
export function errors(...statuses: number[]): Record<number, typeof Problem> {
  return Object.fromEntries(statuses.map((s) => [s, Problem]));
}

export const IdParams = Type.Object({ id: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER }) });
export const TextIdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 256 }) });

export const Limit = Type.Integer({ minimum: 1, maximum: 1000, default: 100 });
export const Cursor = Type.String({ maxLength: 512, description: 'Opaque cursor from the previous page' });
export const DateTime = Type.String({ format: 'date-time' });

export const StoredEvent = Type.Object(
  {
    id: Type.Integer(),
    timestamp: Type.String({ description: '@timestamp (event time)' }),
    ingested: Type.String({ description: 'event.ingested' }),
    source: Type.String({ description: 'http, es-bulk, syslog-udp, syslog-tcp' }),
    decoder: Type.String(),
    format: Type.String(),
    logsource: Type.Record(Type.String(), Type.String()),
    ecs: Type.Record(Type.String(), Type.Unknown()),
    original: Type.String(),
  },
  { $id: 'StoredEvent' },
);

export const AlertStatus = Type.Union(
  [
    Type.Literal('new'),
    Type.Literal('acknowledged'),
    Type.Literal('in_progress'),
    Type.Literal('resolved'),
    Type.Literal('false_positive'),
  ],
  { description: 'new, acknowledged and in_progress are open' },
);

/** The schema and the store agree on the statuses. */
export const STATUSES_AGREE: readonly (typeof ALERT_STATUSES)[number][] = ALERT_STATUSES;

export const Alert = Type.Object(
  {
    id: Type.Integer(),
    status: AlertStatus,
    event_count: Type.Integer({ description: 'Matches folded into this alert (suppression)' }),
    first_seen: Type.String(),
    last_seen: Type.String(),
    created_at: Type.String(),
    updated_at: Type.String(),
    rule: Type.Record(Type.String(), Type.Unknown()),
  },
  {
    $id: 'Alert',
    additionalProperties: true,
    description:
      'The ECS detection record (rule.*, threat.*, host, user, vigil.match, …) plus the alert state',
  },
);

export type AlertStatusValue = Static<typeof AlertStatus>;
