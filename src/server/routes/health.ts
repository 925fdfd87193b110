/**
 * `GET /health` (liveness: the process answers) and `GET /ready` (the database answers and the
 * detection pipeline runs).
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { ServiceContext } from '../../service/vigil.js';

const Ready = Type.Object({
  status: Type.Union([Type.Literal('ready'), Type.Literal('not_ready')]),
  database: Type.Boolean(),
  pipeline: Type.Boolean(),
  detection_lag: Type.Integer({ description: 'Stored events not yet through detection' }),
});

export const healthRoutes: FastifyPluginAsyncTypebox<{ ctx: ServiceContext }> = async (app, { ctx }) => {
  app.get(
    '/health',
    {
      config: { auth: 'public' },
      schema: {
        tags: ['health'],
        summary: 'Liveness',
        response: { 200: Type.Object({ status: Type.Literal('ok') }) },
      },
    },
    async () => ({ status: 'ok' as const }),
  );
  app.get(
    '/ready',
    {
      config: { auth: 'public' },
      schema: { tags: ['health'], summary: 'Readiness', response: { 200: Ready, 503: Ready } },
    },
    async (_request, reply) => {
      const database = await ctx.database.ping().catch(() => false);
      const pipeline = ctx.detection.running;
      const ok = database && pipeline;
      return reply.status(ok ? 200 : 503).send({
        status: ok ? ('ready' as const) : ('not_ready' as const),
        database,
        pipeline,
        detection_lag: ctx.detection.lag,
      });
    },
  );
};
