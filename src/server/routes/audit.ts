/**
 * `/api/v1/audit`: the append-only, hash-chained audit log — list with filters, export as NDJSON
 * (with `prev_hash` and `hash`, so a third party can re-verify it), verify the chain. All three
 * need `audit:read`.
 */
import { Readable } from 'node:stream';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { type Static, Type } from 'typebox';
import type { ServiceContext } from '../../service/vigil.js';
import type { AuditRecord as StoredAuditRecord } from '../../store/audit.js';
import { exportAudit, queryAudit, verifyAuditChain } from '../../store/audit-query.js';
import { Cursor, DateTime, errors, Limit } from '../schemas.js';

const JsonObject = Type.Record(Type.String(), Type.Unknown());

export const AuditRecord = Type.Object(
  {
    id: Type.Integer({ description: 'Chain position: 1, 2, 3, … without gaps' }),
    at: Type.String(),
    actor: Type.String({ description: '`user:<name>`, `key:<id>`, `system`, `cli:<os user>`, `anonymous`' }),
    actor_ip: Type.Union([Type.String(), Type.Null()]),
    action: Type.String({ description: '`resource.verb`: `alert.update`, `auth.login`, …' }),
    target: Type.String(),
    outcome: Type.String({ description: '`success` or `failure`' }),
    before: Type.Union([JsonObject, Type.Null()]),
    after: Type.Union([JsonObject, Type.Null()]),
    details: JsonObject,
    prev_hash: Type.String({ description: "The previous entry's hash (64 zeros before id 1)" }),
    hash: Type.String({
      description: 'SHA-256 hex of prev_hash, "\\n" and the RFC 8785 (JCS) form of the other fields',
    }),
  },
  { $id: 'AuditRecord' },
);

/** The schema and the store agree on the record's shape. */
export const AUDIT_RECORD_AGREES: (r: StoredAuditRecord) => Static<typeof AuditRecord> = (r) => r;

const Filters = {
  actor: Type.Optional(Type.String({ maxLength: 256, description: 'Exact actor, e.g. `user:alice`' })),
  action: Type.Optional(
    Type.String({
      maxLength: 128,
      description: 'Exact action, or a prefix ending with "." (`auth.` = every auth.* action)',
    }),
  ),
  target: Type.Optional(Type.String({ maxLength: 256 })),
  outcome: Type.Optional(Type.Union([Type.Literal('success'), Type.Literal('failure')])),
  from: Type.Optional(DateTime),
  to: Type.Optional(DateTime),
};

const Verification = Type.Object({
  ok: Type.Boolean(),
  entries: Type.Integer({ description: 'Rows checked' }),
  lastHash: Type.String({ description: 'Hash of the newest entry; keep a copy to detect truncation' }),
  breakCount: Type.Integer(),
  breaks: Type.Array(
    Type.Object({
      id: Type.Integer(),
      reason: Type.Union([
        Type.Literal('hash_mismatch'),
        Type.Literal('prev_hash_mismatch'),
        Type.Literal('gap'),
      ]),
      expected: Type.Optional(Type.String()),
      found: Type.Optional(Type.String()),
    }),
    { description: 'The first 100 breaks, in id order' },
  ),
});

/** One JSON line per record. */
async function* ndjson(records: AsyncIterable<StoredAuditRecord>): AsyncGenerator<string> {
  for await (const r of records) yield `${JSON.stringify(r)}\n`;
}

export const auditRoutes: FastifyPluginAsyncTypebox<{ ctx: ServiceContext }> = async (app, { ctx }) => {
  app.get(
    '/api/v1/audit',
    {
      config: { auth: 'audit:read' },
      schema: {
        tags: ['audit'],
        summary: 'List audit entries, newest first',
        querystring: Type.Object({ ...Filters, limit: Type.Optional(Limit), cursor: Type.Optional(Cursor) }),
        response: {
          200: Type.Object({ entries: Type.Array(AuditRecord), next: Type.Optional(Type.String()) }),
          ...errors(400, 401, 403),
        },
      },
    },
    async (request) => {
      const { limit, ...filter } = request.query;
      return queryAudit(ctx.database.db, { ...filter, limit: limit ?? 100 });
    },
  );

  app.get(
    '/api/v1/audit/export',
    {
      config: { auth: 'audit:read' },
      schema: {
        tags: ['audit'],
        summary: 'Export audit entries as NDJSON, oldest first',
        description:
          'One AuditRecord per line in id order, streamed, with prev_hash and hash. An unfiltered ' +
          'export can be re-verified link by link; a filtered one row by row.',
        produces: ['application/x-ndjson'],
        querystring: Type.Object(Filters),
        response: {
          200: Type.Unknown({ description: 'NDJSON: one AuditRecord per line' }),
          ...errors(400, 401, 403),
        },
      },
    },
    async (request, reply) => {
      const body = Readable.from(ndjson(exportAudit(ctx.database.db, request.query)));
      return reply.type('application/x-ndjson; charset=utf-8').send(body);
    },
  );

  app.get(
    '/api/v1/audit/verify',
    {
      config: { auth: 'audit:read' },
      schema: {
        tags: ['audit'],
        summary: "Recompute the audit log's hash chain",
        description:
          'Reads every entry in id order. ok is false when a row was edited (hash_mismatch), a ' +
          'hash was rewritten (prev_hash_mismatch on the next row) or rows were deleted (gap).',
        response: { 200: Verification, ...errors(401, 403) },
      },
    },
    async () => verifyAuditChain(ctx.database.db),
  );
};
