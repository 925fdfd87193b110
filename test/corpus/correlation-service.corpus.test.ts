/**
 * Correlation through the service on real public data (../shared/data), on PGlite and PostgreSQL:
 * the Loghub OpenSSH log (syslog lines) and the Security-channel events of the Windows attack
 * logs (evtx-jsonl, shipped in event-time order, as a forwarder would) go through ingest,
 * storage and detection, and the pack's correlation rules raise exactly the hand-checked alerts
 * of test/rules/correlation/*.expected.json — the same ones `vigil scan` raises.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServiceContext, type ServiceContext } from '../../src/service/vigil.js';
import { listAlerts } from '../../src/store/alerts.js';
import { closeTestContext, detected, openTestDatabase, STORE_KINDS, testConfig } from '../helpers/service.js';
import { requireSharedData, shared } from '../helpers/shared-data.js';
import { type ExpectedFile, expectedFiles } from '../rules/correlation-expected.js';

function walk(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir).sort()) {
    if (name.startsWith('.')) continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (/\.jsonl(\.gz)?$/.test(name)) out.push(p);
  }
  return out;
}

/** Security-channel events of the evtx-jsonl files, in path order, then sorted by time (stable). */
function windowsSecurityEvents(): { text: string; value: unknown }[] {
  const out: { text: string; value: unknown; time: number }[] = [];
  for (const f of walk(shared('windows-attack', 'evtx-jsonl'))) {
    const raw = readFileSync(f);
    const text = (f.endsWith('.gz') ? gunzipSync(raw) : raw).toString('utf8');
    for (const line of text.split('\n')) {
      if (!/"Channel": ?"security"/i.test(line)) continue;
      const value = JSON.parse(line) as {
        Event: { System: { TimeCreated: { '#attributes': { SystemTime: string } } } };
      };
      out.push({
        text: line,
        value,
        time: Date.parse(value.Event.System.TimeCreated['#attributes'].SystemTime),
      });
    }
  }
  return out.sort((a, b) => a.time - b.time);
}

describe.runIf(requireSharedData()).each(STORE_KINDS)(
  'correlation rules through the service on %s',
  (kind) => {
    let ctx: ServiceContext;
    beforeAll(async () => {
      ctx = await createServiceContext(
        testConfig({ VIGIL_SUPPRESS_MS: '0', VIGIL_CORRELATION_LATENESS_MS: '0' }),
        { database: await openTestDatabase(kind), log: pino({ level: 'silent' }) },
      );
      const ssh = readFileSync(shared('loghub', 'loghub_2k', 'OpenSSH', 'OpenSSH_2k.log'), 'utf8')
        .split('\n')
        .map((l) => l.replace(/\r$/, ''))
        .filter((l) => l !== '');
      for (let i = 0; i < ssh.length; i += 500) {
        const r = await ctx.ingest.ingestLines(
          ssh.slice(i, i + 500).map((text, k) => ({ line: i + k + 1, text })),
          'syslog',
          'syslog-tcp',
          { year: 2024, timezone: 'UTC' },
        );
        expect(r.rejected).toBe(0);
      }
      const windows = windowsSecurityEvents();
      for (let i = 0; i < windows.length; i += 500) {
        const r = await ctx.ingest.ingestJson(
          windows.slice(i, i + 500).map((e, k) => ({ line: i + k + 1, text: e.text, value: e.value })),
          'http',
        );
        expect(r.rejected).toBe(0);
      }
      await detected(ctx, 120_000);
      expect(ctx.correlation.stats()).toMatchObject({ late: 0, shedGroups: 0, shedEvents: 0 });
    }, 300_000);
    afterAll(async () => {
      await closeTestContext(ctx);
    });

    it.each(expectedFiles(false).map(({ name, file }) => [name, file] as const))(
      '%s',
      async (_name, file: ExpectedFile) => {
        const { alerts } = await listAlerts(ctx.database.db, {
          ruleId: file.rule,
          sort: 'created_at',
          order: 'asc',
          limit: 1000,
        });
        const got = alerts
          .map((a) => {
            const c = (a.vigil as { correlation: { group: Record<string, unknown>; value: number } })
              .correlation;
            return { '@timestamp': a['@timestamp'] as string, group: c.group, value: c.value };
          })
          .sort((a, b) =>
            a['@timestamp'] < b['@timestamp'] ? -1 : a['@timestamp'] > b['@timestamp'] ? 1 : 0,
          );
        expect(got).toEqual(file.alerts);
      },
    );
  },
);
