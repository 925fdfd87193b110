/**
 * One classification tree of a random forest: CART (Breiman, Friedman, Olshen, Stone,
 * "Classification and Regression Trees", 1984, chapter 4: Gini impurity, binary splits, chapter
 * 4.2.2 for categorical splits) grown to full depth or to the limits given, trying a random
 * subset of the features at each node (Breiman, "Random Forests", Machine Learning 45, 2001,
 * section 4 "Forest-RI"). Split search scans the histograms of pre-binned features
 * (`binning.ts`). Pure, typed arrays.
 *
 * - Numeric split: `x ≤ threshold` goes left.
 * - Categorical split: a set of category codes goes left. Categories are ordered by their
 *   proportion of one class and only the prefixes of that order are tried (Breiman et al. 1984,
 *   theorem 4.5: for two classes this finds the best of all 2^(L-1) partitions). With more
 *   classes, one order per class present at the node is tried (one-vs-rest orders), which is
 *   exact for two classes and a good heuristic beyond.
 * - Missing values (`NaN`) are a bin of their own: at each split both directions are tried and
 *   the better one is kept (the "sparsity-aware" default direction of XGBoost, Chen & Guestrin,
 *   KDD 2016, algorithm 3). A node that saw no missing value sends them to the child that got
 *   more training weight; categories the node never saw (including the unseen code) go the same
 *   way as missing values.
 *
 * Rows carry weights (bootstrap counts); `minSamplesLeaf` counts weight.
 */
import type { BinnedMatrix } from './binning.js';
import type { Prng } from '../random.js';
import {
  categoricalSplit,
  histogram,
  numericSplit,
  type Split,
  sumSquares,
  type TreeScratch,
} from './split.js';

export { TreeScratch } from './split.js';

/** A grown tree; nodes in pre-order, node 0 is the root, children indices local to the tree. */
export interface TreeData {
  /** Split feature (matrix column), or -1 for a leaf. */
  readonly feature: Int32Array;
  /** Numeric split threshold (`x ≤ threshold` goes left); 0 for leaves and categorical splits. */
  readonly threshold: Float64Array;
  /** Left and right child; -1 for leaves. */
  readonly left: Int32Array;
  readonly right: Int32Array;
  /** 1 when missing values (and categories the node never saw) go left. */
  readonly defaultLeft: Uint8Array;
  /** Categorical splits: the codes (`0 … categories.length`) going left, ascending; else null. */
  readonly categories: readonly (Int32Array | null)[];
  /** Leaves: the training weight per class (length = number of classes); splits: null. */
  readonly value: readonly (Float64Array | null)[];
}

export interface GrowOptions {
  readonly classes: number;
  /** Deepest node depth (root = 0). */
  readonly maxDepth: number;
  /** Least training weight in a leaf. */
  readonly minSamplesLeaf: number;
  /** Features tried per split (more are tried when none of these can split). */
  readonly maxFeatures: number;
}

/** Smallest impurity decrease (in weight units) that counts as a split. */
const MIN_GAIN = 1e-9;

/** Growable node arrays. */
class NodeList {
  feature: number[] = [];
  threshold: number[] = [];
  left: number[] = [];
  right: number[] = [];
  defaultLeft: number[] = [];
  categories: (Int32Array | null)[] = [];
  value: (Float64Array | null)[] = [];

  add(): number {
    this.feature.push(-1);
    this.threshold.push(0);
    this.left.push(-1);
    this.right.push(-1);
    this.defaultLeft.push(0);
    this.categories.push(null);
    this.value.push(null);
    return this.feature.length - 1;
  }

  done(): TreeData {
    return {
      feature: Int32Array.from(this.feature),
      threshold: Float64Array.from(this.threshold),
      left: Int32Array.from(this.left),
      right: Int32Array.from(this.right),
      defaultLeft: Uint8Array.from(this.defaultLeft),
      categories: this.categories,
      value: this.value,
    };
  }
}

/**
 * Grows one tree on the rows `idx` (each row r weighted `w[r]`, labels `y[r]` in `[0, classes)`).
 * `idx` is reordered in place. Adds each split's impurity decrease (Gini × weight) to
 * `importance[feature]` (mean decrease in impurity, Breiman 2001 / Louppe et al., NIPS 2013).
 */
export function growTree(
  binned: BinnedMatrix,
  y: Int32Array,
  w: Float64Array,
  idx: Int32Array,
  options: GrowOptions,
  rng: Prng,
  scratch: TreeScratch,
  importance: Float64Array,
): TreeData {
  const k = options.classes;
  const nodes = new NodeList();
  const s = scratch;
  const best: Split = {
    gain: 0,
    feature: -1,
    bin: -1,
    missingLeft: false,
    categorical: false,
    weightLeft: 0,
    weightRight: 0,
  };
  const p = binned.cols;
  const featureOrder = s.featureOrder;
  // Explicit stack of [node, start, end, depth]: no recursion limit on deep trees.
  const stack: number[] = [nodes.add(), 0, idx.length, 0];
  while (stack.length > 0) {
    const depth = stack.pop()!;
    const end = stack.pop()!;
    const start = stack.pop()!;
    let node = stack.pop()!;
    if (node < 0) {
      // A right child, created only now so that its left sibling's subtree precedes it (pre-order).
      const parent = -1 - node;
      node = nodes.add();
      nodes.right[parent] = node;
    }
    const total = s.total;
    total.fill(0);
    for (let i = start; i < end; i++) total[y[idx[i]!]!]! += w[idx[i]!]!;
    let weight = 0;
    let classesPresent = 0;
    for (let c = 0; c < k; c++) {
      weight += total[c]!;
      if (total[c]! > 0) classesPresent++;
    }
    best.gain = MIN_GAIN;
    best.feature = -1;
    if (depth < options.maxDepth && classesPresent > 1 && weight >= 2 * options.minSamplesLeaf) {
      const base = sumSquares(total, k) / weight;
      for (let i = 0; i < p; i++) featureOrder[i] = i;
      for (let tried = 0; tried < p; tried++) {
        if (tried >= options.maxFeatures && best.feature >= 0) break;
        const j = tried + rng.int(p - tried);
        const f = featureOrder[j]!;
        featureOrder[j] = featureOrder[tried]!;
        featureOrder[tried] = f;
        const spec = binned.features[f]!;
        histogram(binned, f, y, w, idx, start, end, k, s.hist);
        if (spec.categorical)
          categoricalSplit(spec.bins, s, k, weight, options.minSamplesLeaf, base, best, f);
        else numericSplit(spec.bins, s, k, weight, options.minSamplesLeaf, base, best, f);
      }
    }
    if (best.feature < 0) {
      nodes.value[node] = Float64Array.from(total);
      continue;
    }
    importance[best.feature]! += best.gain;
    const spec = binned.features[best.feature]!;
    const bins = spec.bins;
    const missingSeen = rowsWithBin(binned, best.feature, bins, idx, start, end);
    const defaultLeft = missingSeen ? best.missingLeft : best.weightLeft >= best.weightRight;
    const goLeft = s.goLeft;
    if (best.categorical) {
      // Recompute the node histogram of the winner to know which codes the node saw.
      histogram(binned, best.feature, y, w, idx, start, end, k, s.hist);
      const codes: number[] = [];
      for (let b = 0; b < bins; b++) {
        let bw = 0;
        for (let c = 0; c < k; c++) bw += s.hist[b * k + c]!;
        goLeft[b] = bw > 0 ? s.bestSet[b]! : defaultLeft ? 1 : 0;
        if (goLeft[b]) codes.push(b);
      }
      goLeft[bins] = defaultLeft ? 1 : 0;
      nodes.categories[node] = Int32Array.from(codes);
    } else {
      for (let b = 0; b < bins; b++) goLeft[b] = b <= best.bin ? 1 : 0;
      goLeft[bins] = defaultLeft ? 1 : 0;
      nodes.threshold[node] = best.bin < spec.edges.length ? spec.edges[best.bin]! : Number.MAX_VALUE;
    }
    nodes.feature[node] = best.feature;
    nodes.defaultLeft[node] = defaultLeft ? 1 : 0;
    // Partition idx[start, end) into left rows then right rows.
    const codes = binned.codes;
    const colBase = best.feature * binned.rows;
    let lo = start;
    let hi = end - 1;
    while (lo <= hi) {
      if (goLeft[codes[colBase + idx[lo]!]!]) lo++;
      else {
        const t = idx[lo]!;
        idx[lo] = idx[hi]!;
        idx[hi] = t;
        hi--;
      }
    }
    const leftNode = nodes.add();
    nodes.left[node] = leftNode;
    stack.push(-1 - node, lo, end, depth + 1);
    stack.push(leftNode, start, lo, depth + 1);
  }
  return nodes.done();
}

/** Whether any row of `idx[start, end)` has bin `bin` in feature f. */
function rowsWithBin(
  binned: BinnedMatrix,
  f: number,
  bin: number,
  idx: Int32Array,
  start: number,
  end: number,
): boolean {
  const codes = binned.codes;
  const base = f * binned.rows;
  for (let i = start; i < end; i++) if (codes[base + idx[i]!] === bin) return true;
  return false;
}
