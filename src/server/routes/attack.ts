/**
 * `/api/v1/attack`: the imported ATT&CK catalogs (summary, techniques), coverage of the enabled
 * rules with the data seen and the detections, Navigator layers of it, and importing a STIX
 * bundle (`settings:write`; the CLI's `vigil attack import` does the same).
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { readBundleBytes } from '../../attack/bundle-file.js';
import { LayerKindSchema, NavigatorLayer } from '../../attack/layer-schema.js';
import { AttackDomainSchema, AttackImport, CatalogCounts, CoverageReport } from '../../attack/schemas.js';
import {
  coverageRules,
  currentCatalog,
  importAttackBundle,
  serviceCoverage,
  serviceLayer,
} from '../../attack/service.js';
import { actorFor } from '../../auth/principal.js';
import type { AttackDomain } from '../../detect/attack/catalog.js';
import type { ServiceContext } from '../../service/vigil.js';
import { listImports } from '../../store/attack.js';
import { errors } from '../schemas.js';

/** Largest bundle body accepted (ATT&CK Enterprise v18.1: 37 MB of JSON, 7.6 MB gzip). */
const IMPORT_BODY_LIMIT = 64 * 1024 * 1024;

const DomainQuery = Type.Optional(AttackDomainSchema);
const Days = Type.Integer({
  minimum: 1,
  maximum: 366,
  description: 'Detections over the last N UTC days (default 30)',
});

const Since = Type.String({
  format: 'date-time',
  description: 'Only events ingested since then count as data seen (default: all stored events)',
});

const Techniques = Type.Object({
  attack: Type.Object({
    domain: AttackDomainSchema,
    name: Type.String(),
    version: Type.Union([Type.String(), Type.Null()]),
    source: Type.Union([Type.Literal('imported'), Type.Literal('builtin')], {
      description: 'builtin: no bundle imported; the built-in Enterprise table (no analytics)',
    }),
    imported: Type.Union([AttackImport, Type.Null()]),
  }),
  counts: CatalogCounts,
  tactics: Type.Array(Type.Object({ id: Type.String(), shortname: Type.String(), name: Type.String() })),
  techniques: Type.Array(
    Type.Object({
      id: Type.String(),
      name: Type.String(),
      tactics: Type.Array(Type.String()),
      platforms: Type.Array(Type.String()),
      subtechnique: Type.Boolean(),
      status: Type.String({ description: "'', revoked or deprecated" }),
      revoked_by: Type.Union([Type.String(), Type.Null()]),
      log_sources: Type.Array(
        Type.Object({ name: Type.String(), channel: Type.String(), analytic: Type.String() }),
        {
          description: "The log sources ATT&CK's analytics for it read (which data feeds it)",
        },
      ),
    }),
  ),
});

export const attackRoutes: FastifyPluginAsyncTypebox<{ ctx: ServiceContext }> = async (app, { ctx }) => {
  /** The enabled rules and correlation rules, as coverage reads them. */
  const enabledRules = () => {
    const snapshot = ctx.rules.current();
    return coverageRules(snapshot.detector.rules, snapshot.correlation.correlations);
  };
  // The import route reads the body as bytes (JSON or gzip), to hash and gunzip it itself. This
  // plugin's routes take no other body, so JSON parsing is replaced here only.
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser(
    ['application/json', 'application/gzip', 'application/octet-stream'],
    { parseAs: 'buffer', bodyLimit: Math.max(IMPORT_BODY_LIMIT, ctx.config.maxBodyBytes) },
    (_request, body, done) => done(null, body),
  );

  app.get(
    '/api/v1/attack/imports',
    {
      config: { auth: 'rules:read' },
      schema: {
        tags: ['attack'],
        summary: 'List the imported ATT&CK catalogs (one per domain)',
        response: { 200: Type.Object({ imports: Type.Array(AttackImport) }) },
      },
    },
    async () => ({ imports: await listImports(ctx.database.db) }),
  );

  app.get(
    '/api/v1/attack/techniques',
    {
      config: { auth: 'rules:read' },
      schema: {
        tags: ['attack'],
        summary:
          'The ATT&CK catalog rule tags resolve to: tactics, techniques, and the log sources feeding each',
        querystring: Type.Object({ domain: DomainQuery }),
        response: { 200: Techniques, ...errors(400, 404) },
      },
    },
    async (request) => {
      const domain: AttackDomain = request.query.domain ?? 'enterprise-attack';
      const { catalog, source, imported } = await currentCatalog(ctx.database, domain);
      const sources = new Map<string, { name: string; channel: string; analytic: string }[]>();
      for (const l of catalog.logSources) {
        const list = sources.get(l.technique) ?? [];
        list.push({ name: l.name, channel: l.channel, analytic: l.analytic });
        sources.set(l.technique, list);
      }
      return {
        attack: { domain, name: catalog.name, version: catalog.version, source, imported },
        counts: catalog.counts,
        tactics: [...catalog.tactics],
        techniques: catalog.techniques.map((t) => ({
          id: t.id,
          name: t.name,
          tactics: [...t.tactics],
          platforms: [...t.platforms],
          subtechnique: t.subtechnique,
          status: t.status,
          revoked_by: t.revokedBy,
          log_sources: sources.get(t.id) ?? [],
        })),
      };
    },
  );

  app.get(
    '/api/v1/attack/coverage',
    {
      config: { auth: 'rules:read' },
      schema: {
        tags: ['attack'],
        summary:
          'Per technique: the enabled rules covering it, whether the data seen feeds it, detections per day',
        querystring: Type.Object({
          domain: DomainQuery,
          days: Type.Optional(Days),
          since: Type.Optional(Since),
          all: Type.Optional(
            Type.Boolean({ description: 'List every current technique, not only covered or detected ones' }),
          ),
        }),
        response: { 200: CoverageReport, ...errors(400, 404) },
      },
    },
    async (request) => {
      const q = request.query;
      const { report } = await serviceCoverage(ctx.database, enabledRules(), {
        domain: q.domain ?? 'enterprise-attack',
        days: q.days ?? 30,
        since: q.since ? new Date(q.since) : undefined,
        all: q.all ?? false,
        now: ctx.now(),
      });
      return report;
    },
  );

  app.get(
    '/api/v1/attack/coverage/layer',
    {
      config: { auth: 'rules:read' },
      schema: {
        tags: ['attack'],
        summary:
          'Coverage (kind=rules) or detections (kind=detections) as an ATT&CK Navigator layer (format 4.5)',
        querystring: Type.Object({
          kind: Type.Optional(LayerKindSchema),
          domain: DomainQuery,
          days: Type.Optional(Days),
          since: Type.Optional(Since),
        }),
        response: { 200: NavigatorLayer, ...errors(400, 404) },
      },
    },
    async (request, reply) => {
      const q = request.query;
      const kind = q.kind ?? 'rules';
      const layer = await serviceLayer(ctx.database, enabledRules(), kind, {
        domain: q.domain ?? 'enterprise-attack',
        days: q.days ?? 30,
        since: q.since ? new Date(q.since) : undefined,
        now: ctx.now(),
      });
      void reply.header('content-disposition', `inline; filename="vigil-${kind}-layer.json"`);
      return layer;
    },
  );

  app.post(
    '/api/v1/attack/import',
    {
      config: { auth: 'settings:write' },
      schema: {
        tags: ['attack'],
        summary:
          'Import an ATT&CK STIX bundle (application/json, or application/gzip); replaces the catalog of that domain',
        querystring: Type.Object({
          version: Type.Optional(
            Type.String({
              pattern: '^\\d{1,3}(\\.\\d{1,3})?$',
              description: 'ATT&CK release, when the bundle does not say',
            }),
          ),
          source: Type.Optional(
            Type.String({ minLength: 1, maxLength: 200, description: 'File name to record' }),
          ),
          domain: DomainQuery,
        }),
        response: {
          200: Type.Object({ imported: AttackImport, previous: Type.Union([AttackImport, Type.Null()]) }),
          ...errors(400, 413, 415, 422),
        },
      },
    },
    async (request) => {
      const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
      const read = await readBundleBytes(body);
      const result = await importAttackBundle(
        ctx.database,
        read,
        {
          source: request.query.source ?? 'api',
          version: request.query.version,
          domain: request.query.domain,
        },
        actorFor(request.principal, request.ip),
        ctx.now(),
      );
      // New alerts resolve rule tags against the imported catalog from now on.
      await ctx.rules.reload();
      return result;
    },
  );
};
