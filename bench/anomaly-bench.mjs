#!/usr/bin/env node
// Benchmark of Vigil's Isolation Forest (src/detect/anomaly) beside the npm `isolation-forest`
// package (0.0.9) on the same encoded data with the same trees (100) and subsample size (256):
// fit time, scoring µs per row (p50 over repeats), ROC-AUC (attack vs normal) of each, and a bare
// loop over the same rows (reads every cell, no model) as the same-run floor.
//
// Data: NSL-KDD KDDTrain+ 20 % (../shared/data), trained on its `normal` rows, every row scored;
// without ../shared/data, a synthetic set (Gaussian normal rows, 5 % shifted outliers).
//
//   npm run build && node bench/anomaly-bench.mjs          full (all 25,192 rows)
//   node bench/anomaly-bench.mjs --smoke                   every 8th row, fewer repeats
//
// Writes bench/out/anomaly-results[-smoke].json.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readRecords } from '../dist/cli/ml/input.js';
import { IsolationForest } from '../dist/detect/anomaly/isolation-forest.js';
import { Encoder, inferSchema } from '../dist/detect/features/table.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const OUT = join(HERE, 'out');
const smoke = process.argv.includes('--smoke');
const TREES = 100;
const PSI = 256;
const REPEATS = smoke ? 3 : 11;
const NPM_REPEATS = smoke ? 3 : 5;
const NPM_SCORE_ROWS = smoke ? 500 : 3000;
const SHARED = process.env.VIGIL_SHARED_DATA ?? resolve(HERE, '../../shared/data');
const KDD = join(SHARED, 'network-ids/nsl-kdd/KDDTrain+_20Percent_with_header.csv.gz');
const require = createRequire(import.meta.url);
const { IsolationForest: NpmIsolationForest } = require('isolation-forest');

/** Deterministic LCG for the synthetic fallback and row picks. */
let lcg = 42;
const rand = () => (lcg = (lcg * 1103515245 + 12345) >>> 0) / 2 ** 32;
const gauss = () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());

async function loadKdd() {
  const { records, columns } = await readRecords(KDD);
  const picked = smoke ? records.filter((_, i) => i % 8 === 0) : records;
  const normal = picked.filter((r) => r.label === 'normal');
  const schema = inferSchema(normal, { columns, exclude: ['label', 'difficulty'] });
  const enc = new Encoder(schema);
  return {
    name: `NSL-KDD 20% (${picked.length} rows, ${normal.length} normal for training)`,
    schema,
    train: enc.encode(normal),
    all: enc.encode(picked),
    positive: picked.map((r) => r.label !== 'normal'),
  };
}

function synthetic() {
  const cols = 11;
  const n = smoke ? 2000 : 10000;
  const schema = {
    features: [
      ...Array.from({ length: cols - 1 }, (_, i) => ({ name: `x${i}`, kind: 'numeric' })),
      { name: 'proto', kind: 'categorical', categories: ['a', 'b', 'c', 'd', 'e'] },
    ],
  };
  const make = (rows, outlierRate) => {
    const data = new Float64Array(rows * cols);
    const positive = [];
    for (let r = 0; r < rows; r++) {
      const out = rand() < outlierRate;
      positive.push(out);
      for (let c = 0; c < cols - 1; c++) data[r * cols + c] = gauss() + (out && c < 2 ? 4 : 0);
      data[r * cols + cols - 1] = out ? 4 : Math.floor(rand() * 3);
    }
    return { rows, cols, data, positive };
  };
  const train = make(n, 0);
  const all = make(n, 0.05);
  return { name: `synthetic (${n} rows, 5% outliers)`, schema, train, all, positive: all.positive };
}

function rocAuc(scores, positive) {
  const order = Array.from(scores.keys()).sort((a, b) => scores[a] - scores[b]);
  let rankSum = 0;
  let pos = 0;
  for (let i = 0; i < order.length;) {
    let j = i;
    while (j < order.length && scores[order[j]] === scores[order[i]]) j++;
    for (let k = i; k < j; k++) {
      if (!positive[order[k]]) continue;
      rankSum += (i + 1 + j) / 2;
      pos++;
    }
    i = j;
  }
  const neg = scores.length - pos;
  return (rankSum - (pos * (pos + 1)) / 2) / (pos * neg);
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
/**
 * Runs fn `repeats` times; p50 of wall-clock ms and of this process's CPU ms (user + system).
 * CPU time is the steadier figure on a shared machine (2 CPUs here, other jobs running).
 */
function timeIt(repeats, fn) {
  const wall = [];
  const cpu = [];
  let result;
  for (let i = 0; i < repeats; i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    result = fn();
    wall.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000);
  }
  return { ms: median(wall), cpuMs: median(cpu), result };
}

const set = existsSync(KDD) ? await loadKdd() : synthetic();
const { train, all, positive, schema } = set;
const cols = all.cols;
let sink = 0;

// Bare loop: read every cell of every row once (the cost floor of touching an event).
const baseline = timeIt(REPEATS, () => {
  let s = 0;
  for (let r = 0; r < all.rows; r++) for (let c = 0; c < cols; c++) s += all.data[r * cols + c] || 0;
  return s;
});
sink += baseline.result;

// Vigil.
const vFit = timeIt(smoke ? 2 : 5, () =>
  IsolationForest.fit(train, schema, { trees: TREES, sampleSize: PSI, seed: 1 }),
);
const forest = vFit.result;
const scores = new Float64Array(all.rows);
forest.scoreMatrix(all, scores); // warm-up
const vScore = timeIt(REPEATS, () => forest.scoreMatrix(all, scores));
const vAuc = rocAuc(scores, positive);
const vExplain = timeIt(smoke ? 1 : 3, () => {
  for (let r = 0; r < all.rows; r++) sink += forest.explain(all.data, r * cols, 3).length;
});

// npm isolation-forest: rows as objects of numbers (categorical features as their codes).
const toObjects = (m) =>
  Array.from({ length: m.rows }, (_, r) => {
    const o = {};
    for (let c = 0; c < cols; c++) o[`f${c}`] = m.data[r * cols + c];
    return o;
  });
const npmTrain = toObjects(train);
const npmAll = toObjects(all);
const nFit = timeIt(smoke ? 1 : 3, () => {
  const f = new NpmIsolationForest(TREES, PSI);
  f.fit(npmTrain);
  return f;
});
const npmForest = nFit.result;
const npmScores = npmForest.predict(npmAll);
const nAuc = rocAuc(npmScores, positive);
const sample = npmAll.slice(0, Math.min(NPM_SCORE_ROWS, npmAll.length));
const nScore = timeIt(NPM_REPEATS, () => npmForest.predict(sample));
sink += nScore.result.length;

const us = (ms, rows) => (ms * 1000) / rows;
const per = (t, rows) => ({ usPerRow: us(t.ms, rows), cpuUsPerRow: us(t.cpuMs, rows) });
const result = {
  data: set.name,
  trees: TREES,
  sampleSize: PSI,
  features: cols,
  baseline: per(baseline, all.rows),
  vigil: {
    fitMs: vFit.ms,
    fitCpuMs: vFit.cpuMs,
    ...per(vScore, all.rows),
    explain: per(vExplain, all.rows),
    rocAuc: vAuc,
  },
  npm: {
    package: 'isolation-forest@0.0.9',
    fitMs: nFit.ms,
    fitCpuMs: nFit.cpuMs,
    ...per(nScore, sample.length),
    scoredRowsPerRepeat: sample.length,
    rocAuc: nAuc,
  },
};
result.speedup = result.npm.cpuUsPerRow / result.vigil.cpuUsPerRow;
result.fitSpeedup = result.npm.fitCpuMs / result.vigil.fitCpuMs;

const f2 = (n) => n.toFixed(2).padStart(10);
const row = (name, fit, score, auc) =>
  `  ${name.padEnd(22)}${fit ? f2(fit.cpu) + f2(fit.wall) : ' '.repeat(20)}${f2(score.cpuUsPerRow)}${f2(score.usPerRow)}   ${auc === undefined ? '' : auc.toFixed(4)}`;
console.log(`anomaly: Isolation Forest, ${TREES} trees, ψ=${PSI}, on ${set.name}, ${cols} features (p50)`);
console.log('                         fit ms (cpu / wall)   µs/row (cpu / wall)   ROC-AUC');
console.log(row('vigil score', { cpu: vFit.cpuMs, wall: vFit.ms }, result.vigil, vAuc));
console.log(row('npm isolation-forest', { cpu: nFit.cpuMs, wall: nFit.ms }, result.npm, nAuc));
console.log(row('bare loop (baseline)', undefined, result.baseline));
console.log(row('vigil explain (top 3)', undefined, result.vigil.explain));
console.log(
  `  scoring ${result.speedup.toFixed(1)}× the npm package, fit ${result.fitSpeedup.toFixed(1)}× (CPU time)` +
    `; goals: < 5 µs/row, ≥ 10×, ROC-AUC ≥ npm's [sink ${sink > 0 ? 'ok' : '0'}]`,
);
mkdirSync(OUT, { recursive: true });
writeFileSync(join(OUT, `anomaly-results${smoke ? '-smoke' : ''}.json`), JSON.stringify(result, null, 2));
