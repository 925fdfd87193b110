/**
 * `/api/v1/metrics/drift` and `/api/v1/metrics/ml`: feature drift (PSI) of the active models and
 * per-model ML metrics (`metrics:read`). The same figures are Prometheus series at `/metrics`.
 * See `docs/ml-registry.md` (Drift, Metrics).
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { DRIFT_MIN_ROWS, DRIFT_WINDOW_MS, driftReport } from '../../ml/drift.js';
import type { ServiceContext } from '../../service/vigil.js';
import { errors } from '../schemas.js';
import { ModelVersionSchema, TrainingJobSchema } from './ml.js';

const WindowMs = Type.Integer({
  minimum: 60_000,
  maximum: 365 * 86_400_000,
  default: DRIFT_WINDOW_MS,
  description: 'Recent window, ms back from now (by scoring time)',
});

const Level = Type.Union(
  [
    Type.Literal('stable'),
    Type.Literal('moderate'),
    Type.Literal('significant'),
    Type.Literal('insufficient_data'),
  ],
  { description: 'PSI < 0.10 stable, 0.10–0.25 moderate, > 0.25 significant (Siddiqi 2006)' },
);

const FeatureDrift = Type.Object({
  feature: Type.String(),
  psi: Type.Union([Type.Number(), Type.Null()]),
  level: Level,
  noise: Type.Union([Type.Number(), Type.Null()], {
    description: 'Expected PSI with no drift at these row counts: (bins − 1)(1/training + 1/recent)',
  }),
  bins: Type.Array(
    Type.Object({
      lower: Type.Union([Type.Number(), Type.Null()]),
      upper: Type.Union([Type.Number(), Type.Null()]),
      missing: Type.Boolean(),
      expected: Type.Number({ description: 'Training fraction' }),
      actual: Type.Number({ description: 'Recent fraction' }),
      count: Type.Integer({ description: 'Recent windows in the bin' }),
    }),
  ),
});

const ModelDrift = Type.Object({
  model: Type.String(),
  version: Type.Union([ModelVersionSchema, Type.Null()]),
  state: Type.Union([
    Type.Literal('ok'),
    Type.Literal('insufficient_data'),
    Type.Literal('no_active_version'),
  ]),
  window: Type.Object({ from: Type.String(), to: Type.String() }),
  training_rows: Type.Integer(),
  recent_rows: Type.Integer(),
  min_rows: Type.Integer({ description: `Fewest recent windows judged (default ${DRIFT_MIN_ROWS})` }),
  max_psi: Type.Union([Type.Number(), Type.Null()]),
  level: Level,
  features: Type.Array(FeatureDrift),
});

const Quantiles = Type.Object({
  p50: Type.Union([Type.Number(), Type.Null()]),
  p95: Type.Union([Type.Number(), Type.Null()]),
  p99: Type.Union([Type.Number(), Type.Null()]),
});

const ModelMetrics = Type.Object({
  model: Type.String(),
  active_version: Type.Union([ModelVersionSchema, Type.Null()]),
  active_age_seconds: Type.Union([Type.Number(), Type.Null()]),
  shadow_version_ids: Type.Array(Type.Integer()),
  scored: Type.Object({
    total: Type.Integer({ description: 'Windows scored by non-shadow versions, all time' }),
    recent: Type.Integer({ description: 'Same, in the recent window' }),
  }),
  alerts: Type.Integer({ description: 'Windows that raised an alert, all time' }),
  scores: Type.Object({
    recent: Type.Union([Type.Intersect([Quantiles, Type.Object({ count: Type.Integer() })]), Type.Null()]),
    training: Type.Union([Quantiles, Type.Null()], { description: 'The version metrics score_p50/p95/p99' }),
  }),
  last_job: Type.Union([TrainingJobSchema, Type.Null()]),
});

export const mlMetricsRoutes: FastifyPluginAsyncTypebox<{ ctx: ServiceContext }> = async (app, { ctx }) => {
  app.get(
    '/api/v1/metrics/drift',
    {
      config: { auth: 'metrics:read' },
      schema: {
        tags: ['ml'],
        summary:
          'Feature drift of the active models: PSI between the training histograms and recently scored windows',
        querystring: Type.Object({
          model: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
          window_ms: Type.Optional(WindowMs),
          min_rows: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000, default: DRIFT_MIN_ROWS })),
        }),
        response: { 200: Type.Object({ models: Type.Array(ModelDrift) }), ...errors(400, 404) },
      },
    },
    async (request) => {
      const q = request.query;
      return {
        models: await driftReport(ctx.database.db, ctx.ml.registry, ctx.now(), {
          model: q.model,
          windowMs: q.window_ms,
          minRows: q.min_rows,
        }),
      };
    },
  );

  app.get(
    '/api/v1/metrics/ml',
    {
      config: { auth: 'metrics:read' },
      schema: {
        tags: ['ml'],
        summary:
          'Per-model ML metrics: active version and age, windows scored, alerts, score quantiles, last job',
        querystring: Type.Object({ window_ms: Type.Optional(WindowMs) }),
        response: { 200: Type.Object({ models: Type.Array(ModelMetrics) }), ...errors(400) },
      },
    },
    async (request) => ({ models: await ctx.ml.monitor.report(request.query.window_ms) }),
  );
};
