/**
 * Per-feature explanation of an isolation score: a local depth-based feature importance after
 * DIFFI (Carletti, Terzi, Susto, "Interpretable anomaly detection with DIFFI: Depth-based feature
 * importance of Isolation Forest", Engineering Applications of AI 119, 2023, §3.3 Local-DIFFI).
 *
 * Local-DIFFI credits every split on the path of x in tree t with `1/h_t(x) − 1/h_max`: features
 * split on along short paths (quick isolation) get much, those along paths of normal length little.
 * Vigil's variant, for a point that may be normal as well as anomalous:
 * - `h_t(x)` is the paper's path length with the leaf adjustment, `depth + c(leaf size)` (Liu et
 *   al. 2008, Algorithm 3), so a shallow leaf of many identical rows is not mistaken for isolation;
 * - the reference is `c(ψ)`, the expected path length (the one that scores 0.5), not the height
 *   limit: a split's credit is positive when the tree isolates x faster than an average point and
 *   negative when slower;
 * - the credits are summed per feature and divided by the number of trees (an expectation over
 *   the forest), not divided by the feature's split count as Local-DIFFI does: a feature seen once
 *   on one short path then cannot outrank one that shortens the paths in many trees.
 * - a walk that may end early at an out-of-range split (`iforest-tree.ts`) is a mixture of paths:
 *   each possible end e, reached with probability P(e) at path length h_e, credits the features
 *   split on before it (the ending split's feature included) with P(e) · (1/h_e − 1/c(ψ)).
 * The contributions of a row sum to `(1/T) Σ_t Σ_e P(e) · depth_e · (1/h_e − 1/c(ψ))`.
 */
import type { ForestArrays } from './iforest-tree.js';
import { averagePathLength, child, outsideProbability } from './iforest-tree.js';

/**
 * Adds each feature's contribution for the row at `data[offset …]` into `out` (one cell per
 * feature, zeroed by the caller).
 * @param sampleSize - ψ, the forest's subsample size
 */
export function pathContributions(
  forest: ForestArrays,
  sampleSize: number,
  data: Float64Array,
  offset: number,
  out: Float64Array,
): void {
  const { roots, feature, value, low, high } = forest;
  const reference = 1 / averagePathLength(sampleSize);
  const trees = roots.length;
  const path: number[] = [];
  const credit = (weight: number, length: number): void => {
    const c = (weight * (1 / length - reference)) / trees;
    for (const f of path) out[f]! += c;
  };
  for (let t = 0; t < trees; t++) {
    path.length = 0;
    let n = roots[t]!;
    let stay = 1;
    while (feature[n] !== -1) {
      const k = feature[n]!;
      const column = k >= 0 ? k : -2 - k;
      const v = data[offset + column]!;
      path.push(column);
      const p = k >= 0 ? outsideProbability(low[n]!, high[n]!, v) : 0;
      if (p > 0) {
        credit(stay * p, path.length);
        stay -= stay * p;
      }
      n = child(forest, n, v);
    }
    if (path.length > 0 && stay > 0) credit(stay, value[n]!);
  }
}
