/**
 * An independent reading of the documented model JSON (docs/ml-anomaly.md, Model files): walks
 * `feature` / `right` / `threshold` / `missingLeft` / `subsets` / `size` node by node with the
 * documented rules, object-free and without the library's flat-array tricks, so the tests can
 * check the library's scores, fit semantics and file format against it.
 */
import type { IsolationForestJSON } from '../../../src/detect/anomaly/isolation-forest.js';

/** c(n) written out from the paper (Liu et al. 2008, eq. 1), exact for n = 2. */
export function c(n: number): number {
  if (n <= 1) return 0;
  if (n === 2) return 1;
  return 2 * (Math.log(n - 1) + 0.5772156649) - (2 * (n - 1)) / n;
}

/** Whether a cell value goes left at node `i`. */
export function goesLeft(json: IsolationForestJSON, i: number, v: number): boolean {
  if (Number.isNaN(v)) return json.missingLeft[i] === 1;
  const spec = json.schema.features[json.feature[i]!]!;
  if (spec.kind === 'numeric') return v < json.threshold[i]!;
  const at = json.threshold[i]!;
  const subset = json.subsets.slice(at + 1, at + 1 + json.subsets[at]!);
  return subset.includes(v);
}

/** The leaf a row reaches in tree `t`, and its depth. */
export function leafOf(
  json: IsolationForestJSON,
  t: number,
  row: ArrayLike<number>,
): { leaf: number; depth: number; path: number[] } {
  let i = json.roots[t]!;
  let depth = 0;
  const path: number[] = [];
  while (json.feature[i] !== -1) {
    path.push(i);
    i = goesLeft(json, i, row[json.feature[i]!]!) ? i + 1 : json.right[i]!;
    depth++;
  }
  return { leaf: i, depth, path };
}

/**
 * The ways the walk of x in tree t can end, with their probabilities and path lengths: at a
 * numeric split whose training range [low, high] does not hold x the walk ends (length depth + 1)
 * with probability (distance outside) / (distance outside + high − low); else at the leaf,
 * with length depth + c(leaf size).
 */
export function referenceEndings(
  json: IsolationForestJSON,
  t: number,
  row: ArrayLike<number>,
): { p: number; depth: number; h: number }[] {
  let i = json.roots[t]!;
  let depth = 0;
  let reach = 1;
  const ends: { p: number; depth: number; h: number }[] = [];
  while (json.feature[i] !== -1) {
    const v = row[json.feature[i]!]!;
    depth++;
    if (json.schema.features[json.feature[i]!]!.kind === 'numeric' && !Number.isNaN(v)) {
      const lo = json.low[i]!;
      const hi = json.high[i]!;
      const d = v < lo ? lo - v : v > hi ? v - hi : 0;
      const p = d === Infinity ? 1 : d / (d + hi - lo);
      if (p > 0) ends.push({ p: reach * p, depth, h: depth });
      reach *= 1 - p;
    }
    i = goesLeft(json, i, v) ? i + 1 : json.right[i]!;
  }
  if (reach > 0) ends.push({ p: reach, depth, h: depth + c(json.size[i]!) });
  return ends;
}

/** E(h(x)) in tree t over its endings. */
export function referencePathLength(json: IsolationForestJSON, t: number, row: ArrayLike<number>): number {
  return referenceEndings(json, t, row).reduce((a, e) => a + e.p * e.h, 0);
}

/** s(x) = 2^(−E(h(x))/c(ψ)). */
export function referenceScore(json: IsolationForestJSON, row: ArrayLike<number>): number {
  let sum = 0;
  for (let t = 0; t < json.trees; t++) sum += referencePathLength(json, t, row);
  return 2 ** (-sum / json.trees / c(json.sampleSize));
}
