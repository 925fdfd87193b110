#!/usr/bin/env node
/* global AbortController, setTimeout */
// Benchmark of UEBA inside the detection stage: the same stored batch stream (synthetic SSH
// syslog lines and Windows Security JSON events from 550 hosts, users and addresses over three
// hours, so hourly windows close twice within the stream; the smoke stream has about 5 times
// more windows per event than the full one) through the detection stage with UEBA off and on (active models trained on the same
// events, so closing windows are scored), alternating runs in one process, on PGlite in memory.
// Reports events/s and per-batch latency (p50, p95) per mode, the median over the runs, and the
// time spent inside UEBA in the same batches (robust to the machine's run-to-run noise).
//
//   node bench/ueba-bench.mjs            100,000 events, 3 runs per mode
//   node bench/ueba-bench.mjs --smoke    20,000 events, 1 run per mode
//
// Needs `npm run build` first. Writes bench/out/ueba-results[-smoke].json.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import '../dist/pipeline/decoders/register.js';
import { prepareJson, prepareLine } from '../dist/pipeline/ingest/prepare.js';
import { DetectionStage } from '../dist/pipeline/detect-stage.js';
import { RuleService } from '../dist/rules/service.js';
import { BUILTIN_RULES_DIR } from '../dist/service/vigil.js';
import { openDatabase } from '../dist/store/database.js';
import { EventStore } from '../dist/store/events.js';
import { ModelRegistry } from '../dist/ml/registry.js';
import { UebaStage } from '../dist/ml/ueba/stage.js';
import { uebaTrainers } from '../dist/ml/ueba/trainer.js';
import { mulberry32 } from '../dist/detect/random.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const OUT = join(HERE, 'out');
const smoke = process.argv.includes('--smoke');
const N = smoke ? 20_000 : 100_000;
const RUNS = smoke ? 1 : 3;
const H = 3_600_000;
const START = Date.parse('2026-03-02T00:00:00Z');
const SPAN = 3 * H;
const OPTIONS = { year: 2026, timezone: 'UTC' };
const WALL = new Date(START + SPAN + 2 * H);

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad = (n) => String(n).padStart(2, '0');
const syslogTime = (t) => {
  const d = new Date(t);
  return `${MONTHS[d.getUTCMonth()]} ${String(d.getUTCDate()).padStart(2, ' ')} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
};

/**
 * The stream, over three hours, from 50 hosts, 200 users and 300 addresses: half sshd lines (logons —
 * 2 % of them failed —, session ends, disconnects), half Windows Security events (4688 process
 * starts, 4634 logoffs, 4624 logons, 1 % 4625 failures). Most events match no rule, as in real logs.
 */
function rows() {
  const rnd = mulberry32(42);
  const pick = (n) => Math.floor(rnd() * n);
  const out = [];
  const ingested = WALL.toISOString();
  for (let i = 0; i < N; i++) {
    const t = START + Math.floor((i / N) * SPAN) + pick(1000);
    const host = `host${pick(50)}`;
    const user = `user${pick(200)}`;
    const ip = `10.0.${pick(2)}.${1 + pick(150)}`;
    let p;
    if (rnd() < 0.5) {
      const r = rnd();
      const port = 20000 + pick(40000);
      const msg =
        r < 0.25
          ? `${rnd() < 0.98 ? 'Accepted' : 'Failed'} password for ${user} from ${ip} port ${port} ssh2`
          : r < 0.6
            ? `pam_unix(sshd:session): session closed for user ${user}`
            : `Received disconnect from ${ip} port ${port}:11: disconnected by user`;
      p = prepareLine(
        `${syslogTime(t)} ${host} sshd[${1000 + pick(9000)}]: ${msg}`,
        'syslog',
        'syslog-tcp',
        i + 1,
        OPTIONS,
        ingested,
      );
    } else {
      const r = rnd();
      const id = r < 0.01 ? 4625 : r < 0.15 ? 4624 : r < 0.4 ? 4634 : 4688;
      const value = {
        EventID: id,
        Channel: 'Security',
        Hostname: `${host}.corp.local`,
        TimeCreated: new Date(t).toISOString(),
        TargetUserName: user,
        IpAddress: id === 4688 || id === 4634 ? '-' : ip,
        NewProcessName:
          id === 4688
            ? `C:\\Windows\\System32\\${['cmd.exe', 'powershell.exe', 'svchost.exe', 'whoami.exe'][pick(4)]}`
            : undefined,
      };
      const text = JSON.stringify(value);
      p = prepareJson(JSON.parse(text), text, 'http', i + 1, OPTIONS, ingested);
    }
    if (p && 'ok' in p) out.push(p.ok.row);
  }
  return out;
}

function quantile(sorted, q) {
  if (sorted.length === 0) return NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  return sorted[lo] + (sorted[Math.ceil(pos)] - sorted[lo]) * (pos - lo);
}

const median = (xs) =>
  quantile(
    [...xs].sort((a, b) => a - b),
    0.5,
  );

async function store(stream) {
  const database = await openDatabase({ kind: 'pglite-memory' });
  const events = await EventStore.open(database);
  for (let i = 0; i < stream.length; i += 5000) await events.append(stream.slice(i, i + 5000));
  return { database, events };
}

let trained;

async function run(stream, ueba) {
  const { database, events } = await store(stream);
  const uebaMs = [];
  try {
    const now = () => WALL;
    const rules = new RuleService(database, [BUILTIN_RULES_DIR], now);
    await rules.reload();
    let behaviour;
    if (ueba) {
      const registry = await ModelRegistry.open(database.db, { now });
      const window = { from: new Date(START), to: new Date(START + SPAN + H) };
      trained ??= await Promise.all(
        uebaTrainers({ windowMs: H, threshold: 0.65, now }).map(async (t) => ({
          name: t.name,
          model: await t.train(database.db, window, () => undefined, new AbortController().signal),
        })),
      );
      for (const { name, model } of trained)
        await registry.register(database.db, name, model, { jobId: null, promote: 'active' });
      const ueba = new UebaStage({
        models: registry,
        windowMs: H,
        latenessMs: 300_000,
        idleMs: 86_400_000,
        threshold: 0.65,
      });
      // Time spent in UEBA inside each detection transaction (a delegating wrapper).
      behaviour = {
        due: (wallNow) => ueba.due(wallNow),
        async process(trx, items, at) {
          const t = performance.now();
          try {
            return await ueba.process(trx, items, at);
          } finally {
            if (items.length > 0) uebaMs.push(performance.now() - t);
          }
        },
        stats: () => ueba.stats(),
      };
    }
    const batches = [];
    let alerts = 0;
    const last = await events.lastId();
    const stage = new DetectionStage({
      database,
      events,
      rules,
      decodeOptions: () => OPTIONS,
      suppressMs: 3_600_000,
      batchEvents: 1000,
      maxBuffered: 50_000,
      now,
      behaviour,
      onDetected: (_items, changes, ms) => {
        batches.push(ms);
        alerts += changes.length;
      },
      onError: (err) => {
        throw err;
      },
    });
    const t0 = performance.now();
    await stage.start();
    while (stage.position < last) await new Promise((r) => setTimeout(r, 5));
    const seconds = (performance.now() - t0) / 1000;
    await stage.stop();
    const windows = await database.db
      .selectFrom('ml_scores')
      .select((eb) => eb.fn.countAll().as('n'))
      .executeTakeFirst();
    batches.sort((a, b) => a - b);
    const detectMs = batches.reduce((a, b) => a + b, 0);
    const inUeba = uebaMs.reduce((a, b) => a + b, 0);
    uebaMs.sort((a, b) => a - b);
    return {
      uebaShare: inUeba / detectMs,
      uebaP50: quantile(uebaMs, 0.5),
      uebaP95: quantile(uebaMs, 0.95),
      eventsPerSecond: stream.length / seconds,
      p50: quantile(batches, 0.5),
      p95: quantile(batches, 0.95),
      batches: batches.length,
      alerts,
      scoredWindows: Number(windows?.n ?? 0),
      open: behaviour?.stats().open ?? 0,
    };
  } finally {
    await database.close();
  }
}

const stream = rows();
console.log(
  `UEBA in the detection stage: ${stream.length} stored events, batches of 1,000, PGlite in memory, ${RUNS} run(s) per mode`,
);
const results = { off: [], on: [] };
for (let r = 0; r < RUNS; r++) {
  for (const mode of r % 2 === 0 ? ['off', 'on'] : ['on', 'off']) {
    const res = await run(stream, mode === 'on');
    results[mode].push(res);
    console.log(
      `  run ${r + 1} ${mode.padEnd(3)} ${Math.round(res.eventsPerSecond)} events/s, p95 ${res.p95.toFixed(1)} ms/batch`,
    );
  }
}
const summary = {};
for (const mode of ['off', 'on']) {
  const rs = results[mode];
  summary[mode] = {
    eventsPerSecond: Math.round(median(rs.map((r) => r.eventsPerSecond))),
    p50Ms: +median(rs.map((r) => r.p50)).toFixed(2),
    p95Ms: +median(rs.map((r) => r.p95)).toFixed(2),
    batches: rs[0].batches,
    alerts: rs[0].alerts,
    scoredWindows: rs[0].scoredWindows,
    openAtEnd: rs[0].open,
    uebaShare: +median(rs.map((r) => r.uebaShare)).toFixed(4),
    uebaP50Ms: +median(rs.map((r) => r.uebaP50)).toFixed(2),
    uebaP95Ms: +median(rs.map((r) => r.uebaP95)).toFixed(2),
  };
}
const change = (a, b) => `${(((b - a) / a) * 100).toFixed(1)} %`;
console.log('');
console.log(
  '| mode | events/s | p50 ms/batch | p95 ms/batch | windows scored | windows per 1,000 events | alerts |',
);
console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: |');
for (const mode of ['off', 'on']) {
  const s = summary[mode];
  const density = ((s.scoredWindows / stream.length) * 1000).toFixed(1);
  console.log(
    `| UEBA ${mode} | ${s.eventsPerSecond} | ${s.p50Ms} | ${s.p95Ms} | ${s.scoredWindows} | ${density} | ${s.alerts} |`,
  );
}
console.log(
  `\nUEBA on vs off: throughput ${change(summary.off.eventsPerSecond, summary.on.eventsPerSecond)}, ` +
    `p95 ${change(summary.off.p95Ms, summary.on.p95Ms)} (medians of alternating runs; on a shared ` +
    `machine the run-to-run spread is large, see the lines per run)`,
);
console.log(
  `Time inside UEBA, measured in the same batches: ${(summary.on.uebaShare * 100).toFixed(1)} % of the ` +
    `detection batches' time; p50 ${summary.on.uebaP50Ms} ms, p95 ${summary.on.uebaP95Ms} ms per batch`,
);
mkdirSync(OUT, { recursive: true });
writeFileSync(
  join(OUT, `ueba-results${smoke ? '-smoke' : ''}.json`),
  JSON.stringify({ events: stream.length, runs: RUNS, summary, results }, null, 2),
);
