import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mulberry32 } from '../../src/detect/random.js';
import { featureDrift } from '../../src/ml/drift.js';
import { buildApi } from '../../src/server/app.js';
import type { ServiceContext } from '../../src/service/vigil.js';
import { type NewScore, recordScores } from '../../src/store/ml-scores.js';
import { seedAccounts, type TestAccounts } from '../helpers/auth.js';
import { jsonCaller, type Json } from '../helpers/inject.js';
import { closeTestContext, openTestContext, STORE_KINDS } from '../helpers/service.js';
import { fitTrained, HostActivityTrainer, hostEvents } from './host-trainer.js';

const HOUR = 3_600_000;
const WINDOW = { from: new Date('2026-11-19T00:00:00Z'), to: new Date('2026-11-20T00:00:00Z') };

/** Rows of two integer features: logons uniform on 0..9 (+ shift), hosts uniform on 0..6. */
function draws(n: number, seed: number, shift = 0): { logons: number; hosts: number }[] {
  const rnd = mulberry32(seed);
  return Array.from({ length: n }, () => ({
    logons: Math.floor(rnd() * 10) + shift,
    hosts: Math.floor(rnd() * 7),
  }));
}

function scores(
  model: string,
  versionId: number | null,
  rows: { logons: number; hosts: number }[],
  at: Date,
  over: Partial<NewScore> = {},
): NewScore[] {
  return rows.map((features, i) => ({
    modelName: model,
    modelVersionId: versionId,
    shadow: false,
    entityType: 'user',
    entityValue: `u${i}`,
    windowStart: new Date(at.getTime() - HOUR),
    windowEnd: at,
    score: (i % 100) / 100,
    features,
    top: [{ feature: 'logons', share: 1 }],
    alerted: i % 100 === 99,
    createdAt: at,
    ...over,
  }));
}

describe('featureDrift', () => {
  it('reports bins with training and recent fractions, and no PSI below the minimum rows', () => {
    const hist = { feature: 'x', edges: [1, 2], fractions: [0.5, 0.5, 0] };
    const few = featureDrift(hist, Float64Array.from([1, 2, 3, NaN]), 100, 10);
    expect(few).toMatchObject({ psi: null, level: 'insufficient_data', noise: null });
    expect(few.bins).toEqual([
      { lower: null, upper: 1, missing: false, expected: 0.5, actual: 0.25, count: 1 },
      { lower: 1, upper: null, missing: false, expected: 0.5, actual: 0.5, count: 2 },
      { lower: null, upper: null, missing: true, expected: 0, actual: 0.25, count: 1 },
    ]);
    const enough = featureDrift(hist, Float64Array.from([1, 1, 2, 2]), 100, 4);
    expect(enough).toMatchObject({ psi: 0, level: 'stable' });
    expect(enough.noise).toBeCloseTo(1 * (1 / 100 + 1 / 4), 12);
  });
});

describe.each(STORE_KINDS)('drift and ML metrics API (%s)', (kind) => {
  let ctx: ServiceContext;
  let app: FastifyInstance;
  let accounts: TestAccounts;
  const ids: Record<string, number> = {};
  const call = jsonCaller(
    () => app,
    () => accounts.admin,
  );

  beforeAll(async () => {
    ctx = await openTestContext(kind);
    accounts = await seedAccounts(ctx);
    app = await buildApi(ctx);
    const db = ctx.database.db;
    const now = new Date();
    for (const [model, seed] of [
      ['steady', 1],
      ['shifted', 2],
      ['sparse', 3],
    ] as const) {
      const v = await ctx.ml.registry.register(db, model, fitTrained(draws(1000, seed), WINDOW), {
        jobId: null,
        promote: 'active',
      });
      ids[model] = v.id;
    }
    const recent = new Date(now.getTime() - HOUR);
    await recordScores(db, scores('steady', ids.steady!, draws(2000, 11), recent));
    await recordScores(db, scores('shifted', ids.shifted!, draws(2000, 12, 5), recent));
    await recordScores(db, scores('sparse', ids.sparse!, draws(20, 13), recent));
    // Outside the default 24 h window, and shadow rows: neither counts as recent active scoring.
    await recordScores(
      db,
      scores('steady', ids.steady!, draws(300, 14, 9), new Date(now.getTime() - 48 * HOUR)),
    );
    await recordScores(db, scores('steady', null, draws(50, 15), recent, { shadow: true }));
    // One real training job for "last job".
    const trainer = new HostActivityTrainer('jobbed');
    ctx.ml.training.addTrainer(trainer);
    await ctx.events.append(hostEvents(4, 5, new Date(now.getTime() - HOUR)));
    await ctx.ml.training.start({ models: ['jobbed'] }, { name: 'user:admin', ip: null });
    await ctx.ml.training.idle();
  }, 90_000);
  afterAll(async () => {
    await app?.close();
    if (ctx) {
      await ctx.ml.training.close();
      await closeTestContext(ctx);
    }
  });

  function model(body: Json, name: string): Json {
    const m = (body.models as Json[]).find((x) => x.model === name);
    if (!m) throw new Error(`no ${name} in ${JSON.stringify(body.models)}`);
    return m;
  }

  it('finds no drift between a training sample and recent windows of the same distribution', async () => {
    const r = await call('GET', '/api/v1/metrics/drift?model=steady');
    expect(r.status).toBe(200);
    const m = model(r.body, 'steady');
    expect(m).toMatchObject({ state: 'ok', recent_rows: 2000, training_rows: 1000, level: 'stable' });
    expect(m.version.id).toBe(ids.steady);
    for (const f of m.features as Json[]) {
      expect(f.level).toBe('stable');
      expect(f.psi).toBeLessThan(0.1);
      expect(f.bins.reduce((a: number, b: Json) => a + (b.count as number), 0)).toBe(2000);
    }
  });

  it('flags a shifted feature as significant and leaves the unshifted one stable', async () => {
    const m = model((await call('GET', '/api/v1/metrics/drift')).body, 'shifted');
    const byName = Object.fromEntries((m.features as Json[]).map((f) => [f.feature, f]));
    expect(byName.logons!.psi).toBeGreaterThan(0.25);
    expect(byName.logons!.level).toBe('significant');
    expect(byName.hosts!.level).toBe('stable');
    expect(m.level).toBe('significant');
    expect(m.max_psi).toBe(byName.logons!.psi);
  });

  it('says insufficient data below the minimum count, and honours min_rows and window_ms', async () => {
    const sparse = model((await call('GET', '/api/v1/metrics/drift?model=sparse')).body, 'sparse');
    expect(sparse).toMatchObject({
      state: 'insufficient_data',
      recent_rows: 20,
      max_psi: null,
      level: 'insufficient_data',
    });
    for (const f of sparse.features as Json[])
      expect(f).toMatchObject({ psi: null, level: 'insufficient_data' });
    const judged = model(
      (await call('GET', '/api/v1/metrics/drift?model=sparse&min_rows=10')).body,
      'sparse',
    );
    expect(judged.state).toBe('ok');
    const wide = model(
      (await call('GET', `/api/v1/metrics/drift?model=steady&window_ms=${72 * HOUR}`)).body,
      'steady',
    );
    expect(wide.recent_rows).toBe(2300);
    expect((await call('GET', '/api/v1/metrics/drift?model=nope')).status).toBe(404);
  });

  it('reports per-model ML metrics: scored, alerts, quantiles recent vs training, last job, age', async () => {
    const r = await call('GET', '/api/v1/metrics/ml');
    expect(r.status).toBe(200);
    const steady = model(r.body, 'steady');
    expect(steady.active_version.id).toBe(ids.steady);
    expect(steady.scored).toEqual({ total: 2300, recent: 2000 });
    // Rows i with i % 100 === 99 alerted: 20 of the 2000 recent, 3 of the 300 old.
    expect(steady.alerts).toBe(23);
    // Recent scores are (i % 100) / 100 for i < 2000: a uniform grid 0..0.99.
    expect(steady.scores.recent.count).toBe(2000);
    expect(steady.scores.recent.p50).toBeCloseTo(0.495, 6);
    expect(steady.scores.training.p50).toEqual(expect.any(Number));
    expect(steady.active_age_seconds).toBeGreaterThanOrEqual(0);
    const jobbed = model(r.body, 'jobbed');
    expect(jobbed.last_job).toMatchObject({ model: 'jobbed', status: 'succeeded' });
    expect(jobbed.active_version.id).toBe(jobbed.last_job.model_version_id);
  });

  it('exposes the series to Prometheus', async () => {
    const r = await app.inject({
      method: 'GET',
      url: '/metrics',
      headers: { authorization: accounts.admin },
    });
    expect(r.statusCode).toBe(200);
    const text = r.body;
    expect(text).toMatch(/vigil_ml_feature_psi\{model="shifted",feature="logons"\} \d/);
    expect(text).toContain('vigil_ml_scored_total{model="steady"} 2300');
    expect(text).toContain('vigil_ml_alerts_total{model="steady"} 23');
    expect(text).toContain('vigil_ml_training_jobs_total{model="jobbed",status="succeeded"} 1');
    expect(text).toMatch(/vigil_ml_model_age_seconds\{model="jobbed"\} \d/);
    expect(text).not.toMatch(/vigil_ml_feature_psi\{model="sparse"/);
  });

  it('needs metrics:read: viewer 403, anonymous 401', async () => {
    expect(
      (await call('GET', '/api/v1/metrics/drift', undefined, { authorization: accounts.viewer })).status,
    ).toBe(403);
    expect((await call('GET', '/api/v1/metrics/ml', undefined, { authorization: '' })).status).toBe(401);
  });
});
