import { describe, expect, it } from 'vitest';
import {
  anomalyScore,
  averagePathLength,
  IsolationForest,
} from '../../../src/detect/anomaly/isolation-forest.js';
import { mulberry32 } from '../../../src/detect/random.js';
import type { FeatureSchema, Matrix } from '../../../src/detect/features/table.js';
import { VigilError } from '../../../src/errors.js';
import { c, goesLeft, leafOf, referenceEndings, referenceScore } from './reference.js';

const NUM = (name: string) => ({ name, kind: 'numeric' }) as const;

/** Standard normal draws (Box–Muller) from a seeded generator. */
function normals(seed: number): () => number {
  const r = mulberry32(seed);
  return () => Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
}

/** `rows × names.length` standard normal matrix. */
function gaussian(rows: number, names: string[], seed = 7): { x: Matrix; schema: FeatureSchema } {
  const g = normals(seed);
  const data = new Float64Array(rows * names.length).map(() => g());
  return { x: { rows, cols: names.length, data }, schema: { features: names.map(NUM) } };
}

describe('c(n), the average path length (Liu et al. 2008, eq. 1)', () => {
  it('is 0 for one point and 1 for two', () => {
    expect(averagePathLength(1)).toBe(0);
    expect(averagePathLength(2)).toBe(1);
  });

  it('is within 1/(n−1) of 2H(n−1) − 2(n−1)/n with exact harmonic numbers (H(i) − ln i − γ ≈ 1/2i)', () => {
    for (const n of [3, 10, 50, 256, 1000]) {
      let h = 0;
      for (let i = 1; i < n; i++) h += 1 / i;
      const exact = 2 * h - (2 * (n - 1)) / n;
      expect(exact - averagePathLength(n)).toBeGreaterThan(0);
      expect(exact - averagePathLength(n)).toBeLessThanOrEqual(1 / (n - 1));
    }
  });
});

describe('the anomaly score s = 2^(−E(h)/c(ψ))', () => {
  it('is 0.5 when E(h) = c(ψ), 1 when E(h) = 0, and tends to 0 as E(h) grows', () => {
    expect(anomalyScore(averagePathLength(256), 256)).toBeCloseTo(0.5, 12);
    expect(anomalyScore(0, 256)).toBe(1);
    expect(anomalyScore(1000, 256)).toBeLessThan(1e-20);
  });
});

describe('IsolationForest.fit and score (paper properties)', () => {
  const { x, schema } = gaussian(1000, ['a', 'b', 'c']);
  const forest = IsolationForest.fit(x, schema, { seed: 3 });

  it('gives every row a score in [0, 1]', () => {
    for (const s of forest.scoreMatrix(x)) expect(s >= 0 && s <= 1).toBe(true);
  });

  it('scores an obvious outlier above every inlier and above 0.5', () => {
    const outlier = forest.score(new Float64Array([8, -8, 8]));
    const max = Math.max(...forest.scoreMatrix(x));
    expect(outlier).toBeGreaterThan(max);
    expect(outlier).toBeGreaterThan(0.5);
    expect(forest.score(new Float64Array([0, 0, 0]))).toBeLessThan(0.5);
  });

  it('uses t trees on ψ = min(sampleSize, rows) rows with height limit ⌈log2 ψ⌉', () => {
    const json = forest.toJSON();
    expect(json.trees).toBe(100);
    expect(json.sampleSize).toBe(256);
    const small = IsolationForest.fit(gaussian(40, ['a']).x, { features: [NUM('a')] }, { trees: 7 });
    expect(small.toJSON().sampleSize).toBe(40);
    expect(small.trees).toBe(7);
    for (let t = 0; t < json.trees; t++) {
      let leaves = 0;
      for (let r = 0; r < 50; r++) {
        const { depth, leaf } = leafOf(json, t, x.data.subarray(r * 3, r * 3 + 3));
        expect(depth).toBeLessThanOrEqual(8);
        leaves += json.size[leaf]!;
      }
      expect(leaves).toBeGreaterThan(0);
      // Leaf sizes of a tree sum to ψ: every subsampled row ends in exactly one leaf.
      const sizes = json.size.filter((_, i) => json.feature[i] === -1 && inTree(json.roots, i, t));
      expect(sizes.reduce((a, b) => a + b, 0)).toBe(256);
    }
  });

  it('scores as the documented JSON read by an independent walker', () => {
    const json = forest.toJSON();
    for (let r = 0; r < 200; r++) {
      const row = x.data.subarray(r * 3, r * 3 + 3);
      expect(forest.score(row)).toBeCloseTo(referenceScore(json, row), 12);
    }
  });

  it('reads a row at an offset', () => {
    expect(forest.score(x.data, 5 * 3)).toBe(forest.score(x.data.slice(15, 18)));
  });
});

/** Tree t's nodes are contiguous from roots[t] to the next root. */
function inTree(roots: readonly number[], i: number, t: number): boolean {
  return i >= roots[t]! && (t + 1 >= roots.length || i < roots[t + 1]!);
}

describe('determinism (mulberry32 seed)', () => {
  const { x, schema } = gaussian(500, ['a', 'b']);

  it('grows the same forest for the same seed', () => {
    const a = IsolationForest.fit(x, schema, { seed: 11 });
    const b = IsolationForest.fit(x, schema, { seed: 11 });
    expect(JSON.stringify(b.toJSON())).toBe(JSON.stringify(a.toJSON()));
    expect([...b.scoreMatrix(x)]).toEqual([...a.scoreMatrix(x)]);
  });

  it('grows a different forest for another seed', () => {
    const a = IsolationForest.fit(x, schema, { seed: 11 });
    const b = IsolationForest.fit(x, schema, { seed: 12 });
    expect(JSON.stringify(b.toJSON())).not.toBe(JSON.stringify(a.toJSON()));
  });
});

describe('categorical features and missing values', () => {
  // proto: 0 = tcp (90 %), 1 = udp (10 %); bytes numeric with 20 % missing; a third feature all missing.
  const schema: FeatureSchema = {
    features: [
      { name: 'proto', kind: 'categorical', categories: ['tcp', 'udp'] },
      NUM('bytes'),
      NUM('never'),
    ],
  };
  const rows = 200;
  const r = mulberry32(5);
  const data = new Float64Array(rows * 3);
  for (let i = 0; i < rows; i++) {
    data[i * 3] = i % 10 === 0 ? 1 : 0;
    data[i * 3 + 1] = r() < 0.2 ? NaN : 1000 + Math.floor(r() * 100);
    data[i * 3 + 2] = NaN;
  }
  const x: Matrix = { rows, cols: 3, data };
  // ψ = rows: every tree holds every training row, so the node statistics can be recomputed.
  const forest = IsolationForest.fit(x, schema, { sampleSize: rows, trees: 30, seed: 2 });
  const json = forest.toJSON();
  const rowAt = (i: number) => data.subarray(i * 3, i * 3 + 3);

  it('never splits on a feature that is missing in every row', () => {
    expect(json.feature).not.toContain(2);
  });

  it('sends missing rows to the larger side, draws thresholds in (min, max], subsets non-empty and proper', () => {
    let checked = 0;
    for (let t = 0; t < json.trees; t++) {
      const reach = new Map<number, number[]>();
      const leafRows = new Map<number, number>();
      for (let i = 0; i < rows; i++) {
        const { path, leaf } = leafOf(json, t, rowAt(i));
        for (const n of path) reach.set(n, [...(reach.get(n) ?? []), i]);
        leafRows.set(leaf, (leafRows.get(leaf) ?? 0) + 1);
      }
      for (const [leaf, count] of leafRows) expect(json.size[leaf]).toBe(count);
      for (const [n, at] of reach) {
        const f = json.feature[n]!;
        const values = at.map((i) => data[i * 3 + f]!).filter((v) => !Number.isNaN(v));
        const left = values.filter((v) => goesLeft(json, n, v)).length;
        const right = values.length - left;
        expect(left).toBeGreaterThan(0);
        expect(right).toBeGreaterThan(0);
        expect(json.missingLeft[n]).toBe(left >= right ? 1 : 0);
        if (f === 1) {
          expect(json.low[n]).toBe(Math.min(...values));
          expect(json.high[n]).toBe(Math.max(...values));
          expect(json.threshold[n]).toBeGreaterThan(json.low[n]!);
          expect(json.threshold[n]).toBeLessThanOrEqual(json.high[n]!);
        }
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(100);
  });

  it('scores missing values and unseen categories by the recorded rules', () => {
    const probes = [
      [0, NaN, NaN],
      [1, 1050, NaN],
      [2, 1050, NaN], // unseen category code (= categories.length)
      [2, NaN, 5],
    ].map((p) => Float64Array.from(p));
    for (const p of probes) {
      const s = forest.score(p);
      expect(s).toBeGreaterThan(0);
      expect(s).toBeLessThanOrEqual(1);
      expect(s).toBeCloseTo(referenceScore(json, p), 12);
    }
    // An unseen category always goes right at a categorical split.
    for (let n = 0; n < json.feature.length; n++)
      if (json.feature[n] === 0) expect(goesLeft(json, n, 2)).toBe(false);
  });

  it("gives every training row the paper's path length (ψ = rows: each is inside every range it meets)", () => {
    for (let i = 0; i < rows; i++) {
      let sum = 0;
      for (let t = 0; t < json.trees; t++) {
        const { leaf, depth } = leafOf(json, t, rowAt(i));
        sum += depth + c(json.size[leaf]!);
      }
      expect(forest.score(rowAt(i))).toBeCloseTo(2 ** (-sum / json.trees / c(rows)), 12);
    }
  });

  it('scores a rare category above the common one', () => {
    const common = forest.score(Float64Array.from([0, 1050, NaN]));
    const rare = forest.score(Float64Array.from([1, 1050, NaN]));
    expect(rare).toBeGreaterThan(common);
  });
});

describe('values outside the training range (out-of-range rule)', () => {
  // failures only 0 or 1 in training (a binary-looking count), logons Gaussian around 5.
  const g = normals(31);
  const r = mulberry32(32);
  const rows = 1000;
  const data = new Float64Array(rows * 2);
  for (let i = 0; i < rows; i++) {
    data[i * 2] = r() < 0.3 ? 1 : 0;
    data[i * 2 + 1] = 5 + g();
  }
  const schema: FeatureSchema = { features: [NUM('failures'), NUM('logons')] };
  const forest = IsolationForest.fit({ rows, cols: 2, data }, schema, { seed: 6 });
  const score = (failures: number, logons = 5) => forest.score(Float64Array.from([failures, logons]));

  it('scores a count far beyond anything seen as anomalous, not like the largest value seen', () => {
    expect(score(1)).toBeLessThan(0.5);
    expect(score(55)).toBeGreaterThan(0.6);
    expect(score(55)).toBeGreaterThan(Math.max(...forest.scoreMatrix({ rows, cols: 2, data })));
  });

  it('grows with the distance outside the range and stays within (0, 1], even for infinities', () => {
    const seq = [1, 1.5, 3, 55, 1e6, Infinity].map((v) => score(v));
    for (let i = 1; i < seq.length; i++) expect(seq[i]).toBeGreaterThan(seq[i - 1]!);
    expect(seq.at(-1)).toBeLessThanOrEqual(1);
    expect(score(-Infinity)).toBeGreaterThan(0.6);
  });

  it('agrees with the independent walker', () => {
    const json = forest.toJSON();
    for (const v of [-3, 0, 0.5, 1, 2, 55, 1e9])
      expect(score(v, 9)).toBeCloseTo(referenceScore(json, [v, 9]), 12);
  });

  it('explains the out-of-range feature first', () => {
    expect(forest.explain(Float64Array.from([55, 5]), 0, 1)[0]!.feature).toBe('failures');
    expect(forest.explain(Float64Array.from([0, 40]), 0, 1)[0]!.feature).toBe('logons');
  });
});

describe('explain: per-feature contributions (Local-DIFFI variant)', () => {
  const names = ['logons', 'failures', 'hosts', 'bytes', 'hour'];
  const { x, schema } = gaussian(2000, names, 21);
  const forest = IsolationForest.fit(x, schema, { seed: 4 });

  it('names the injected deviating feature first, with its value', () => {
    for (const [i, name] of names.entries()) {
      const row = new Float64Array(names.length);
      row[i] = 9;
      const top = forest.explain(row, 0, 2);
      expect(top).toHaveLength(2);
      expect(top[0]!.feature).toBe(name);
      expect(top[0]!.value).toBe(9);
      expect(top[0]!.contribution).toBeGreaterThan(top[1]!.contribution);
    }
  });

  it('returns every feature by default, sorted by contribution, summing to the path-length identity', () => {
    const row = Float64Array.from([0.3, 6, -0.2, 0.1, 0]);
    const all = forest.explain(row);
    expect(all.map((e) => e.feature).sort()).toEqual([...names].sort());
    for (let i = 1; i < all.length; i++)
      expect(all[i - 1]!.contribution).toBeGreaterThanOrEqual(all[i]!.contribution);
    const json = forest.toJSON();
    let expected = 0;
    for (let t = 0; t < json.trees; t++)
      for (const e of referenceEndings(json, t, row))
        if (e.depth > 0) expected += (e.p * e.depth * (1 / e.h - 1 / c(json.sampleSize))) / json.trees;
    const sum = all.reduce((a, e) => a + e.contribution, 0);
    expect(sum).toBeCloseTo(expected, 10);
  });

  it('decodes categories, unseen categories and missing values', () => {
    const s: FeatureSchema = {
      features: [{ name: 'country', kind: 'categorical', categories: ['DE', 'FR'] }, NUM('n')],
    };
    const data = Float64Array.from({ length: 200 }, (_, i) => (i % 2 === 0 ? (i % 4 === 0 ? 0 : 1) : i));
    const f = IsolationForest.fit({ rows: 100, cols: 2, data }, s, { trees: 10 });
    const values = (row: number[]) =>
      Object.fromEntries(f.explain(Float64Array.from(row)).map((e) => [e.feature, e.value]));
    expect(values([1, 5])).toEqual({ country: 'FR', n: 5 });
    expect(values([2, NaN])).toEqual({ country: '(unseen)', n: null });
  });
});

describe('fit input checks', () => {
  const schema: FeatureSchema = {
    features: [NUM('a'), { name: 'k', kind: 'categorical', categories: ['x'] }],
  };
  const code = (e: unknown) => (e instanceof VigilError ? e.code : String(e));
  const fails = (fn: () => unknown) => {
    try {
      fn();
    } catch (e) {
      return code(e);
    }
    return 'no error';
  };

  it('rejects fewer than 2 rows, a column mismatch, bad cells and bad options', () => {
    const ok: Matrix = { rows: 2, cols: 2, data: Float64Array.from([1, 0, 2, 1]) };
    expect(fails(() => IsolationForest.fit({ rows: 1, cols: 2, data: new Float64Array(2) }, schema))).toBe(
      'VIGIL_ERR_ML_NO_DATA',
    );
    expect(fails(() => IsolationForest.fit({ rows: 2, cols: 1, data: new Float64Array(2) }, schema))).toBe(
      'VIGIL_ERR_ML_INPUT',
    );
    for (const data of [
      [1, 0.5, 2, 0],
      [1, 2, 2, 0],
      [Infinity, 0, 2, 0],
      [1, -1, 2, 0],
    ])
      expect(fails(() => IsolationForest.fit({ ...ok, data: Float64Array.from(data) }, schema))).toBe(
        'VIGIL_ERR_ML_INPUT',
      );
    expect(fails(() => IsolationForest.fit(ok, schema, { trees: 0 }))).toBe('VIGIL_ERR_ML_INPUT');
    expect(fails(() => IsolationForest.fit(ok, schema, { sampleSize: 1 }))).toBe('VIGIL_ERR_ML_INPUT');
    expect(fails(() => IsolationForest.fit(ok, schema, { seed: NaN }))).toBe('VIGIL_ERR_ML_INPUT');
    expect(fails(() => IsolationForest.fit(ok, schema))).toBe('no error');
  });

  it('makes a leaf of rows that cannot be split and still scores them', () => {
    const same: Matrix = { rows: 10, cols: 2, data: new Float64Array(20).fill(0) };
    const f = IsolationForest.fit(same, schema, { trees: 5 });
    expect(f.toJSON().feature).toEqual([-1, -1, -1, -1, -1]);
    // E(h) = c(10) at a single leaf of 10 rows, ψ = 10: exactly 0.5.
    expect(f.score(new Float64Array(2))).toBeCloseTo(0.5, 12);
  });
});
