/**
 * `/api/v1/train` and `/api/v1/models`: training jobs (start, status, history) and the model
 * registry (list, get, change a version's status). Training and status changes need
 * `models:train` (admin); reading needs `stats:read`. See `docs/ml-registry.md`.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { actorFor } from '../../auth/principal.js';
import type { ServiceContext } from '../../service/vigil.js';
import { Cursor, DateTime, errors, IdParams } from '../schemas.js';

const ModelName = Type.String({ minLength: 1, maxLength: 100, pattern: '^[A-Za-z0-9._-]+$' });
const Window = Type.Object({ from: Type.String(), to: Type.String() }, { description: 'Event-time span' });

const JobStatus = Type.Union(
  [
    Type.Literal('queued'),
    Type.Literal('running'),
    Type.Literal('succeeded'),
    Type.Literal('failed'),
    Type.Literal('cancelled'),
  ],
  { description: 'queued → running → succeeded | failed | cancelled' },
);

const ModelStatus = Type.Union([Type.Literal('active'), Type.Literal('shadow'), Type.Literal('retired')], {
  description:
    'active: scores and alerts (one per model); shadow: scores, never alerts (one per model); retired',
});

export const TrainingJobSchema = Type.Object(
  {
    id: Type.Integer(),
    model: Type.String(),
    status: JobStatus,
    progress: Type.Number({ minimum: 0, maximum: 1 }),
    phase: Type.String({ description: 'What the trainer is doing (reading, fitting, …)' }),
    window: Window,
    shadow: Type.Boolean({ description: 'The result is registered as shadow, not active' }),
    trigger: Type.String({ description: 'api or schedule' }),
    actor: Type.String(),
    created_at: Type.String(),
    started_at: Type.Union([Type.String(), Type.Null()]),
    finished_at: Type.Union([Type.String(), Type.Null()]),
    error: Type.Union([Type.String(), Type.Null()], { description: 'Why it failed (error code: message)' }),
    model_version_id: Type.Union([Type.Integer(), Type.Null()], { description: 'The registered version' }),
  },
  { $id: 'TrainingJob' },
);

export const ModelVersionSchema = Type.Object(
  {
    id: Type.Integer(),
    name: Type.String(),
    version: Type.Integer({ description: '1, 2, … per model name' }),
    status: ModelStatus,
    kind: Type.String({ description: 'Model file kind (isolation-forest, …)' }),
    params: Type.Record(Type.String(), Type.Unknown()),
    metrics: Type.Record(Type.String(), Type.Union([Type.Number(), Type.String()])),
    window: Window,
    rows: Type.Integer({ description: 'Rows (entity windows) trained on' }),
    created_at: Type.String(),
    job_id: Type.Union([Type.Integer(), Type.Null()]),
  },
  { $id: 'ModelVersion' },
);

const Histogram = Type.Object({
  feature: Type.String(),
  edges: Type.Array(Type.Number(), { description: 'Bin upper edges; the last value bin is open above' }),
  fractions: Type.Array(Type.Number(), {
    description: 'Training fraction per bin; the last bin: missing values',
  }),
});

export const mlRoutes: FastifyPluginAsyncTypebox<{ ctx: ServiceContext }> = async (app, { ctx }) => {
  const { training, registry } = ctx.ml;

  app.post(
    '/api/v1/train',
    {
      config: { auth: 'models:train' },
      schema: {
        tags: ['ml'],
        summary: 'Start training jobs (one per model) over an event-time window; runs in the background',
        body: Type.Object(
          {
            models: Type.Optional(
              Type.Array(ModelName, {
                minItems: 1,
                maxItems: 50,
                description: 'Default: every trainable model',
              }),
            ),
            from: Type.Optional(DateTime),
            to: Type.Optional(DateTime),
            shadow: Type.Optional(Type.Boolean({ description: 'Register the results as shadow versions' })),
          },
          { additionalProperties: false },
        ),
        response: {
          202: Type.Object({ jobs: Type.Array(TrainingJobSchema) }),
          ...errors(400, 404, 409, 503),
        },
      },
    },
    async (request, reply) => {
      const b = request.body;
      const jobs = await training.start(
        {
          models: b.models,
          from: b.from !== undefined ? new Date(b.from) : undefined,
          to: b.to !== undefined ? new Date(b.to) : undefined,
          shadow: b.shadow,
        },
        actorFor(request.principal, request.ip),
      );
      return reply.status(202).send({ jobs });
    },
  );

  app.get(
    '/api/v1/train/status/:id',
    {
      config: { auth: 'stats:read' },
      schema: {
        tags: ['ml'],
        summary: 'Get a training job with its progress',
        params: IdParams,
        response: { 200: TrainingJobSchema, ...errors(404) },
      },
    },
    async (request) => training.status(request.params.id),
  );

  app.get(
    '/api/v1/train/history',
    {
      config: { auth: 'stats:read' },
      schema: {
        tags: ['ml'],
        summary: 'List training jobs, newest first',
        querystring: Type.Object({
          model: Type.Optional(ModelName),
          status: Type.Optional(JobStatus),
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })),
          cursor: Type.Optional(Cursor),
        }),
        response: {
          200: Type.Object({ jobs: Type.Array(TrainingJobSchema), next: Type.Optional(Type.String()) }),
          ...errors(400),
        },
      },
    },
    async (request) => {
      const q = request.query;
      return training.history({ model: q.model, status: q.status, limit: q.limit ?? 50, cursor: q.cursor });
    },
  );

  app.get(
    '/api/v1/models',
    {
      config: { auth: 'stats:read' },
      schema: {
        tags: ['ml'],
        summary: 'List the model registry (versions by name, newest first) and the trainable models',
        querystring: Type.Object({
          name: Type.Optional(ModelName),
          status: Type.Optional(ModelStatus),
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
        }),
        response: {
          200: Type.Object({
            models: Type.Array(ModelVersionSchema),
            trainers: Type.Array(Type.Object({ name: Type.String(), description: Type.String() })),
          }),
        },
      },
    },
    async (request) => {
      const q = request.query;
      return {
        models: await registry.list({ name: q.name, status: q.status, limit: q.limit ?? 100 }),
        trainers: training.trainers(),
      };
    },
  );

  app.get(
    '/api/v1/models/:id',
    {
      config: { auth: 'stats:read' },
      schema: {
        tags: ['ml'],
        summary: 'Get a model version with its training histograms (the drift reference)',
        params: IdParams,
        response: {
          200: Type.Intersect([ModelVersionSchema, Type.Object({ histograms: Type.Array(Histogram) })]),
          ...errors(404),
        },
      },
    },
    async (request) => {
      const v = await registry.get(request.params.id);
      return { ...v, histograms: await registry.histograms(v.id) };
    },
  );

  app.patch(
    '/api/v1/models/:id',
    {
      config: { auth: 'models:train' },
      schema: {
        tags: ['ml'],
        summary:
          'Change a version’s status: active retires the previous active version, shadow the previous shadow',
        params: IdParams,
        body: Type.Object({ status: ModelStatus }, { additionalProperties: false }),
        response: { 200: ModelVersionSchema, ...errors(400, 404) },
      },
    },
    async (request) =>
      registry.setStatus(request.params.id, request.body.status, actorFor(request.principal, request.ip)),
  );
};
