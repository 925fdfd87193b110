/**
 * UEBA state across a restart, on PGlite and PostgreSQL: a window half counted before a stop is
 * resumed from the persisted snapshot plus a replay of the stored events the snapshot missed, and
 * events the detection stage hands over again after the restart (its cursor moved back to an older
 * correlation snapshot, as after a crash) are not counted twice.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { createServiceContext, type ServiceContext } from '../../src/service/vigil.js';
import { type Database, openDatabase } from '../../src/store/database.js';
import { closeTestContext, detected, freshPostgres, STORE_KINDS, testConfig } from '../helpers/service.js';
import { accepted, bruteForce } from './fixture.js';

const START = Date.parse('2026-03-08T05:00:00Z');

async function durable(kind: string): Promise<{ open(): Promise<Database>; drop(): Promise<void> }> {
  if (kind === 'pglite') {
    const dataDir = mkdtempSync(join(tmpdir(), 'vigil-ueba-db-'));
    return { open: () => openDatabase({ kind: 'pglite', dataDir }), drop: async () => {} };
  }
  const pg = await freshPostgres();
  return { open: () => openDatabase({ kind: 'postgres', url: pg.url }), drop: pg.drop };
}

async function ingest(ctx: ServiceContext, lines: readonly string[]): Promise<void> {
  const r = await ctx.ingest.ingestLines(
    lines.map((text, i) => ({ line: i + 1, text })),
    'syslog',
    'syslog-tcp',
    { year: 2026, timezone: 'UTC' },
  );
  expect(r.accepted).toBe(lines.length);
  await detected(ctx);
}

/** Distinct user names in failed-password lines. */
function names(lines: readonly string[]): number {
  return new Set(lines.map((l) => /invalid user (\S+)/.exec(l)![1])).size;
}

describe.each(STORE_KINDS)('UEBA across a restart on %s', (kind) => {
  const cleanups: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const c of cleanups) await c();
  });

  it('resumes an open window, replaying what the last snapshot missed, without counting twice', async () => {
    const db = await durable(kind);
    cleanups.push(db.drop);
    const clock = { t: START + 10 * 60_000 };
    const open = async (database?: Database) =>
      createServiceContext(testConfig({ VIGIL_UEBA_IDLE_MS: '1000' }), {
        database: database ?? (await db.open()),
        log: pino({ level: 'silent' }),
        now: () => new Date(clock.t),
      });
    const attack = bruteForce(START, '198.51.100.9', 'web01', 50);
    const ipWindow = (ctx: ServiceContext) =>
      ctx.database.db
        .selectFrom('ueba_windows')
        .select('state')
        .where('entity_type', '=', 'ip')
        .where('entity_value', '=', '198.51.100.9')
        .executeTakeFirstOrThrow();
    let ctx = await open();
    try {
      await ingest(ctx, attack.slice(0, 20)); // the first batch is snapshotted
      expect((await ipWindow(ctx)).state).toMatchObject({
        events: 20,
        failures: 20,
        start: START,
        end: START + 3_600_000,
      });
      // Within the snapshot interval (the clock stands still): counted in memory, not yet stored.
      await ingest(ctx, [...attack.slice(20, 30), accepted(START + 90_000, 'web01', 'alice', '10.0.0.11')]);
      expect((await ipWindow(ctx)).state).toMatchObject({ events: 20 });
      // Windows: each guessed user name, alice, web01, and the two addresses.
      expect(ctx.ueba!.stats()).toMatchObject({ open: names(attack.slice(0, 30)) + 4, position: 31 });
    } finally {
      await closeTestContext(ctx);
    }
    // Restart as after a crash whose correlation snapshot was older: detection replays every
    // stored event; UEBA replays the 11 events its snapshot missed, and skips the rest by id.
    const database = await db.open();
    await database.db.updateTable('correlation_state').set({ cursor: 0 }).execute();
    ctx = await open(database);
    try {
      await detected(ctx);
      await ingest(ctx, attack.slice(30));
      expect(ctx.ueba!.stats()).toMatchObject({
        open: names(attack) + 4,
        position: 51,
        late: 0,
        replayed: 11,
      });
      clock.t = START + 3 * 3_600_000; // a quiet stream: the windows close by the wall clock
      const until = Date.now() + 20_000;
      while (ctx.ueba!.stats().open > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
      const baselines = await ctx.database.db
        .selectFrom('ueba_baselines')
        .select(['entity_type', 'entity_value', 'windows', 'last_features'])
        .where('entity_value', 'in', ['198.51.100.9', 'web01', 'alice'])
        .orderBy('entity_type')
        .execute();
      expect(
        baselines.map((b) => [
          b.entity_type,
          b.entity_value,
          b.windows,
          b.last_features?.events,
          b.last_features?.logon_failures,
        ]),
      ).toEqual([
        ['host', 'web01', 1, 51, 50],
        ['ip', '198.51.100.9', 1, 50, 50],
        ['user', 'alice', 1, 1, 0],
      ]);
      expect(await ctx.database.db.selectFrom('ueba_windows').select('entity_value').execute()).toEqual([]);
    } finally {
      await closeTestContext(ctx);
    }
  }, 120_000);

  it('is off with VIGIL_UEBA=false', async () => {
    const db = await durable(kind);
    cleanups.push(db.drop);
    const ctx = await createServiceContext(testConfig({ VIGIL_UEBA: 'false' }), {
      database: await db.open(),
      log: pino({ level: 'silent' }),
    });
    try {
      expect(ctx.ueba).toBeUndefined();
      await ingest(ctx, bruteForce(START, '198.51.100.9', 'web01', 5));
      expect(await ctx.database.db.selectFrom('ueba_windows').select('entity_value').execute()).toEqual([]);
    } finally {
      await closeTestContext(ctx);
    }
  }, 120_000);
});
