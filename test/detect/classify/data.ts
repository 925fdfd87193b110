/** Small synthetic data sets for the classifier tests (deterministic). */
import { Prng } from '../../../src/detect/random.js';
import type { FeatureSchema, Matrix } from '../../../src/detect/features/table.js';

export interface Dataset {
  readonly x: Matrix;
  readonly y: Int32Array;
  readonly classes: readonly string[];
  readonly schema: FeatureSchema;
}

export const numeric = (...names: string[]): FeatureSchema => ({
  features: names.map((name) => ({ name, kind: 'numeric' as const })),
});

/** Builds a data set from row arrays. */
export function dataset(
  rows: readonly (readonly number[])[],
  labels: readonly number[],
  classes: readonly string[],
  schema: FeatureSchema,
): Dataset {
  const cols = schema.features.length;
  const data = new Float64Array(rows.length * cols);
  rows.forEach((r, i) => data.set(r, i * cols));
  return { x: { rows: rows.length, cols, data }, y: Int32Array.from(labels), classes, schema };
}

/**
 * Two uniform features in [0, 1) plus a noise feature; class 1 when `signal > 0.5`. Rows within
 * `margin` of the boundary are left out so the classes are separable with room to spare.
 */
export function separable(n: number, seed = 3, margin = 0.05): Dataset {
  const rng = new Prng(seed);
  const rows: number[][] = [];
  const labels: number[] = [];
  while (rows.length < n) {
    const signal = rng.next();
    if (Math.abs(signal - 0.5) < margin) continue;
    rows.push([rng.next(), signal, rng.next() * 100]);
    labels.push(signal > 0.5 ? 1 : 0);
  }
  return dataset(rows, labels, ['low', 'high'], numeric('noise', 'signal', 'noise2'));
}

/** Row `r` of a matrix as its own array. */
export function row(x: Matrix, r: number): Float64Array {
  return x.data.slice(r * x.cols, (r + 1) * x.cols);
}
