/**
 * `/api/v1/alerts`: list with filters and cursor pagination, get one with its evidence and match
 * explanation, update its status with a comment.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { bulkUpdateAlerts, updateAlertStatus } from '../../alerts/service.js';
import { SIGMA_LEVELS } from '../../detect/sigma/types.js';
import { ErrorCodes, VigilError } from '../../errors.js';
import { actorFor } from '../../auth/principal.js';
import type { ServiceContext } from '../../service/vigil.js';
import { getAlert, listAlerts } from '../../store/alerts.js';
import { Alert, AlertStatus, Cursor, DateTime, errors, IdParams, Limit } from '../schemas.js';

const ListQuery = Type.Object({
  level: Type.Optional(Type.Union(SIGMA_LEVELS.map((l) => Type.Literal(l)))),
  status: Type.Optional(AlertStatus),
  rule: Type.Optional(Type.String({ description: 'Rule id' })),
  host: Type.Optional(Type.String({ description: 'host.name' })),
  user: Type.Optional(Type.String({ description: 'user.name' })),
  source_ip: Type.Optional(Type.String({ description: 'source.ip' })),
  attack: Type.Optional(
    Type.String({
      pattern: '^[Tt][Aa]?\\d{4}(\\.\\d{3})?$',
      description: 'ATT&CK technique (T1059.001) or tactic (TA0002)',
    }),
  ),
  incident: Type.Optional(
    Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER, description: 'Alerts of this incident' }),
  ),
  from: Type.Optional(DateTime),
  to: Type.Optional(DateTime),
  sort: Type.Optional(Type.Union([Type.Literal('created_at'), Type.Literal('last_seen')])),
  order: Type.Optional(Type.Union([Type.Literal('asc'), Type.Literal('desc')])),
  limit: Type.Optional(Limit),
  cursor: Type.Optional(Cursor),
});

const Evidence = Type.Object({
  id: Type.Integer(),
  timestamp: Type.String(),
  ecs: Type.Record(Type.String(), Type.Unknown()),
  original: Type.String(),
});

const AlertDetail = Type.Intersect([
  Alert,
  Type.Object({
    evidence: Type.Array(Evidence, { description: 'Copies of the matched events (first 10)' }),
    history: Type.Array(
      Type.Object({
        at: Type.String(),
        actor: Type.String(),
        status: Type.String(),
        comment: Type.Union([Type.String(), Type.Null()]),
      }),
    ),
  }),
]);

export const alertRoutes: FastifyPluginAsyncTypebox<{ ctx: ServiceContext }> = async (app, { ctx }) => {
  app.get(
    '/api/v1/alerts',
    {
      config: { auth: 'alerts:read' },
      schema: {
        tags: ['alerts'],
        summary: 'List alerts',
        querystring: ListQuery,
        response: {
          200: Type.Object({ alerts: Type.Array(Alert), next: Type.Optional(Type.String()) }),
          ...errors(400),
        },
      },
    },
    async (request) => {
      const q = request.query;
      return listAlerts(ctx.database.db, {
        level: q.level,
        status: q.status,
        ruleId: q.rule,
        host: q.host,
        user: q.user,
        sourceIp: q.source_ip,
        attack: q.attack,
        incidentId: q.incident,
        from: q.from,
        to: q.to,
        sort: q.sort ?? 'created_at',
        order: q.order ?? 'desc',
        limit: q.limit ?? 100,
        cursor: q.cursor,
      });
    },
  );

  app.get(
    '/api/v1/alerts/:id',
    {
      config: { auth: 'alerts:read' },
      schema: {
        tags: ['alerts'],
        summary: 'Get an alert with its evidence, match explanation (vigil.match) and history',
        params: IdParams,
        response: { 200: AlertDetail, ...errors(404) },
      },
    },
    async (request) => {
      const a = await getAlert(ctx.database.db, request.params.id);
      if (!a) throw new VigilError(ErrorCodes.NOT_FOUND, `alert ${request.params.id}`);
      return a;
    },
  );

  app.patch(
    '/api/v1/alerts/:id',
    {
      config: { auth: 'alerts:write' },
      schema: {
        tags: ['alerts'],
        summary: 'Update an alert status, with a comment',
        params: IdParams,
        body: Type.Object({
          status: AlertStatus,
          comment: Type.Optional(Type.String({ maxLength: 10_000 })),
        }),
        response: { 200: Alert, ...errors(400, 404) },
      },
    },
    async (request) =>
      updateAlertStatus(
        ctx.database,
        request.params.id,
        request.body.status,
        request.body.comment ?? null,
        actorFor(request.principal, request.ip),
        ctx.now(),
      ),
  );

  app.post(
    '/api/v1/alerts/bulk',
    {
      config: { auth: 'alerts:write' },
      schema: {
        tags: ['alerts'],
        summary: 'Bulk action on alerts: set their status and/or link them to an incident',
        description:
          'One transaction: all or nothing. `incident_id` also needs incidents:write; alerts in another ' +
          'incident move to it.',
        body: Type.Object(
          {
            ids: Type.Array(Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER }), {
              minItems: 1,
              maxItems: 1000,
            }),
            status: Type.Optional(AlertStatus),
            comment: Type.Optional(Type.String({ maxLength: 10_000 })),
            incident_id: Type.Optional(Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER })),
          },
          { anyOf: [{ required: ['status'] }, { required: ['incident_id'] }] },
        ),
        response: {
          200: Type.Object({
            alert_ids: Type.Array(Type.Integer()),
            status: Type.Optional(AlertStatus),
            incident_id: Type.Optional(Type.Integer()),
          }),
          ...errors(400, 403, 404, 409),
        },
      },
    },
    async (request) => {
      const b = request.body;
      const incidentId = b.incident_id;
      if (incidentId !== undefined && !request.principal?.permissions.has('incidents:write'))
        throw new VigilError(ErrorCodes.FORBIDDEN, 'linking alerts to an incident requires incidents:write');
      const actor = actorFor(request.principal, request.ip);
      const now = ctx.now();
      const ids = await bulkUpdateAlerts(
        ctx.database,
        { ids: b.ids, status: b.status, comment: b.comment ?? null },
        actor,
        now,
        incidentId === undefined
          ? undefined
          : (trx) => ctx.incidents.addAlertsWithin(trx, incidentId, b.ids, actor, now),
      );
      return {
        alert_ids: ids,
        ...(b.status !== undefined ? { status: b.status } : {}),
        ...(incidentId !== undefined ? { incident_id: incidentId } : {}),
      };
    },
  );
};
