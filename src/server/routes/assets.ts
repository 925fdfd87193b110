/**
 * `/api/v1/assets`: hosts and IP addresses marked critical, the targets of the attack-path API's
 * shortest paths (docs/attack-paths.md). Changes are audited.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { actorFor } from '../../auth/principal.js';
import { ErrorCodes, VigilError } from '../../errors.js';
import type { ServiceContext } from '../../service/vigil.js';
import { errors } from '../schemas.js';

const Asset = Type.Object(
  {
    name: Type.String({ description: 'Lower-case host name as given, or the canonical IP address' }),
    kind: Type.Union([Type.Literal('host'), Type.Literal('ip')]),
    critical: Type.Boolean(),
    note: Type.Union([Type.String(), Type.Null()]),
    marked_by: Type.String({
      description: 'Who marked it (user:<name>, key:<id>, system for VIGIL_CRITICAL_ASSETS)',
    }),
    marked_at: Type.String(),
  },
  { $id: 'Asset' },
);

const NameParams = Type.Object({
  name: Type.String({ minLength: 1, maxLength: 253, description: 'Host name (FQDN or short) or IP address' }),
});

export const assetRoutes: FastifyPluginAsyncTypebox<{ ctx: ServiceContext }> = async (app, { ctx }) => {
  app.get(
    '/api/v1/assets',
    {
      config: { auth: 'events:read' },
      schema: {
        tags: ['attack-paths'],
        summary: 'List assets (hosts and addresses) and their critical marking',
        querystring: Type.Object({
          critical: Type.Optional(Type.Boolean({ description: 'Only the critical ones' })),
        }),
        response: { 200: Type.Object({ assets: Type.Array(Asset) }) },
      },
    },
    async (request) => ({ assets: await ctx.graph.assets.list(request.query.critical === true) }),
  );

  app.put(
    '/api/v1/assets/:name',
    {
      config: { auth: 'incidents:write' },
      schema: {
        tags: ['attack-paths'],
        summary: 'Mark an asset critical (or not), with a note; audited',
        params: NameParams,
        body: Type.Object({
          critical: Type.Boolean(),
          note: Type.Optional(Type.Union([Type.String({ maxLength: 2000 }), Type.Null()])),
        }),
        response: { 200: Asset, 201: Asset, ...errors(400) },
      },
    },
    async (request, reply) => {
      const { asset, created } = await ctx.graph.assets.put(
        request.params.name,
        request.body,
        actorFor(request.principal, request.ip),
      );
      return reply.status(created ? 201 : 200).send(asset);
    },
  );

  app.delete(
    '/api/v1/assets/:name',
    {
      config: { auth: 'incidents:write' },
      schema: {
        tags: ['attack-paths'],
        summary:
          'Forget an asset; audited (a name in VIGIL_CRITICAL_ASSETS is marked again at the next start)',
        params: NameParams,
        response: { 204: Type.Null(), ...errors(400, 404) },
      },
    },
    async (request, reply) => {
      const deleted = await ctx.graph.assets.delete(
        request.params.name,
        actorFor(request.principal, request.ip),
      );
      if (!deleted) throw new VigilError(ErrorCodes.NOT_FOUND, `asset ${request.params.name}`);
      return reply.status(204).send(null);
    },
  );
};
