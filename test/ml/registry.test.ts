import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ModelRegistry } from '../../src/ml/registry.js';
import type { TrainedModel } from '../../src/ml/types.js';
import { buildApi } from '../../src/server/app.js';
import type { ServiceContext } from '../../src/service/vigil.js';
import { seedAccounts, type TestAccounts } from '../helpers/auth.js';
import { jsonCaller } from '../helpers/inject.js';
import { closeTestContext, openTestContext, STORE_KINDS } from '../helpers/service.js';
import { fitTrained } from './host-trainer.js';

const WINDOW = { from: new Date('2026-11-19T00:00:00Z'), to: new Date('2026-11-20T00:00:00Z') };
const ADMIN = { name: 'user:admin', ip: '127.0.0.1' };

/** A small real model: 40 rows of two numeric features (row i: i % 10, i % 7). */
function trained(): TrainedModel {
  const records = Array.from({ length: 40 }, (_, i) => ({ logons: i % 10, hosts: i % 7 }));
  return fitTrained(records, WINDOW);
}

describe.each(STORE_KINDS)('model registry (%s)', (kind) => {
  let ctx: ServiceContext;
  let registry: ModelRegistry;
  let app: FastifyInstance;
  let accounts: TestAccounts;
  const call = jsonCaller(
    () => app,
    () => accounts.admin,
  );

  beforeAll(async () => {
    ctx = await openTestContext(kind);
    registry = ctx.ml.registry;
    accounts = await seedAccounts(ctx);
    app = await buildApi(ctx);
  }, 60_000);
  afterAll(async () => {
    await app?.close();
    if (ctx) await closeTestContext(ctx);
  });

  async function auditOf(
    target: string,
  ): Promise<{ action: string; actor: string; before: unknown; after: unknown }[]> {
    return ctx.database.db
      .selectFrom('audit_log')
      .select(['action', 'actor', 'before', 'after'])
      .where('target', '=', target)
      .orderBy('id')
      .execute();
  }

  it('keeps one active version per name: a new active version retires the previous one', async () => {
    let changes = 0;
    registry.onChange(() => changes++);
    const v1 = await registry.register(ctx.database.db, 'one-active', trained(), {
      jobId: null,
      promote: 'active',
    });
    const v2 = await registry.register(ctx.database.db, 'one-active', trained(), {
      jobId: null,
      promote: 'active',
    });
    expect([v1.version, v2.version]).toEqual([1, 2]);
    expect((await registry.list({ name: 'one-active' })).map((v) => [v.version, v.status])).toEqual([
      [2, 'active'],
      [1, 'retired'],
    ]);
    const active = registry.active('one-active');
    expect(active?.version.id).toBe(v2.id);
    expect(active?.file.kind).toBe('isolation-forest');
    expect(active?.file.schema.features.map((f) => f.name)).toEqual(['logons', 'hosts']);
    expect(changes).toBe(2);
    expect(v2).toMatchObject({
      kind: 'isolation-forest',
      rows: 40,
      window: { from: WINDOW.from.toISOString(), to: WINDOW.to.toISOString() },
      params: { trees: 10, seed: 7 },
    });
    expect((await auditOf('one-active@2')).map((a) => a.action)).toEqual(['model.register']);
  });

  it('keeps one shadow per name beside the active one', async () => {
    const a = await registry.register(ctx.database.db, 'shadowing', trained(), {
      jobId: null,
      promote: 'active',
    });
    const s1 = await registry.register(ctx.database.db, 'shadowing', trained(), {
      jobId: null,
      promote: 'shadow',
    });
    expect(registry.shadows('shadowing').map((s) => s.version.id)).toEqual([s1.id]);
    const s2 = await registry.register(ctx.database.db, 'shadowing', trained(), {
      jobId: null,
      promote: 'shadow',
    });
    expect(registry.shadows('shadowing').map((s) => s.version.id)).toEqual([s2.id]);
    expect((await registry.get(s1.id)).status).toBe('retired');
    expect(registry.active('shadowing')?.version.id).toBe(a.id);
  });

  it('promotes a shadow: the previous active is retired, the change audited with before and after', async () => {
    const a = await registry.register(ctx.database.db, 'promote', trained(), {
      jobId: null,
      promote: 'active',
    });
    const s = await registry.register(ctx.database.db, 'promote', trained(), {
      jobId: null,
      promote: 'shadow',
    });
    const promoted = await registry.setStatus(s.id, 'active', ADMIN);
    expect(promoted.status).toBe('active');
    expect((await registry.get(a.id)).status).toBe('retired');
    expect(registry.active('promote')?.version.id).toBe(s.id);
    expect(registry.shadows('promote')).toEqual([]);
    const audit = await auditOf('promote@2');
    expect(audit.at(-1)).toMatchObject({
      action: 'model.update',
      actor: 'user:admin',
      before: { id: s.id, status: 'shadow' },
      after: { id: s.id, status: 'active' },
    });
    // Same status again: nothing changes, nothing is audited.
    await registry.setStatus(s.id, 'active', ADMIN);
    expect(await auditOf('promote@2')).toHaveLength(audit.length);
    // Retiring the active version leaves the model without one; rollback re-activates an old one.
    await registry.setStatus(s.id, 'retired', ADMIN);
    expect(registry.active('promote')).toBeUndefined();
    await registry.setStatus(a.id, 'active', ADMIN);
    expect(registry.active('promote')?.version.id).toBe(a.id);
  });

  it('is backed by the database: a second active row for a name is refused', async () => {
    const v = await registry.register(ctx.database.db, 'invariant', trained(), {
      jobId: null,
      promote: 'active',
    });
    const w = await registry.register(ctx.database.db, 'invariant', trained(), {
      jobId: null,
      promote: 'shadow',
    });
    await expect(
      ctx.database.db.updateTable('ml_models').set({ status: 'active' }).where('id', '=', w.id).execute(),
    ).rejects.toThrow();
    expect((await registry.get(v.id)).status).toBe('active');
  });

  it('refreshes from changes made by another instance', async () => {
    const v = await registry.register(ctx.database.db, 'elsewhere', trained(), {
      jobId: null,
      promote: 'active',
    });
    const other = await ModelRegistry.open(ctx.database.db);
    expect(other.active('elsewhere')?.version.id).toBe(v.id);
    await other.setStatus(v.id, 'retired', ADMIN);
    expect(registry.active('elsewhere')?.version.id).toBe(v.id);
    expect(await registry.refresh()).toBe(true);
    expect(registry.active('elsewhere')).toBeUndefined();
    expect(await registry.refresh()).toBe(false);
  });

  it('refuses a file that is not a Vigil model (422)', async () => {
    const bad = { ...trained(), file: { format: 'other' } } as unknown as TrainedModel;
    await expect(
      registry.register(ctx.database.db, 'bad', bad, { jobId: null, promote: 'active' }),
    ).rejects.toMatchObject({ code: 'VIGIL_ERR_ML_MODEL', statusCode: 422 });
  });

  describe('API', () => {
    it('lists and gets versions (viewer), with the training histograms', async () => {
      const v = await registry.register(ctx.database.db, 'api-model', trained(), {
        jobId: null,
        promote: 'active',
      });
      const list = await call('GET', '/api/v1/models?name=api-model', undefined, {
        authorization: accounts.viewer,
      });
      expect(list.status).toBe(200);
      expect(list.body.models).toEqual([v]);
      expect(Array.isArray(list.body.trainers)).toBe(true);
      const one = await call('GET', `/api/v1/models/${v.id}`, undefined, { authorization: accounts.viewer });
      expect(one.status).toBe(200);
      expect(one.body.histograms.map((h: { feature: string }) => h.feature)).toEqual(['logons', 'hosts']);
      for (const h of one.body.histograms as { edges: number[]; fractions: number[] }[]) {
        expect(h.fractions).toHaveLength(h.edges.length + 1);
        expect(h.fractions.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
      }
      expect((await call('GET', '/api/v1/models/999999')).status).toBe(404);
      const active = await call('GET', '/api/v1/models?status=active&name=api-model');
      expect(active.body.models.map((m: { id: number }) => m.id)).toEqual([v.id]);
    });

    it('PATCH changes the status (admin, audited); viewer 403, anonymous 401, bad status 400', async () => {
      const v = await registry.register(ctx.database.db, 'api-patch', trained(), {
        jobId: null,
        promote: 'active',
      });
      const s = await registry.register(ctx.database.db, 'api-patch', trained(), {
        jobId: null,
        promote: 'shadow',
      });
      const viewer = await call(
        'PATCH',
        `/api/v1/models/${s.id}`,
        { status: 'active' },
        { authorization: accounts.viewer },
      );
      expect(viewer.status).toBe(403);
      const anon = await call('PATCH', `/api/v1/models/${s.id}`, { status: 'active' }, { authorization: '' });
      expect(anon.status).toBe(401);
      expect((await call('PATCH', `/api/v1/models/${s.id}`, { status: 'deleted' })).status).toBe(400);
      const r = await call('PATCH', `/api/v1/models/${s.id}`, { status: 'active' });
      expect(r.status).toBe(200);
      expect(r.body).toMatchObject({ id: s.id, status: 'active' });
      expect((await registry.get(v.id)).status).toBe('retired');
      expect(registry.active('api-patch')?.version.id).toBe(s.id);
      const audit = await auditOf('api-patch@2');
      expect(audit.at(-1)).toMatchObject({
        action: 'model.update',
        actor: 'user:admin',
        after: { status: 'active' },
      });
      expect((await call('PATCH', '/api/v1/models/999999', { status: 'retired' })).status).toBe(404);
    });
  });
});
