/* global fetch, setTimeout, clearTimeout, URLSearchParams */
// Shared helpers of the service benchmark (bench/service-bench.mjs): paths, number formatting and
// tables, PostgreSQL (databases, COPY in and out, emptying the store), starting `vigil serve`, and
// sampling the server's memory and the CPU used by each side.
import { spawn } from 'node:child_process';
import { createWriteStream, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import copyStreams from 'pg-copy-streams';

const HERE = dirname(fileURLToPath(import.meta.url));
export const ROOT = resolve(HERE, '..');
export const OUT = join(HERE, 'out');
export const DATA = process.env.VIGIL_SHARED_DATA ?? resolve(ROOT, '../shared/data');
export const PG_BASE = (process.env.VIGIL_BENCH_PG ?? 'postgres://postgres@127.0.0.1:5432').replace(
  /\/+$/,
  '',
);

// ---------------------------------------------------------------------------------------------
// Formatting

export const fmt = (n, digits = 0) =>
  n === undefined || n === null || Number.isNaN(n)
    ? '–'
    : n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

/** Prints a table: first column left-aligned, the others right-aligned. */
export function table(headers, rows) {
  const all = [headers, ...rows].map((r) => r.map((c) => String(c ?? '')));
  const widths = headers.map((_, i) => Math.max(...all.map((r) => r[i].length)));
  const line = (r) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  console.log(line(all[0]));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of all.slice(1)) console.log(line(r));
}

const T0 = performance.now();
export const log = (s) =>
  process.stderr.write(`[service-bench +${((performance.now() - T0) / 1000).toFixed(1)} s] ${s}\n`);

// ---------------------------------------------------------------------------------------------
// PostgreSQL

export const dbUrl = (name) => `${PG_BASE}/${name}`;
const created = new Set();

export async function withClient(name, fn) {
  const c = new pg.Client({ connectionString: dbUrl(name) });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

export async function createDb(name) {
  await withClient('postgres', (c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
  await withClient('postgres', (c) => c.query(`CREATE DATABASE ${name}`));
  created.add(name);
}

async function dropDbs(keep) {
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
export async function copyIn(client, statement, chunks) {
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

export async function copyOut(client, statement) {
  const stream = client.query(copyStreams.to(statement));
  const chunks = [];
  let bytes = 0;
  for await (const c of stream) {
    chunks.push(c);
    bytes += c.length;
  }
  return { chunks, bytes };
}

export const COPY_COLUMNS = 'id, timestamp, ingested, source, decoder, format, logsource, ecs, original';

export /** Empties Vigil's tables (and resets the alert ids) between sections; the schema stays. */
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

/** The admin's password on the bench servers (created at first start from VIGIL_ADMIN_PASSWORD). */
const ADMIN_PASSWORD = 'bench-operator-passphrase-0001';

/**
 * Signs the admin in (`POST /api/v1/auth/token`, password grant) and creates an API key with
 * `ingest:write` (`POST /api/v1/api-keys`), as a deployment would for its shippers.
 * @returns `admin` and `ingest`: `Authorization` header values
 */
async function credentials(url) {
  const token = await fetch(`${url}/api/v1/auth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'password', username: 'admin', password: ADMIN_PASSWORD }),
  });
  if (token.status !== 200) throw new Error(`login answered ${token.status}: ${await token.text()}`);
  const admin = `Bearer ${(await token.json()).access_token}`;
  const key = await fetch(`${url}/api/v1/api-keys`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: admin },
    body: JSON.stringify({ name: 'bench ingest', permissions: ['ingest:write'] }),
  });
  if (key.status !== 201) throw new Error(`creating the API key answered ${key.status}: ${await key.text()}`);
  return { admin, ingest: `ApiKey ${(await key.json()).encoded}` };
}

/**
 * Starts `vigil serve` on database `name`; resolves when it prints its address and the admin has
 * signed in (`server.auth.admin`) and created an ingest key (`server.auth.ingest`). Rate limits
 * are set far above what the load generators offer, so the figures measure the service, not the
 * limiter; authentication itself (JWT and API key checks) stays on every request.
 */
export async function startServer(name, label, smoke) {
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
      VIGIL_ADMIN_PASSWORD: ADMIN_PASSWORD,
      VIGIL_RATE_LIMIT: '10000000',
      VIGIL_INGEST_RATE_LIMIT: '100000000',
      // One sign-in per server, valid however long a run with custom options lasts.
      VIGIL_ACCESS_TOKEN_TTL: '86400',
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
  try {
    server.auth = await credentials(server.url);
  } catch (err) {
    await server.stop();
    throw err;
  }
  return server;
}

/** Peak resident set (VmHWM) of a process, MB. */
export function peakRssMb(pid) {
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
export function cpuSnapshot(pid) {
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
export function cpuUse(a, b) {
  const wall = b.at - a.at;
  const pct = (k) => ((b[k] - a[k]) / wall) * 100;
  const c = { server: pct('server'), client: pct('client'), pg: pct('pg'), machine: pct('busy') };
  c.other = Math.max(0, c.machine - c.server - c.client - c.pg);
  return c;
}

export const cpuText = (c) => `${fmt(c.server)} / ${fmt(c.client)} / ${fmt(c.pg)} / ${fmt(c.other)}`;
export const CPU_NOTE = `CPU: % of one CPU (this machine has ${availableParallelism()}) used by the server / this load generator / PostgreSQL / all other processes`;

/** Sums of a few Prometheus series from /metrics. */
export async function metrics(url) {
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

/** Kills the servers still running, drops the databases (unless `keep`), removes the data dirs. */
export async function cleanup(keep) {
  for (const child of servers) child.kill('SIGKILL');
  await dropDbs(keep);
  for (const d of dataDirs) rmSync(d, { recursive: true, force: true });
}
