/**
 * `/api/v1/rules` and `/api/v1/filters`: list (with load diagnostics), get, upload Sigma YAML,
 * enable/disable, Sigma filters for tuning, reload, and retro-hunts over stored events.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { parseRules } from '../../detect/sigma/parse.js';
import { ErrorCodes, VigilError } from '../../errors.js';
import { retroHunt } from '../../rules/retro-hunt.js';
import { actorFor } from '../../auth/principal.js';
import type { ServiceContext } from '../../service/vigil.js';
import { writeAudit } from '../../store/audit.js';
import { DateTime, errors, TextIdParams } from '../schemas.js';

const RuleInfo = Type.Object({
  id: Type.String(),
  title: Type.String(),
  level: Type.Optional(Type.String()),
  status: Type.Optional(Type.String()),
  tags: Type.Array(Type.String()),
  logsource: Type.Record(Type.String(), Type.Unknown()),
  origin: Type.Union([Type.Literal('file'), Type.Literal('upload')]),
  path: Type.String(),
  enabled: Type.Boolean(),
  active: Type.Boolean({ description: 'False when the rule did not compile (see diagnostics)' }),
});

const Diagnostic = Type.Object(
  {
    severity: Type.String(),
    code: Type.String(),
    message: Type.String(),
    ruleId: Type.Optional(Type.String()),
    title: Type.Optional(Type.String()),
    path: Type.Optional(Type.String()),
    line: Type.Optional(Type.Integer()),
  },
  { additionalProperties: true },
);

const Filter = Type.Object({
  id: Type.String(),
  title: Type.String(),
  yaml: Type.String(),
  enabled: Type.Boolean(),
  updatedAt: Type.String(),
});

const YamlBody = Type.String({ minLength: 1, maxLength: 1_000_000, description: 'Sigma YAML' });

export const ruleRoutes: FastifyPluginAsyncTypebox<{ ctx: ServiceContext }> = async (app, { ctx }) => {
  app.addContentTypeParser(
    ['application/yaml', 'application/x-yaml', 'text/yaml', 'text/plain'],
    { parseAs: 'string', bodyLimit: 1_000_000 },
    (_request, body, done) => done(null, body),
  );

  app.get(
    '/api/v1/rules',
    {
      config: { auth: 'rules:read' },
      schema: {
        tags: ['rules'],
        summary: 'List rules with their load diagnostics',
        response: {
          200: Type.Object({
            loaded_at: Type.String(),
            active: Type.Integer(),
            rules: Type.Array(RuleInfo),
            diagnostics: Type.Array(Diagnostic),
          }),
        },
      },
    },
    async () => {
      const s = ctx.rules.current();
      return {
        loaded_at: s.loadedAt,
        active: s.detector.rules.length,
        rules: [...s.rules],
        diagnostics: s.diagnostics.map((d) => ({ ...d, source: d.source.path })),
      };
    },
  );

  app.get(
    '/api/v1/rules/:id',
    {
      config: { auth: 'rules:read' },
      schema: {
        tags: ['rules'],
        summary: 'Get a rule',
        params: TextIdParams,
        response: {
          200: Type.Object({ rule: RuleInfo, diagnostics: Type.Array(Diagnostic) }),
          ...errors(404),
        },
      },
    },
    async (request) => {
      const { info } = ctx.rules.rule(request.params.id);
      const diagnostics = ctx.rules
        .current()
        .diagnostics.filter((d) => d.ruleId === info.id)
        .map((d) => ({ ...d, source: d.source.path }));
      return { rule: info, diagnostics };
    },
  );

  app.post(
    '/api/v1/rules',
    {
      config: { auth: 'rules:write' },
      schema: {
        tags: ['rules'],
        summary: 'Upload a Sigma rule (validated; replaces a rule with the same id)',
        consumes: ['application/yaml', 'text/plain'],
        body: YamlBody,
        response: { 201: RuleInfo, ...errors(400) },
      },
    },
    async (request, reply) =>
      reply.status(201).send(await ctx.rules.upload(request.body, actorFor(request.principal, request.ip))),
  );

  app.patch(
    '/api/v1/rules/:id',
    {
      config: { auth: 'rules:write' },
      schema: {
        tags: ['rules'],
        summary: 'Enable or disable a rule',
        params: TextIdParams,
        body: Type.Object({ enabled: Type.Boolean() }),
        response: { 200: RuleInfo, ...errors(400, 404) },
      },
    },
    async (request) =>
      ctx.rules.setEnabled(request.params.id, request.body.enabled, actorFor(request.principal, request.ip)),
  );

  app.post(
    '/api/v1/rules/reload',
    {
      config: { auth: 'rules:write' },
      schema: {
        tags: ['rules'],
        summary: 'Re-read rule directories and the database',
        response: {
          200: Type.Object({ loaded_at: Type.String(), active: Type.Integer(), diagnostics: Type.Integer() }),
        },
      },
    },
    async (request) => {
      const s = await ctx.rules.reload();
      await writeAudit(
        ctx.database.db,
        {
          actor: actorFor(request.principal, request.ip),
          action: 'rule.reload',
          target: '*',
          details: { active: s.detector.rules.length },
        },
        ctx.now(),
      );
      return { loaded_at: s.loadedAt, active: s.detector.rules.length, diagnostics: s.diagnostics.length };
    },
  );

  app.post(
    '/api/v1/rules/retro-hunt',
    {
      config: { auth: 'rules:write' },
      schema: {
        tags: ['rules'],
        summary: 'Run a rule over stored events in a time range',
        description: 'Give `rule_id` (a loaded rule) or `yaml` (a rule to try). Nothing is written.',
        body: Type.Object({
          rule_id: Type.Optional(Type.String()),
          yaml: Type.Optional(YamlBody),
          from: DateTime,
          to: DateTime,
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
        }),
        response: {
          200: Type.Object({
            scanned: Type.Integer(),
            undecodable: Type.Integer(),
            truncated: Type.Boolean(),
            matches: Type.Array(Type.Record(Type.String(), Type.Unknown())),
          }),
          ...errors(400, 404),
        },
      },
    },
    async (request) => {
      const b = request.body;
      let rule;
      if (b.yaml !== undefined) {
        const parsed = parseRules(b.yaml, 'retro-hunt.yml');
        const bad = parsed.diagnostics.find((d) => d.severity === 'error');
        if (bad || parsed.rules.length !== 1)
          throw new VigilError(ErrorCodes.RULE_INVALID, bad?.message ?? 'expected exactly one rule');
        rule = parsed.rules[0]!;
      } else if (b.rule_id !== undefined) {
        rule = ctx.rules.rule(b.rule_id).rule;
        if (!rule) throw new VigilError(ErrorCodes.RULE_INVALID, `rule ${b.rule_id} is not active`);
      } else throw new VigilError(ErrorCodes.BAD_REQUEST, 'give rule_id or yaml');
      return retroHunt(
        ctx.database,
        rule,
        { from: b.from, to: b.to },
        { limit: b.limit ?? 100, maxEvents: 1_000_000, decode: ctx.decodeOptions() },
      );
    },
  );

  app.get(
    '/api/v1/filters',
    {
      config: { auth: 'rules:read' },
      schema: {
        tags: ['rules'],
        summary: 'List Sigma filters',
        response: { 200: Type.Object({ filters: Type.Array(Filter) }) },
      },
    },
    async () => ({ filters: [...ctx.rules.current().filters] }),
  );

  app.post(
    '/api/v1/filters',
    {
      config: { auth: 'rules:write' },
      schema: {
        tags: ['rules'],
        summary: 'Upload a Sigma filter (tunes out false positives without editing rule files)',
        consumes: ['application/yaml', 'text/plain'],
        body: YamlBody,
        response: { 201: Filter, ...errors(400) },
      },
    },
    async (request, reply) =>
      reply
        .status(201)
        .send(await ctx.rules.uploadFilter(request.body, actorFor(request.principal, request.ip))),
  );

  app.patch(
    '/api/v1/filters/:id',
    {
      config: { auth: 'rules:write' },
      schema: {
        tags: ['rules'],
        summary: 'Enable or disable a Sigma filter',
        params: TextIdParams,
        body: Type.Object({ enabled: Type.Boolean() }),
        response: { 200: Filter, ...errors(400, 404) },
      },
    },
    async (request) =>
      ctx.rules.setFilterEnabled(
        request.params.id,
        request.body.enabled,
        actorFor(request.principal, request.ip),
      ),
  );
};
