import { describe, expect, it } from 'vitest';
import { Prng } from '../../../src/detect/random.js';
import { RandomForest, type RandomForestJSON } from '../../../src/detect/classify/random-forest.js';
import type { FeatureSchema } from '../../../src/detect/features/table.js';
import { VigilError } from '../../../src/errors.js';
import { dataset, numeric, row, separable } from './data.js';

function accuracy(
  forest: RandomForest,
  x: { rows: number; cols: number; data: Float64Array },
  y: Int32Array,
): number {
  let right = 0;
  for (let r = 0; r < x.rows; r++) if (forest.predict(x.data, r * x.cols) === y[r]) right++;
  return right / x.rows;
}

/** Depth of the deepest leaf of a serialized tree. */
function depth(t: RandomForestJSON['trees'][number], node = 0): number {
  if (t.feature[node] === -1) return 0;
  return 1 + Math.max(depth(t, t.left[node]!), depth(t, t.right[node]!));
}

describe('random forest on separable data', () => {
  const train = separable(300, 3);
  const test = separable(200, 99);
  const forest = RandomForest.fit(train.x, train.y, train.classes, train.schema, { trees: 25, seed: 7 });

  it('classifies every training row and every held-out row right', () => {
    expect(accuracy(forest, train.x, train.y)).toBe(1);
    expect(accuracy(forest, test.x, test.y)).toBe(1);
  });

  it('gives class probabilities that sum to 1', () => {
    const rng = new Prng(5);
    for (let i = 0; i < 200; i++) {
      const r = Float64Array.of(rng.next(), rng.next(), rng.next() * 100);
      if (i % 10 === 0) r[1] = NaN;
      const p = forest.predictProba(r);
      expect(p).toHaveLength(2);
      expect(p[0]! + p[1]!).toBeCloseTo(1, 12);
      for (const v of p) expect(v).toBeGreaterThanOrEqual(0);
    }
  });

  it('reads a row at an offset and writes into a given array', () => {
    const out = new Float64Array(2);
    const r = test.x.data;
    const offset = 5 * test.x.cols;
    expect(forest.predictProba(r, offset, out)).toBe(out);
    expect(Array.from(out)).toEqual(Array.from(forest.predictProba(row(test.x, 5))));
    expect(forest.predict(r, offset)).toBe(test.y[5]);
  });

  it('predicts a whole matrix exactly as row by row', () => {
    const p = forest.predictProbaMatrix(test.x);
    const labels = forest.predictMatrix(test.x);
    for (let r = 0; r < test.x.rows; r++) {
      expect([p[2 * r], p[2 * r + 1]]).toEqual(Array.from(forest.predictProba(test.x.data, r * test.x.cols)));
      expect(labels[r]).toBe(forest.predict(test.x.data, r * test.x.cols));
    }
  });

  it('ranks the informative feature first, importances summing to 1', () => {
    const imp = forest.featureImportances();
    expect(imp[0]!.feature).toBe('signal');
    expect(imp.map((f) => f.feature).sort()).toEqual(['noise', 'noise2', 'signal']);
    expect(imp.reduce((s, f) => s + f.importance, 0)).toBeCloseTo(1, 12);
    expect(imp[0]!.importance).toBeGreaterThan(0.5);
  });
});

describe('categorical features', () => {
  // Six categories whose class does not follow the code order: an ordinal threshold cannot
  // separate them in one split, a subset split can.
  const schema: FeatureSchema = {
    features: [{ name: 'service', kind: 'categorical', categories: ['a', 'b', 'c', 'd', 'e', 'f'] }],
  };
  const bad = new Set([1, 3, 4]);
  const rows: number[][] = [];
  const labels: number[] = [];
  for (let i = 0; i < 120; i++) {
    rows.push([i % 6]);
    labels.push(bad.has(i % 6) ? 1 : 0);
  }
  const d = dataset(rows, labels, ['benign', 'malicious'], schema);

  it('separates a non-ordinal set of categories with a single split (stumps)', () => {
    const f = RandomForest.fit(d.x, d.y, d.classes, d.schema, { trees: 5, maxDepth: 1, seed: 1 });
    expect(accuracy(f, d.x, d.y)).toBe(1);
    for (const t of f.toJSON().trees) {
      expect(t.feature).toHaveLength(3);
      const left = new Set(t.categories[0]!);
      // one side holds exactly the malicious codes (the unseen code 6 goes with one of them)
      const leftCodes = [0, 1, 2, 3, 4, 5].filter((c) => left.has(c));
      expect([
        [1, 3, 4],
        [0, 2, 5],
      ]).toContainEqual(leftCodes);
    }
  });

  it('separates three classes held by category sets (one-vs-rest orders)', () => {
    const cls = [2, 0, 1, 2, 1, 0];
    const y = Int32Array.from(rows, (r) => cls[r[0]!]!);
    const f = RandomForest.fit(d.x, y, ['a', 'b', 'c'], schema, { trees: 5, maxDepth: 2, seed: 1 });
    expect(accuracy(f, d.x, y)).toBe(1);
  });

  it('routes the unseen code, out-of-range and non-integer codes without error', () => {
    const f = RandomForest.fit(d.x, d.y, d.classes, d.schema, { trees: 5, seed: 1 });
    for (const v of [6, 7, -1, 2.5, 1e9]) {
      const p = f.predictProba(Float64Array.of(v));
      expect(p[0]! + p[1]!).toBeCloseTo(1, 12);
    }
    // every code ≥ categories.length is "unseen": same path as the unseen code itself
    expect(Array.from(f.predictProba(Float64Array.of(42)))).toEqual(
      Array.from(f.predictProba(Float64Array.of(6))),
    );
  });
});

describe('missing values', () => {
  it('learns which side missing values go when they carry the class', () => {
    const rng = new Prng(11);
    const rows: number[][] = [];
    const labels: number[] = [];
    for (let i = 0; i < 200; i++) {
      const missing = i % 4 === 0;
      rows.push([missing ? NaN : rng.next()]);
      labels.push(missing ? 1 : 0);
    }
    const d = dataset(rows, labels, ['present', 'absent'], numeric('bytes'));
    const f = RandomForest.fit(d.x, d.y, d.classes, d.schema, { trees: 5, maxDepth: 1, seed: 2 });
    expect(f.predict(Float64Array.of(NaN))).toBe(1);
    expect(f.predict(Float64Array.of(0.3))).toBe(0);
    expect(f.predict(Float64Array.of(0.99))).toBe(0);
  });

  it('sends missing values to the heavier child when training had none', () => {
    const rows: number[][] = [];
    const labels: number[] = [];
    for (let i = 0; i < 100; i++) {
      rows.push([i]);
      labels.push(i >= 80 ? 1 : 0);
    }
    const d = dataset(rows, labels, ['low', 'high'], numeric('x'));
    const f = RandomForest.fit(d.x, d.y, d.classes, d.schema, { trees: 5, maxDepth: 1, seed: 2 });
    expect(f.predict(Float64Array.of(95))).toBe(1);
    expect(f.predict(Float64Array.of(NaN))).toBe(0);
  });

  it('trains on a column that is entirely missing', () => {
    const s = separable(100);
    const data = s.x.data.slice();
    for (let r = 0; r < s.x.rows; r++) data[r * 3] = NaN;
    const f = RandomForest.fit({ ...s.x, data }, s.y, s.classes, s.schema, { trees: 5, seed: 1 });
    // a few training rows may be out of bag in most of the 5 trees: a floor, not perfection
    expect(accuracy(f, { ...s.x, data }, s.y)).toBeGreaterThan(0.95);
    expect(f.featureImportances().find((i) => i.feature === 'noise')!.importance).toBe(0);
  });
});

describe('determinism and serialization', () => {
  const d = separable(150, 4);
  const fit = (seed: number): RandomForest =>
    RandomForest.fit(d.x, d.y, d.classes, d.schema, { trees: 10, seed, maxFeatures: 1 });

  it('grows the same forest from the same seed, another from another seed', () => {
    expect(JSON.stringify(fit(42).toJSON())).toBe(JSON.stringify(fit(42).toJSON()));
    expect(JSON.stringify(fit(42).toJSON())).not.toBe(JSON.stringify(fit(43).toJSON()));
  });

  it('predicts identically after a JSON round trip', () => {
    const f = fit(9);
    const g = RandomForest.fromJSON(JSON.parse(JSON.stringify(f.toJSON())));
    expect(g.classes).toEqual(f.classes);
    expect(g.featureImportances()).toEqual(f.featureImportances());
    const rng = new Prng(1);
    for (let i = 0; i < 300; i++) {
      const r = Float64Array.of(rng.next(), i % 7 === 0 ? NaN : rng.next(), rng.next() * 100);
      expect(Array.from(g.predictProba(r))).toEqual(Array.from(f.predictProba(r)));
    }
  });

  it('respects maxDepth and minSamplesLeaf', () => {
    const f = RandomForest.fit(d.x, d.y, d.classes, d.schema, { trees: 5, maxDepth: 2, seed: 1 });
    for (const t of f.toJSON().trees) expect(depth(t)).toBeLessThanOrEqual(2);
    const g = RandomForest.fit(d.x, d.y, d.classes, d.schema, { trees: 5, minSamplesLeaf: 10, seed: 1 });
    for (const t of g.toJSON().trees)
      for (const v of t.value) if (v) expect(v.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(10);
  });
});

describe('errors', () => {
  const d = separable(40);
  const code = (fn: () => unknown): string | undefined => {
    try {
      fn();
    } catch (err) {
      return err instanceof VigilError ? err.code : String(err);
    }
    return undefined;
  };

  it('refuses bad options and labels with VIGIL_ERR_ML_INPUT', () => {
    expect(code(() => RandomForest.fit(d.x, d.y, d.classes, d.schema, { trees: 0 }))).toBe(
      'VIGIL_ERR_ML_INPUT',
    );
    expect(code(() => RandomForest.fit(d.x, d.y, d.classes, d.schema, { maxDepth: 0 }))).toBe(
      'VIGIL_ERR_ML_INPUT',
    );
    expect(
      code(() =>
        RandomForest.fit(
          d.x,
          Int32Array.from(d.y, () => 2),
          d.classes,
          d.schema,
        ),
      ),
    ).toBe('VIGIL_ERR_ML_INPUT');
    expect(code(() => RandomForest.fit(d.x, d.y, d.classes, numeric('only-one')))).toBe('VIGIL_ERR_ML_INPUT');
  });

  it('refuses an empty matrix with VIGIL_ERR_ML_NO_DATA', () => {
    const empty = { rows: 0, cols: 3, data: new Float64Array(0) };
    expect(code(() => RandomForest.fit(empty, new Int32Array(0), d.classes, d.schema))).toBe(
      'VIGIL_ERR_ML_NO_DATA',
    );
  });

  it('refuses malformed model JSON with VIGIL_ERR_ML_MODEL', () => {
    const good = RandomForest.fit(d.x, d.y, d.classes, d.schema, { trees: 2, seed: 1 }).toJSON();
    const broken = (edit: (j: RandomForestJSON) => void): unknown => {
      const j = JSON.parse(JSON.stringify(good)) as RandomForestJSON;
      edit(j);
      return j;
    };
    const cases: unknown[] = [
      null,
      'forest',
      broken((j) => ((j.classes as unknown) = [])),
      broken((j) => j.trees.pop()),
      broken((j) => (j.trees[0]!.right[0] = 0)), // a cycle back to the root
      broken((j) => (j.trees[0]!.feature[0] = 17)),
      broken((j) => {
        const leaf = j.trees[0]!.feature.indexOf(-1);
        j.trees[0]!.value[leaf] = [1];
      }),
      broken((j) => ((j as { importances: number[] }).importances = [1])),
      broken((j) => ((j.params as { maxFeatures: number }).maxFeatures = 99)),
    ];
    expect(code(() => RandomForest.fromJSON(good))).toBeUndefined();
    for (const c of cases) expect(code(() => RandomForest.fromJSON(c))).toBe('VIGIL_ERR_ML_MODEL');
  });
});
