#!/usr/bin/env node
// Benchmark of the service (`vigil serve` on PostgreSQL): HTTP ingest with detection on, beside a
// bare COPY of the same rows in the same run, and the read API (alert list, 24-hour event search)
// under a fixed offered load over a store of ≥ 1M events. Run `node bench/service-bench.mjs --help`.
// This file: options, the run and the printed tables; the sections are in service-ingest.mjs and
// service-api.mjs, the event shapes in service-data.mjs, shared helpers in service-util.mjs and
// the load generators in service-load.mjs.
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { syslogLines, windowsLines } from './service-data.mjs';
import { ingestShape } from './service-ingest.mjs';
import {
  cleanup,
  CPU_NOTE,
  cpuText,
  createDb,
  fmt,
  log,
  OUT,
  PG_BASE,
  table,
  withClient,
} from './service-util.mjs';

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

Each server starts with VIGIL_ADMIN_PASSWORD set; the admin signs in and creates an API key with
ingest:write. Ingest requests carry that key (Authorization: ApiKey …), API requests the admin's
access token, so authentication is measured on every request; the rate limits (VIGIL_RATE_LIMIT,
VIGIL_INGEST_RATE_LIMIT) are set far above the offered load, so the limiter never throttles.

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
const DB_PREFIX = `vigil_bench_${process.pid}`; // one database per run, emptied between sections
const RUN = { O, smoke };

// The API section imports dist/ modules: load it after --help, so the help works without a build.
const { apiBench } = await import('./service-api.mjs');

mkdirSync(OUT, { recursive: true });

for (const sig of ['SIGINT', 'SIGTERM']) {
  process.once(sig, () => {
    log(`${sig}: cleaning up`);
    cleanup(keep).finally(() => process.exit(130));
  });
}

// ---------------------------------------------------------------------------------------------
// Printing

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
    ingest.push(await ingestShape(db, 'windows', win.lines, win.origin, RUN));
    alertTemplates = ingest[0].stored.templates;
    ingest.push(
      await ingestShape(
        db,
        'syslog',
        syslogLines(smoke ? 20_000 : 200_000),
        'generic JSON with a message field (synthesized)',
        RUN,
      ),
    );
    printIngest(ingest);
    results.ingest = ingest.map(({ stored, ...r }) => ({
      ...r,
      stored: { ...stored, templates: stored.templates.length },
    }));
  }
  if (only !== 'ingest') {
    const api = await apiBench(db, win.lines, alertTemplates, RUN);
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
  await cleanup(keep);
  log('done');
}
process.exit(exitCode);
