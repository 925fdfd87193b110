/**
 * Durability across a crash: events are posted while the server is killed with SIGKILL; after a
 * restart on the same store, every acknowledged event is stored and every stored event went
 * through detection exactly once (one alert per matching event, suppression off).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { encodedPowerShell, ENCODED_PS_RULE, ndjson } from '../fixtures/service/events.js';
import { freshPostgres, type StoreKind, STORE_KINDS } from '../helpers/service.js';
import { loginOver, type ServerProcess, serverAccounts, startServer } from '../helpers/server-process.js';

const BATCH = 50;

/** Event `seq` on host `H-<seq>`: each one matches the encoded-PowerShell rule. */
function batch(first: number): string {
  const events = [];
  for (let i = 0; i < BATCH; i++) {
    const seq = first + i;
    const t = new Date(Date.UTC(2026, 10, 20, 0, 0, 0) + seq * 1000).toISOString();
    events.push(encodedPowerShell(`H-${seq}`, t));
  }
  return ndjson(events);
}

async function pages<T>(
  server: ServerProcess,
  authorization: string,
  path: string,
  key: string,
): Promise<T[]> {
  const out: T[] = [];
  let cursor: string | undefined;
  do {
    const sep = path.includes('?') ? '&' : '?';
    const res = await fetch(`${server.url}${path}${sep}limit=1000${cursor ? `&cursor=${cursor}` : ''}`, {
      headers: { authorization },
    });
    expect(res.status).toBe(200);
    const r = (await res.json()) as Record<string, unknown>;
    out.push(...(r[key] as T[]));
    cursor = r.next as string | undefined;
  } while (cursor);
  return out;
}

async function caughtUp(server: ServerProcess): Promise<void> {
  for (let i = 0; i < 600; i++) {
    const r = (await (await fetch(`${server.url}/ready`)).json()) as {
      status: string;
      detection_lag: number;
    };
    if (r.status === 'ready' && r.detection_lag === 0) return;
    await new Promise((res) => setTimeout(res, 100));
  }
  throw new Error('detection did not catch up');
}

describe.each(STORE_KINDS)('SIGKILL mid-ingest on %s', (kind: StoreKind) => {
  it('keeps every acknowledged event and detects each stored event exactly once', async () => {
    const pg = kind === 'postgres' ? await freshPostgres() : undefined;
    const env: Record<string, string> = {
      VIGIL_DATA_DIR: mkdtempSync(join(tmpdir(), 'vigil-kill-')),
      VIGIL_SUPPRESS_MS: '0',
      VIGIL_BATCH_EVENTS: '200',
      ...(pg ? { DATABASE_URL: pg.url } : {}),
    };
    try {
      let server = await startServer(env);
      const { ingestKey } = await serverAccounts(server);
      const acked = new Set<number>();
      let next = 0;
      let killed = false;
      const sender = async (): Promise<void> => {
        while (!killed) {
          const first = next;
          next += BATCH;
          try {
            const r = await fetch(`${server.url}/api/v1/events`, {
              method: 'POST',
              headers: { 'content-type': 'application/x-ndjson', authorization: ingestKey.bearer },
              body: batch(first),
            });
            if (r.status === 200) for (let i = 0; i < BATCH; i++) acked.add(first + i);
          } catch {
            // the connection died with the server: not acknowledged
          }
        }
      };
      const senders = [sender(), sender(), sender(), sender()];
      while (acked.size < 2000) await new Promise((r) => setTimeout(r, 20));
      await server.kill();
      killed = true;
      await Promise.all(senders);
      expect(acked.size).toBeGreaterThanOrEqual(2000);

      server = await startServer(env);
      try {
        await caughtUp(server);
        // The admin created at first start is still there; a new session after the restart.
        const admin = await loginOver(server);
        const events = await pages<{ id: number; ecs: { host: { name: string } } }>(
          server,
          admin,
          '/api/v1/events',
          'events',
        );
        const storedSeqs = new Set(events.map((e) => Number(e.ecs.host.name.slice(2))));
        const missing = [...acked].filter((s) => !storedSeqs.has(s));
        expect(missing).toEqual([]);
        expect(storedSeqs.size).toBe(events.length); // nothing stored twice

        const alerts = await pages<{ rule: { id: string }; vigil: { event_id: number } }>(
          server,
          admin,
          `/api/v1/alerts?rule=${ENCODED_PS_RULE}`,
          'alerts',
        );
        const alertedIds = alerts.map((a) => a.vigil.event_id).sort((a, b) => a - b);
        expect(alertedIds).toEqual(events.map((e) => e.id).sort((a, b) => a - b));
      } finally {
        expect(await server.stop()).toBe(0);
      }
    } finally {
      await pg?.drop();
    }
  }, 180_000);
});
