#!/usr/bin/env node
// Benchmark of the attack-path graph (src/detect/graph): building the graph from events, the
// lateral-movement signals, and shortest paths to critical assets, on synthetic logons and
// flows (2,000 hosts, 5,000 users). Beside it, a bare baseline in the same run: one pass that
// only counts the same (source, user, target) and (src, dst) pairs in Maps (the least work any
// edge aggregation does).
//
//   npm run build && node bench/graph-bench.mjs            200,000 events (the service's cap)
//   npm run build && node bench/graph-bench.mjs --smoke     20,000 events
//
// Then the service path on an in-memory PGlite holding the same events as stored ECS documents:
// the bounded SQL read alone, and a whole /network-topology answer (read, build, signals, view),
// best of 2 (the first query of a fresh PGlite is slower).
//
// Writes bench/out/graph-results[-smoke].json.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildAttackGraph } from '../dist/detect/graph/build.js';
import { pathGraph, reachable, shortestPaths } from '../dist/detect/graph/paths.js';
import { lateralMovementSignals } from '../dist/detect/graph/signals.js';
import { topology } from '../dist/detect/graph/views.js';
import { readGraphEvents } from '../dist/graph/read.js';
import { GraphService } from '../dist/graph/service.js';
import { openDatabase } from '../dist/store/database.js';
import { EventStore } from '../dist/store/events.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const OUT = join(HERE, 'out');
const smoke = process.argv.includes('--smoke');
const N = smoke ? 20_000 : 200_000;
const HOSTS = 2000;
const USERS = 5000;
const DAY = 86_400_000;
const T0 = Date.parse('2026-03-01T00:00:00Z');

// Deterministic generator (mulberry32).
let seed = 42;
function rand() {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const pick = (n) => Math.floor(rand() * n);
const ipOf = (h) => `10.${(h >> 8) & 255}.${h & 255}.${(h % 200) + 10}`;

const events = [];
for (let i = 0; i < N; i++) {
  const time = T0 + Math.floor((i / N) * DAY);
  const src = pick(HOSTS);
  if (i % 3 === 0) {
    events.push({
      id: i + 1,
      time,
      'event.category': ['network'],
      'source.ip': ipOf(src),
      'destination.ip': ipOf(pick(HOSTS)),
      'destination.port': [445, 443, 53, 3389, 80][pick(5)],
    });
  } else {
    // Users mostly log on to a few "home" hosts, sometimes elsewhere.
    const user = pick(USERS);
    const target = rand() < 0.9 ? (user * 7 + pick(3)) % HOSTS : pick(HOSTS);
    events.push({
      id: i + 1,
      time,
      'event.code': '4624',
      'winlog.channel': 'Security',
      'host.name': `host${target}.corp.local`,
      'user.name': `user${user}`,
      'source.ip': ipOf(src),
      'winlog.event_data.LogonType': 3,
      'winlog.event_data.WorkstationName': `HOST${src}`,
    });
  }
}
const window = { from: T0, to: T0 + DAY };

function time(fn, runs = 3) {
  let best = Infinity;
  let out;
  for (let r = 0; r < runs; r++) {
    const t = performance.now();
    out = fn();
    best = Math.min(best, performance.now() - t);
  }
  return { ms: best, out };
}

const baseline = time(() => {
  const pairs = new Map();
  for (const e of events) {
    const k =
      e['event.code'] === '4624'
        ? `${e['source.ip']}|${e['user.name']}|${e['host.name']}`
        : `${e['source.ip']}|${e['destination.ip']}`;
    pairs.set(k, (pairs.get(k) ?? 0) + 1);
  }
  return pairs.size;
});
const build = time(() => buildAttackGraph(events, window));
const g = build.out;
const signals = time(() => lateralMovementSignals(g));
const creds = time(() => pathGraph(g.graph, false));
const critical = ['host:host1', 'host:host2', 'host:host3'];
const sources = [...new Set(signals.out.map((s) => s.entity))].slice(0, 50);
const paths = time(() => sources.flatMap((s) => shortestPaths(creds.out, s, critical, 'hops', 100)), 1);
const reach = time(() => reachable(creds.out, sources[0] ?? 'user:user1', 3, 200));
const topo = time(() => topology(g.graph, new Set(critical), 500, 2000));

const rows = [
  ['baseline: count edge pairs in Maps', baseline.ms, `${baseline.out} pairs`],
  ['buildAttackGraph', build.ms, `${g.graph.order} nodes, ${g.graph.size} edges`],
  ['lateralMovementSignals', signals.ms, `${signals.out.length} signals`],
  ['pathGraph (credential copy)', creds.ms, `${creds.out.size} edges`],
  [`shortestPaths from ${sources.length} entities to 3 assets`, paths.ms, `${paths.out.length} paths`],
  ['reachable (3 hops, 200 nodes)', reach.ms, `${reach.out.nodes.length} nodes`],
  ['topology (500 nodes)', topo.ms, `${topo.out.edges.length} edges`],
];
console.log(
  `attack-path graph, ${N.toLocaleString('en')} events (${smoke ? 'smoke' : 'full'}), best of 3 runs`,
);
console.log('| step | ms | µs/event | result |');
console.log('| --- | ---: | ---: | --- |');
for (const [name, ms, note] of rows)
  console.log(`| ${name} | ${ms.toFixed(1)} | ${((ms * 1000) / N).toFixed(2)} | ${note} |`);
console.log(`build ÷ baseline: ${(build.ms / baseline.ms).toFixed(1)} ×`);

// The service path: the same events stored (nested ECS), read back and built.
function nested(e) {
  const ecs = { '@timestamp': new Date(e.time).toISOString() };
  for (const [k, v] of Object.entries(e)) {
    if (k === 'id' || k === 'time' || v === undefined) continue;
    let node = ecs;
    const parts = k.split('.');
    for (const p of parts.slice(0, -1)) node = node[p] ??= {};
    node[parts[parts.length - 1]] = v;
  }
  return ecs;
}
const database = await openDatabase({ kind: 'pglite-memory' });
const store = await EventStore.open(database);
for (let i = 0; i < events.length; i += 10_000) {
  await store.append(
    events.slice(i, i + 10_000).map((e) => ({
      timestamp: new Date(e.time).toISOString(),
      ingested: new Date(e.time).toISOString(),
      source: 'http',
      decoder: 'json',
      format: 'json',
      logsource: {},
      ecs: nested(e),
      original: '{}',
    })),
  );
}
async function timeAsync(fn, runs = 2) {
  let best = Infinity;
  let out;
  for (let r = 0; r < runs; r++) {
    const t = performance.now();
    out = await fn();
    best = Math.min(best, performance.now() - t);
  }
  return { ms: best, out };
}
const sqlRead = await timeAsync(() =>
  readGraphEvents(database.db, { from: new Date(window.from), to: new Date(window.to) }, 200_000),
);
// cacheMs 0: each answer reads and builds again.
const service = await GraphService.open(database.db, [], { now: () => new Date(window.to), cacheMs: 0 });
const answer = await timeAsync(() => service.topology({ limit: 500 }));
await database.close();
const serviceRows = [
  ['SQL read (PGlite, selected jsonb paths)', sqlRead.ms, `${sqlRead.out.events.length} events`],
  [
    'network-topology answer (read + build + signals + view)',
    answer.ms,
    `${answer.out.nodes.length} nodes listed`,
  ],
];
console.log('| service step | ms | µs/event | result |');
console.log('| --- | ---: | ---: | --- |');
for (const [name, ms, note] of serviceRows)
  console.log(`| ${name} | ${ms.toFixed(1)} | ${((ms * 1000) / N).toFixed(2)} | ${note} |`);
rows.push(...serviceRows);
mkdirSync(OUT, { recursive: true });
writeFileSync(
  join(OUT, `graph-results${smoke ? '-smoke' : ''}.json`),
  JSON.stringify({ events: N, rows: rows.map(([name, ms, note]) => ({ name, ms, note })) }, null, 2),
);
