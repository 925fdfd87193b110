/**
 * `/api/v1/templates`: log templates mined from syslog lines no decoder understood, with their
 * counts over time (docs/templates-service.md). Events of a template: `GET /api/v1/events?filter=vigil.template.id:<id>`.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { actorFor } from '../../auth/principal.js';
import { ErrorCodes, VigilError } from '../../errors.js';
import type { ServiceContext } from '../../service/vigil.js';
import { MAX_BUCKETS } from '../../templates/service.js';
import { Cursor, DateTime, errors, IdParams, Limit } from '../schemas.js';

const Nullable = <T extends ReturnType<typeof Type.String>>(t: T) => Type.Union([t, Type.Null()]);

const TemplateFields = {
  id: Type.Integer({
    description: 'Template id (`vigil.template.id` of its events), stable across restarts',
  }),
  template: Type.String({ description: 'The template: the message with `<*>` for each parameter' }),
  sample: Type.String({ description: 'The message that created the template' }),
  count: Type.Integer({ description: 'Stored events with this template' }),
  first_seen: Nullable(Type.String({ description: 'Event time of its first stored event' })),
  last_seen: Nullable(Type.String({ description: 'Event time of its last stored event' })),
  merged_into: Type.Union([Type.Integer(), Type.Null()], {
    description: 'The template the miner merged this one into (its counts moved there); null while live',
  }),
  created_at: Type.String({ description: 'When the miner created it' }),
  updated_at: Type.String({ description: 'When its text last changed (a constant became `<*>`)' }),
};

const Template = Type.Object(TemplateFields, { $id: 'LogTemplate' });

const Point = Type.Object({
  bucket: Type.String({ description: 'Start of the bucket (UTC)' }),
  count: Type.Integer(),
});

const TemplateDetail = Type.Object(
  {
    ...TemplateFields,
    merged: Type.Array(Type.Integer(), {
      description: 'Ids merged into this template: its events before the merge carry those ids',
    }),
    hosts: Type.Array(
      Type.Object({
        host: Type.String({ description: "host.name ('' when absent)" }),
        count: Type.Integer(),
      }),
      {
        description: 'The hosts that logged it most (at most 20), all time',
      },
    ),
    recent: Type.Array(Point, { description: 'Hourly counts over the 48 hours up to last_seen' }),
  },
  { $id: 'LogTemplateDetail' },
);

const ListQuery = Type.Object({
  sort: Type.Optional(
    Type.Union([Type.Literal('count'), Type.Literal('last_seen'), Type.Literal('id')], {
      description:
        'count (most events first, default), last_seen (latest first) or id (oldest template first)',
    }),
  ),
  q: Type.Optional(Type.String({ maxLength: 1024, description: 'Case-insensitive text in the template' })),
  limit: Type.Optional(Limit),
  cursor: Type.Optional(Cursor),
});

const CountsQuery = Type.Object({
  from: Type.Optional(DateTime),
  to: Type.Optional(DateTime),
  bucket: Type.Optional(
    Type.Union([Type.Literal('hour'), Type.Literal('day')], {
      description: 'Bucket size (UTC), default hour',
    }),
  ),
  host: Type.Optional(Type.String({ maxLength: 1024, description: 'Only events with this host.name' })),
});

/** Default span of a counts request, by bucket size (ms). */
const DEFAULT_SPAN = { hour: 7 * 86_400_000, day: 90 * 86_400_000 } as const;

export const templateRoutes: FastifyPluginAsyncTypebox<{ ctx: ServiceContext }> = async (app, { ctx }) => {
  app.get(
    '/api/v1/templates',
    {
      config: { auth: 'events:read' },
      schema: {
        tags: ['templates'],
        summary: 'List the live log templates mined from syslog lines no decoder understood',
        querystring: ListQuery,
        response: {
          200: Type.Object({ templates: Type.Array(Template), next: Type.Optional(Type.String()) }),
          ...errors(400, 401, 403),
        },
      },
    },
    async (request) => {
      const q = request.query;
      return ctx.templates.list({
        sort: q.sort ?? 'count',
        text: q.q,
        limit: q.limit ?? 100,
        cursor: q.cursor,
      });
    },
  );

  app.get(
    '/api/v1/templates/:id',
    {
      config: { auth: 'events:read' },
      schema: {
        tags: ['templates'],
        summary: 'Get one log template with its sample, top hosts and recent hourly counts',
        params: IdParams,
        response: { 200: TemplateDetail, ...errors(400, 401, 403, 404) },
      },
    },
    async (request) => {
      const t = await ctx.templates.get(request.params.id);
      if (!t) throw new VigilError(ErrorCodes.NOT_FOUND, `template ${request.params.id}`);
      return t;
    },
  );

  app.get(
    '/api/v1/templates/:id/counts',
    {
      config: { auth: 'events:read' },
      schema: {
        tags: ['templates'],
        summary: 'Count a log template’s events per hour or day of event time',
        description:
          `Every bucket in [from, to) widened to whole buckets, zeros included, oldest first; at most ${MAX_BUCKETS} ` +
          'buckets. Default: the last 7 days by hour, the last 90 days by day.',
        params: IdParams,
        querystring: CountsQuery,
        response: {
          200: Type.Object({
            template_id: Type.Integer(),
            bucket: Type.String(),
            from: Type.String(),
            to: Type.String(),
            host: Type.Optional(Type.String()),
            total: Type.Integer(),
            counts: Type.Array(Point),
          }),
          ...errors(400, 401, 403, 404),
        },
      },
    },
    async (request) => {
      const { id } = request.params;
      const q = request.query;
      const bucket = q.bucket ?? 'hour';
      const to = q.to ? Date.parse(q.to) : ctx.now().getTime();
      const from = q.from ? Date.parse(q.from) : to - DEFAULT_SPAN[bucket];
      if (!(await ctx.templates.exists(id))) throw new VigilError(ErrorCodes.NOT_FOUND, `template ${id}`);
      const counts = await ctx.templates.series(id, from, to, bucket, q.host);
      const total = counts.reduce((n, c) => n + c.count, 0);
      const size = bucket === 'hour' ? 3_600_000 : 86_400_000;
      const end = counts.length > 0 ? Date.parse(counts[counts.length - 1]!.bucket) + size : to;
      return {
        template_id: id,
        bucket,
        from: counts[0]?.bucket ?? new Date(from).toISOString(),
        to: new Date(end).toISOString(),
        ...(q.host !== undefined ? { host: q.host } : {}),
        total,
        counts,
      };
    },
  );

  app.post(
    '/api/v1/templates/counts/rebuild',
    {
      config: { auth: 'settings:write' },
      schema: {
        tags: ['templates'],
        summary: 'Recompute every template count from the stored events',
        description:
          'Counts are derived data written after each event batch; after a crash between the two, or a ' +
          'retention run, this recomputes them with one scan of the events table (audited).',
        response: {
          200: Type.Object({
            rows: Type.Integer({ description: '(template, hour, host) rows written' }),
            through: Type.Integer({ description: 'Highest event id read' }),
          }),
          ...errors(401, 403),
        },
      },
    },
    async (request) => ctx.templates.rebuildCounts(actorFor(request.principal, request.ip)),
  );
};
