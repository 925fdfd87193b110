#!/usr/bin/env node
// Benchmark of the random forest classifier (src/detect/classify) beside the npm package
// ml-random-forest (RandomForestClassifier) on the same rows in the same run: training time,
// prediction time per row (Vigil: predictProba row by row, the service's path; npm: its
// predict() over the test matrix, divided by the rows) and accuracy on a held-out split, plus a bare baseline (a loop that
// reads every feature of every row once) and Vigil alone on the whole training subset.
//
// Data: NSL-KDD KDDTrain+_20Percent (../shared/data, or VIGIL_SHARED_DATA), shuffled with a seed;
// the first TRAIN rows train, the next TEST rows test. Labels: normal/attack, and the 5 categories
// (normal, dos, probe, r2l, u2r). Without the shared data: a synthetic NSL-KDD-like table.
// Both forests get the same encoded matrix (categorical columns as category codes).
//
//   node bench/classifier-bench.mjs            2,000 training rows × 50 trees (the case)
//   node bench/classifier-bench.mjs --smoke    400 rows × 10 trees
//
// Writes bench/out/classifier-results[-smoke].json.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RandomForestClassifier } from 'ml-random-forest';
import { readLabelMap } from '../dist/cli/ml/classifier.js';
import { readRecords } from '../dist/cli/ml/input.js';
import { Prng } from '../dist/detect/random.js';
import { RandomForest } from '../dist/detect/classify/random-forest.js';
import { Encoder, inferSchema } from '../dist/detect/features/table.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const OUT = join(HERE, 'out');
const smoke = process.argv.includes('--smoke');
const TRAIN = smoke ? 400 : 2000;
const TEST = smoke ? 1000 : 5000;
const TREES = smoke ? 10 : 50;
const SHARED = process.env.VIGIL_SHARED_DATA ?? resolve(HERE, '../../shared/data');
const NSL = join(SHARED, 'network-ids/nsl-kdd');

async function loadRows() {
  const file = join(NSL, 'KDDTrain+_20Percent_with_header.csv.gz');
  if (!existsSync(file))
    return { source: 'synthetic (no ../shared/data)', records: synthetic(TRAIN + TEST), map: null };
  const { records } = await readRecords(file);
  return {
    source: 'NSL-KDD KDDTrain+_20Percent',
    records,
    map: await readLabelMap(join(NSL, 'attack_category_map.csv')),
  };
}

/** NSL-KDD-like rows: 3 categorical and 8 numeric columns; the label follows noisy rules. */
function synthetic(n) {
  const rng = new Prng(7);
  const services = ['http', 'smtp', 'ftp', 'ssh', 'dns', 'private', 'other'];
  const rows = [];
  for (let i = 0; i < n; i++) {
    const kind = ['normal', 'normal', 'neptune', 'satan', 'guess_passwd', 'normal'][rng.int(6)];
    const attack = kind !== 'normal';
    rows.push({
      protocol_type: kind === 'satan' ? 'icmp' : rng.next() < 0.8 ? 'tcp' : 'udp',
      service: services[kind === 'guess_passwd' ? 3 : rng.int(services.length)],
      flag: kind === 'neptune' ? 'S0' : rng.next() < 0.9 ? 'SF' : 'REJ',
      duration: Math.floor(rng.next() * (attack ? 5 : 300)),
      src_bytes: Math.floor(rng.next() * (kind === 'neptune' ? 10 : 5000)),
      dst_bytes: Math.floor(rng.next() * 8000),
      count: Math.floor(rng.next() * (kind === 'neptune' ? 500 : 50)),
      srv_count: Math.floor(rng.next() * 50),
      serror_rate: kind === 'neptune' ? 0.9 + rng.next() / 10 : rng.next() / 5,
      num_failed_logins: kind === 'guess_passwd' ? 1 + rng.int(4) : rng.next() < 0.02 ? 1 : 0,
      same_srv_rate: rng.next(),
      label: rng.next() < 0.03 ? (attack ? 'normal' : 'satan') : kind,
    });
  }
  return rows;
}

const fallbackMap = new Map([
  ['normal', 'normal'],
  ['*', 'dos'],
]);
function labelsOf(records, mode, map) {
  return records.map((r) => {
    if (mode === 'binary') return r.label === 'normal' ? 'normal' : 'attack';
    const m = map ?? fallbackMap;
    return m.get(r.label) ?? m.get('*') ?? r.label;
  });
}

function shuffled(records) {
  const order = Int32Array.from(records, (_, i) => i);
  new Prng(2024).shuffle(order);
  return Array.from(order, (i) => records[i]);
}

function time(fn) {
  const cpu = process.cpuUsage();
  const t0 = performance.now();
  const value = fn();
  const ms = performance.now() - t0;
  const c = process.cpuUsage(cpu);
  return { value, ms, cpuMs: (c.user + c.system) / 1000 };
}

/** Best of `runs` timings of a loop over `rows` rows: µs per row, wall clock and CPU. */
function perRow(rows, runs, fn) {
  let wall = Infinity;
  let cpu = Infinity;
  let value;
  for (let i = 0; i < runs; i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    value = fn();
    wall = Math.min(wall, performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpu = Math.min(cpu, (c.user + c.system) / 1000);
  }
  return { value, us: (wall * 1000) / rows, cpuUs: (cpu * 1000) / rows };
}

function accuracy(pred, y) {
  let right = 0;
  for (let i = 0; i < y.length; i++) if (pred[i] === y[i]) right++;
  return right / y.length;
}

function run(records, mode, map) {
  const train = records.slice(0, TRAIN);
  const test = records.slice(TRAIN, TRAIN + TEST);
  const labels = labelsOf([...train, ...test], mode, map);
  const classes = [...new Set(labels)].sort();
  const codes = Int32Array.from(labels, (l) => classes.indexOf(l));
  const yTrain = codes.subarray(0, TRAIN);
  const yTest = codes.subarray(TRAIN);
  const schema = inferSchema(train, { exclude: ['label', 'difficulty'] });
  const encoder = new Encoder(schema);
  const xTrain = encoder.encode(train);
  const xTest = encoder.encode(test);
  const toArrays = (x) =>
    Array.from({ length: x.rows }, (_, r) => Array.from(x.data.subarray(r * x.cols, (r + 1) * x.cols)));

  // Bare baseline: read every feature of every test row once.
  const bare = perRow(xTest.rows, 20, () => {
    let s = 0;
    for (let r = 0; r < xTest.rows; r++)
      for (let c = 0; c < xTest.cols; c++) s += xTest.data[r * xTest.cols + c];
    return s;
  });

  const vigilFit = time(() => RandomForest.fit(xTrain, yTrain, classes, schema, { trees: TREES, seed: 1 }));
  const forest = vigilFit.value;
  const vigilPredict = perRow(xTest.rows, 20, () => forest.predictMatrix(xTest));

  const npmOptions = { nEstimators: TREES, seed: 42, noOOB: true };
  const npmTrainRows = toArrays(xTrain);
  const npmTestRows = toArrays(xTest);
  const npmFit = time(() => {
    const rf = new RandomForestClassifier(npmOptions);
    rf.train(npmTrainRows, Array.from(yTrain));
    return rf;
  });
  const npmPredict = perRow(xTest.rows, smoke ? 1 : 3, () => npmFit.value.predict(npmTestRows));

  return {
    labels: mode,
    classes: classes.length,
    trainRows: TRAIN,
    testRows: test.length,
    features: schema.features.length,
    trees: TREES,
    bareUsPerRow: bare.us,
    bareCpuUsPerRow: bare.cpuUs,
    vigil: {
      trainMs: vigilFit.ms,
      trainCpuMs: vigilFit.cpuMs,
      predictUsPerRow: vigilPredict.us,
      predictCpuUsPerRow: vigilPredict.cpuUs,
      accuracy: accuracy(vigilPredict.value, yTest),
      nodes: forest.size().nodes,
    },
    npm: {
      package: 'ml-random-forest 2.1.0 (RandomForestClassifier, defaults, noOOB)',
      trainMs: npmFit.ms,
      trainCpuMs: npmFit.cpuMs,
      predictUsPerRow: npmPredict.us,
      predictCpuUsPerRow: npmPredict.cpuUs,
      accuracy: accuracy(npmPredict.value, yTest),
    },
  };
}

/** Vigil alone on every row: train time and prediction cost on the training subset itself. */
function whole(records) {
  const labels = labelsOf(records, 'binary');
  const classes = [...new Set(labels)].sort();
  const y = Int32Array.from(labels, (l) => classes.indexOf(l));
  const schema = inferSchema(records, { exclude: ['label', 'difficulty'] });
  const x = new Encoder(schema).encode(records);
  const trees = smoke ? 10 : 100;
  const fit = time(() => RandomForest.fit(x, y, classes, schema, { trees, seed: 1 }));
  const predict = perRow(x.rows, 5, () => fit.value.predictMatrix(x));
  return {
    rows: x.rows,
    trees,
    trainMs: fit.ms,
    trainCpuMs: fit.cpuMs,
    predictUsPerRow: predict.us,
    predictCpuUsPerRow: predict.cpuUs,
    nodes: fit.value.size().nodes,
  };
}

const { source, records: raw, map } = await loadRows();
const records = shuffled(raw);
const results = [];
for (const mode of ['binary', 'categories']) {
  const r = run(records, mode, map);
  results.push(r);
  const f1 = (n) => n.toFixed(1);
  const f2 = (n) => n.toFixed(2);
  const line = (name, cells) => `  ${name.padEnd(26)} ${cells.map((c) => c.padStart(10)).join(' ')}`;
  console.log(
    [
      `classifier (${source}, ${r.labels}: ${r.classes} classes; train ${r.trainRows} rows × ${r.trees} trees, ` +
        `${r.features} features; test ${r.testRows} held-out rows)`,
      line('', ['train ms', 'train cpu', 'µs/row', 'cpu µs/row', 'accuracy']),
      line('vigil (row by row)', [
        f1(r.vigil.trainMs),
        f1(r.vigil.trainCpuMs),
        f2(r.vigil.predictUsPerRow),
        f2(r.vigil.predictCpuUsPerRow),
        `${f2(100 * r.vigil.accuracy)}%`,
      ]),
      line('ml-random-forest', [
        f1(r.npm.trainMs),
        f1(r.npm.trainCpuMs),
        f2(r.npm.predictUsPerRow),
        f2(r.npm.predictCpuUsPerRow),
        `${f2(100 * r.npm.accuracy)}%`,
      ]),
      line('bare loop over the rows', ['', '', f2(r.bareUsPerRow), f2(r.bareCpuUsPerRow), '']),
      `  vigil vs npm: training ${(r.npm.trainMs / r.vigil.trainMs).toFixed(0)}× faster (cpu ${(r.npm.trainCpuMs / r.vigil.trainCpuMs).toFixed(0)}×), ` +
        `prediction ${(r.npm.predictUsPerRow / r.vigil.predictUsPerRow).toFixed(1)}× (cpu ${(r.npm.predictCpuUsPerRow / r.vigil.predictCpuUsPerRow).toFixed(1)}×); accuracy ${(100 * (r.vigil.accuracy - r.npm.accuracy)).toFixed(2)} points`,
    ].join('\n'),
  );
}
const all = whole(raw);
console.log(
  `  vigil on all ${all.rows} rows (normal/attack): ${all.trees} trees trained in ${all.trainMs.toFixed(0)} ms ` +
    `(cpu ${all.trainCpuMs.toFixed(0)} ms, ${all.nodes} nodes); ${all.predictUsPerRow.toFixed(2)} µs per row ` +
    `(cpu ${all.predictCpuUsPerRow.toFixed(2)})`,
);
mkdirSync(OUT, { recursive: true });
writeFileSync(
  join(OUT, `classifier-results${smoke ? '-smoke' : ''}.json`),
  JSON.stringify({ source, results, whole: all, node: process.version }, null, 2),
);
