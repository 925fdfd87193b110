import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ModelRegistry } from '../../src/ml/registry.js';
import { TrainingService, type TrainingJob } from '../../src/ml/training.js';
import type { Database } from '../../src/store/database.js';
import { EventStore } from '../../src/store/events.js';
import { getJob, insertJob, updateJob } from '../../src/store/ml-jobs.js';
import { openTestDatabase, STORE_KINDS } from '../helpers/service.js';
import { HostActivityTrainer, hostEvents } from './host-trainer.js';

const DAY = 86_400_000;
const T0 = new Date('2026-11-20T12:00:00Z');
const ADMIN = { name: 'user:admin', ip: '127.0.0.1' };

async function until<T>(f: () => Promise<T | undefined>, what: string, ms = 15_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe.each(STORE_KINDS)('training jobs (%s)', (kind) => {
  let database: Database;
  let registry: ModelRegistry;
  let clock = T0;
  const now = (): Date => clock;

  async function service(
    trainers: HostActivityTrainer[],
    over: { retrainMs?: number; now?: () => Date } = {},
  ): Promise<TrainingService> {
    return TrainingService.open({
      db: database.db,
      registry,
      trainers,
      now: over.now ?? now,
      trainingWindowMs: DAY,
      retrainMs: over.retrainMs ?? 0,
    });
  }

  beforeAll(async () => {
    database = await openTestDatabase(kind);
    const events = await EventStore.open(database);
    // 6 hosts on the day before T0; nothing earlier.
    await events.append(hostEvents(6, 12, new Date(T0.getTime() - 3_600_000)));
    registry = await ModelRegistry.open(database.db, { now });
  }, 60_000);
  afterAll(async () => {
    await database?.close();
  });

  it('runs a job to success: progress 1, a registered active version, audited', async () => {
    const trainer = new HostActivityTrainer('lifecycle');
    const training = await service([trainer]);
    const [job] = await training.start({ models: ['lifecycle'] }, ADMIN);
    expect(job).toMatchObject({ model: 'lifecycle', status: 'queued', trigger: 'api', actor: 'user:admin' });
    expect(job!.window).toEqual({ from: new Date(T0.getTime() - DAY).toISOString(), to: T0.toISOString() });
    await training.idle();
    const done = await training.status(job!.id);
    expect(done).toMatchObject({ status: 'succeeded', progress: 1, phase: 'done', error: null });
    expect(done.model_version_id).not.toBeNull();
    const active = registry.active('lifecycle');
    expect(active?.version.id).toBe(done.model_version_id);
    expect(active?.version).toMatchObject({
      version: 1,
      status: 'active',
      kind: 'isolation-forest',
      rows: 6,
    });
    expect(active?.file.kind).toBe('isolation-forest');
    expect(trainer.windows).toEqual([{ from: new Date(T0.getTime() - DAY), to: T0 }]);
    const audit = await database.db
      .selectFrom('audit_log')
      .select(['action', 'actor', 'target'])
      .where('action', 'in', ['model.train', 'model.register'])
      .where('target', 'like', 'lifecycle%')
      .orderBy('id')
      .execute();
    expect(audit).toEqual([
      { action: 'model.train', actor: 'user:admin', target: 'lifecycle' },
      { action: 'model.register', actor: 'user:admin', target: 'lifecycle@1' },
    ]);
    await training.close();
  });

  it('persists progress while running and answers 409 to a second request for the model', async () => {
    const trainer = new HostActivityTrainer('held');
    let release = (): void => undefined;
    trainer.gate = new Promise((r) => (release = r));
    const training = await service([trainer]);
    const [job] = await training.start({ models: ['held'] }, ADMIN);
    const running = await until(async () => {
      const s = await training.status(job!.id);
      return s.phase === 'fitting' ? s : undefined;
    }, 'the fitting phase');
    expect(running).toMatchObject({ status: 'running', progress: 0.5 });
    expect(running.started_at).not.toBeNull();
    await expect(training.start({ models: ['held'] }, ADMIN)).rejects.toMatchObject({
      code: 'VIGIL_ERR_ML_TRAINING_BUSY',
      statusCode: 409,
    });
    release();
    await training.idle();
    expect((await training.status(job!.id)).status).toBe('succeeded');
    // Not busy any more.
    const [again] = await training.start({ models: ['held'] }, ADMIN);
    await training.idle();
    expect((await training.status(again!.id)).status).toBe('succeeded');
    expect(registry.active('held')?.version.version).toBe(2);
    expect((await registry.list({ name: 'held' })).map((v) => [v.version, v.status])).toEqual([
      [2, 'active'],
      [1, 'retired'],
    ]);
    await training.close();
  });

  it('records a failure with its error (no data in the window)', async () => {
    const training = await service([new HostActivityTrainer('empty')]);
    const [job] = await training.start(
      { models: ['empty'], from: new Date('2020-01-01T00:00:00Z'), to: new Date('2020-01-02T00:00:00Z') },
      ADMIN,
    );
    await training.idle();
    const s = await training.status(job!.id);
    expect(s.status).toBe('failed');
    expect(s.error).toMatch(/^VIGIL_ERR_ML_NO_DATA: /);
    expect(s.finished_at).not.toBeNull();
    expect(s.model_version_id).toBeNull();
    expect(registry.active('empty')).toBeUndefined();
    await training.close();
  });

  it('refuses unknown models (404), an empty window (400), and registers shadows when asked', async () => {
    const training = await service([new HostActivityTrainer('shadowed')]);
    await expect(training.start({ models: ['nope'] }, ADMIN)).rejects.toMatchObject({
      code: 'VIGIL_ERR_ML_UNKNOWN_MODEL',
      statusCode: 404,
    });
    await expect(training.start({ models: ['shadowed'], from: T0, to: T0 }, ADMIN)).rejects.toMatchObject({
      statusCode: 400,
    });
    const [a] = await training.start({ models: ['shadowed'] }, ADMIN);
    await training.idle();
    const [b] = await training.start({ models: ['shadowed'], shadow: true }, ADMIN);
    await training.idle();
    const active = registry.active('shadowed');
    const shadows = registry.shadows('shadowed');
    expect(active?.version.id).toBe((await training.status(a!.id)).model_version_id);
    expect(shadows.map((s) => s.version.id)).toEqual([(await training.status(b!.id)).model_version_id]);
    await training.close();
  });

  it('marks jobs left unfinished by a crash: running → failed (interrupted), queued → cancelled', async () => {
    const running = await insertJob(database.db, {
      model: 'crashed-running',
      windowFrom: T0,
      windowTo: T0,
      shadow: false,
      trigger: 'api',
      actor: 'system',
      at: T0,
    });
    await updateJob(database.db, running.id, { status: 'running', progress: 0.3, started_at: T0 });
    const queued = await insertJob(database.db, {
      model: 'crashed-queued',
      windowFrom: T0,
      windowTo: T0,
      shadow: false,
      trigger: 'api',
      actor: 'system',
      at: T0,
    });
    const training = await service([]);
    const r = await getJob(database.db, running.id);
    const q = await getJob(database.db, queued.id);
    expect(r).toMatchObject({ status: 'failed', progress: 0.3 });
    expect(r?.error).toMatch(/interrupted/);
    expect(q?.status).toBe('cancelled');
    await training.close();
  });

  it('cancels the running job at shutdown through its AbortSignal', async () => {
    const trainer = new HostActivityTrainer('stopped');
    trainer.gate = new Promise(() => undefined); // never released
    const training = await service([trainer]);
    const [job] = await training.start({ models: ['stopped'] }, ADMIN);
    await until(
      async () => ((await training.status(job!.id)).phase === 'fitting' ? true : undefined),
      'fitting',
    );
    await training.close();
    const s = await training.status(job!.id);
    expect(s.status).toBe('cancelled');
    expect(registry.active('stopped')).toBeUndefined();
    await expect(training.start({ models: ['stopped'] }, ADMIN)).rejects.toMatchObject({ statusCode: 503 });
  });

  it('retrains on schedule: a never-trained model at once, then every retrainMs (injected clock)', async () => {
    const trainer = new HostActivityTrainer('scheduled');
    const retrainMs = 6 * 3_600_000;
    clock = T0;
    const training = await service([trainer], { retrainMs });
    const first = await training.retrainDue();
    expect(first.map((j) => [j.model, j.trigger, j.actor])).toEqual([['scheduled', 'schedule', 'system']]);
    expect(first[0]!.window).toEqual({
      from: new Date(T0.getTime() - DAY).toISOString(),
      to: T0.toISOString(),
    });
    await training.idle();
    clock = new Date(T0.getTime() + retrainMs - 1);
    expect(await training.retrainDue()).toEqual([]);
    clock = new Date(T0.getTime() + retrainMs);
    const second = await training.retrainDue();
    expect(second).toHaveLength(1);
    await training.idle();
    expect((await training.status(second[0]!.id)).window.to).toBe(clock.toISOString());
    expect(trainer.windows).toHaveLength(2);
    clock = T0;
    await training.close();
  });

  it('fires the schedule from its timer (short interval, real time)', async () => {
    const trainer = new HostActivityTrainer('timer');
    const training = await service([trainer], { retrainMs: 50, now: () => new Date() });
    training.startSchedule();
    // The first tick runs at once: the model never trained. (Its real-time window holds no events.)
    const job = await until(async () => {
      const h = await training.history({ model: 'timer', limit: 10 });
      return h.jobs.find((j) => j.trigger === 'schedule');
    }, 'a scheduled job');
    expect(job.actor).toBe('system');
    await training.close();
  });

  it('pages the history newest first and filters by model and status', async () => {
    const trainer = new HostActivityTrainer('paged');
    const training = await service([trainer]);
    const ids: number[] = [];
    for (let i = 0; i < 5; i++) {
      clock = new Date(T0.getTime() + i * 1000);
      ids.push((await training.start({ models: ['paged'], to: T0 }, ADMIN))[0]!.id);
      await training.idle();
    }
    clock = T0;
    const seen: TrainingJob[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < 5; page++) {
      const r = await training.history({ model: 'paged', limit: 2, cursor });
      seen.push(...r.jobs);
      if (!r.next) break;
      cursor = r.next;
    }
    expect(seen.map((j) => j.id)).toEqual([...ids].reverse());
    const failed = await training.history({ model: 'paged', status: 'failed', limit: 10 });
    expect(failed.jobs).toEqual([]);
    await expect(training.history({ limit: 2, cursor: 'bogus' })).rejects.toMatchObject({ statusCode: 400 });
    await training.close();
  });
});
