/**
 * UEBA in the service, on PGlite and PostgreSQL: office-hours SSH activity goes through the real
 * ingest and detection (cold start: baselines, no alerts), the UEBA models train from the stored
 * events through the training service, then a night-time brute force from a new address raises an
 * explained UEBA alert that joins an incident and adds entity risk, while an ordinary office hour
 * does not; a shadow version scores and records without alerting.
 */
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServiceContext, type ServiceContext } from '../../src/service/vigil.js';
import { type Alert, listAlerts } from '../../src/store/alerts.js';
import { SYSTEM_ACTOR } from '../../src/store/audit.js';
import { closeTestContext, detected, openTestDatabase, STORE_KINDS, testConfig } from '../helpers/service.js';
import { bruteForce, officeHours } from './fixture.js';

const DAY = 86_400_000;
const H = 3_600_000;
const D = (iso: string) => Date.parse(iso);
const BASE_DAYS = [
  D('2026-03-02T00:00:00Z'),
  D('2026-03-03T00:00:00Z'),
  D('2026-03-04T00:00:00Z'),
  D('2026-03-05T00:00:00Z'),
];
const ATTACK = D('2026-03-06T03:00:00Z');
const NORMAL_DAY = D('2026-03-06T00:00:00Z');
const THRESHOLD = 0.65;

async function ingest(ctx: ServiceContext, lines: readonly string[]): Promise<void> {
  for (let i = 0; i < lines.length; i += 500) {
    const r = await ctx.ingest.ingestLines(
      lines.slice(i, i + 500).map((text, k) => ({ line: i + k + 1, text })),
      'syslog',
      'syslog-tcp',
      { year: 2026, timezone: 'UTC' },
    );
    expect(r.rejected).toBe(0);
  }
  await detected(ctx);
}

/** Moves the clock past the idle time and waits until UEBA closed every window. */
async function flush(ctx: ServiceContext, clock: { t: number }, to: number): Promise<void> {
  clock.t = Math.max(clock.t + 2000, to);
  const until = Date.now() + 20_000;
  while (Date.now() < until) {
    if (ctx.ueba!.stats().open === 0 && ctx.detection.lag === 0) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`UEBA windows still open: ${JSON.stringify(ctx.ueba!.stats())}`);
}

async function uebaAlerts(ctx: ServiceContext): Promise<Alert[]> {
  const out: Alert[] = [];
  for (const type of ['user', 'host', 'ip'])
    out.push(
      ...(
        await listAlerts(ctx.database.db, {
          ruleId: `vigil-ueba-${type}`,
          sort: 'created_at',
          order: 'asc',
          limit: 1000,
        })
      ).alerts,
    );
  return out;
}

describe.each(STORE_KINDS)('UEBA in the service on %s', (kind) => {
  let ctx: ServiceContext;
  const clock = { t: D('2026-03-06T00:00:00Z') };

  beforeAll(async () => {
    ctx = await createServiceContext(
      testConfig({ VIGIL_UEBA_IDLE_MS: '1000', VIGIL_ML_RETRAIN_MS: '0', VIGIL_SUPPRESS_MS: '0' }),
      {
        database: await openTestDatabase(kind),
        log: pino({ level: process.env.DBG ? 'error' : 'silent' }),
        now: () => new Date(clock.t),
      },
    );
  }, 60_000);
  afterAll(async () => {
    await closeTestContext(ctx);
  });

  it('cold start: counts windows and builds baselines, scores and alerts nothing', async () => {
    await ingest(ctx, officeHours(BASE_DAYS));
    await flush(ctx, clock, clock.t);
    expect(await uebaAlerts(ctx)).toEqual([]);
    const scored = await ctx.database.db.selectFrom('ml_scores').select('id').execute();
    expect(scored).toEqual([]);
    const alice = await ctx.database.db
      .selectFrom('ueba_baselines')
      .selectAll()
      .where('entity_type', '=', 'user')
      .where('entity_value', '=', 'alice')
      .executeTakeFirstOrThrow();
    expect(alice.windows).toBeGreaterThan(20);
    // Active only in office hours.
    expect(alice.baseline.hours.slice(0, 9).every((n) => n === 0)).toBe(true);
    expect(alice.baseline.hours.slice(9, 17).every((n) => n > 0)).toBe(true);
    expect(alice.last_score).toBeNull();
  }, 120_000);

  it('trains the three models through the training service', async () => {
    const jobs = await ctx.ml.training.start(
      {
        models: ['ueba-user', 'ueba-host', 'ueba-ip'],
        from: new Date(BASE_DAYS[0]!),
        to: new Date(NORMAL_DAY),
      },
      SYSTEM_ACTOR,
    );
    await ctx.ml.training.idle();
    for (const j of jobs) expect((await ctx.ml.training.status(j.id)).status).toBe('succeeded');
    const ip = ctx.ml.registry.active('ueba-ip');
    expect(ip?.version).toMatchObject({
      name: 'ueba-ip',
      version: 1,
      status: 'active',
      kind: 'isolation-forest',
    });
    expect(ip!.version.rows).toBeGreaterThanOrEqual(20);
    expect(Number(ip!.version.metrics.alert_rate)).toBeLessThan(0.2);
  }, 120_000);

  it('raises an explained alert for a night-time brute force from a new address; not for an ordinary hour', async () => {
    await ingest(ctx, [
      ...bruteForce(ATTACK, '203.0.113.66', 'web01', 200),
      ...officeHours([NORMAL_DAY], 11, [10]),
    ]);
    await flush(ctx, clock, NORMAL_DAY + 12 * H);
    const alerts = await uebaAlerts(ctx);
    const ip = alerts.find(
      (a) =>
        (a.rule as { id: string }).id === 'vigil-ueba-ip' &&
        (a.source as { ip?: string } | undefined)?.ip === '203.0.113.66',
    );
    expect(ip, JSON.stringify(alerts.map((a) => a.message))).toBeDefined();
    const ml = (ip!.vigil as { ml: Record<string, unknown> }).ml as {
      score: number;
      threshold: number;
      version: number;
      window: { start: string; end: string };
      features: Record<string, number | null>;
      deviations: { feature: string; value: number | null; z: number | null; baseline: { of: string } }[];
    };
    expect(ip).toMatchObject({
      rule: { id: 'vigil-ueba-ip', name: 'UEBA anomaly: ueba-ip v1', ruleset: 'vigil-ml', author: 'Vigil' },
      event: { kind: 'alert' },
      host: { name: 'web01' },
    });
    expect(ml.score).toBeGreaterThanOrEqual(THRESHOLD);
    expect(ml.window).toEqual({ start: '2026-03-06T03:00:00.000Z', end: '2026-03-06T04:00:00.000Z' });
    expect(ml.features).toMatchObject({ logon_attempts: 200, logon_failures: 200, failure_ratio: 1 });
    // The explanation lists deviating features with the baseline they deviate from: a new
    // address is compared with all addresses.
    const failures = ml.deviations.find((d) => d.feature === 'logon_failures');
    expect(failures).toMatchObject({ value: 200, baseline: { of: 'population' } });
    expect(failures!.z!).toBeGreaterThan(3);
    expect(ml.deviations.every((d) => d.baseline.of === 'population')).toBe(true);
    expect(String(ip!.message)).toContain('ueba-ip v1 scored ip 203.0.113.66');
    expect(ip).toMatchObject({ threat: { technique: { id: ['T1110'] }, tactic: { id: ['TA0006'] } } });
    // One alert for the address and one for the host it attacked; the guessed user names, which
    // never logged on, are not scored.
    expect(alerts.map((a) => (a.vigil as { ml: { entity: unknown } }).ml.entity)).toEqual([
      { type: 'host', value: 'web01' },
      { type: 'ip', value: '203.0.113.66' },
    ]);

    // It joined an incident and added risk to the address.
    const link = await ctx.database.db
      .selectFrom('incident_alerts')
      .select('incident_id')
      .where('alert_id', '=', ip!.id)
      .executeTakeFirst();
    expect(link).toBeDefined();
    const risk = await ctx.risk.get(
      ctx.database.db,
      { type: 'ip', value: '203.0.113.66' },
      new Date(clock.t),
    );
    expect(risk?.score).toBeGreaterThan(0);

    // The ordinary office hour of the same day scored below the threshold for every user and address.
    const normal = await ctx.database.db
      .selectFrom('ml_scores')
      .selectAll()
      .where('window_start', '=', new Date(NORMAL_DAY + 10 * H))
      .where('entity_type', 'in', ['user', 'ip'])
      .execute();
    expect(normal.length).toBeGreaterThan(4);
    for (const s of normal) {
      expect(s.alerted).toBe(false);
      expect(s.score).toBeLessThan(THRESHOLD);
    }
    expect(alerts.filter((a) => String(a.last_seen) >= new Date(NORMAL_DAY + 10 * H).toISOString())).toEqual(
      [],
    );
  }, 120_000);

  it('scores with a shadow version and records it, never alerting from it', async () => {
    const trainer = (await import('../../src/ml/ueba/trainer.js')).uebaTrainers({
      windowMs: H,
      threshold: THRESHOLD,
      seed: 2,
    });
    const ipTrainer = trainer.find((t) => t.name === 'ueba-ip')!;
    const trained = await ipTrainer.train(
      ctx.database.db,
      { from: new Date(BASE_DAYS[0]!), to: new Date(NORMAL_DAY) },
      () => undefined,
      new AbortController().signal,
    );
    const shadow = await ctx.ml.registry.register(ctx.database.db, 'ueba-ip', trained, {
      jobId: null,
      promote: 'shadow',
    });
    const active = ctx.ml.registry.active('ueba-ip')!.version;
    const before = (await uebaAlerts(ctx)).length;
    const night = NORMAL_DAY + DAY + 4 * H;
    clock.t = NORMAL_DAY + DAY;
    await ingest(ctx, bruteForce(night, '203.0.113.77', 'web02', 120));
    await flush(ctx, clock, night + 3 * H);
    const rows = await ctx.database.db
      .selectFrom('ml_scores')
      .selectAll()
      .where('entity_type', '=', 'ip')
      .where('entity_value', '=', '203.0.113.77')
      .execute();
    expect(rows.map((r) => [r.model_version_id, r.shadow]).sort()).toEqual(
      [
        [active.id, false],
        [shadow.id, true],
      ].sort(),
    );
    const s = rows.find((r) => r.shadow)!;
    expect(s.alerted).toBe(false);
    expect(s.score).toBeGreaterThan(0);
    const after = await uebaAlerts(ctx);
    expect(after.length).toBeGreaterThan(before);
    for (const a of after)
      expect((a.vigil as { ml: { version_id: number } }).ml.version_id).not.toBe(shadow.id);
  }, 120_000);
});
