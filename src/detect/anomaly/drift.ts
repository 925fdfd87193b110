/**
 * Feature drift: binned distributions of a model's features and the Population Stability Index
 * (PSI) between the training distribution and recent data. Pure, no I/O.
 *
 *   PSI = Σ_b (a_b − e_b) · ln(a_b / e_b)
 *
 * with `e_b` the training (expected) and `a_b` the recent (actual) fraction of rows in bin `b`.
 * Thresholds in common use: PSI < 0.10 stable, 0.10–0.25 moderate shift, > 0.25 significant
 * shift (Siddiqi, "Credit Risk Scorecards", Wiley 2006, ch. 8 "System stability report";
 * Yurdakul, "Statistical Properties of Population Stability Index", PhD thesis, Western
 * Michigan University 2018, which studies how often these thresholds fire under no shift).
 *
 * PSI is the symmetrised Kullback–Leibler (Jeffreys) divergence of the two binned
 * distributions; to second order it equals the chi-square distance Σ (a − e)² / e, so with `B`
 * bins, `M` training and `N` recent rows drawn from the same distribution its expected value is
 * about `(B − 1)(1/M + 1/N)` ({@link psiNoise}): small samples look drifted. Callers state that
 * floor and refuse to judge below a minimum row count.
 */
import type { FeatureSchema, Matrix } from '../features/table.js';

/** Binned distribution of one feature over the training window (the PSI reference). */
export interface FeatureHistogram {
  readonly feature: string;
  /**
   * Bin upper edges, ascending: value bin `i` holds `edges[i−1] < v ≤ edges[i]`; the first is
   * open below, the last (`edges.length − 1`) open above. Categorical features: one edge per
   * category code, then the unseen-value code (see `histogramEdges`).
   */
  readonly edges: readonly number[];
  /** Fraction of rows per bin: `edges.length + 1` entries, the last for missing values (NaN). */
  readonly fractions: readonly number[];
}

/** Default fraction substituted for an empty bin in {@link psi} (0.01 %), so ln stays finite. */
export const PSI_EPSILON = 1e-4;

/** PSI below this is `stable` (Siddiqi 2006). */
export const PSI_MODERATE = 0.1;
/** PSI above this is `significant` (Siddiqi 2006). */
export const PSI_SIGNIFICANT = 0.25;

export type DriftLevel = 'stable' | 'moderate' | 'significant';

/** Bin index of a value: the first edge ≥ v (binary search), the last value bin above all, `edges.length` for NaN. */
export function binOf(edges: readonly number[], v: number): number {
  if (Number.isNaN(v)) return edges.length;
  let lo = 0;
  let hi = edges.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (v <= (edges[mid] as number)) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/**
 * Counts values per bin.
 * @param edges - bin upper edges, ascending, at least one
 * @returns `edges.length + 1` counts (the last: NaN values)
 * @throws Error when `edges` is empty
 */
export function histogram(values: Float64Array | readonly number[], edges: readonly number[]): Float64Array {
  if (edges.length === 0) throw new Error('a histogram needs at least one bin edge');
  const counts = new Float64Array(edges.length + 1);
  for (let i = 0; i < values.length; i++) {
    const b = binOf(edges, values[i] as number);
    counts[b] = (counts[b] as number) + 1;
  }
  return counts;
}

/** Counts → fractions of their sum (all zero when the sum is 0). */
export function toFractions(counts: ArrayLike<number>): number[] {
  let total = 0;
  for (let i = 0; i < counts.length; i++) total += counts[i] as number;
  const out = new Array<number>(counts.length);
  for (let i = 0; i < counts.length; i++) out[i] = total > 0 ? (counts[i] as number) / total : 0;
  return out;
}

/**
 * Equal-frequency bin edges: the empirical quantiles `k / bins` (k = 1..bins, the last being the
 * maximum) of the finite values, duplicates removed (ties merge bins, e.g. a feature that is 0 in
 * 70 % of rows gets one bin for 0). NaN is ignored. No finite value → `[0]` (one value bin).
 * @param bins - wanted value bins, ≥ 1 (default 10, deciles)
 */
export function quantileEdges(values: Float64Array | readonly number[], bins = 10): number[] {
  const finite: number[] = [];
  for (let i = 0; i < values.length; i++) {
    const v = values[i] as number;
    if (Number.isFinite(v)) finite.push(v);
  }
  if (finite.length === 0) return [0];
  finite.sort((a, b) => a - b);
  const n = finite.length;
  const edges: number[] = [];
  const b = Math.max(1, Math.floor(bins));
  for (let k = 1; k <= b; k++) {
    // Lower empirical quantile: the smallest value with at least k/b of the rows at or below it.
    const v = finite[Math.max(0, Math.ceil((k * n) / b) - 1)] as number;
    if (edges.length === 0 || v > (edges[edges.length - 1] as number)) edges.push(v);
  }
  return edges;
}

/**
 * Bin edges of one feature: numeric → {@link quantileEdges}; categorical with at most
 * `maxCategories` categories → one bin per code `0..n−1` plus one for the unseen-value code `n`
 * (`src/detect/features/table.ts`); more categories → equal-frequency bins over the codes
 * (capped at `maxCategories` bins) plus the unseen-value bin.
 */
export function histogramEdges(
  spec: FeatureSchema['features'][number],
  values: Float64Array,
  options: { readonly bins?: number; readonly maxCategories?: number } = {},
): number[] {
  if (spec.kind === 'numeric') return quantileEdges(values, options.bins ?? 10);
  const n = spec.categories.length;
  const cap = options.maxCategories ?? 32;
  if (n <= cap) return Array.from({ length: n + 1 }, (_, i) => i);
  const edges = quantileEdges(values, cap).filter((e) => e < n);
  edges.push(n);
  return edges;
}

/** One column of a row-major matrix. */
export function column(matrix: Matrix, c: number): Float64Array {
  const out = new Float64Array(matrix.rows);
  for (let r = 0; r < matrix.rows; r++) out[r] = matrix.data[r * matrix.cols + c] as number;
  return out;
}

/**
 * The training histograms of every feature of an encoded matrix (what a trainer stores in
 * `TrainedModel.histograms`).
 * @param matrix - rows encoded with `schema` (`src/detect/features/table.ts`)
 * @throws Error when the matrix's columns do not match the schema
 */
export function buildHistograms(
  schema: FeatureSchema,
  matrix: Matrix,
  options: { readonly bins?: number; readonly maxCategories?: number } = {},
): FeatureHistogram[] {
  if (matrix.cols !== schema.features.length)
    throw new Error(`matrix has ${matrix.cols} columns, schema ${schema.features.length}`);
  return schema.features.map((spec, c) => {
    const values = column(matrix, c);
    const edges = histogramEdges(spec, values, options);
    return { feature: spec.name, edges, fractions: toFractions(histogram(values, edges)) };
  });
}

/**
 * Population Stability Index of two binned distributions, Σ (a − e) · ln(a / e), where a zero
 * fraction on either side is replaced by `epsilon` (so a bin empty on both sides adds 0, and one
 * empty on one side adds a large but finite term).
 * @param expected - reference fractions (training)
 * @param actual - recent fractions, same bins
 * @param epsilon - stand-in for an empty bin, > 0 (default {@link PSI_EPSILON})
 * @throws Error when the lengths differ or epsilon ≤ 0
 */
export function psi(expected: readonly number[], actual: readonly number[], epsilon = PSI_EPSILON): number {
  if (expected.length !== actual.length)
    throw new Error(`PSI needs the same bins (${expected.length} expected, ${actual.length} actual)`);
  if (!(epsilon > 0)) throw new Error('PSI epsilon must be positive');
  let sum = 0;
  for (let i = 0; i < expected.length; i++) {
    const e = Math.max(expected[i] as number, epsilon);
    const a = Math.max(actual[i] as number, epsilon);
    sum += (a - e) * Math.log(a / e);
  }
  return sum;
}

/** The conventional reading of a PSI value (< 0.10 stable, ≤ 0.25 moderate, above significant). */
export function driftLevel(value: number): DriftLevel {
  if (value < PSI_MODERATE) return 'stable';
  if (value <= PSI_SIGNIFICANT) return 'moderate';
  return 'significant';
}

/**
 * Expected PSI between two samples of one distribution (no drift), by the second-order
 * (chi-square) approximation: `(bins − 1) · (1/expectedRows + 1/actualRows)`. Only bins that
 * can hold rows count (`bins` = bins non-empty in the reference, plus the missing bin if used).
 */
export function psiNoise(bins: number, expectedRows: number, actualRows: number): number {
  if (expectedRows <= 0 || actualRows <= 0) return Infinity;
  return Math.max(0, bins - 1) * (1 / expectedRows + 1 / actualRows);
}
