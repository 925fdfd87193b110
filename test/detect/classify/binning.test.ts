import { describe, expect, it } from 'vitest';
import {
  binMatrix,
  MAX_NUMERIC_BINS,
  numericBin,
  numericEdges,
} from '../../../src/detect/classify/binning.js';
import { Prng } from '../../../src/detect/random.js';
import type { FeatureSchema } from '../../../src/detect/features/table.js';

describe('numeric bins', () => {
  it('gives each distinct value its own bin when there are few, edges between them', () => {
    const edges = numericEdges(Float64Array.of(1, 1, 2, 5, 5, 5, 9));
    expect(Array.from(edges)).toEqual([1.5, 3.5, 7]);
    expect([1, 2, 5, 9].map((v) => numericBin(edges, v))).toEqual([0, 1, 2, 3]);
  });

  it('caps the bins and keeps them near equal-frequency on many distinct values', () => {
    const rng = new Prng(1);
    const values = Float64Array.from({ length: 20_000 }, () => rng.next()).sort();
    const edges = numericEdges(values);
    expect(edges.length).toBe(MAX_NUMERIC_BINS - 1);
    const counts = new Array<number>(MAX_NUMERIC_BINS).fill(0);
    for (const v of values) counts[numericBin(edges, v)]!++;
    const ideal = values.length / MAX_NUMERIC_BINS;
    for (const c of counts) expect(Math.abs(c - ideal)).toBeLessThanOrEqual(ideal * 0.1 + 1);
  });

  it('never cuts a heavily repeated value, and every threshold test agrees with the bin', () => {
    const rng = new Prng(2);
    const values = Float64Array.from({ length: 5000 }, (_, i) =>
      i % 2 === 0 ? 0 : Math.floor(rng.next() * 1e6),
    ).sort();
    const edges = numericEdges(values);
    for (let i = 1; i < edges.length; i++) expect(edges[i]!).toBeGreaterThan(edges[i - 1]!);
    for (const v of values) {
      const b = numericBin(edges, v);
      if (b < edges.length) expect(v <= edges[b]!).toBe(true);
      if (b > 0) expect(v > edges[b - 1]!).toBe(true);
    }
    expect(numericBin(edges, 0)).toBe(0);
    expect(values.filter((v) => numericBin(edges, v) === 0).length).toBe(2500);
  });

  it('keeps edges finite next to infinite values', () => {
    const edges = numericEdges(Float64Array.of(-Infinity, 0, 1, Infinity));
    for (const e of edges) expect(Number.isFinite(e)).toBe(true);
    expect([-Infinity, 0, 1, Infinity].map((v) => numericBin(edges, v))).toEqual([0, 1, 2, 3]);
  });
});

describe('binMatrix', () => {
  it('bins numeric, categorical and missing cells, column-major', () => {
    const schema: FeatureSchema = {
      features: [
        { name: 'n', kind: 'numeric' },
        { name: 'c', kind: 'categorical', categories: ['x', 'y'] },
      ],
    };
    const data = Float64Array.of(3, 0, NaN, 1, 7, 2, 3, NaN, 7, 0.5);
    const b = binMatrix({ rows: 5, cols: 2, data }, schema);
    expect(b.features.map((f) => f.bins)).toEqual([2, 3]);
    // numeric: 3 → 0, NaN → missing (2), 7 → 1; categorical: codes, unseen 2, 0.5 → unseen, NaN → 3
    expect(Array.from(b.codes.subarray(0, 5))).toEqual([0, 2, 1, 0, 1]);
    expect(Array.from(b.codes.subarray(5))).toEqual([0, 1, 2, 3, 2]);
  });
});
