#!/usr/bin/env node
/* global fetch, setTimeout, clearTimeout, structuredClone */
// Benchmark of the service (`vigil serve` on PostgreSQL): HTTP ingest with detection on, beside a
// bare COPY of the same rows in the same run, and the read API (alert list, 24-hour event search)
// under a fixed offered load over a store of ≥ 1M events. Run `node bench/service-bench.mjs --help`.
import { spawn } from 'node:child_process';
import {
  createWriteStream,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import pg from 'pg';
import copyStreams from 'pg-copy-streams';
import { runFixedRate, runIngest } from './service-load.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, '..');
const OUT = join(HERE, 'out');
const DATA = process.env.VIGIL_SHARED_DATA ?? resolve(ROOT, '../shared/data');

const HELP = `Usage: node bench/service-bench.mjs [options]     (also run by \`npm run bench\`)

Benchmarks \`vigil serve\` (dist/, build first: npm run build) on PostgreSQL, from this process over
loopback:

  1. Ingest: N clients POST NDJSON batches to /api/v1/events (detection on), for two event shapes
     (Windows ~1.9 KB from ../shared/data/windows-attack OTRF JSONL, else synthesized; generic
     JSON ~150 B with a message field). Prints acknowledged events/s, p50/p95/p99 acknowledgement
     latency per request, events/s until /ready shows detection_lag 0, the server's peak RSS
     (VmHWM), and a baseline: bare COPY of the same stored rows into a table with the same
     columns (with and without the events indexes), rows/s, and the ratio ingest ÷ COPY (goal ≥ 0.5).
  2. API: loads ≥ 1M events (last 7 days, host.name/user.name/source.ip) and ~3k alerts with COPY
     before starting the server, then offers a fixed rate (500 req/s over 50 connections) to
     GET /api/v1/alerts?limit=50 (goal p95 < 50 ms) and a 24-hour
     GET /api/v1/events?from&to&limit=100 (goal p95 < 250 ms); prints p50/p95/p99 and the rate achieved.

Missed goals are printed beside the goal, never a failure. Each run creates a fresh database
(vigil_bench_<pid>, emptied between sections) and drops it at the end. Figures also go to bench/out/service-results*.json,
server logs to bench/out/service-*.log.

Options:
  --smoke              tiny, fast run (< 30 s): proves the benchmark works
  --ingest-seconds S   load duration per event shape (default 30; smoke 1.5)
  --clients N          concurrent ingest clients (default 8; smoke 4)
  --batch B            events per ingest request (default 500; smoke 200)
  --api-events N       events loaded for the API bench (default 1000000; smoke 20000)
  --api-alerts N       alerts loaded for the API bench (default 3000; smoke 300)
  --api-seconds S      measured seconds per endpoint (default 20; smoke 5)
  --rate R             offered requests/s (default 500)
  --connections C      HTTP connections for the API load (default 50)
  --only ingest|api    run one section
  --keep               keep the databases (names printed) instead of dropping them
  --help               this text

Environment: VIGIL_BENCH_PG (default postgres://postgres@127.0.0.1:5432), VIGIL_SHARED_DATA.`;

const argv = process.argv.slice(2);
if (argv.includes('--help') || argv.includes('-h')) {
  console.log(HELP);
  process.exit(0);
}
const smoke = argv.includes('--smoke');
function opt(name, full, small) {
  const i = argv.indexOf(name);
  if (i < 0) return smoke ? small : full;
  const v = Number(argv[i + 1]);
  if (!Number.isFinite(v) || v <= 0) {
    console.error(`${name}: expected a positive number`);
    process.exit(2);
  }
  return v;
}
const O = {
  ingestSeconds: opt('--ingest-seconds', 30, 1.5),
  clients: opt('--clients', 8, 4),
  batch: opt('--batch', 500, 200),
  apiEvents: opt('--api-events', 1_000_000, 20_000),
  apiAlerts: opt('--api-alerts', 3000, 300),
  apiSeconds: opt('--api-seconds', 20, 5),
  warmupSeconds: smoke ? 0.5 : 3,
  rate: opt('--rate', 500, 500),
  connections: opt('--connections', 50, 50),
};
const only = argv.includes('--only') ? argv[argv.indexOf('--only') + 1] : undefined;
const keep = argv.includes('--keep');
const PG_BASE = (process.env.VIGIL_BENCH_PG ?? 'postgres://postgres@127.0.0.1:5432').replace(/\/+$/, '');
const DB_PREFIX = `vigil_bench_${process.pid}`; // one database per run, emptied between sections

// dist modules (after --help, so the help works without a build).
const { copyText, openDatabase } = await import('../dist/store/database.js');
await import('../dist/pipeline/decoders/register.js');
const { prepareJson } = await import('../dist/pipeline/ingest/prepare.js');

mkdirSync(OUT, { recursive: true });

// ---------------------------------------------------------------------------------------------
// Formatting

const fmt = (n, digits = 0) =>
  n === undefined || n === null || Number.isNaN(n)
    ? '–'
    : n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

/** Prints a table: first column left-aligned, the others right-aligned. */
function table(headers, rows) {
  const all = [headers, ...rows].map((r) => r.map((c) => String(c ?? '')));
  const widths = headers.map((_, i) => Math.max(...all.map((r) => r[i].length)));
  const line = (r) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  console.log(line(all[0]));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of all.slice(1)) console.log(line(r));
}

const T0 = performance.now();
const log = (s) =>
  process.stderr.write(`[service-bench +${((performance.now() - T0) / 1000).toFixed(1)} s] ${s}\n`);

// ---------------------------------------------------------------------------------------------
// PostgreSQL

const dbUrl = (name) => `${PG_BASE}/${name}`;
const created = new Set();

async function withClient(name, fn) {
  const c = new pg.Client({ connectionString: dbUrl(name) });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

async function createDb(name) {
  await withClient('postgres', (c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
  await withClient('postgres', (c) => c.query(`CREATE DATABASE ${name}`));
  created.add(name);
}

async function dropDbs() {
  if (keep) {
    if (created.size) log(`kept databases: ${[...created].join(', ')}`);
    return;
  }
  for (const name of created) {
    await withClient('postgres', (c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).catch(
      (err) => log(`could not drop ${name}: ${err.message}`),
    );
  }
  created.clear();
}

/** Streams `chunks` (strings or Buffers) into `COPY … FROM STDIN`. @returns ms */
async function copyIn(client, statement, chunks) {
  const t0 = performance.now();
  const stream = client.query(copyStreams.from(statement));
  const done = new Promise((res, rej) => {
    stream.on('finish', res);
    stream.on('error', rej);
  });
  for await (const c of chunks) {
    if (!stream.write(c)) await new Promise((r) => stream.once('drain', r));
  }
  stream.end();
  await done;
  return performance.now() - t0;
}

async function copyOut(client, statement) {
  const stream = client.query(copyStreams.to(statement));
  const chunks = [];
  let bytes = 0;
  for await (const c of stream) {
    chunks.push(c);
    bytes += c.length;
  }
  return { chunks, bytes };
}

// ---------------------------------------------------------------------------------------------
// The server

const dataDirs = [];
const servers = new Set();

function freePort() {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => res(port));
    });
  });
}

/** Starts `vigil serve` on database `name`; resolves when it prints its address. */
async function startServer(name, label) {
  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), 'vigil-bench-'));
  dataDirs.push(dataDir);
  const logPath = join(OUT, `service-${label}${smoke ? '-smoke' : ''}.log`);
  const logFile = createWriteStream(logPath);
  const child = spawn(process.execPath, [join(ROOT, 'bin/vigil.js'), 'serve'], {
    cwd: ROOT,
    env: {
      ...process.env,
      VIGIL_PORT: String(port),
      VIGIL_HOST: '127.0.0.1',
      VIGIL_ES_PORT: '0',
      VIGIL_SYSLOG_PORT: '0',
      VIGIL_DATA_DIR: dataDir,
      DATABASE_URL: dbUrl(name),
      VIGIL_LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  servers.add(child);
  const server = {
    child,
    pid: child.pid,
    port,
    url: `http://127.0.0.1:${port}`,
    logPath,
    warnings: 0,
    samples: [],
  };
  const exited = new Promise((r) => child.once('exit', (code, signal) => r({ code, signal })));
  server.exited = exited;
  const onData = (buf) => {
    logFile.write(buf);
    for (const line of buf.toString('utf8').split('\n')) {
      const m = /"level":(\d+)/.exec(line);
      if (m && Number(m[1]) >= 40) {
        server.warnings++;
        if (server.samples.length < 3) server.samples.push(line.slice(0, 300));
      }
    }
  };
  child.stdout.on('data', onData);
  await new Promise((res, rej) => {
    let text = '';
    const timer = setTimeout(() => rej(new Error(`server did not start in 60 s; see ${logPath}`)), 60_000);
    child.stderr.on('data', (buf) => {
      onData(buf);
      text += buf.toString('utf8');
      if (/vigil: serving on http:\/\/127\.0\.0\.1:\d+/.test(text)) {
        clearTimeout(timer);
        res();
      }
    });
    exited.then(({ code, signal }) => {
      clearTimeout(timer);
      rej(
        new Error(`server exited (${code ?? signal}) before serving; see ${logPath}:\n${text.slice(-2000)}`),
      );
    });
  });
  let stopped;
  server.stop = () => (stopped ??= stopServer());
  const stopServer = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 60_000);
      await exited;
      clearTimeout(t);
    }
    servers.delete(child);
    await new Promise((r) => logFile.end(r));
  };
  return server;
}

/** Peak resident set (VmHWM) of a process, MB. */
function peakRssMb(pid) {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

/** utime + stime of a process, ms (Linux, CLK_TCK 100); NaN when it cannot be read. */
function processCpuMs(pid) {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(f[11]) + Number(f[12])) * 10;
  } catch {
    return Number.NaN;
  }
}

/** CPU counters (ms): the server, this process, PostgreSQL's processes, the whole machine. */
function cpuSnapshot(pid) {
  let pgMs = 0;
  let busy = Number.NaN;
  try {
    for (const p of readdirSync('/proc')) {
      if (!/^\d+$/.test(p)) continue;
      try {
        if (readFileSync(`/proc/${p}/comm`, 'utf8').trim() === 'postgres') pgMs += processCpuMs(p) || 0;
      } catch {
        // exited
      }
    }
    const v = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    busy = (v.reduce((x, y) => x + y, 0) - v[3] - (v[4] ?? 0)) * 10;
  } catch {
    // not Linux
  }
  const u = process.cpuUsage();
  return {
    at: performance.now(),
    server: processCpuMs(pid),
    client: (u.user + u.system) / 1000,
    pg: pgMs,
    busy,
  };
}

/** CPU use between two snapshots, % of one CPU: server, load generator, PostgreSQL, everything else. */
function cpuUse(a, b) {
  const wall = b.at - a.at;
  const pct = (k) => ((b[k] - a[k]) / wall) * 100;
  const c = { server: pct('server'), client: pct('client'), pg: pct('pg'), machine: pct('busy') };
  c.other = Math.max(0, c.machine - c.server - c.client - c.pg);
  return c;
}

const cpuText = (c) => `${fmt(c.server)} / ${fmt(c.client)} / ${fmt(c.pg)} / ${fmt(c.other)}`;
const CPU_NOTE = `CPU: % of one CPU (this machine has ${availableParallelism()}) used by the server / this load generator / PostgreSQL / all other processes`;

/** Sums of a few Prometheus series from /metrics. */
async function metrics(url) {
  const text = await (await fetch(`${url}/metrics`)).text();
  const sum = (re) => {
    let s = 0;
    for (const m of text.matchAll(re)) s += Number(m[1]);
    return s;
  };
  return {
    storeBatches: sum(/^vigil_batch_duration_seconds_count\{[^}]*stage="store"[^}]*\} (\S+)/gm),
    storeSeconds: sum(/^vigil_batch_duration_seconds_sum\{[^}]*stage="store"[^}]*\} (\S+)/gm),
    detectBatches: sum(/^vigil_batch_duration_seconds_count\{[^}]*stage="detect"[^}]*\} (\S+)/gm),
    detectSeconds: sum(/^vigil_batch_duration_seconds_sum\{[^}]*stage="detect"[^}]*\} (\S+)/gm),
    alertsCreated: sum(/^vigil_alerts_created_total(?:\{[^}]*\})? (\S+)/gm),
    alertsSuppressed: sum(/^vigil_alerts_suppressed_total(?:\{[^}]*\})? (\S+)/gm),
    throttled: sum(/^vigil_ingest_throttled_total(?:\{[^}]*\})? (\S+)/gm),
  };
}

async function cleanup() {
  for (const child of servers) child.kill('SIGKILL');
  await dropDbs();
  for (const d of dataDirs) rmSync(d, { recursive: true, force: true });
}

for (const sig of ['SIGINT', 'SIGTERM']) {
  process.once(sig, () => {
    log(`${sig}: cleaning up`);
    cleanup().finally(() => process.exit(130));
  });
}

// ---------------------------------------------------------------------------------------------
// Event shapes

/** Real Windows lines (OTRF security datasets, ~1.9 KB), or synthesized ones of that size. */
function windowsLines(limit) {
  const dir = join(DATA, 'windows-attack/otrf-security-datasets/events');
  const lines = [];
  if (existsSync(dir)) {
    for (const f of readdirSync(dir)
      .filter((f) => /\.jsonl(\.gz)?$/.test(f))
      .sort()) {
      const buf = readFileSync(join(dir, f));
      for (const line of (f.endsWith('.gz') ? gunzipSync(buf) : buf).toString('utf8').split('\n')) {
        const t = line.trim();
        if (t.startsWith('{')) lines.push(t);
        if (lines.length >= limit) return { lines, origin: 'OTRF security datasets (real)' };
      }
    }
  }
  if (lines.length > 0) return { lines, origin: 'OTRF security datasets (real)' };
  // No shared data: the example evtx-JSON events, padded to ~1.9 KB with a realistic field.
  const examples = readFileSync(join(ROOT, 'examples/windows/ws-fin-07.jsonl'), 'utf8')
    .split('\n')
    .filter((l) => l.trim().startsWith('{'))
    .map((l) => JSON.parse(l));
  for (let i = 0; lines.length < Math.min(limit, 20_000); i++) {
    const e = structuredClone(examples[i % examples.length]);
    e.Event.System.EventRecordID = 100_000 + i;
    e.Event.System.Computer = `WS-${String(i % 200).padStart(3, '0')}.corp.example`;
    const base = JSON.stringify(e).length;
    e.Event.EventData = { ...(e.Event.EventData ?? {}), Details: 'x'.repeat(Math.max(0, 1900 - base - 14)) };
    lines.push(JSON.stringify(e));
  }
  return { lines, origin: 'synthesized from examples/windows/ws-fin-07.jsonl (no shared data)' };
}

const HOSTS = Array.from({ length: 300 }, (_, i) =>
  i < 200 ? `ws-${String(i).padStart(3, '0')}.corp.example` : `srv-${String(i - 200).padStart(2, '0')}`,
);
const USERS = Array.from({ length: 500 }, (_, i) => `user${String(i).padStart(3, '0')}`);
const ip = (i) => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;

/** Deterministic pseudo-random integers (mulberry32). */
function rng(seed) {
  let a = seed >>> 0;
  return (n) => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) % n) >>> 0;
  };
}

const SYSLOG_MESSAGES = [
  (u, a, r) => `sshd[${1000 + r(9000)}]: Accepted publickey for ${u} from ${a} port ${r(60000)}`,
  (u, a, r) => `sshd[${1000 + r(9000)}]: Failed password for ${u} from ${a} port ${r(60000)}`,
  (u) => `sudo: ${u} : TTY=pts/0 ; PWD=/home/${u} ; COMMAND=/bin/ls`,
  (u, a, r) => `CRON[${1000 + r(9000)}]: (${u}) CMD (run-parts /etc/cron.hourly)`,
  (u) => `systemd-logind: New session of user ${u}.`,
];

/** Generic JSON events with a `message` field (~150 B); `full` adds user.name and source.ip. */
function syslogEvent(r, timestamp, full) {
  const user = USERS[r(USERS.length)];
  const addr = ip(r(1 << 16));
  const host = HOSTS[200 + r(100)];
  const message = SYSLOG_MESSAGES[r(SYSLOG_MESSAGES.length)](user, addr, r);
  return full
    ? { '@timestamp': timestamp, host: { name: host }, user: { name: user }, source: { ip: addr }, message }
    : { '@timestamp': timestamp, host: { name: host }, message };
}

function syslogLines(count) {
  const r = rng(7);
  const t0 = Date.now() - 3_600_000;
  return Array.from({ length: count }, (_, i) =>
    JSON.stringify(syslogEvent(r, new Date(t0 + i * 10).toISOString(), false)),
  );
}

function bodiesOf(lines, batch) {
  const bodies = [];
  for (let i = 0; i + batch <= lines.length; i += batch)
    bodies.push({ text: `${lines.slice(i, i + batch).join('\n')}\n`, events: batch });
  return bodies.length > 0 ? bodies : [{ text: `${lines.join('\n')}\n`, events: lines.length }];
}

// ---------------------------------------------------------------------------------------------
// 1. Ingest

async function waitForLagZero(url, timeoutMs) {
  const t0 = performance.now();
  let lag = Number.NaN;
  while (performance.now() - t0 < timeoutMs) {
    try {
      lag = (await (await fetch(`${url}/ready`)).json()).detection_lag;
      if (lag === 0) return { reached: true, at: performance.now() };
    } catch {
      // retry
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { reached: false, at: performance.now(), lag };
}

const COPY_COLUMNS = 'id, timestamp, ingested, source, decoder, format, logsource, ecs, original';

/** Bare COPY of the first rows of `events` (as stored) into fresh tables with the same columns. */
async function copyBaseline(db, rows) {
  return withClient(db, async (c) => {
    const { chunks, bytes } = await copyOut(
      c,
      `COPY (SELECT ${COPY_COLUMNS} FROM events WHERE id <= ${rows} ORDER BY id) TO STDOUT`,
    );
    const out = { rows, bytes };
    await c.query('CREATE TABLE bench_copy_plain (LIKE events)');
    await c.query('CREATE TABLE bench_copy_indexed (LIKE events INCLUDING ALL)');
    // Checkpoint first so neither copy pays for the other's dirty pages.
    await c.query('CHECKPOINT');
    out.indexedMs = await copyIn(c, `COPY bench_copy_indexed (${COPY_COLUMNS}) FROM STDIN`, chunks);
    await c.query('CHECKPOINT');
    out.plainMs = await copyIn(c, `COPY bench_copy_plain (${COPY_COLUMNS}) FROM STDIN`, chunks);
    await c.query('DROP TABLE bench_copy_plain, bench_copy_indexed');
    return out;
  });
}

/** Empties Vigil's tables (and resets the alert ids) between sections; the schema stays. */
async function emptyStore(db) {
  await withClient(db, async (c) => {
    const tables = (
      await c.query(
        "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename IN ('events', 'alerts', 'alert_events', 'alert_history', 'dead_letters', 'cursors', 'audit_log')",
      )
    ).rows.map((r) => r.tablename);
    if (tables.length) await c.query(`TRUNCATE ${tables.join(', ')} RESTART IDENTITY CASCADE`);
  });
}

async function ingestShape(db, shape, lines, origin) {
  await emptyStore(db);
  const bodies = bodiesOf(lines, O.batch);
  const avgBytes = lines.reduce((s, l) => s + l.length + 1, 0) / lines.length;
  log(
    `ingest ${shape}: ${fmt(lines.length)} distinct lines (${origin}), avg ${fmt(avgBytes)} B; starting server`,
  );
  const server = await startServer(db, `ingest-${shape}`);
  const url = server.url;
  try {
    // A short warm-up (JIT, connection pool), not measured.
    const warm = await runIngest({
      url: `${url}/api/v1/events`,
      bodies: bodies.slice(-4),
      clients: 2,
      seconds: 0.5,
    });
    await waitForLagZero(url, 60_000);
    log(`ingest ${shape}: ${O.clients} clients × ${O.batch} events/request for ${O.ingestSeconds} s`);
    const t0 = performance.now();
    const cpu0 = cpuSnapshot(server.pid);
    const load = await runIngest({
      url: `${url}/api/v1/events`,
      bodies,
      clients: O.clients,
      seconds: O.ingestSeconds,
    });
    const cpu = cpuUse(cpu0, cpuSnapshot(server.pid));
    const lag0 = await waitForLagZero(url, smoke ? 60_000 : 300_000);
    const detectSeconds = (lag0.at - t0) / 1000;
    const m = await metrics(url);
    const rss = peakRssMb(server.pid);
    await server.stop();
    const stored = await withClient(db, async (c) => ({
      events: Number((await c.query('SELECT count(*) AS n FROM events')).rows[0].n),
      alerts: Number((await c.query('SELECT count(*) AS n FROM alerts')).rows[0].n),
      dead: Number((await c.query('SELECT count(*) AS n FROM dead_letters')).rows[0].n),
      templates:
        shape === 'windows'
          ? (
              await c.query(
                'SELECT DISTINCT ON (rule_id) rule_id, rule_title, level, techniques, tactics, document, evidence FROM alerts ORDER BY rule_id, id LIMIT 200',
              )
            ).rows
          : [],
    }));
    // The baseline: at most ~300 MB (full) of the stored rows, the same bytes the service wrote.
    const capRows = Math.max(
      1,
      Math.min(stored.events, Math.floor((smoke ? 40e6 : 300e6) / (avgBytes * 2.2 + 250))),
    );
    log(`ingest ${shape}: baseline COPY of ${fmt(capRows)} stored rows`);
    const base = await copyBaseline(db, capRows);
    const ackEps = load.accepted / load.seconds;
    return {
      shape,
      origin,
      avgBytes,
      load,
      ackEps,
      mbps: (load.accepted * avgBytes) / 1e6 / load.seconds,
      lag0,
      detectEps: lag0.reached ? load.accepted / detectSeconds : Number.NaN,
      detectSeconds,
      metrics: m,
      rssMb: rss,
      stored,
      copy: {
        rows: base.rows,
        mb: base.bytes / 1e6,
        indexedEps: base.rows / (base.indexedMs / 1000),
        plainEps: base.rows / (base.plainMs / 1000),
      },
      warm: warm.accepted,
      cpu,
      warnings: server.warnings,
      warningSamples: server.samples,
      logPath: server.logPath,
    };
  } finally {
    await server.stop();
  }
}

function printIngest(results) {
  console.log(
    `\n== Ingest: POST /api/v1/events (NDJSON), ${O.clients} clients × ${O.batch} events/request, ${O.ingestSeconds} s per shape, PostgreSQL, detection on ==`,
  );
  const col = (f) => results.map(f);
  const goal = (v) => (Number.isNaN(v) ? '–' : v >= 0.5 ? 'met' : 'MISSED');
  table(
    ['', ...results.map((r) => `${r.shape} (${fmt(r.avgBytes)} B)`), 'goal'],
    [
      ['events acknowledged (stored)', ...col((r) => fmt(r.load.accepted)), ''],
      [
        'rows in events table (incl. warm-up)',
        ...col((r) => `${fmt(r.stored.events)} (${fmt(r.warm)})`),
        '= acked + warm-up',
      ],
      ['requests answered 200', ...col((r) => fmt(r.load.requests)), ''],
      ['requests answered 429 (retried)', ...col((r) => fmt(r.load.throttled)), ''],
      ['requests failed (other)', ...col((r) => fmt(r.load.failed)), ''],
      ['records rejected (dead letters)', ...col((r) => fmt(r.load.rejected)), ''],
      ['load duration, s', ...col((r) => fmt(r.load.seconds, 1)), ''],
      ['events/s acknowledged', ...col((r) => fmt(r.ackEps)), ''],
      ['MB/s of NDJSON acknowledged', ...col((r) => fmt(r.mbps, 1)), ''],
      ['ack latency per request p50, ms', ...col((r) => fmt(r.load.latency.p50, 1)), ''],
      ['ack latency per request p95, ms', ...col((r) => fmt(r.load.latency.p95, 1)), ''],
      ['ack latency per request p99, ms', ...col((r) => fmt(r.load.latency.p99, 1)), ''],
      ['ack latency per request max, ms', ...col((r) => fmt(r.load.latency.max, 1)), ''],
      [
        'time from start to detection_lag 0, s',
        ...col((r) => (r.lag0.reached ? fmt(r.detectSeconds, 1) : `not reached (lag ${fmt(r.lag0.lag)})`)),
        '',
      ],
      ['events/s including detection', ...col((r) => fmt(r.detectEps)), ''],
      [
        'alerts created / suppressed matches',
        ...col((r) => `${fmt(r.metrics.alertsCreated)} / ${fmt(r.metrics.alertsSuppressed)}`),
        '',
      ],
      [
        'server store batches: count, mean ms',
        ...col(
          (r) =>
            `${fmt(r.metrics.storeBatches)}, ${fmt((r.metrics.storeSeconds / r.metrics.storeBatches) * 1000, 1)}`,
        ),
        '',
      ],
      [
        'server detect batches: count, mean ms',
        ...col(
          (r) =>
            `${fmt(r.metrics.detectBatches)}, ${fmt((r.metrics.detectSeconds / r.metrics.detectBatches) * 1000, 1)}`,
        ),
        '',
      ],
      ['CPU % during load: server/gen/pg/other', ...col((r) => cpuText(r.cpu)), ''],
      ['server peak RSS (VmHWM), MB', ...col((r) => fmt(r.rssMb)), ''],
      ['server log lines at warn or above', ...col((r) => fmt(r.warnings)), ''],
      ['baseline: stored rows re-copied (MB)', ...col((r) => `${fmt(r.copy.rows)} (${fmt(r.copy.mb)})`), ''],
      ['bare COPY rows/s, same columns + indexes', ...col((r) => fmt(r.copy.indexedEps)), ''],
      ['bare COPY rows/s, same columns, no index', ...col((r) => fmt(r.copy.plainEps)), ''],
      [
        'ratio ingest ÷ COPY (with indexes)',
        ...col((r) => `${fmt(r.ackEps / r.copy.indexedEps, 2)} ${goal(r.ackEps / r.copy.indexedEps)}`),
        '≥ 0.5',
      ],
      [
        'ratio ingest ÷ COPY (no index)',
        ...col((r) => `${fmt(r.ackEps / r.copy.plainEps, 2)} ${goal(r.ackEps / r.copy.plainEps)}`),
        '≥ 0.5',
      ],
    ],
  );
  console.log(CPU_NOTE);
  for (const r of results) {
    if (r.cpu.other > 25)
      console.log(
        `  ${r.shape}: other processes used ${fmt(r.cpu.other)}% of a CPU during the load: these figures are disturbed`,
      );
    if (r.load.failures.length) console.log(`  ${r.shape}: failures: ${r.load.failures.join(' | ')}`);
    if (r.warningSamples.length)
      console.log(`  ${r.shape}: server warnings (${r.logPath}): ${r.warningSamples.join(' | ')}`);
  }
}

// ---------------------------------------------------------------------------------------------
// 2. API

const DAY = 86_400_000;

/** The 7-day store: ids 1..n in time order, ~40% Windows (real ECS) and ~60% generic JSON. */
async function* eventRows(n, now, winTemplates) {
  const r = rng(42);
  const start = now - 7 * DAY;
  const span = 7 * DAY - 60_000;
  const CHUNK = 5000;
  let text = '';
  for (let id = 1; id <= n; id++) {
    const ts = start + ((id - 0.5) / n) * span - r(30_000);
    const timestamp = new Date(ts).toISOString();
    const ingested = new Date(ts + 200 + r(3000)).toISOString();
    let decoder;
    let format;
    let logsource;
    let ecs;
    let original;
    if (winTemplates.length > 0 && r(10) < 4) {
      const t = winTemplates[r(winTemplates.length)];
      const host = HOSTS[r(200)];
      const e = { ...t.ecs, '@timestamp': timestamp, host: { ...t.ecs.host, name: host } };
      if (r(10) < 8) e.user = { ...t.ecs.user, name: USERS[r(USERS.length)] };
      if (r(10) < 4) e.source = { ...t.ecs.source, ip: ip(r(1 << 16)) };
      e.event = { ...t.ecs.event, ingested };
      decoder = t.decoder;
      format = t.format;
      logsource = t.logsource;
      ecs = JSON.stringify(e);
      original = t.host ? t.original.replaceAll(t.host, host) : t.original;
    } else {
      const o = syslogEvent(r, timestamp, true);
      original = JSON.stringify(o);
      decoder = 'json';
      format = 'json';
      logsource = '{}';
      ecs = JSON.stringify({ ...o, event: { ingested } });
    }
    text += `${id}\t${timestamp}\t${ingested}\thttp\t${decoder}\t${format}\t${copyText(logsource)}\t${copyText(ecs)}\t${copyText(original)}\n`;
    if (id % CHUNK === 0) {
      yield text;
      text = '';
    }
  }
  if (text) yield text;
}

function alertStatus(r) {
  const x = r(100);
  return x < 70
    ? 'new'
    : x < 80
      ? 'acknowledged'
      : x < 90
        ? 'in_progress'
        : x < 95
          ? 'resolved'
          : 'false_positive';
}

const SYNTHETIC_ALERT = {
  rule_id: '00000000-0000-4000-8000-000000000001',
  rule_title: 'Synthetic benchmark rule',
  level: 'high',
  techniques: ['T1059', 'T1059.001'],
  tactics: ['TA0002'],
  document: {
    rule: {
      id: '00000000-0000-4000-8000-000000000001',
      name: 'Synthetic benchmark rule',
      level: 'high',
      ruleset: 'sigma',
    },
    event: { kind: 'alert', severity: 73 },
    threat: { framework: 'MITRE ATT&CK', technique: { id: ['T1059'] }, tactic: { id: ['TA0002'] } },
    vigil: { match: { fields: {}, keywords: [], selections: ['selection'] } },
  },
  evidence: [],
};

async function* alertRows(count, nEvents, now, templates) {
  const r = rng(99);
  const start = now - 7 * DAY;
  let text = '';
  for (let i = 0; i < count; i++) {
    const t = templates.length ? templates[i % templates.length] : SYNTHETIC_ALERT;
    const eventId = 1 + r(nEvents);
    const firstSeen = start + ((eventId - 0.5) / nEvents) * 7 * DAY;
    const lastSeen = Math.min(now - 1000, firstSeen + r(3_600_000));
    const createdAt = Math.min(now - 1000, firstSeen + 500 + r(5000));
    const updatedAt = Math.max(createdAt, lastSeen);
    const host = HOSTS[r(HOSTS.length)];
    const user = r(10) < 8 ? USERS[r(USERS.length)] : null;
    const sourceIp = r(10) < 4 ? ip(r(1 << 16)) : null;
    const doc = {
      ...t.document,
      '@timestamp': new Date(firstSeen).toISOString(),
      host: { ...(t.document.host ?? {}), name: host },
    };
    if (user) doc.user = { ...(t.document.user ?? {}), name: user };
    if (sourceIp) doc.source = { ...(t.document.source ?? {}), ip: sourceIp };
    doc.vigil = { ...(t.document.vigil ?? {}), event_id: eventId };
    const evidence = (t.evidence ?? [])
      .slice(0, 1)
      .map((e) => ({ ...e, id: eventId, timestamp: new Date(firstSeen).toISOString() }));
    const cols = [
      t.rule_id,
      t.rule_title,
      t.level,
      alertStatus(r),
      `${host}|${user ?? ''}|${sourceIp ?? ''}`,
      host,
      user,
      sourceIp,
      JSON.stringify(t.techniques),
      JSON.stringify(t.tactics),
      String(eventId),
      String(1 + r(20)),
      new Date(firstSeen).toISOString(),
      new Date(lastSeen).toISOString(),
      new Date(createdAt).toISOString(),
      new Date(updatedAt).toISOString(),
      JSON.stringify(doc),
      JSON.stringify(evidence),
    ];
    text += `${cols.map(copyText).join('\t')}\n`;
    if (text.length > 4e6) {
      yield text;
      text = '';
    }
  }
  if (text) yield text;
}

/** Decoded Windows events (row fields + ECS) to vary into the 7-day store. */
function windowsTemplates(lines, max = smoke ? 300 : 3000) {
  const options = { year: new Date().getUTCFullYear(), timezone: 'UTC' };
  const out = [];
  const step = Math.max(1, Math.floor(lines.length / max));
  for (let i = 0; i < lines.length && out.length < max; i += step) {
    const p = prepareJson(JSON.parse(lines[i]), lines[i], 'http', null, options, new Date().toISOString());
    if (!('ok' in p)) continue;
    const row = p.ok.row;
    const host = row.ecs.host?.name;
    out.push({
      decoder: row.decoder,
      format: row.format,
      logsource: JSON.stringify(row.logsource),
      ecs: row.ecs,
      original: row.original,
      host: typeof host === 'string' && host.length >= 4 ? host : undefined,
    });
  }
  return out;
}

async function loadApiStore(db, lines, alertTemplates) {
  const now = Date.now();
  const d = await openDatabase({ kind: 'postgres', url: dbUrl(db) }); // runs Vigil's migrations
  await d.close();
  await emptyStore(db);
  const winTemplates = windowsTemplates(lines);
  return withClient(db, async (c) => {
    const t0 = performance.now();
    const indexes = (
      await c.query(
        "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'events' AND indexname <> 'events_pkey'",
      )
    ).rows;
    for (const i of indexes) await c.query(`DROP INDEX ${i.indexname}`);
    const copyMs = await copyIn(
      c,
      `COPY events (${COPY_COLUMNS}) FROM STDIN`,
      eventRows(O.apiEvents, now, winTemplates),
    );
    const t1 = performance.now();
    await c.query("SET maintenance_work_mem = '1GB'");
    for (const i of indexes) await c.query(i.indexdef);
    const indexMs = performance.now() - t1;
    await copyIn(
      c,
      'COPY alerts (rule_id, rule_title, level, status, entity_key, host_name, user_name, source_ip, techniques, tactics, first_event_id, event_count, first_seen, last_seen, created_at, updated_at, document, evidence) FROM STDIN',
      alertRows(O.apiAlerts, O.apiEvents, now, alertTemplates),
    );
    await c.query(
      'INSERT INTO alert_events (rule_id, event_id, alert_id) SELECT rule_id, first_event_id, id FROM alerts ON CONFLICT DO NOTHING',
    );
    await c.query(
      "INSERT INTO cursors (name, position) VALUES ('detection', $1) ON CONFLICT (name) DO UPDATE SET position = excluded.position",
      [O.apiEvents],
    );
    await c.query('ANALYZE events');
    await c.query('ANALYZE alerts');
    await c.query('CHECKPOINT');
    const size = Number((await c.query("SELECT pg_total_relation_size('events') AS s")).rows[0].s);
    const last24h = Number(
      (await c.query("SELECT count(*) AS n FROM events WHERE timestamp >= now() - interval '24 hours'"))
        .rows[0].n,
    );
    return {
      events: O.apiEvents,
      alerts: O.apiAlerts,
      alertTemplates: alertTemplates.length,
      windowsTemplates: winTemplates.length,
      copySeconds: copyMs / 1000,
      indexSeconds: indexMs / 1000,
      totalSeconds: (performance.now() - t0) / 1000,
      sizeMb: size / 1e6,
      last24h,
    };
  });
}

/** Execution time and plan of the SQL each endpoint runs (mirrors src/store/{alerts,events}.ts). */
async function explain(db, from, to) {
  const queries = {
    alerts: [
      'SELECT id, status, event_count, first_seen, last_seen, created_at, updated_at, document FROM alerts ORDER BY created_at DESC, id DESC LIMIT 51',
      [],
    ],
    search: [
      'SELECT * FROM events WHERE timestamp >= $1 AND timestamp < $2 ORDER BY timestamp DESC, id DESC LIMIT 101',
      [from, to],
    ],
  };
  return withClient(db, async (c) => {
    const out = {};
    for (const [k, [q, params]] of Object.entries(queries)) {
      let plan;
      for (let i = 0; i < 3; i++)
        plan = (await c.query(`EXPLAIN (ANALYZE, FORMAT JSON) ${q}`, params)).rows[0]['QUERY PLAN'][0];
      const nodes = [];
      for (let n = plan.Plan; n; n = n.Plans?.[0])
        nodes.push(n['Index Name'] ? `${n['Node Type']} (${n['Index Name']})` : n['Node Type']);
      out[k] = { ms: plan['Execution Time'], plan: nodes.join(' → ') };
    }
    return out;
  });
}

async function apiBench(db, lines, alertTemplates) {
  log(`api: loading ${fmt(O.apiEvents)} events and ${fmt(O.apiAlerts)} alerts with COPY`);
  const loaded = await loadApiStore(db, lines, alertTemplates);
  log(
    `api: loaded in ${fmt(loaded.totalSeconds, 1)} s (COPY ${fmt(loaded.copySeconds, 1)} s, indexes ${fmt(loaded.indexSeconds, 1)} s); starting server`,
  );
  const server = await startServer(db, 'api');
  try {
    const now = new Date();
    const from = new Date(now.getTime() - DAY).toISOString();
    const to = now.toISOString();
    const endpoints = [
      {
        name: 'GET /api/v1/alerts?limit=50',
        path: '/api/v1/alerts?limit=50',
        goal: 50,
        key: 'alerts',
        count: (b) => b.alerts?.length,
      },
      {
        name: 'GET /api/v1/events 24 h, limit=100',
        path: `/api/v1/events?from=${from}&to=${to}&limit=100`,
        goal: 250,
        key: 'search',
        count: (b) => b.events?.length,
      },
    ];
    const results = [];
    for (const e of endpoints) {
      const url = `${server.url}${e.path}`;
      log(
        `api: ${e.name}: warm-up ${O.warmupSeconds} s, then ${O.rate} req/s over ${O.connections} connections for ${O.apiSeconds} s`,
      );
      await runFixedRate({ url, rate: O.rate, connections: O.connections, seconds: O.warmupSeconds });
      const cpu0 = cpuSnapshot(server.pid);
      const res = await runFixedRate({
        url,
        rate: O.rate,
        connections: O.connections,
        seconds: O.apiSeconds,
        grace: smoke ? 1 : 5,
      });
      res.cpu = cpuUse(cpu0, cpuSnapshot(server.pid));
      let items;
      try {
        items = e.count(JSON.parse(res.sample?.body ?? '{}'));
      } catch {
        items = undefined;
      }
      results.push({ ...e, ...res, items, responseKb: (res.sample?.body.length ?? 0) / 1024 });
    }
    const rss = peakRssMb(server.pid);
    const warnings = { count: server.warnings, samples: server.samples };
    await server.stop();
    log('api: EXPLAIN ANALYZE of the two queries');
    const plans = await explain(db, from, to);
    return { loaded, results, rss, plans, warnings, logPath: server.logPath };
  } finally {
    await server.stop();
  }
}

function printApi(api) {
  const l = api.loaded;
  console.log(
    `\n== API: fixed offered load ${O.rate} req/s over ${O.connections} connections, ${O.apiSeconds} s per endpoint (after ${O.warmupSeconds} s warm-up) ==`,
  );
  console.log(
    `store: ${fmt(l.events)} events over the last 7 days (${fmt(l.last24h)} in the last 24 h; ${fmt(l.sizeMb)} MB with indexes), ` +
      `${fmt(l.alerts)} alerts (${l.alertTemplates ? `${l.alertTemplates} real rule documents` : 'synthetic documents'}); ` +
      `loaded in ${fmt(l.totalSeconds, 1)} s (COPY ${fmt(l.copySeconds, 1)} s, index builds ${fmt(l.indexSeconds, 1)} s)`,
  );
  table(
    [
      'endpoint',
      'offered',
      '200',
      'not 200',
      'unsent',
      'achieved req/s',
      'p50 ms',
      'p95 ms',
      'p99 ms',
      'max ms',
      'items/resp',
      'KB/resp',
      'SQL alone ms',
      'CPU % srv/gen/pg/other',
      'goal p95',
      '',
    ],
    api.results.map((r) => [
      r.name,
      fmt(r.requests),
      fmt(r.ok),
      fmt(r.requests - r.ok - r.unsent),
      fmt(r.unsent),
      fmt(r.achievedRate),
      fmt(r.latency.p50, 1),
      fmt(r.latency.p95, 1),
      fmt(r.latency.p99, 1),
      fmt(r.latency.max, 1),
      fmt(r.items),
      fmt(r.responseKb),
      fmt(api.plans[r.key].ms, 2),
      cpuText(r.cpu),
      `< ${r.goal} ms`,
      r.latency.p95 < r.goal && r.ok === r.requests ? 'met' : 'MISSED',
    ]),
  );
  console.log(
    'latency: from each request’s scheduled send time to the end of its response (waiting for a free connection counts);\n' +
      'unsent: requests still waiting for a free connection when the window ended (dropped).\n' +
      CPU_NOTE,
  );
  for (const r of api.results) {
    const other = Object.entries(r.statuses).filter(([s]) => s !== '200');
    if (other.length || r.errors || r.unfinished)
      console.log(
        `  ${r.name}: statuses ${JSON.stringify(r.statuses)}, errors ${r.errors}, unanswered after the window ${r.unfinished} ${r.errorSamples.join(' | ')}`,
      );
    console.log(
      `  ${r.name}: from the actual send (no wait for a connection) p50 ${fmt(r.sendLatency.p50, 1)} ms, p95 ${fmt(r.sendLatency.p95, 1)} ms, p99 ${fmt(r.sendLatency.p99, 1)} ms`,
    );
    console.log(`  plan (EXPLAIN ANALYZE, ${r.key}): ${api.plans[r.key].plan}`);
    if (r.cpu.other > 25)
      console.log(
        `  ${r.name}: other processes used ${fmt(r.cpu.other)}% of a CPU during the load: these figures are disturbed`,
      );
  }
  console.log(
    `server peak RSS (VmHWM): ${fmt(api.rss)} MB; log lines at warn or above: ${api.warnings.count}`,
  );
  if (api.warnings.samples.length)
    console.log(`  server warnings (${api.logPath}): ${api.warnings.samples.join(' | ')}`);
}

// ---------------------------------------------------------------------------------------------
// Main

const started = performance.now();
let exitCode = 0;
try {
  const pgVersion = await withClient(
    'postgres',
    async (c) => (await c.query('SHOW server_version')).rows[0].server_version,
  );
  console.log(
    `service bench${smoke ? ' (smoke)' : ''}: ${availableParallelism()} CPUs, node ${process.version}, PostgreSQL ${pgVersion} at ${PG_BASE} (server, load generator and PostgreSQL share this machine)`,
  );
  const win = windowsLines(smoke ? 4000 : Number.POSITIVE_INFINITY);
  const db = DB_PREFIX;
  await createDb(db);
  const results = {};
  let alertTemplates = [];
  if (only !== 'api') {
    const ingest = [];
    ingest.push(await ingestShape(db, 'windows', win.lines, win.origin));
    alertTemplates = ingest[0].stored.templates;
    ingest.push(
      await ingestShape(
        db,
        'syslog',
        syslogLines(smoke ? 20_000 : 200_000),
        'generic JSON with a message field (synthesized)',
      ),
    );
    printIngest(ingest);
    results.ingest = ingest.map(({ stored, ...r }) => ({
      ...r,
      stored: { ...stored, templates: stored.templates.length },
    }));
  }
  if (only !== 'ingest') {
    const api = await apiBench(db, win.lines, alertTemplates);
    printApi(api);
    results.api = { ...api, results: api.results.map(({ sample: _sample, count: _count, ...r }) => r) };
  }
  console.log(`\nservice bench finished in ${fmt((performance.now() - started) / 1000, 1)} s`);
  writeFileSync(
    join(OUT, smoke ? 'service-results-smoke.json' : 'service-results.json'),
    `${JSON.stringify({ date: new Date().toISOString(), options: O, ...results }, null, 2)}\n`,
  );
} catch (err) {
  console.error(`service bench failed: ${err.stack ?? err.message}`);
  exitCode = 1;
} finally {
  log('dropping the databases');
  await cleanup();
  log('done');
}
process.exit(exitCode);
