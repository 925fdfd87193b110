/**
 * `/api/v1/alerts`: list with filters and cursor pagination, get one with its evidence and match
 * explanation, update its status with a comment.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { updateAlertStatus } from '../../alerts/service.js';
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
};
