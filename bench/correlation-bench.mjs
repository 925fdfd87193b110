#!/usr/bin/env node
// Benchmark of the correlation engine (src/detect/sigma/correlation): base-rule matches per
// second through event_count, value_count and temporal_ordered correlations at once, with 10,000
// sources, beside a bare baseline in the same run (a Map of per-source timestamp arrays with the
// same sliding-window count, no correlation semantics), peak state size and heap.
//
//   npm run bench                 2,000,000 matches
//   npm run bench -- --smoke      200,000 matches (CI)
//
// Writes bench/out/correlation-results[-smoke].json.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Correlator } from '../dist/detect/sigma/correlation/engine.js';
import { planCorrelations } from '../dist/detect/sigma/correlation/plan.js';
import { parseRules } from '../dist/detect/sigma/parse.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const OUT = join(HERE, 'out');
const smoke = process.argv.includes('--smoke');
const N = smoke ? 200_000 : 2_000_000;
const SOURCES = 10_000;

const base = (name) =>
  `title: ${name}\nid: id-${name}\nname: ${name}\nlogsource:\n    product: linux\ndetection:\n    sel:\n        a: 1\n    condition: sel\n`;
const yaml = `${base('fail')}---\n${base('ok')}---
title: brute force
id: c1
name: brute
correlation:
    type: event_count
    rules: [fail]
    group-by: [source.ip]
    timespan: 5m
    condition:
        gte: 20
---
title: spraying
id: c2
correlation:
    type: value_count
    rules: [fail]
    group-by: [source.ip]
    timespan: 10m
    condition:
        field: user.name
        gte: 10
---
title: fail then success
id: c3
correlation:
    type: temporal_ordered
    rules: [brute, ok]
    group-by: [source.ip]
    timespan: 1h
`;
const parsed = parseRules(yaml, 'bench.yml');
const plan = planCorrelations(parsed.rules, parsed.correlations);
const fail = parsed.rules.find((r) => r.name === 'fail');
const ok = parsed.rules.find((r) => r.name === 'ok');

// Deterministic input: one match every 10 ms of event time, sources and users from an LCG.
let seed = 42;
const rand = () => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32;
const inputs = new Array(N);
for (let i = 0; i < N; i++) {
  const k = Math.floor(rand() * SOURCES);
  const ip = `10.0.${k >> 8}.${k & 255}`;
  inputs[i] = {
    rule: rand() < 0.02 ? ok : fail,
    time: 1_700_000_000_000 + i * 10,
    fields: { 'source.ip': ip, 'user.name': `u${Math.floor(rand() * 50)}` },
    ref: i,
  };
}

function runEngine() {
  const engine = new Correlator(plan);
  let alerts = 0;
  let peakGroups = 0;
  const batchMs = [];
  const t0 = performance.now();
  for (let b = 0; b < N; b += 1000) {
    const tb = performance.now();
    for (let i = b; i < Math.min(N, b + 1000); i++) {
      const m = inputs[i];
      alerts += engine.feed(m.rule, { time: m.time, fields: m.fields, ref: m.ref }).length;
    }
    batchMs.push(performance.now() - tb);
    if (engine.stats.groups > peakGroups) peakGroups = engine.stats.groups;
  }
  const ms = performance.now() - t0;
  batchMs.sort((a, b) => a - b);
  return {
    ms,
    alerts,
    peakGroups,
    p95BatchMs: batchMs[Math.floor(batchMs.length * 0.95)],
    stats: engine.stats,
  };
}

function runBaseline() {
  // The floor: per-source arrays of timestamps with a 5-minute sliding count, nothing else.
  const windows = new Map();
  let fired = 0;
  const t0 = performance.now();
  for (let i = 0; i < N; i++) {
    const m = inputs[i];
    const ip = m.fields['source.ip'];
    let w = windows.get(ip);
    if (!w) windows.set(ip, (w = []));
    w.push(m.time);
    while (w[0] < m.time - 300_000) w.shift();
    if (w.length >= 20) {
      fired++;
      w.length = 0;
    }
  }
  return { ms: performance.now() - t0, fired };
}

runEngine(); // warm-up
const baseline = runBaseline();
const engine = runEngine();
const heapMb = process.memoryUsage().heapUsed / 1e6;
const fmt = (n) => Math.round(n).toLocaleString('en-US');
const result = {
  matches: N,
  sources: SOURCES,
  correlations: plan.correlations.length,
  engine: {
    matchesPerS: N / (engine.ms / 1000),
    ms: engine.ms,
    p95MsPer1000: engine.p95BatchMs,
    alerts: engine.alerts,
    peakGroups: engine.peakGroups,
    late: engine.stats.late,
    shed: engine.stats.shedGroups + engine.stats.shedEvents,
  },
  baseline: { matchesPerS: N / (baseline.ms / 1000), ms: baseline.ms, fired: baseline.fired },
  heapMb,
  maxRssMb: process.resourceUsage().maxRSS / 1024,
};
console.log(
  `correlation: ${fmt(result.engine.matchesPerS)} matches/s through ${result.correlations} correlations ` +
    `(p95 ${result.engine.p95MsPer1000.toFixed(2)} ms per 1,000; ${fmt(engine.alerts)} alerts; peak ${fmt(engine.peakGroups)} groups) ` +
    `vs bare sliding count ${fmt(result.baseline.matchesPerS)} matches/s ` +
    `(${(result.engine.matchesPerS / result.baseline.matchesPerS).toFixed(2)}×); heap ${heapMb.toFixed(0)} MB, peak RSS ${result.maxRssMb.toFixed(0)} MB`,
);
mkdirSync(OUT, { recursive: true });
writeFileSync(join(OUT, `correlation-results${smoke ? '-smoke' : ''}.json`), JSON.stringify(result, null, 2));
