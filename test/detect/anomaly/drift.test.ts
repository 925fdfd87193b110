import { describe, expect, it } from 'vitest';
import {
  binOf,
  buildHistograms,
  driftLevel,
  histogram,
  histogramEdges,
  psi,
  PSI_EPSILON,
  psiNoise,
  quantileEdges,
  toFractions,
} from '../../../src/detect/anomaly/drift.js';
import { mulberry32 } from '../../../src/detect/random.js';
import { encode, type FeatureSchema } from '../../../src/detect/features/table.js';

/** Standard normal draws (Box–Muller) from a seeded generator. */
function normals(n: number, seed: number, mean = 0): Float64Array {
  const rnd = mulberry32(seed);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const u = 1 - rnd();
    const v = rnd();
    out[i] = mean + Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }
  return out;
}

function fractionsOf(values: Float64Array, edges: readonly number[]): number[] {
  return toFractions(histogram(values, edges));
}

describe('histogram', () => {
  it('bins by upper edge: v ≤ edge, the last value bin open above, NaN in the missing bin', () => {
    const counts = histogram([1, 2, 3, 4, 5, NaN, -100], [2, 4]);
    expect([...counts]).toEqual([3, 3, 1]);
  });

  it('finds the bin by binary search', () => {
    const edges = [0, 1, 2, 3, 4, 5, 6];
    expect([-1, 0, 0.5, 1, 5.5, 6, 7, NaN].map((v) => binOf(edges, v))).toEqual([0, 0, 1, 1, 6, 6, 6, 7]);
  });

  it('refuses an empty edge list', () => {
    expect(() => histogram([1], [])).toThrow(/at least one/);
  });
});

describe('quantileEdges', () => {
  it('takes the lower empirical quantiles k/bins, the last being the maximum', () => {
    expect(quantileEdges([10, 9, 8, 7, 6, 5, 4, 3, 2, 1], 5)).toEqual([2, 4, 6, 8, 10]);
  });

  it('merges tied quantiles (a feature mostly 0 gets one bin for 0)', () => {
    expect(quantileEdges([0, 0, 0, 0, 0, 0, 0, 1, 2, 3], 10)).toEqual([0, 1, 2, 3]);
  });

  it('ignores NaN and gives one bin when nothing is finite', () => {
    expect(quantileEdges([NaN, 1, NaN, 2], 2)).toEqual([1, 2]);
    expect(quantileEdges([NaN, NaN], 10)).toEqual([0]);
  });

  it('gives deciles holding about a tenth of the rows each', () => {
    const x = normals(10_000, 3);
    const f = fractionsOf(x, quantileEdges(x, 10));
    expect(f).toHaveLength(11);
    for (const v of f.slice(0, 10)) expect(v).toBeCloseTo(0.1, 3);
    expect(f[10]).toBe(0);
  });
});

describe('psi', () => {
  it('is 0 for identical distributions', () => {
    expect(psi([0.5, 0.5], [0.5, 0.5])).toBe(0);
    const x = normals(5000, 1);
    const edges = quantileEdges(x);
    expect(psi(fractionsOf(x, edges), fractionsOf(x, edges))).toBe(0);
  });

  it('is Σ (a − e) ln(a / e): hand-computed two-bin case', () => {
    // 0.4 ln 1.8 + (−0.4) ln 0.2 = 0.235115 + 0.643775
    const expected = 0.4 * Math.log(0.9 / 0.5) + -0.4 * Math.log(0.1 / 0.5);
    expect(psi([0.5, 0.5], [0.9, 0.1])).toBeCloseTo(expected, 12);
    expect(expected).toBeCloseTo(0.87889, 5);
    expect(psi([0.5, 0.5], [0.9, 0.1])).toBe(psi([0.9, 0.1], [0.5, 0.5]));
  });

  it('replaces an empty bin by epsilon, so the value stays finite', () => {
    const expected = (0.5 - 1) * Math.log(0.5 / 1) + (0.5 - PSI_EPSILON) * Math.log(0.5 / PSI_EPSILON);
    expect(psi([1, 0], [0.5, 0.5])).toBeCloseTo(expected, 12);
    expect(psi([1, 0], [1, 0])).toBe(0);
    expect(psi([1, 0], [0.5, 0.5], 1e-3)).toBeLessThan(psi([1, 0], [0.5, 0.5], 1e-6));
  });

  it('stays under the stable threshold for two samples of one distribution, near the noise floor', () => {
    const train = normals(5000, 11);
    const recent = normals(5000, 12);
    const edges = quantileEdges(train);
    const value = psi(fractionsOf(train, edges), fractionsOf(recent, edges));
    const noise = psiNoise(10, 5000, 5000);
    expect(value).toBeGreaterThan(0);
    expect(value).toBeLessThan(0.1);
    expect(value).toBeLessThan(5 * noise);
  });

  it('exceeds 0.25 (significant) when the mean shifts by one standard deviation', () => {
    const train = normals(5000, 21);
    const recent = normals(5000, 22, 1);
    const edges = quantileEdges(train);
    const value = psi(fractionsOf(train, edges), fractionsOf(recent, edges));
    expect(value).toBeGreaterThan(0.25);
    expect(driftLevel(value)).toBe('significant');
  });

  it('refuses different bins or a non-positive epsilon', () => {
    expect(() => psi([1], [0.5, 0.5])).toThrow(/same bins/);
    expect(() => psi([1], [1], 0)).toThrow(/epsilon/);
  });
});

describe('driftLevel and psiNoise', () => {
  it('reads < 0.10 stable, 0.10–0.25 moderate, > 0.25 significant', () => {
    expect([0, 0.0999, 0.1, 0.25, 0.2501, 3].map(driftLevel)).toEqual([
      'stable',
      'stable',
      'moderate',
      'moderate',
      'significant',
      'significant',
    ]);
  });

  it('gives (bins − 1)(1/M + 1/N)', () => {
    expect(psiNoise(11, 1000, 200)).toBeCloseTo(10 * (1 / 1000 + 1 / 200), 15);
    expect(psiNoise(1, 10, 10)).toBe(0);
    expect(psiNoise(5, 0, 10)).toBe(Infinity);
  });
});

describe('buildHistograms', () => {
  const schema: FeatureSchema = {
    features: [
      { name: 'bytes', kind: 'numeric' },
      { name: 'country', kind: 'categorical', categories: ['DE', 'FR', 'US'] },
    ],
  };

  it('bins numeric features by quantiles and categorical ones by code plus an unseen-value bin', () => {
    const records = [
      { bytes: 1, country: 'US' },
      { bytes: 2, country: 'US' },
      { bytes: 3, country: 'FR' },
      { bytes: null, country: 'DE' },
    ];
    const [bytes, country] = buildHistograms(schema, encode(schema, records), { bins: 3 });
    expect(bytes).toEqual({ feature: 'bytes', edges: [1, 2, 3], fractions: [0.25, 0.25, 0.25, 0.25] });
    expect(country).toEqual({ feature: 'country', edges: [0, 1, 2, 3], fractions: [0.25, 0.25, 0.5, 0, 0] });
  });

  it('caps the bins of a categorical feature with many categories', () => {
    const categories = Array.from({ length: 100 }, (_, i) => `c${String(i).padStart(3, '0')}`);
    const spec = { name: 'user', kind: 'categorical' as const, categories };
    const codes = Float64Array.from({ length: 1000 }, (_, i) => i % 100);
    const edges = histogramEdges(spec, codes, { maxCategories: 10 });
    expect(edges.length).toBeLessThanOrEqual(11);
    expect(edges.at(-1)).toBe(100);
  });

  it('refuses a matrix that does not match the schema', () => {
    expect(() => buildHistograms(schema, { rows: 1, cols: 1, data: new Float64Array(1) })).toThrow(/columns/);
  });
});
