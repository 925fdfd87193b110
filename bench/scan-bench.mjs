#!/usr/bin/env node
// Benchmark of `vigil scan` against a bare JSON.parse loop over the same file, in the same run.
//
//   npm run bench                 full run: SigmaHQ rules/windows over the shared OTRF JSONL
//   npm run bench -- --smoke      a few thousand events: proves the benchmark works (CI)
//   npm run bench -- --large 10   also scan a generated 10 GB JSONL file (constant-memory check)
//
// Needs ../shared/data (or VIGIL_SHARED_DATA). Prints events/s, MB/s, the ratio scan ÷ bare parse,
// rules loaded and peak RSS; writes the figures to bench/out/results.json.
import { execFileSync } from 'node:child_process';
import {
  createWriteStream,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, '..');
const OUT = join(HERE, 'out');
const DATA = process.env.VIGIL_SHARED_DATA ?? resolve(ROOT, '../shared/data');
const args = process.argv.slice(2);
const smoke = args.includes('--smoke');
const largeAt = args.indexOf('--large');
const largeGb = largeAt >= 0 ? Number(args[largeAt + 1] ?? 10) : 0;

if (!existsSync(join(DATA, 'windows-attack'))) {
  console.error(`shared data not found at ${DATA}`);
  process.exit(2);
}
mkdirSync(OUT, { recursive: true });

/** The OTRF Windows JSONL files, decompressed into one file (the benchmark input). */
function prepareInput() {
  const dir = join(DATA, 'windows-attack/otrf-security-datasets/events');
  const target = join(OUT, smoke ? 'otrf-smoke.jsonl' : 'otrf.jsonl');
  if (existsSync(target)) return target;
  const lines = [];
  for (const f of readdirSync(dir)
    .filter((f) => /\.jsonl(\.gz)?$/.test(f))
    .sort()) {
    const buf = readFileSync(join(dir, f));
    for (const line of (f.endsWith('.gz') ? gunzipSync(buf) : buf).toString('utf8').split('\n')) {
      const t = line.trim();
      if (t !== '') lines.push(t);
    }
  }
  writeFileSync(target, `${(smoke ? lines.slice(0, 3000) : lines).join('\n')}\n`);
  return target;
}

function bareParse(file) {
  const text = readFileSync(file, 'utf8');
  const lines = text.split('\n').filter((l) => l !== '');
  // Warm-up pass, then the measured pass.
  for (const l of lines.slice(0, 5000)) JSON.parse(l);
  const t0 = performance.now();
  let n = 0;
  for (const l of lines) {
    JSON.parse(l);
    n++;
  }
  const ms = performance.now() - t0;
  return { events: n, ms, bytes: Buffer.byteLength(text) };
}

/** Runs the scan in a child process (so its peak RSS is its own). */
function scan(file, rules, threads, extra = []) {
  const out = execFileSync(
    process.execPath,
    [join(HERE, 'scan-child.mjs'), file, rules, String(threads), ...extra],
    {
      cwd: ROOT,
      maxBuffer: 64 * 1024 * 1024,
    },
  );
  return JSON.parse(out.toString());
}

function fmt(n, digits = 0) {
  return n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

const input = prepareInput();
const mb = statSync(input).size / 1e6;
const rules = smoke ? join(ROOT, 'rules') : join(DATA, 'sigma/rules/windows');
const cores = availableParallelism();
console.log(`input: ${input} (${fmt(mb, 1)} MB), rules: ${rules}, ${cores} CPUs, node ${process.version}`);

const base = bareParse(input);
const baseEps = (base.events / base.ms) * 1000;
const rows = [
  {
    name: 'bare JSON.parse loop (1 thread)',
    events: base.events,
    seconds: base.ms / 1000,
    eps: baseEps,
    mbps: base.bytes / 1e6 / (base.ms / 1000),
  },
];
const runs = smoke
  ? [{ name: `vigil scan (${Math.min(2, cores)} threads)`, threads: Math.min(2, cores) }]
  : [
      { name: `vigil scan (${cores} threads)`, threads: cores },
      { name: 'vigil scan (1 thread)', threads: 1 },
      { name: `vigil scan (${cores} threads, no pre-filter)`, threads: cores, extra: ['--no-prefilter'] },
    ];
const results = [];
for (const r of runs) {
  const s = scan(input, rules, r.threads, r.extra);
  results.push({ ...r, ...s });
  rows.push({
    name: r.name,
    events: s.events,
    seconds: s.scanMs / 1000,
    eps: (s.events / s.scanMs) * 1000,
    mbps: mb / (s.scanMs / 1000),
    ratio: ((s.events / s.scanMs) * 1000) / baseEps,
    rss: s.maxRssMb,
    rules: s.rules,
    detections: s.detections,
    loadMs: s.loadMs,
  });
}

console.log('');
console.log(
  `${'run'.padEnd(40)} ${'events'.padStart(8)} ${'s'.padStart(7)} ${'events/s'.padStart(10)} ${'MB/s'.padStart(7)} ${'÷ parse'.padStart(8)} ${'rules'.padStart(6)} ${'detections'.padStart(10)} ${'peak RSS MB'.padStart(11)}`,
);
for (const r of rows) {
  console.log(
    `${r.name.padEnd(40)} ${fmt(r.events).padStart(8)} ${fmt(r.seconds, 2).padStart(7)} ${fmt(r.eps).padStart(10)} ${fmt(r.mbps, 1).padStart(7)} ${(r.ratio === undefined ? '' : fmt(r.ratio, 2)).padStart(8)} ${(r.rules === undefined ? '' : String(r.rules)).padStart(6)} ${(r.detections === undefined ? '' : String(r.detections)).padStart(10)} ${(r.rss === undefined ? '' : fmt(r.rss)).padStart(11)}`,
  );
}
const withLoad = rows[1];
if (withLoad?.loadMs !== undefined)
  console.log(
    `\nrule loading (YAML parse of ${withLoad.rules} rules), not included above: ${fmt(withLoad.loadMs)} ms`,
  );

if (largeGb > 0) {
  const big = join(OUT, `large-${largeGb}g.jsonl`);
  if (!existsSync(big) || statSync(big).size < largeGb * 1e9) {
    console.log(`\ngenerating ${big} (${largeGb} GB) from the OTRF events…`);
    const chunk = readFileSync(input);
    const ws = createWriteStream(big);
    let written = 0;
    while (written < largeGb * 1e9) {
      if (!ws.write(chunk)) await new Promise((r) => ws.once('drain', r));
      written += chunk.length;
    }
    await new Promise((r) => ws.end(r));
  }
  const s = scan(big, rules, cores);
  console.log(
    `large file: ${fmt(statSync(big).size / 1e9, 1)} GB, ${fmt(s.events)} events in ${fmt(s.scanMs / 1000, 1)} s (${fmt((s.events / s.scanMs) * 1000)} events/s, ${fmt(statSync(big).size / 1e6 / (s.scanMs / 1000), 1)} MB/s), peak RSS ${fmt(s.maxRssMb)} MB`,
  );
  results.push({ name: `large ${largeGb} GB`, ...s });
  if (args.includes('--keep') === false) unlinkSync(big);
}

writeFileSync(
  join(OUT, smoke ? 'results-smoke.json' : 'results.json'),
  `${JSON.stringify({ date: new Date().toISOString(), input, mb, rules, baseline: rows[0], results }, null, 2)}\n`,
);
