/**
 * `/api/v1/risk/entities`: the riskiest hosts, users and source IPs, each score explained by the
 * alerts that make it up (docs/risk.md).
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { type Static, Type } from 'typebox';
import { ErrorCodes, VigilError } from '../../errors.js';
import { MAX_CONTRIBUTIONS } from '../../risk/service.js';
import { ENTITY_TYPES } from '../../risk/score.js';
import { SIGMA_LEVELS } from '../../detect/sigma/types.js';
import type { ServiceContext } from '../../service/vigil.js';
import { Cursor, errors, Limit } from '../schemas.js';

const EntityType = Type.Union([Type.Literal('host'), Type.Literal('user'), Type.Literal('ip')], {
  description: 'host (host.name), user (user.name) or ip (source.ip)',
});
/** The schema and the scoring agree on the entity types. */
export const ENTITY_TYPES_AGREE: readonly Static<typeof EntityType>[] = ENTITY_TYPES;

const RiskLevel = Type.Union(
  [
    Type.Literal('informational'),
    Type.Literal('low'),
    Type.Literal('medium'),
    Type.Literal('high'),
    Type.Literal('critical'),
  ],
  { description: 'By score relative to the threshold: high from the threshold, critical from 2.5 ×' },
);
export const RISK_LEVELS_AGREE: readonly Static<typeof RiskLevel>[] = SIGMA_LEVELS;

const Points = Type.Number({ description: 'Risk points, rounded to 0.01' });

const Contribution = Type.Object({
  alert_id: Type.Integer(),
  rule: Type.Object({ id: Type.String(), name: Type.String() }),
  level: Type.String({ description: 'Sigma level of the rule' }),
  status: Type.Union([Type.String(), Type.Null()], { description: 'Sigma status of the rule' }),
  tactics: Type.Array(Type.String(), { description: 'ATT&CK tactic ids of the rule' }),
  new_tactics: Type.Array(Type.String(), { description: 'Tactics new to the entity (diversity bonus)' }),
  base: Type.Number({ description: 'Points of the level (event.severity)' }),
  multipliers: Type.Object({
    status: Type.Number({ description: 'stable 1, test 0.8, experimental 0.5' }),
    diversity: Type.Number({ description: '1 + 0.5 per new tactic (at most 2)' }),
    repetition: Type.Number({ description: '(1 + earlier matches of the rule)^-1.5' }),
  }),
  earlier_matches: Type.Number({ description: 'Decayed count of earlier matches of the rule on the entity' }),
  points: Type.Number({ description: 'base × multipliers when scored' }),
  scored_at: Type.String({ description: 'Detection time the points decay from' }),
  repeats: Type.Object({
    count: Type.Integer({ description: 'Suppressed repeats folded into the alert' }),
    multiplier: Type.Number(),
    points_now: Points,
  }),
  points_now: Type.Number({ description: 'What is left now of the points and the repeats after decay' }),
});

const Entity = Type.Object(
  {
    type: EntityType,
    value: Type.String(),
    score: Type.Number({ description: 'Current score: Σ contributions[].points_now + remainder.points_now' }),
    level: RiskLevel,
    threshold: Type.Number(),
    crossed: Type.Boolean({ description: 'Crossed the threshold and not yet back below half of it' }),
    crossed_at: Type.Union([Type.String(), Type.Null()]),
    first_seen: Type.String({ description: 'Event time of the first contributing alert' }),
    last_seen: Type.String(),
    scored_at: Type.String({ description: 'Detection time of the last contribution' }),
    tactics: Type.Array(Type.String()),
    alerts: Type.Integer(),
    repeats: Type.Integer(),
    contributions: Type.Array(Contribution),
    remainder: Type.Object(
      { alerts: Type.Integer(), points_now: Points },
      { description: 'Contributions not listed, summed' },
    ),
  },
  { $id: 'RiskEntity' },
);

const ListQuery = Type.Object({
  type: Type.Optional(EntityType),
  min_score: Type.Optional(
    Type.Number({ minimum: 0, description: 'Only entities scoring at least this now' }),
  ),
  limit: Type.Optional(Limit),
  cursor: Type.Optional(Cursor),
  contributions: Type.Optional(
    Type.Integer({
      minimum: 0,
      maximum: MAX_CONTRIBUTIONS,
      default: 10,
      description: 'Contributions listed per entity, most points first (the rest are summed in remainder)',
    }),
  ),
});

export const riskRoutes: FastifyPluginAsyncTypebox<{ ctx: ServiceContext }> = async (app, { ctx }) => {
  app.get(
    '/api/v1/risk/entities',
    {
      config: { auth: 'alerts:read' },
      schema: {
        tags: ['risk'],
        summary:
          'List the riskiest entities (hosts, users, source IPs) with the alerts that explain their scores',
        querystring: ListQuery,
        response: {
          200: Type.Object({ entities: Type.Array(Entity), next: Type.Optional(Type.String()) }),
          ...errors(400),
        },
      },
    },
    async (request) => {
      const q = request.query;
      return ctx.risk.list(
        ctx.database.db,
        {
          type: q.type,
          minScore: q.min_score,
          limit: q.limit ?? 100,
          cursor: q.cursor,
          contributions: q.contributions ?? 10,
        },
        ctx.now(),
      );
    },
  );

  app.get(
    '/api/v1/risk/entities/:type/:value',
    {
      config: { auth: 'alerts:read' },
      schema: {
        tags: ['risk'],
        summary: 'Get one entity’s risk with all its kept contributions',
        params: Type.Object({ type: EntityType, value: Type.String({ minLength: 1, maxLength: 1024 }) }),
        response: { 200: Entity, ...errors(400, 404) },
      },
    },
    async (request) => {
      const { type, value } = request.params;
      const e = await ctx.risk.get(ctx.database.db, { type, value }, ctx.now());
      if (!e) throw new VigilError(ErrorCodes.NOT_FOUND, `risk entity ${type}:${value}`);
      return e;
    },
  );
};
