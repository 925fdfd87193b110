import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApi } from '../../src/server/app.js';
import type { ServiceContext } from '../../src/service/vigil.js';
import { seedAccounts, type TestAccounts } from '../helpers/auth.js';
import { jsonCaller, type Json } from '../helpers/inject.js';
import { closeTestContext, openTestContext, STORE_KINDS } from '../helpers/service.js';
import { HostActivityTrainer, hostEvents } from './host-trainer.js';

const HOUR = 3_600_000;

describe.each(STORE_KINDS)('training API (%s)', (kind) => {
  let ctx: ServiceContext;
  let app: FastifyInstance;
  let accounts: TestAccounts;
  const held = new HostActivityTrainer('api-held');
  let release = (): void => undefined;
  const call = jsonCaller(
    () => app,
    () => accounts.admin,
  );

  beforeAll(async () => {
    ctx = await openTestContext(kind);
    accounts = await seedAccounts(ctx);
    app = await buildApi(ctx);
    await ctx.events.append(hostEvents(5, 8, new Date(Date.now() - HOUR)));
    ctx.ml.training.addTrainer(new HostActivityTrainer('api-a'));
    ctx.ml.training.addTrainer(new HostActivityTrainer('api-b'));
    held.gate = new Promise((r) => (release = r));
    ctx.ml.training.addTrainer(held);
  }, 60_000);
  afterAll(async () => {
    release();
    await app?.close();
    if (ctx) {
      await ctx.ml.training.close();
      await closeTestContext(ctx);
    }
  });

  async function finished(id: number): Promise<Json> {
    await ctx.ml.training.idle();
    const r = await call('GET', `/api/v1/train/status/${id}`, undefined, { authorization: accounts.viewer });
    expect(r.status).toBe(200);
    return r.body;
  }

  it('POST /api/v1/train starts one job per model (202), audited; status and history follow it', async () => {
    const r = await call('POST', '/api/v1/train', { models: ['api-a', 'api-b'] });
    expect(r.status).toBe(202);
    const jobs = r.body.jobs as Json[];
    expect(jobs.map((j) => [j.model, j.status])).toEqual([
      ['api-a', 'queued'],
      ['api-b', 'queued'],
    ]);
    for (const j of jobs) {
      const s = await finished(j.id as number);
      expect(s).toMatchObject({ status: 'succeeded', progress: 1, actor: 'user:admin', trigger: 'api' });
      const v = await call('GET', `/api/v1/models/${s.model_version_id}`);
      expect(v.body).toMatchObject({ name: j.model, status: 'active', job_id: j.id, rows: 5 });
    }
    const audit = await ctx.database.db
      .selectFrom('audit_log')
      .select(['actor', 'target', 'details'])
      .where('action', '=', 'model.train')
      .where('target', '=', 'api-a,api-b')
      .execute();
    expect(audit).toHaveLength(1);
    expect(audit[0]!.details).toMatchObject({ jobs: jobs.map((j) => j.id), trigger: 'api' });
    const h = await call('GET', '/api/v1/train/history?model=api-b&limit=10', undefined, {
      authorization: accounts.viewer,
    });
    expect(h.status).toBe(200);
    expect((h.body.jobs as Json[]).map((j) => j.id)).toEqual([jobs[1]!.id]);
  });

  it('takes an explicit window and records it on the job', async () => {
    const from = new Date(Date.now() - 2 * HOUR).toISOString();
    const to = new Date().toISOString();
    const r = await call('POST', '/api/v1/train', { models: ['api-a'], from, to, shadow: true });
    expect(r.status).toBe(202);
    const s = await finished(r.body.jobs[0].id as number);
    expect(s.window).toEqual({ from, to });
    expect(s.shadow).toBe(true);
    expect((await call('GET', `/api/v1/models/${s.model_version_id}`)).body.status).toBe('shadow');
  });

  it('answers 409 while a model is training, 404 for an unknown model, 400 for a bad body', async () => {
    const r = await call('POST', '/api/v1/train', { models: ['api-held'] });
    expect(r.status).toBe(202);
    const busy = await call('POST', '/api/v1/train', { models: ['api-held'] });
    expect(busy.status).toBe(409);
    expect(busy.body.code).toBe('VIGIL_ERR_ML_TRAINING_BUSY');
    const unknown = await call('POST', '/api/v1/train', { models: ['nope'] });
    expect(unknown.status).toBe(404);
    expect(unknown.body.code).toBe('VIGIL_ERR_ML_UNKNOWN_MODEL');
    expect((await call('POST', '/api/v1/train', { from: 'yesterday' })).status).toBe(400);
    expect((await call('POST', '/api/v1/train', { models: [] })).status).toBe(400);
    release();
    expect((await finished(r.body.jobs[0].id as number)).status).toBe('succeeded');
    expect((await call('GET', '/api/v1/train/status/999999')).status).toBe(404);
  });

  it('needs models:train to train: viewer and analyst 403, anonymous 401', async () => {
    for (const who of [accounts.viewer, accounts.analyst]) {
      const r = await call('POST', '/api/v1/train', { models: ['api-a'] }, { authorization: who });
      expect(r.status).toBe(403);
    }
    expect((await call('POST', '/api/v1/train', {}, { authorization: '' })).status).toBe(401);
    expect((await call('GET', '/api/v1/train/history', undefined, { authorization: '' })).status).toBe(401);
  });

  it('documents the routes in OpenAPI', async () => {
    const paths = Object.keys((await call('GET', '/openapi.json')).body.paths as Json);
    for (const p of [
      '/api/v1/train',
      '/api/v1/train/status/{id}',
      '/api/v1/train/history',
      '/api/v1/models',
      '/api/v1/models/{id}',
      '/api/v1/metrics/drift',
      '/api/v1/metrics/ml',
    ])
      expect(paths).toContain(p);
  });
});
