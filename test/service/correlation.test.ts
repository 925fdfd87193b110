/**
 * Correlation rules in the service, on PGlite and PostgreSQL: the pipeline feeds base-rule
 * matches to the engine, records correlation alerts (evidence, entities, `vigil.correlation`),
 * keeps base rules referenced without `generate` silent, persists the state with the detection
 * cursor, and on restart from an older state replays without recording an alert twice.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { createServiceContext, type ServiceContext } from '../../src/service/vigil.js';
import { type Alert, getAlert, listAlerts } from '../../src/store/alerts.js';
import { type Database, openDatabase } from '../../src/store/database.js';
import { closeTestContext, detected, freshPostgres, STORE_KINDS, testConfig } from '../helpers/service.js';

const RULES = `title: Test sshd failure
id: 0b7c3f0e-0000-4000-8000-000000000001
name: test_sshd_failure
status: test
logsource:
    product: linux
    service: sshd
detection:
    selection:
        message|contains: 'Failed password for '
    condition: selection
level: low
---
title: Test SSH brute force
id: 0b7c3f0e-0000-4000-8000-000000000002
status: test
level: high
tags:
    - attack.credential-access
    - attack.t1110.001
correlation:
    type: event_count
    rules:
        - test_sshd_failure
    group-by:
        - source.ip
    timespan: 5m
    condition:
        gte: 5
`;

function ruleDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-corr-rules-'));
  writeFileSync(join(dir, 'mr_test.yml'), RULES);
  return dir;
}

function failure(second: number, ip: string, user = 'root'): string {
  const s = String(second).padStart(2, '0');
  return `Dec 10 06:55:${s} LabSZ sshd[24200]: Failed password for ${user} from ${ip} port 38926 ssh2`;
}

async function ingest(ctx: ServiceContext, lines: readonly string[]): Promise<void> {
  const r = await ctx.ingest.ingestLines(
    lines.map((text, i) => ({ line: i + 1, text })),
    'syslog',
    'syslog-tcp',
    { year: 2024, timezone: 'UTC' },
  );
  expect(r.accepted).toBe(lines.length);
  await detected(ctx);
}

async function alerts(ctx: ServiceContext): Promise<Alert[]> {
  return (await listAlerts(ctx.database.db, { sort: 'created_at', order: 'asc', limit: 100 })).alerts;
}

/** A database that can be reopened (the restart tests): a PGlite data dir or a PostgreSQL database. */
async function durable(kind: string): Promise<{ open(): Promise<Database>; drop(): Promise<void> }> {
  if (kind === 'pglite') {
    const dataDir = mkdtempSync(join(tmpdir(), 'vigil-corr-db-'));
    return { open: () => openDatabase({ kind: 'pglite', dataDir }), drop: async () => {} };
  }
  const pg = await freshPostgres();
  return { open: () => openDatabase({ kind: 'postgres', url: pg.url }), drop: pg.drop };
}

describe.each(STORE_KINDS)('correlation rules in the service on %s', (kind) => {
  const cleanups: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const c of cleanups) await c();
  });

  async function open(db: { open(): Promise<Database> }, rules: string, env: Record<string, string> = {}) {
    const ctx = await createServiceContext(
      testConfig({
        VIGIL_BUILTIN_RULES: 'false',
        VIGIL_RULES: rules,
        VIGIL_CORRELATION_LATENESS_MS: '0',
        VIGIL_CORRELATION_SNAPSHOT_MS: '0',
        ...env,
      }),
      { database: await db.open(), log: pino({ level: process.env.DBG ? 'error' : 'silent' }) },
    );
    return ctx;
  }

  it('raises one explained alert per completed window; silent base rule; state survives a restart', async () => {
    const db = await durable(kind);
    cleanups.push(db.drop);
    const rules = ruleDir();
    let ctx = await open(db, rules);
    try {
      // 3 failures from .4, 2 from another source: nothing yet.
      await ingest(ctx, [
        failure(1, '10.0.0.4'),
        failure(2, '10.0.0.4'),
        failure(3, '10.9.9.9'),
        failure(4, '10.0.0.4'),
      ]);
      expect(await alerts(ctx)).toEqual([]);
      expect(ctx.correlation.stats()).toMatchObject({ groups: 2, events: 4, fed: 4, fired: 0 });
    } finally {
      await closeTestContext(ctx);
    }
    ctx = await open(db, rules);
    try {
      expect(ctx.correlation.stats()).toMatchObject({ groups: 2, events: 4 });
      await ingest(ctx, [failure(10, '10.0.0.4', 'admin'), failure(11, '10.0.0.4', 'oracle')]);
      const list = await alerts(ctx);
      expect(list.map((a) => (a.rule as { name: string }).name)).toEqual(['Test SSH brute force']);
      const a = (await getAlert(ctx.database.db, list[0]!.id))!;
      expect(a).toMatchObject({
        '@timestamp': '2024-12-10T06:55:11.000Z',
        rule: { id: '0b7c3f0e-0000-4000-8000-000000000002', level: 'high' },
        source: { ip: '10.0.0.4' },
        host: { name: 'LabSZ' },
        threat: { technique: { subtechnique: { id: ['T1110.001'] } } },
        vigil: {
          decoder: 'sigma-correlation',
          correlation: {
            type: 'event_count',
            group: { 'source.ip': '10.0.0.4' },
            value: 5,
            timespan: '5m',
            window: { start: '2024-12-10T06:55:01.000Z', end: '2024-12-10T06:55:11.000Z' },
            rules: ['Test sshd failure'],
          },
        },
      });
      // Evidence: the five failures, from both runs; the completing one last.
      expect(a.evidence.map((e) => e.timestamp.slice(17, 19))).toEqual(['01', '02', '04', '10', '11']);
      expect(a.evidence.at(-1)?.original).toContain('oracle');
      expect(ctx.correlation.stats()).toMatchObject({ fired: 1, late: 0, groups: 1 });
    } finally {
      await closeTestContext(ctx);
    }
  }, 120_000);

  it('replays events after an older saved state without recording an alert twice', async () => {
    const db = await durable(kind);
    cleanups.push(db.drop);
    const rules = ruleDir();
    let ctx = await open(db, rules);
    let older: { cursor: number; state: unknown } | undefined;
    try {
      await ingest(
        ctx,
        [1, 2, 3].map((s) => failure(s, '10.0.0.7')),
      );
      const row = await ctx.database.db
        .selectFrom('correlation_state')
        .select(['cursor', 'state'])
        .executeTakeFirstOrThrow();
      older = { cursor: Number(row.cursor), state: row.state };
      expect(older.cursor).toBe(3);
      await ingest(
        ctx,
        [4, 5].map((s) => failure(s, '10.0.0.7')),
      );
      expect((await alerts(ctx)).length).toBe(1);
      // The process "crashed" after saving the older state: put it back.
    } finally {
      await closeTestContext(ctx);
    }
    const back = await db.open();
    await back.db
      .updateTable('correlation_state')
      .set({ cursor: older!.cursor, state: JSON.stringify(older!.state) })
      .execute();
    await back.close();
    ctx = await open(db, rules);
    try {
      await detected(ctx);
      // Events 4 and 5 were replayed through the engine: the alert they complete is recorded once.
      expect(ctx.correlation.stats().fired).toBe(1); // counters come back with the older state
      expect((await alerts(ctx)).map((a) => a.event_count)).toEqual([1]);
      // The next window's alert for the same source is a repeat of the open alert (suppression).
      await ingest(
        ctx,
        [6, 7, 8, 9, 20].map((s) => failure(s, '10.0.0.7')),
      );
      const list = await alerts(ctx);
      expect(list.map((a) => [a.event_count, a.last_seen])).toEqual([[2, '2024-12-10T06:55:20.000Z']]);
    } finally {
      await closeTestContext(ctx);
    }
  }, 120_000);

  it('after a failed batch transaction, goes back to the saved state: the alert is neither lost nor doubled', async () => {
    const db = await durable(kind);
    cleanups.push(db.drop);
    const ctx = await open(db, ruleDir());
    try {
      await ingest(
        ctx,
        [1, 2, 3, 4].map((s) => failure(s, '10.0.0.9')),
      );
      // Fault injection: the next batch's transaction fails once, after the engine fired.
      const record = ctx.risk.record.bind(ctx.risk);
      let failures = 0;
      ctx.risk.record = async (...args) => {
        if (failures++ === 0) throw new Error('injected failure');
        return record(...args);
      };
      await ingest(ctx, [failure(5, '10.0.0.9')]);
      expect(failures).toBe(2);
      const list = await alerts(ctx);
      expect(
        list.map((a) => [a.event_count, (a.vigil as { correlation: { value: number } }).correlation.value]),
      ).toEqual([[1, 5]]);
      expect(ctx.correlation.stats()).toMatchObject({ fired: 1, late: 0, groups: 0 });
    } finally {
      await closeTestContext(ctx);
    }
  }, 120_000);

  it('counts matches that arrive later than the allowed lateness and does not correlate them', async () => {
    const db = await durable(kind);
    cleanups.push(db.drop);
    const ctx = await open(db, ruleDir(), { VIGIL_CORRELATION_LATENESS_MS: '2000' });
    try {
      // 10.0.0.8 at :30, then :31 … the watermark passes :29; a line from :05 is late.
      await ingest(ctx, [failure(30, '10.0.0.8'), failure(40, '10.0.0.8')]);
      await ingest(ctx, [failure(5, '10.0.0.8')]);
      expect(ctx.correlation.stats().late).toBe(1);
      // Within the lateness, out of order is fine: :39 after :40 is still correlated in order.
      await ingest(ctx, [failure(39, '10.0.0.8'), failure(41, '10.0.0.8'), failure(42, '10.0.0.8')]);
      expect(ctx.correlation.stats().late).toBe(1);
      // :41 and :42 wait for the lateness; a quiet stream releases them (2 s here) and the fifth
      // match (:30, :39, :40, :41, :42) completes the window.
      const until = Date.now() + 15_000;
      while (ctx.correlation.held > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
      await new Promise((r) => setTimeout(r, 200));
      const list = await alerts(ctx);
      expect(
        list.map((a) => [a['@timestamp'], (a.vigil as { correlation: { value: number } }).correlation.value]),
      ).toEqual([['2024-12-10T06:55:42.000Z', 5]]);
    } finally {
      await closeTestContext(ctx);
    }
  }, 120_000);
});
