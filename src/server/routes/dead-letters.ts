/**
 * `/api/v1/dead-letters`: input that could not be decoded — list, inspect, replay (after a
 * decoder fix, or an edited copy sent again).
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { ErrorCodes, VigilError } from '../../errors.js';
import { actorFor } from '../../auth/principal.js';
import type { ServiceContext } from '../../service/vigil.js';
import { writeAudit } from '../../store/audit.js';
import { errors, IdParams, Limit } from '../schemas.js';

const DeadLetter = Type.Object({
  id: Type.Integer(),
  received: Type.String(),
  source: Type.String(),
  line: Type.Union([Type.Integer(), Type.Null()]),
  reason: Type.String(),
  raw: Type.String(),
  replayedAt: Type.Union([Type.String(), Type.Null()]),
});

/** Sources whose records are syslog lines; the others carry JSON. */
const LINE_SOURCES = new Set(['syslog-udp', 'syslog-tcp']);

export const deadLetterRoutes: FastifyPluginAsyncTypebox<{ ctx: ServiceContext }> = async (app, { ctx }) => {
  app.get(
    '/api/v1/dead-letters',
    {
      config: { auth: 'dead-letters:read' },
      schema: {
        tags: ['dead-letters'],
        summary: 'List dead letters, newest first',
        querystring: Type.Object({
          limit: Type.Optional(Limit),
          before: Type.Optional(Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER })),
        }),
        response: { 200: Type.Object({ dead_letters: Type.Array(DeadLetter) }) },
      },
    },
    async (request) => ({
      dead_letters: await ctx.deadLetters.list(request.query.limit ?? 100, request.query.before),
    }),
  );

  app.get(
    '/api/v1/dead-letters/:id',
    {
      config: { auth: 'dead-letters:read' },
      schema: {
        tags: ['dead-letters'],
        summary: 'Get a dead letter',
        params: IdParams,
        response: { 200: DeadLetter, ...errors(404) },
      },
    },
    async (request) => {
      const d = await ctx.deadLetters.get(request.params.id);
      if (!d) throw new VigilError(ErrorCodes.NOT_FOUND, `dead letter ${request.params.id}`);
      return d;
    },
  );

  app.post(
    '/api/v1/dead-letters/:id/replay',
    {
      config: { auth: 'dead-letters:write' },
      schema: {
        tags: ['dead-letters'],
        summary: 'Decode a dead letter again; stored as an event when it now decodes',
        params: IdParams,
        response: {
          200: Type.Object({ event_id: Type.Integer() }),
          ...errors(404, 409, 422, 429),
        },
      },
    },
    async (request) => {
      const d = await ctx.deadLetters.get(request.params.id);
      if (!d) throw new VigilError(ErrorCodes.NOT_FOUND, `dead letter ${request.params.id}`);
      const now = ctx.now();
      // Claim first (one UPDATE … WHERE replayed_at IS NULL), so parallel replays store it once.
      if (d.replayedAt || !(await ctx.deadLetters.claim(d.id, now.toISOString())))
        throw new VigilError(ErrorCodes.CONFLICT, `dead letter ${d.id} was already replayed`);
      let item;
      try {
        let result;
        if (LINE_SOURCES.has(d.source)) {
          result = await ctx.ingest.ingestLines(
            [{ line: d.line, text: d.raw }],
            'syslog',
            d.source,
            undefined,
            false,
          );
        } else {
          let value: unknown;
          try {
            value = JSON.parse(d.raw);
          } catch (err) {
            throw new VigilError(ErrorCodes.UNPROCESSABLE, `still not JSON: ${(err as Error).message}`);
          }
          result = await ctx.ingest.ingestJson([{ line: d.line ?? 1, text: d.raw, value }], d.source, false);
        }
        item = result.items[0];
        if (!item || !('id' in item))
          throw new VigilError(ErrorCodes.UNPROCESSABLE, item?.error ?? 'no event decoded');
      } catch (err) {
        await ctx.deadLetters.unclaim(d.id);
        throw err;
      }
      await writeAudit(
        ctx.database.db,
        {
          actor: actorFor(request.principal, request.ip),
          action: 'dead_letter.replay',
          target: String(d.id),
          details: { event_id: item.id },
        },
        now,
      );
      return { event_id: item.id };
    },
  );
};
