/**
 * Split search at one tree node over a binned feature's class histogram (`cart.ts` grows the
 * tree): Gini impurity decrease of every threshold (numeric) or of every prefix of the
 * class-proportion orders of the categories (categorical), with missing values tried on either
 * side. Sources and rules: see `cart.ts`. Pure, typed arrays; allocation-free except for the
 * category sort.
 *
 * Scores: with class weights c_k on a side of weight W, W · Gini = W − Σ c_k² / W, so the
 * impurity decrease of a split is Σ_L c² / W_L + Σ_R c² / W_R − Σ c² / W (Breiman et al. 1984,
 * section 4.3), in weight units.
 */
import type { BinnedMatrix } from './binning.js';

/** Scratch buffers reused across the trees of one fit. */
export class TreeScratch {
  readonly hist: Float64Array;
  readonly total: Float64Array;
  readonly left: Float64Array;
  readonly order: Int32Array;
  readonly key: Float64Array;
  readonly goLeft: Uint8Array;
  readonly bestSet: Uint8Array;
  readonly featureOrder: Int32Array;

  constructor(binned: BinnedMatrix, classes: number) {
    let maxBins = 1;
    for (const f of binned.features) maxBins = Math.max(maxBins, f.bins + 1);
    this.hist = new Float64Array(maxBins * classes);
    this.total = new Float64Array(classes);
    this.left = new Float64Array(classes);
    this.order = new Int32Array(maxBins);
    this.key = new Float64Array(maxBins);
    this.goLeft = new Uint8Array(maxBins);
    this.bestSet = new Uint8Array(maxBins);
    this.featureOrder = new Int32Array(binned.cols);
  }
}

/** The best split found so far at a node (mutated in place while searching). */
export interface Split {
  gain: number;
  feature: number;
  /** Numeric: last bin going left. */
  bin: number;
  missingLeft: boolean;
  /** Categorical split (the codes going left are set in `scratch.bestSet`). */
  categorical: boolean;
  weightLeft: number;
  weightRight: number;
}

export function sumSquares(counts: Float64Array, k: number): number {
  let s = 0;
  for (let i = 0; i < k; i++) s += counts[i]! * counts[i]!;
  return s;
}

/** Σ c² / w of the two sides of a candidate (left given, right = total − left). */
function splitScore(left: Float64Array, total: Float64Array, k: number, wl: number, w: number): number {
  let sl = 0;
  let sr = 0;
  for (let i = 0; i < k; i++) {
    const l = left[i]!;
    const r = total[i]! - l;
    sl += l * l;
    sr += r * r;
  }
  return sl / wl + sr / (w - wl);
}

/** Builds the class histogram of feature f over rows `idx[start, end)`. */
export function histogram(
  binned: BinnedMatrix,
  f: number,
  y: Int32Array,
  w: Float64Array,
  idx: Int32Array,
  start: number,
  end: number,
  k: number,
  hist: Float64Array,
): void {
  const size = (binned.features[f]!.bins + 1) * k;
  hist.fill(0, 0, size);
  const codes = binned.codes;
  const base = f * binned.rows;
  for (let i = start; i < end; i++) {
    const r = idx[i]!;
    hist[codes[base + r]! * k + y[r]!]! += w[r]!;
  }
}

export function numericSplit(
  bins: number,
  s: TreeScratch,
  k: number,
  w: number,
  minLeaf: number,
  base: number,
  best: Split,
  f: number,
): void {
  const { hist, total, left } = s;
  const missingOffset = bins * k;
  let missingWeight = 0;
  for (let c = 0; c < k; c++) missingWeight += hist[missingOffset + c]!;
  left.fill(0);
  let wl = 0;
  for (let b = 0; b < bins; b++) {
    let binWeight = 0;
    for (let c = 0; c < k; c++) {
      const v = hist[b * k + c]!;
      left[c]! += v;
      binWeight += v;
    }
    if (binWeight === 0) continue;
    wl += binWeight;
    // Missing values right.
    if (wl >= minLeaf && w - wl >= minLeaf) {
      const gain = splitScore(left, total, k, wl, w) - base;
      if (gain > best.gain) setBest(best, gain, f, b, false, false, wl, w - wl);
    }
    if (missingWeight === 0) continue;
    // Missing values left.
    const wml = wl + missingWeight;
    if (wml >= minLeaf && w - wml >= minLeaf) {
      for (let c = 0; c < k; c++) left[c]! += hist[missingOffset + c]!;
      const gain = splitScore(left, total, k, wml, w) - base;
      for (let c = 0; c < k; c++) left[c]! -= hist[missingOffset + c]!;
      if (gain > best.gain) setBest(best, gain, f, b, true, false, wml, w - wml);
    }
  }
}

export function categoricalSplit(
  bins: number,
  s: TreeScratch,
  k: number,
  w: number,
  minLeaf: number,
  base: number,
  best: Split,
  f: number,
): void {
  const { hist, total, left, order, key } = s;
  // Present categories, the missing bin (index `bins`) included as one more category.
  let n = 0;
  for (let b = 0; b <= bins; b++) {
    let bw = 0;
    for (let c = 0; c < k; c++) bw += hist[b * k + c]!;
    if (bw > 0) order[n++] = b;
  }
  if (n < 2) return;
  let present = 0;
  let lastClass = -1;
  for (let c = 0; c < k; c++) if (total[c]! > 0) present++;
  for (let cls = 0; cls < k; cls++) {
    if (total[cls]! === 0) continue;
    lastClass++;
    if (present === 2 && lastClass === 1) break; // the second order of two classes is the reverse
    for (let i = 0; i < n; i++) {
      const b = order[i]!;
      let bw = 0;
      for (let c = 0; c < k; c++) bw += hist[b * k + c]!;
      key[b] = hist[b * k + cls]! / bw;
    }
    const sorted = Array.from(order.subarray(0, n)).sort((a, b) => key[a]! - key[b]! || a - b);
    left.fill(0);
    let wl = 0;
    for (let i = 0; i + 1 < n; i++) {
      const b = sorted[i]!;
      for (let c = 0; c < k; c++) {
        const v = hist[b * k + c]!;
        left[c]! += v;
        wl += v;
      }
      if (wl < minLeaf || w - wl < minLeaf) continue;
      const gain = splitScore(left, total, k, wl, w) - base;
      if (gain > best.gain) {
        setBest(best, gain, f, -1, false, true, wl, w - wl);
        s.bestSet.fill(0, 0, bins + 1);
        for (let j = 0; j <= i; j++) s.bestSet[sorted[j]!] = 1;
        best.missingLeft = s.bestSet[bins] === 1;
      }
    }
  }
}

function setBest(
  best: Split,
  gain: number,
  feature: number,
  bin: number,
  missingLeft: boolean,
  categorical: boolean,
  weightLeft: number,
  weightRight: number,
): void {
  best.gain = gain;
  best.feature = feature;
  best.bin = bin;
  best.missingLeft = missingLeft;
  best.categorical = categorical;
  best.weightLeft = weightLeft;
  best.weightRight = weightRight;
}
