#!/usr/bin/env node
// Benchmark of log template mining (src/detect/templates, docs/templates.md): lines per second of
// `TemplateMiner.add` beside a bare baseline in the same run (splitting each line on whitespace),
// and Python Drain's published time on the same Loghub-2k files.
//
//   npm run build && node bench/templates-bench.mjs            full run
//   npm run build && node bench/templates-bench.mjs --smoke    one system, one round (CI)
//
// Inputs: the `Content` column of every Loghub-2k system in ../shared/data (a fresh miner per
// system: learning from nothing), the raw `<System>_2k.log` lines (headers included: what an
// unknown syslog line looks like), the same contents again into the warmed miners (steady state),
// and Zeek's syslog messages when present. Without the shared data: synthetic lines from a few
// templates with random values. Best of 5 rounds (1 with --smoke); writes
// bench/out/templates-results[-smoke].json.
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { parse } from 'csv-parse/sync';
import { TemplateMiner } from '../dist/detect/templates/miner.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, '..');
const OUT = join(HERE, 'out');
const DATA = process.env.VIGIL_SHARED_DATA ?? resolve(ROOT, '../shared/data');
const LOGHUB = join(DATA, 'loghub/loghub_2k');
const smoke = process.argv.includes('--smoke');
const rounds = smoke ? 1 : 5;
mkdirSync(OUT, { recursive: true });

const fmt = (n, digits = 0) =>
  n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

/** Synthetic lines: a few sshd/kernel-like templates with random values (seeded). */
function synthetic(n) {
  let seed = 42;
  const rnd = (k) => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed % k;
  };
  const ip = () => `${10 + rnd(200)}.${rnd(256)}.${rnd(256)}.${rnd(256)}`;
  const users = ['root', 'admin', 'oracle', 'test', 'guest', 'pi', 'ubuntu', 'git', 'postgres', 'www'];
  const make = [
    () => `Failed password for ${users[rnd(10)]} from ${ip()} port ${rnd(65535)} ssh2`,
    () => `Accepted publickey for ${users[rnd(10)]} from ${ip()} port ${rnd(65535)} ssh2`,
    () => `Connection closed by ${ip()} port ${rnd(65535)} [preauth]`,
    () => `pam_unix(sshd:session): session opened for user ${users[rnd(10)]} by (uid=${rnd(1000)})`,
    () =>
      `kernel: [${rnd(99999)}.${rnd(999999)}] usb ${rnd(4)}-${rnd(8)}: new high-speed USB device number ${rnd(128)}`,
    () => `PacketResponder ${rnd(3)} for block blk_${rnd(2 ** 31)}${rnd(2 ** 31)} terminating`,
    () => `Disk /dev/sd${'abc'[rnd(3)]}${rnd(4)} is ${rnd(100)}% full`,
  ];
  return Array.from({ length: n }, () => make[rnd(make.length)]());
}

/** Named sets of line lists (each list gets its own miner). */
function inputs() {
  if (!existsSync(LOGHUB)) return { synthetic: [synthetic(smoke ? 2000 : 50_000)] };
  const systems = readdirSync(LOGHUB)
    .filter((s) => existsSync(join(LOGHUB, s, `${s}_2k.log_structured.csv`)))
    .sort()
    .slice(0, smoke ? 1 : undefined);
  const contents = systems.map((s) =>
    parse(readFileSync(join(LOGHUB, s, `${s}_2k.log_structured.csv`)), { columns: true, bom: true }).map(
      (r) => r.Content,
    ),
  );
  const raw = systems.map((s) =>
    readFileSync(join(LOGHUB, s, `${s}_2k.log`), 'utf8')
      .split('\n')
      .filter((l) => l.trim() !== ''),
  );
  const sets = { 'loghub-2k contents': contents, 'loghub-2k raw lines': raw };
  const zeek = join(DATA, 'network-host-logs/zeek-wrccdc2018/zeek-json/syslog.json.gz');
  if (!smoke && existsSync(zeek)) {
    sets['zeek syslog messages'] = [
      gunzipSync(readFileSync(zeek))
        .toString('utf8')
        .split('\n')
        .filter((l) => l.trim() !== '')
        .map((l) => JSON.parse(l).message ?? ''),
    ];
  }
  sets.synthetic = [synthetic(smoke ? 2000 : 50_000)];
  return { ...sets, systems };
}

/**
 * Best wall time and best CPU time (user + system, this process) of `rounds` runs of `fn`, ms.
 * CPU time is the steadier figure on a shared machine.
 */
function best(fn) {
  let ms = Infinity;
  let cpu = Infinity;
  for (let r = 0; r < rounds; r++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    fn();
    ms = Math.min(ms, performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpu = Math.min(cpu, (c.user + c.system) / 1000);
  }
  return { ms, cpu };
}

const { systems, ...sets } = inputs();
const rows = [];
let sink = 0;
for (const [name, lists] of Object.entries(sets)) {
  const lines = lists.reduce((n, l) => n + l.length, 0);
  const split = best(() => {
    for (const list of lists) for (const line of list) sink += line.split(/\s+/).length;
  });
  let miners = [];
  const fresh = best(() => {
    miners = lists.map(() => new TemplateMiner());
    lists.forEach((list, i) => {
      for (const line of list) sink += miners[i].add(line).templateId;
    });
  });
  const steady = best(() => {
    lists.forEach((list, i) => {
      for (const line of list) sink += miners[i].add(line).templateId;
    });
  });
  const match = best(() => {
    lists.forEach((list, i) => {
      for (const line of list) sink += miners[i].match(line)?.templateId ?? 0;
    });
  });
  const templates = miners.reduce((n, m) => n + m.size, 0);
  const perS = (t) => lines / (t.ms / 1000);
  rows.push({
    input: name,
    lines,
    templates,
    splitPerS: perS(split),
    freshPerS: perS(fresh),
    steadyPerS: perS(steady),
    matchPerS: perS(match),
    freshPerCpuS: lines / (fresh.cpu / 1000),
  });
}

// Python Drain's published time on the same Loghub-2k files (Jiang et al., ISSTA 2024,
// efficiency_results.csv: "seconds on 2k / on full Loghub-2.0").
const EFFICIENCY = join(DATA, 'loghub/benchmarks/efficiency_results.csv');
let drain;
if (existsSync(EFFICIENCY)) {
  const table = parse(readFileSync(EFFICIENCY), { columns: true });
  const secs = table
    .filter((r) => (systems ?? []).includes(r.Dataset))
    .map((r) => Number(String(r.Drain).split('/')[0]));
  if (secs.length > 0) drain = (secs.length * 2000) / secs.reduce((a, b) => a + b, 0);
}

const header = [
  'input',
  'lines',
  'templates',
  'split (baseline)',
  'add, fresh',
  'add, steady',
  'match',
  'add/split',
  'add, fresh, per CPU-s',
];
const table = [
  header,
  ...rows.map((r) => [
    r.input,
    fmt(r.lines),
    fmt(r.templates),
    fmt(r.splitPerS),
    fmt(r.freshPerS),
    fmt(r.steadyPerS),
    fmt(r.matchPerS),
    `1/${fmt(r.splitPerS / r.freshPerS, 1)}`,
    fmt(r.freshPerCpuS),
  ]),
];
const widths = header.map((_, c) => Math.max(...table.map((r) => r[c].length)));
console.log(
  `\nlog template mining, lines/s of wall time (best of ${rounds}; one thread${smoke ? '; smoke' : ''}); ` +
    `"fresh" = a new miner per system, "steady" = the same lines again, "match" = look-up only`,
);
for (const r of table)
  console.log(r.map((v, c) => (c === 0 ? v.padEnd(widths[c]) : v.padStart(widths[c]))).join('  '));
if (drain !== undefined)
  console.log(
    `Python Drain, published (efficiency_results.csv, same ${systems.length} systems): ${fmt(drain)} lines/s`,
  );
console.log('goal: ≥ 100,000 lines/s (issue 7)');
writeFileSync(
  join(OUT, `templates-results${smoke ? '-smoke' : ''}.json`),
  JSON.stringify({ rounds, rows, pythonDrainPerS: drain ?? null, sink: sink > 0 }, null, 2),
);
