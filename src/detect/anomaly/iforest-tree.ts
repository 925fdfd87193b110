/**
 * Growing and walking isolation trees (Liu, Ting, Zhou, "Isolation Forest", ICDM 2008,
 * Algorithms 2 and 3), stored for the whole forest in flat typed arrays so scoring is a tight
 * loop without objects or recursion. Pure, no I/O.
 *
 * Node layout (index `n`; each tree's nodes contiguous in depth-first preorder, its root first,
 * so a split's left child is always `n + 1`):
 * - `feature[n]`: `-1` for a leaf; the split column for a numeric split; `-2 − column` for a
 *   categorical split;
 * - `right[n]`: the right child (`-1` for a leaf);
 * - `value[n]`: a numeric split's threshold (`x < threshold` goes left); a categorical split's
 *   offset in `pool` of its left subset (`pool[offset]` = count, then the sorted codes); a leaf's
 *   path length term `depth + c(size)` (paper §4, Algorithm 3: `e + c(T.size)`);
 * - `missingLeft[n]`: 1 when a missing value (`NaN`) goes left at this split, else 0;
 * - `low[n]`, `high[n]`: a numeric split's min and max of the node's (non-missing) training values
 *   on its feature, for the out-of-range rule below (`-Infinity`, `Infinity` otherwise);
 * - `depth[n]`: edges from the root; `size[n]`: a leaf's training sample count (0 for splits).
 *
 * Out-of-range values (Vigil's extension; the 2008 paper has no such rule). An axis-parallel
 * tree sends a value beyond everything its node saw in training along with the node's extreme
 * rows, so `failures = 55` where training only held 0 and 1 scores like `failures = 1`.
 * SCiForest (Liu, Ting, Zhou, ECML PKDD 2010) added a range check at evaluation for this; Vigil
 * derives its own rule from the split itself: had x been among the node's rows, the node's range
 * would run from `min` to x (say x > max), and a threshold drawn uniformly in it would isolate x
 * with probability `p = (x − max) / (x − min)`. So at such a split the walk ends there, at
 * `depth + 1` (a leaf of one row, c(1) = 0), with probability p, and goes on as usual otherwise;
 * the path length is the expectation over those outcomes. Rows inside every range on their path
 * (all training rows) get exactly the paper's path length.
 */
import type { Random } from '../random.js';

const EULER_GAMMA = 0.5772156649;

/**
 * c(n), the average path length of an unsuccessful search in a binary search tree of n points
 * (paper §4, eq. 1): `2 H(n−1) − 2(n−1)/n` with `H(i) ≈ ln(i) + γ`. For n = 2 the exact value 1
 * is used (the approximation gives 0.15 there; scikit-learn does the same), and c(n) = 0 for n ≤ 1.
 */
export function averagePathLength(n: number): number {
  if (n <= 1) return 0;
  if (n === 2) return 1;
  return 2 * (Math.log(n - 1) + EULER_GAMMA) - (2 * (n - 1)) / n;
}

/** The anomaly score s(x, ψ) = 2^(−E(h(x)) / c(ψ)) (paper §4, eq. 2), in (0, 1]. */
export function anomalyScore(meanPathLength: number, sampleSize: number): number {
  return Math.pow(2, -meanPathLength / averagePathLength(sampleSize));
}

/** The forest's nodes (see the module comment for the layout). */
export interface ForestArrays {
  readonly roots: Int32Array;
  readonly feature: Int32Array;
  readonly right: Int32Array;
  readonly value: Float64Array;
  readonly missingLeft: Uint8Array;
  readonly low: Float64Array;
  readonly high: Float64Array;
  readonly depth: Uint8Array;
  readonly size: Int32Array;
  readonly pool: Int32Array;
}

/** Per-feature kind for growing: `k` categories for a categorical feature, -1 for numeric. */
export type FeatureKinds = readonly number[];

/**
 * Grows `trees` isolation trees, each on `sampleSize` rows drawn without replacement, with height
 * limit `ceil(log2 sampleSize)` (paper Algorithm 1).
 * @param data - row-major matrix cells (`rows × cols`); categorical cells are integer codes in
 *   `[0, k]` or `NaN` (checked by the caller)
 * @param kinds - per column: the number of categories (categorical) or -1 (numeric)
 */
export function growForest(
  data: Float64Array,
  rows: number,
  cols: number,
  kinds: FeatureKinds,
  trees: number,
  sampleSize: number,
  random: Random,
): ForestArrays {
  const limit = Math.ceil(Math.log2(sampleSize));
  const perTree = Math.min(2 * sampleSize - 1, 2 ** (limit + 1) - 1);
  const cap = trees * perTree;
  const feat = new Int32Array(cap);
  const right = new Int32Array(cap);
  const value = new Float64Array(cap);
  const missingLeft = new Uint8Array(cap);
  const low = new Float64Array(cap).fill(-Infinity);
  const high = new Float64Array(cap).fill(Infinity);
  const depthOf = new Uint8Array(cap);
  const size = new Int32Array(cap);
  const pool: number[] = [];
  const roots = new Int32Array(trees);
  let count = 0;

  const perm = new Int32Array(rows);
  for (let i = 0; i < rows; i++) perm[i] = i;
  const idx = new Int32Array(sampleSize);
  const order = new Int32Array(cols);
  for (let c = 0; c < cols; c++) order[c] = c;
  // Per categorical feature: a stamp per code, to find the distinct codes at a node in O(rows).
  const marks = kinds.map((k) => (k >= 0 ? new Int32Array(k + 1) : undefined));
  let stamp = 0;
  const codes = new Int32Array(sampleSize);
  const picked = new Uint8Array(sampleSize);
  const stack: number[] = [];

  const leaf = (n: number, depth: number, rowsAtNode: number): void => {
    feat[n] = -1;
    right[n] = -1;
    value[n] = depth + averagePathLength(rowsAtNode);
    size[n] = rowsAtNode;
  };

  for (let t = 0; t < trees; t++) {
    // Partial Fisher–Yates: the first sampleSize entries of perm become a uniform sample.
    for (let i = 0; i < sampleSize; i++) {
      const j = i + Math.floor(random() * (rows - i));
      const tmp = perm[i]!;
      perm[i] = perm[j]!;
      perm[j] = tmp;
      idx[i] = perm[i]!;
    }
    roots[t] = count;
    // Depth-first, left before right, ids given in visiting order (preorder): the left child of
    // n is n + 1; a right child tells its parent its id when it is visited.
    stack.push(-1, 0, sampleSize, 0);
    while (stack.length > 0) {
      const depth = stack.pop()!;
      const hi = stack.pop()!;
      const lo = stack.pop()!;
      const parent = stack.pop()!;
      const n = count++;
      if (parent >= 0) right[parent] = n;
      depthOf[n] = depth;
      if (hi - lo <= 1 || depth >= limit) {
        leaf(n, depth, hi - lo);
        continue;
      }
      // Pick a feature uniformly among those that can split here: walk a lazily shuffled order.
      let feature = -1;
      let threshold = 0;
      let mark: Int32Array | undefined;
      let leftStamp = 0;
      for (let k = 0; k < cols && feature < 0; k++) {
        const j = k + Math.floor(random() * (cols - k));
        const f = order[j]!;
        order[j] = order[k]!;
        order[k] = f;
        if (kinds[f]! < 0) {
          let min = Infinity;
          let max = -Infinity;
          for (let i = lo; i < hi; i++) {
            const v = data[idx[i]! * cols + f]!;
            if (v < min) min = v;
            if (v > max) max = v;
          }
          if (!(min < max)) continue;
          let thr = min + (max - min) * (1 - random());
          if (!(thr > min && thr <= max)) thr = max;
          feature = f;
          threshold = thr;
          low[n] = min;
          high[n] = max;
        } else {
          const m = marks[f]!;
          const s = ++stamp;
          let distinct = 0;
          for (let i = lo; i < hi; i++) {
            const v = data[idx[i]! * cols + f]!;
            if (v !== v || m[v] === s) continue;
            m[v] = s;
            codes[distinct++] = v;
          }
          if (distinct < 2) continue;
          const present = codes.subarray(0, distinct).sort();
          // A random non-empty proper subset of the present categories goes left: each one
          // with probability 1/2, drawn again when all or none were picked.
          let chosen: number;
          do {
            chosen = 0;
            for (let i = 0; i < distinct; i++) {
              const pick = random() < 0.5 ? 1 : 0;
              picked[i] = pick;
              chosen += pick;
            }
          } while (chosen === 0 || chosen === distinct);
          leftStamp = ++stamp;
          threshold = pool.length;
          pool.push(chosen);
          for (let i = 0; i < distinct; i++) {
            if (picked[i] === 0) continue;
            pool.push(present[i]!);
            m[present[i]!] = leftStamp;
          }
          feature = f;
          mark = m;
        }
      }
      if (feature < 0) {
        leaf(n, depth, hi - lo);
        continue;
      }
      // Three-way partition of idx[lo, hi): [left | missing | right].
      let lt = lo;
      let i = lo;
      let gt = hi;
      while (i < gt) {
        const r = idx[i]!;
        const v = data[r * cols + feature]!;
        if (v !== v) {
          i++;
        } else if (mark ? mark[v] === leftStamp : v < threshold) {
          idx[i++] = idx[lt]!;
          idx[lt++] = r;
        } else {
          idx[i] = idx[--gt]!;
          idx[gt] = r;
        }
      }
      // Missing values follow the larger side of the non-missing split (ties: left).
      const missLeft = lt - lo >= hi - gt;
      const mid = missLeft ? gt : lt;
      feat[n] = mark ? -2 - feature : feature;
      value[n] = threshold;
      missingLeft[n] = missLeft ? 1 : 0;
      size[n] = 0;
      stack.push(n, mid, hi, depth + 1);
      stack.push(-1, lo, mid, depth + 1);
    }
  }
  return {
    roots,
    feature: feat.slice(0, count),
    right: right.slice(0, count),
    value: value.slice(0, count),
    missingLeft: missingLeft.slice(0, count),
    low: low.slice(0, count),
    high: high.slice(0, count),
    depth: depthOf.slice(0, count),
    size: size.slice(0, count),
    pool: Int32Array.from(pool),
  };
}

/** Whether a categorical code is in the left subset stored at `pool[offset]` (binary search). */
export function inSubset(pool: Int32Array, offset: number, code: number): boolean {
  let lo = offset + 1;
  let hi = lo + pool[offset]!;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const c = pool[mid]!;
    if (c === code) return true;
    if (c < code) lo = mid + 1;
    else hi = mid;
  }
  return false;
}

/** The child of split node `n` that a cell value `v` goes to. */
export function child(f: ForestArrays, n: number, v: number): number {
  const k = f.feature[n]!;
  if (v !== v) return f.missingLeft[n] === 1 ? n + 1 : f.right[n]!;
  if (k >= 0) return v < f.value[n]! ? n + 1 : f.right[n]!;
  return inSubset(f.pool, f.value[n]!, v) ? n + 1 : f.right[n]!;
}

/**
 * Probability that a split drawn with x among the node's rows would have isolated x: 0 inside
 * `[low, high]` (and for `NaN`), `d / (d + high − low)` at distance d outside, 1 for ±Infinity.
 */
export function outsideProbability(low: number, high: number, v: number): number {
  const d = v < low ? low - v : v > high ? v - high : 0;
  return d === 0 ? 0 : 1 - (high - low) / (d + high - low);
}

/**
 * Sum over the trees of the path length h(x) of the row at `data[offset …]` (paper Algorithm 3,
 * with the out-of-range expectation of the module comment).
 */
export function pathLengthSum(f: ForestArrays, data: Float64Array, offset: number): number {
  const { roots, feature, right, value, low, high, missingLeft, depth, pool } = f;
  let sum = 0;
  for (let t = 0; t < roots.length; t++) {
    let n = roots[t]!;
    let ended = 0; // Σ P(walk ended early at a split) × its path length
    let stay = 1; // P(walk still going)
    for (;;) {
      const k = feature[n]!;
      if (k >= 0) {
        // Numeric split. The range checks sit off the hot path: taken only for a value outside
        // the node's training range, or for NaN (which compares false everywhere).
        const v = data[offset + k]!;
        if (v < value[n]!) {
          if (v < low[n]!) {
            const p = outsideProbability(low[n]!, high[n]!, v);
            ended += stay * p * (depth[n]! + 1);
            stay -= stay * p;
          }
          n++;
        } else {
          if (!(v <= high[n]!)) {
            if (v !== v) {
              n = missingLeft[n] === 1 ? n + 1 : right[n]!;
              continue;
            }
            const p = outsideProbability(low[n]!, high[n]!, v);
            ended += stay * p * (depth[n]! + 1);
            stay -= stay * p;
          }
          n = right[n]!;
        }
      } else if (k === -1) {
        sum += ended + stay * value[n]!;
        break;
      } else {
        const v = data[offset - 2 - k]!;
        if (v !== v) n = missingLeft[n] === 1 ? n + 1 : right[n]!;
        else n = inSubset(pool, value[n]!, v) ? n + 1 : right[n]!;
      }
    }
  }
  return sum;
}
