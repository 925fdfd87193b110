/**
 * Real input through real clients into a running `vigil serve`, on PGlite and PostgreSQL:
 * - Loghub's OpenSSH_2k.log over syslog TCP (`<38>`-prefixed original lines, so original times
 *   are kept) and a line from util-linux `logger -t sshd`;
 * - a Windows attack log (evtx-jsonl) through `POST /api/v1/events`;
 * - another through the Elasticsearch listener with the official client (`helpers.bulk`).
 * With suppression off, the alerts per rule equal `vigil scan`'s detections on the same files,
 * and every alert is also pushed on the WebSocket stream. As a deployment would: the admin signs
 * in, creates an API key for the shippers (REST and Elasticsearch client), and the stream client
 * authenticates with its first message; syslog has no credentials.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@elastic/elasticsearch';
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { freshPostgres, type StoreKind, STORE_KINDS } from '../helpers/service.js';
import { scan } from '../helpers/scan.js';
import { type ServerProcess, serverAccounts, startServer } from '../helpers/server-process.js';
import { requireSharedData, shared } from '../helpers/shared-data.js';

const OPENSSH = shared('loghub/loghub_2k_corrected/OpenSSH/OpenSSH_2k.log');
const PSEXEC = shared(
  'windows-attack/evtx-jsonl/EVTX-to-MITRE-Attack/TA0003-Persistence/T1543.003-Create or Modify System Process-Windows Service/ID7045-7036 PSexec service installation.jsonl',
);
const PTH = shared(
  'windows-attack/evtx-jsonl/EVTX-ATTACK-SAMPLES/Lateral Movement/LM_4624_mimikatz_sekurlsa_pth_source_machine.jsonl',
);
const LOGGER_LINE = 'Failed password for invalid user oracle from 198.51.100.77 port 50022 ssh2';

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

async function allAlerts(
  server: ServerProcess,
  authorization: string,
): Promise<{ rule: { id: string }; vigil: { source: string } }[]> {
  const out = [];
  let cursor: string | undefined;
  do {
    const res = await fetch(`${server.url}/api/v1/alerts?limit=1000${cursor ? `&cursor=${cursor}` : ''}`, {
      headers: { authorization },
    });
    expect(res.status).toBe(200);
    const r = (await res.json()) as {
      alerts: { rule: { id: string }; vigil: { source: string } }[];
      next?: string;
    };
    out.push(...r.alerts);
    cursor = r.next;
  } while (cursor);
  return out;
}

function tally(ids: readonly string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const id of ids) out[id] = (out[id] ?? 0) + 1;
  return out;
}

describe.runIf(requireSharedData())('real logs from real clients become alerts (vigil serve)', () => {
  it.each(STORE_KINDS)(
    'on %s: syslog (TCP, logger), REST and the Elasticsearch client',
    async (kind: StoreKind) => {
      const expected = await scan([OPENSSH, PSEXEC, PTH]);
      const expectedByRule = tally(expected.detections.map((d) => d.rule.id!));
      expect(expected.detections.length).toBeGreaterThan(100);

      const pg = kind === 'postgres' ? await freshPostgres() : undefined;
      const [esPort, syslogPort] = [await freePort(), await freePort()];
      const server = await startServer({
        VIGIL_DATA_DIR: mkdtempSync(join(tmpdir(), 'vigil-e2e-')),
        VIGIL_ES_PORT: String(esPort),
        VIGIL_SYSLOG_PORT: String(syslogPort),
        VIGIL_SYSLOG_YEAR: '2025',
        VIGIL_SUPPRESS_MS: '0',
        ...(pg ? { DATABASE_URL: pg.url } : {}),
      });
      try {
        const { admin, ingestKey } = await serverAccounts(server);
        const ws = new WebSocket(`ws://127.0.0.1:${server.port}/api/v1/stream`);
        const streamed: string[] = [];
        let authenticated: () => void;
        const ready = new Promise<void>((r) => (authenticated = r));
        ws.on('message', (d) => {
          const m = JSON.parse(String(d)) as {
            type: string;
            change?: string;
            alert?: { rule: { id: string } };
          };
          if (m.type === 'authenticated') authenticated();
          if (m.type === 'alert' && m.change === 'created') streamed.push(m.alert!.rule.id);
        });
        await new Promise((r) => ws.once('open', r));
        ws.send(JSON.stringify({ type: 'auth', token: admin.slice('Bearer '.length) }));
        await ready;

        // Syslog over TCP, newline framing, PRI 38 (auth.info) before each original line.
        const lines = readFileSync(OPENSSH, 'utf8').trimEnd().split('\n');
        await new Promise<void>((resolve, reject) => {
          const sock = connect(syslogPort, '127.0.0.1', () => {
            sock.end(lines.map((l) => `<38>${l}\n`).join(''), resolve);
          });
          sock.on('error', reject);
        });
        execFileSync('logger', [
          '-n',
          '127.0.0.1',
          '-P',
          String(syslogPort),
          '-T',
          '-t',
          'sshd',
          LOGGER_LINE,
        ]);

        // REST.
        const rest = await fetch(`${server.url}/api/v1/events`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-ndjson', authorization: ingestKey.bearer },
          body: readFileSync(PSEXEC),
        });
        expect(rest.status).toBe(200);
        expect(((await rest.json()) as { rejected: number }).rejected).toBe(0);

        // Elasticsearch client, as a shipper would.
        const es = new Client({
          node: `http://127.0.0.1:${esPort}`,
          auth: { apiKey: ingestKey.apiKey.slice('ApiKey '.length) },
        });
        const docs = readFileSync(PTH, 'utf8')
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l) as object);
        const stats = await es.helpers.bulk({
          datasource: docs,
          onDocument: () => ({ create: { _index: 'winlogbeat' } }),
        });
        expect(stats.successful).toBe(docs.length);
        await es.close();

        // Wait for everything to be stored and detected.
        const total = lines.length + 1 + readFileSync(PSEXEC, 'utf8').trim().split('\n').length + docs.length;
        let alerts: Awaited<ReturnType<typeof allAlerts>> = [];
        for (let i = 0; i < 300; i++) {
          const stored = (await (await fetch(`${server.url}/metrics`)).text())
            .split('\n')
            .filter((l) => l.startsWith('vigil_events_ingested_total'))
            .reduce((n, l) => n + Number(l.split(' ')[1]), 0);
          const ready = (await (await fetch(`${server.url}/ready`)).json()) as { detection_lag: number };
          if (stored >= total && ready.detection_lag === 0) break;
          await new Promise((r) => setTimeout(r, 200));
        }
        alerts = await allAlerts(server, admin);
        const got = tally(alerts.map((a) => a.rule.id));
        const sshFailed = '16054032-' as const;
        const loggerRule = Object.keys(got).find((id) => id.startsWith(sshFailed))!;
        // The logger line adds one failed-password match to what the scan of the files found.
        expect(got).toEqual({ ...expectedByRule, [loggerRule]: (expectedByRule[loggerRule] ?? 0) + 1 });
        expect(new Set(alerts.map((a) => a.vigil.source))).toEqual(
          new Set(['syslog-tcp', 'http', 'es-bulk']),
        );
        for (let i = 0; i < 100 && streamed.length < alerts.length; i++)
          await new Promise((r) => setTimeout(r, 50));
        expect(tally(streamed)).toEqual(got);
        ws.close();
      } finally {
        expect(await server.stop()).toBe(0);
        await pg?.drop();
      }
    },
    240_000,
  );
});
