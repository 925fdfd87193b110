#!/usr/bin/env node
// Benchmark of the native EVTX reader and of `vigil scan` over raw .evtx, beside python-evtx
// (Debian python3-evtx, `evtx_dump.py`) converting the same files in the same run.
//
//   npm run bench                 full run: every .evtx under ../shared/data/windows-attack/evtx
//   npm run bench -- --smoke      a few files: proves the benchmark works (CI)
//
// Prints MB/s and records/s of the reader (one thread, files already in memory), the whole scan
// with SigmaHQ's Windows rules on 1 and 2 threads (wall time, peak RSS), python-evtx's time, and
// the ratios; writes them to bench/out/evtx-results[-smoke].json.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodeEvtx } from '../dist/pipeline/decoders/evtx/chunk.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, '..');
const OUT = join(HERE, 'out');
const DATA = process.env.VIGIL_SHARED_DATA ?? resolve(ROOT, '../shared/data');
const smoke = process.argv.includes('--smoke');
const PYTHON_EVTX = '/usr/bin/evtx_dump.py';

const dir = join(DATA, 'windows-attack/evtx');
if (!existsSync(dir)) {
  console.error(`shared data not found at ${DATA}`);
  process.exit(2);
}
mkdirSync(OUT, { recursive: true });

function walk(d, out = []) {
  for (const e of readdirSync(d).sort()) {
    const p = join(d, e);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (e.endsWith('.evtx')) out.push(p);
  }
  return out;
}

const fmt = (n, digits = 0) =>
  n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

const files = walk(dir).slice(0, smoke ? 5 : undefined);
const buffers = files.map((f) => readFileSync(f));
const bytes = buffers.reduce((a, b) => a + b.length, 0);
const mb = bytes / 1e6;

// 1. The reader alone: best of 3 passes over the files in memory.
let best = Infinity;
let records = 0;
for (let round = 0; round < (smoke ? 1 : 3); round++) {
  const t0 = performance.now();
  records = 0;
  for (const b of buffers) records += decodeEvtx(b).records.length;
  best = Math.min(best, performance.now() - t0);
}
const parse = { ms: best, mbPerS: mb / (best / 1000), recordsPerS: records / (best / 1000) };

// 2. The whole scan (read + decode + SigmaHQ Windows rules), in a child for its own peak RSS.
const rules = smoke ? join(ROOT, 'rules') : join(DATA, 'sigma/rules/windows');
const scanRoot = smoke ? dirname(files[0]) : dir;
function scan(threads) {
  const out = execFileSync(
    process.execPath,
    [join(HERE, 'scan-child.mjs'), scanRoot, rules, String(threads)],
    {
      cwd: ROOT,
      maxBuffer: 64 * 1024 * 1024,
    },
  );
  return JSON.parse(out.toString());
}
const scans = [scan(1), scan(2)];

// 3. python-evtx converting the same files (XML out, discarded).
let python;
if (existsSync(PYTHON_EVTX)) {
  const t0 = performance.now();
  let failed = 0;
  for (const f of files) {
    const r = spawnSync('/usr/bin/python3', [PYTHON_EVTX, f], { stdio: ['ignore', 'ignore', 'ignore'] });
    if (r.status !== 0) failed++;
  }
  python = { ms: performance.now() - t0, failed };
}

console.log(`EVTX: ${files.length} files, ${fmt(mb, 1)} MB, ${fmt(records)} records`);
if (smoke)
  console.log(`  (smoke run: the scans cover ${scanRoot}, not only these files; figures not comparable)`);
console.log(
  `  reader (1 thread, in memory): ${fmt(parse.ms)} ms  ${fmt(parse.mbPerS, 1)} MB/s  ${fmt(parse.recordsPerS)} records/s`,
);
for (const s of scans) {
  const wall = s.loadMs + s.scanMs;
  console.log(
    `  vigil scan, ${s.threads} thread(s), ${s.rules} rules: load ${fmt(s.loadMs)} ms + scan ${fmt(s.scanMs)} ms  ` +
      `${fmt(mb / (s.scanMs / 1000), 1)} MB/s  ${fmt((s.events / s.scanMs) * 1000)} events/s  ` +
      `${s.detections} detections  peak RSS ${fmt(s.maxRssMb)} MB  (wall ${fmt(wall)} ms)`,
  );
}
if (python) {
  console.log(
    `  python-evtx evtx_dump.py: ${fmt(python.ms)} ms  ${fmt(mb / (python.ms / 1000), 2)} MB/s` +
      `${python.failed ? `  (${python.failed} files failed)` : ''}`,
  );
  console.log(`  ratio reader / python-evtx: ${fmt(python.ms / parse.ms, 1)}x`);
  for (const s of scans)
    console.log(
      `  ratio scan (${s.threads} thread(s), with rule loading) / python-evtx: ${fmt(python.ms / (s.loadMs + s.scanMs), 1)}x`,
    );
} else {
  console.log(`  python-evtx not installed (${PYTHON_EVTX}): apt-get install python3-evtx to compare`);
}
writeFileSync(
  join(OUT, smoke ? 'evtx-results-smoke.json' : 'evtx-results.json'),
  `${JSON.stringify({ files: files.length, bytes, records, parse, scans, python }, null, 2)}\n`,
);
