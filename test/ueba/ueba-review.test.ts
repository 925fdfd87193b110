/**
 * Review regression, on PGlite and PostgreSQL: a syslog line with an 8 KB HOSTNAME (or user name)
 * must not stop the detection stage. Entity values are index keys (`alerts_open` through the
 * alert's entity key, `ueba_windows`, `ml_scores`, risk); PostgreSQL and PGlite refuse index rows
 * over 8 KB (2.7 KB on PostgreSQL b-trees), so before the cap (`MAX_ENTITY_CHARS`, used by the
 * alert entities and by UEBA) the batch failed and detection retried the same position forever.
 */
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_ENTITY_CHARS } from '../../src/detect/ueba/entities.js';
import { mulberry32 } from '../../src/detect/random.js';
import { createServiceContext, type ServiceContext } from '../../src/service/vigil.js';
import { closeTestContext, detected, openTestDatabase, STORE_KINDS, testConfig } from '../helpers/service.js';
import { accepted, failed } from './fixture.js';

const T = Date.parse('2026-03-06T10:00:00Z');

describe.each(STORE_KINDS)('UEBA with oversized entity values on %s', (kind) => {
  let ctx: ServiceContext;
  const clock = { t: T };

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

  it('keeps detecting after an 8 KB host name and user name, with the values cut', async () => {
    // Random letters: a repeated character would compress below the index row limit.
    const rnd = mulberry32(11);
    const noise = (n: number) =>
      Array.from({ length: n }, () => String.fromCharCode(97 + Math.floor(rnd() * 26))).join('');
    const host = `hxxx${noise(8188)}`;
    const user = `u${noise(8191)}`;
    const lines = [failed(T, host, user, '203.0.113.9'), accepted(T + 1000, 'web01', 'alice', '10.0.0.11')];
    const r = await ctx.ingest.ingestLines(
      lines.map((text, i) => ({ line: i + 1, text })),
      'syslog',
      'syslog-tcp',
      { year: 2026, timezone: 'UTC' },
    );
    expect(r.rejected).toBe(0);
    await detected(ctx);
    // Close the windows (quiet stream past the idle time) and wait for the stage to write them.
    clock.t = T + 3 * 3_600_000;
    const until = Date.now() + 20_000;
    while (Date.now() < until && (ctx.ueba!.stats().open > 0 || ctx.detection.lag > 0))
      await new Promise((res) => setTimeout(res, 50));
    expect(ctx.detection.lag).toBe(0);
    expect(ctx.ueba!.stats().open).toBe(0);
    const hosts = await ctx.database.db
      .selectFrom('ueba_baselines')
      .select('entity_value')
      .where('entity_type', '=', 'host')
      .execute();
    const long = hosts.map((h) => h.entity_value).filter((v) => v.startsWith('hxxx'));
    expect(long).toEqual([host.slice(0, MAX_ENTITY_CHARS)]);
  }, 120_000);
});
