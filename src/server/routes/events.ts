/**
 * `/api/v1/events`: ingest (JSON object, JSON array, NDJSON) and search.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { ErrorCodes, VigilError } from '../../errors.js';
import { jsonRecords, ndjsonRecords } from '../../pipeline/sources/http-body.js';
import type { ServiceContext } from '../../service/vigil.js';
import { Cursor, DateTime, errors, IdParams, Limit, StoredEvent } from '../schemas.js';

const IngestResponse = Type.Object({
  accepted: Type.Integer(),
  rejected: Type.Integer(),
  ids: Type.Array(Type.Integer(), { description: 'Stored event ids, in input order' }),
  errors: Type.Array(
    Type.Object({ line: Type.Union([Type.Integer(), Type.Null()]), reason: Type.String() }),
    { description: 'Records kept as dead letters, with their 1-based line (NDJSON) or array position' },
  ),
});

const SearchQuery = Type.Object({
  from: Type.Optional(DateTime),
  to: Type.Optional(DateTime),
  q: Type.Optional(
    Type.String({ maxLength: 1024, description: 'Case-insensitive text in the original record' }),
  ),
  filter: Type.Optional(
    Type.Union([Type.String(), Type.Array(Type.String(), { maxItems: 20 })], {
      description: 'ECS field equality `field:value` (e.g. `host.name:WS-01`); repeat for AND',
    }),
  ),
  limit: Type.Optional(Limit),
  cursor: Type.Optional(Cursor),
});

/** Keys that would reach `Object.prototype` if used as property names. */
const UNSAFE_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/** `host.name:WS-01` filters → `{ "host.name": "WS-01" }`. @throws VigilError 400 */
export function parseFieldFilters(filter: string | readonly string[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of filter === undefined ? [] : typeof filter === 'string' ? [filter] : filter) {
    const i = f.indexOf(':');
    const field = f.slice(0, i);
    if (i <= 0 || !/^[A-Za-z@_][\w.@-]*$/.test(field) || field.split('.').some((k) => UNSAFE_KEYS.has(k)))
      throw new VigilError(
        ErrorCodes.BAD_REQUEST,
        `filter "${f}": expected field:value with an ECS field name`,
      );
    Object.defineProperty(out, f.slice(0, i), { value: f.slice(i + 1), enumerable: true });
  }
  return out;
}

export const eventRoutes: FastifyPluginAsyncTypebox<{ ctx: ServiceContext }> = async (app, { ctx }) => {
  app.addContentTypeParser(
    ['application/json', 'application/x-ndjson', 'application/ndjson'],
    { parseAs: 'string', bodyLimit: ctx.config.maxBodyBytes },
    (_request, body, done) => done(null, body),
  );

  app.post(
    '/api/v1/events',
    {
      // Limited in events/s per key by the ingest limiter, not in requests/min.
      config: { auth: 'ingest:write', rateLimit: false },
      bodyLimit: ctx.config.maxBodyBytes,
      schema: {
        tags: ['events'],
        summary: 'Ingest events',
        description:
          'A JSON object, a JSON array of objects (`application/json`) or NDJSON (`application/x-ndjson`). ' +
          'Answers once the accepted events are stored. Records that cannot be decoded are kept as dead ' +
          'letters and listed in `errors`; the rest are stored. 429 with Retry-After when the queue is full ' +
          'or the key is over its events/s limit. Accepts Basic auth with an API key id and secret.',
        response: { 200: IngestResponse, ...errors(400, 401, 403, 413, 415, 429) },
      },
    },
    async (request) => {
      const body = typeof request.body === 'string' ? request.body : '';
      const type = (request.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
      let records;
      if (type === 'application/json') {
        try {
          records = jsonRecords(body);
        } catch (err) {
          throw new VigilError(ErrorCodes.INPUT_LINE, `invalid JSON document: ${(err as Error).message}`);
        }
      } else records = ndjsonRecords(body);
      if (records.length === 0) throw new VigilError(ErrorCodes.INPUT_LINE, 'no events in the body');
      const p = request.principal!;
      await ctx.ingestLimiter.take(`${p.kind}:${p.id}`, records.length);
      const result = await ctx.ingest.ingestJson(records, 'http');
      const ids: number[] = [];
      const errs: { line: number | null; reason: string }[] = [];
      for (const item of result.items) {
        if ('id' in item) ids.push(item.id);
        else errs.push({ line: item.line, reason: item.error });
      }
      return { accepted: result.accepted, rejected: result.rejected, ids, errors: errs };
    },
  );

  app.get(
    '/api/v1/events',
    {
      config: { auth: 'events:read' },
      schema: {
        tags: ['events'],
        summary: 'Search events',
        description:
          'Newest first. Time range on @timestamp, ECS field filters, free text; cursor pagination.',
        querystring: SearchQuery,
        response: {
          200: Type.Object({ events: Type.Array(StoredEvent), next: Type.Optional(Type.String()) }),
          ...errors(400),
        },
      },
    },
    async (request) => {
      const q = request.query;
      return ctx.events.search({
        from: q.from,
        to: q.to,
        text: q.q,
        fields: parseFieldFilters(q.filter),
        limit: q.limit ?? 100,
        cursor: q.cursor,
      });
    },
  );

  app.get(
    '/api/v1/events/:id',
    {
      config: { auth: 'events:read' },
      schema: {
        tags: ['events'],
        summary: 'Get one event',
        params: IdParams,
        response: { 200: StoredEvent, ...errors(404) },
      },
    },
    async (request) => {
      const e = await ctx.events.get(request.params.id);
      if (!e) throw new VigilError(ErrorCodes.NOT_FOUND, `event ${request.params.id}`);
      return e;
    },
  );
};
