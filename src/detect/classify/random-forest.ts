/**
 * Random forest classifier (Breiman, "Random Forests", Machine Learning 45(1), 2001): trees
 * grown on bootstrap samples of the rows (section 3, "bagging"), each split chosen among a
 * random subset of the features (section 4, "Forest-RI", default √p features), class
 * probabilities = mean of the trees' leaf class distributions (as scikit-learn does, rather than
 * the paper's majority vote). Trees are CART trees with Gini impurity (`cart.ts`) over
 * histogram-binned features (`binning.ts`). Deterministic for a given seed. Pure, typed arrays.
 *
 * Inputs are feature matrices from `src/detect/features/table.ts`: numeric values, categorical
 * codes (unseen value = `categories.length`), `NaN` = missing.
 */
import type { FeatureSchema, Matrix } from '../features/table.js';
import { ErrorCodes, VigilError } from '../../errors.js';
import { binMatrix } from './binning.js';
import { growTree, TreeScratch, type TreeData } from './cart.js';
import { type ForestParams, parseForestJSON, type RandomForestJSON, treeToJSON } from './forest-json.js';
import { deriveSeed, Prng } from '../random.js';

export type { RandomForestJSON, TreeJSON, ForestParams } from './forest-json.js';

export interface RandomForestOptions {
  /** Number of trees (default 100). */
  trees?: number;
  /** Deepest node depth, root = 0 (default: unlimited). */
  maxDepth?: number;
  /** Least training weight (in-bag rows, repeats counted) in a leaf (default 1). */
  minSamplesLeaf?: number;
  /** Features tried per split: a count, 'sqrt' (⌊√p⌋, the default) or 'all' (bagged CART). */
  maxFeatures?: number | 'sqrt' | 'all';
  /** Seed of the bootstrap and feature draws (default 1). */
  seed?: number;
}

export const DEFAULT_TREES = 100;
export const DEFAULT_SEED = 1;

function badOption(what: string): never {
  throw new VigilError(ErrorCodes.ML_INPUT, `random forest option ${what}`);
}

/** Validates options and resolves defaults for a matrix of `features` columns. */
export function resolveParams(options: RandomForestOptions, features: number): ForestParams {
  const trees = options.trees ?? DEFAULT_TREES;
  if (!Number.isInteger(trees) || trees < 1) badOption(`trees: ${trees} is not a positive integer`);
  const maxDepth = options.maxDepth ?? null;
  if (maxDepth !== null && maxDepth !== Infinity && (!Number.isInteger(maxDepth) || maxDepth < 1))
    badOption(`maxDepth: ${maxDepth} is not a positive integer`);
  const minSamplesLeaf = options.minSamplesLeaf ?? 1;
  if (!(minSamplesLeaf >= 1) || !Number.isFinite(minSamplesLeaf))
    badOption(`minSamplesLeaf: ${minSamplesLeaf} is not ≥ 1`);
  const mf = options.maxFeatures ?? 'sqrt';
  let maxFeatures: number;
  if (mf === 'sqrt') maxFeatures = Math.max(1, Math.floor(Math.sqrt(features)));
  else if (mf === 'all') maxFeatures = features;
  else if (Number.isInteger(mf) && mf >= 1) maxFeatures = Math.min(mf, features);
  else badOption(`maxFeatures: ${String(mf)} is not a positive integer, 'sqrt' or 'all'`);
  const seed = options.seed ?? DEFAULT_SEED;
  if (!Number.isFinite(seed)) badOption(`seed: ${seed} is not a number`);
  return {
    trees,
    maxDepth: maxDepth === Infinity ? null : maxDepth,
    minSamplesLeaf,
    maxFeatures,
    seed,
  };
}

/** Bits of a split node's `meta` word above the feature index. */
const CATEGORICAL = 0x40000000;
const DEFAULT_LEFT = 0x20000000;
const FEATURE_MASK = 0x1fffffff;

/**
 * All trees flattened into one node table, for prediction. Nodes keep their pre-order, so a
 * split's left child is the next node and only the right child is stored. A node is 16 bytes
 * (one cache line holds four): a float64 and two int32 over the same buffer.
 */
interface Compiled {
  /** First node of each tree. */
  readonly roots: Int32Array;
  /** `value[2n]`: numeric split threshold, or categorical split: offset of its bitset in `bits`. */
  readonly value: Float64Array;
  /**
   * `meta[4n + 2]`: split `feature | CATEGORICAL? | DEFAULT_LEFT?`, leaf -1;
   * `meta[4n + 3]`: split: right child; leaf: offset of its probabilities in `leafProb`.
   */
  readonly meta: Int32Array;
  /** Categorical splits: bit c set = code c goes left (one word per 32 codes, unseen included). */
  readonly bits: Uint32Array;
  /** Leaf class probabilities already divided by the number of trees. */
  readonly leafProb: Float64Array;
  /** Per feature: the unseen code (categories.length), or -1 for numeric features. */
  readonly unseen: Int32Array;
}

function compile(trees: readonly TreeData[], schema: FeatureSchema, classes: number): Compiled {
  let nodes = 0;
  let leaves = 0;
  let bitWords = 0;
  const unseen = Int32Array.from(schema.features, (f) =>
    f.kind === 'categorical' ? f.categories.length : -1,
  );
  for (const t of trees) {
    nodes += t.feature.length;
    for (let i = 0; i < t.feature.length; i++) {
      if (t.feature[i]! < 0) leaves++;
      else if (t.categories[i]) bitWords += (unseen[t.feature[i]!]! >>> 5) + 1;
    }
  }
  const table = new ArrayBuffer(16 * nodes);
  const c: Compiled = {
    roots: new Int32Array(trees.length),
    value: new Float64Array(table),
    meta: new Int32Array(table),
    bits: new Uint32Array(bitWords),
    leafProb: new Float64Array(leaves * classes),
    unseen,
  };
  let base = 0;
  let leaf = 0;
  let word = 0;
  for (let ti = 0; ti < trees.length; ti++) {
    const t = trees[ti]!;
    c.roots[ti] = base;
    for (let i = 0; i < t.feature.length; i++) {
      const n = base + i;
      const f = t.feature[i]!;
      if (f < 0) {
        const v = t.value[i]!;
        let sum = 0;
        for (let k = 0; k < classes; k++) sum += v[k]!;
        const scale = 1 / (sum * trees.length);
        for (let k = 0; k < classes; k++) c.leafProb[leaf * classes + k] = v[k]! * scale;
        c.meta[4 * n + 2] = -1;
        c.meta[4 * n + 3] = leaf++ * classes;
        continue;
      }
      const cats = t.categories[i];
      c.meta[4 * n + 2] = f | (cats ? CATEGORICAL : 0) | (t.defaultLeft[i] ? DEFAULT_LEFT : 0);
      c.meta[4 * n + 3] = base + t.right[i]!;
      if (cats) {
        c.value[2 * n] = word;
        for (const code of cats) c.bits[word + (code >>> 5)]! |= 1 << (code & 31);
        word += (unseen[f]! >>> 5) + 1;
      } else c.value[2 * n] = t.threshold[i]!;
    }
    base += t.feature.length;
  }
  return c;
}

/**
 * Walks one tree for one row.
 * @returns the offset of the reached leaf's probabilities in `c.leafProb`
 */
function findLeaf(c: Compiled, root: number, row: Float64Array, offset: number): number {
  const { value, meta, bits, unseen } = c;
  let n = root;
  let m = meta[4 * n + 2]!;
  while (m >= 0) {
    const f = m & FEATURE_MASK;
    const v = row[offset + f]!;
    let goLeft: boolean;
    if ((m & CATEGORICAL) === 0) {
      goLeft = v <= value[2 * n]!;
      if (v !== v) goLeft = (m & DEFAULT_LEFT) !== 0;
    } else if (v !== v) goLeft = (m & DEFAULT_LEFT) !== 0;
    else {
      const u = unseen[f]!;
      const code = v >= 0 && v < u && Math.floor(v) === v ? v : u;
      goLeft = ((bits[value[2 * n]! + (code >>> 5)]! >>> (code & 31)) & 1) === 1;
    }
    n = goLeft ? n + 1 : meta[4 * n + 3]!;
    m = meta[4 * n + 2]!;
  }
  return meta[4 * n + 3]!;
}

/** A trained random forest. Build with {@link RandomForest.fit} or {@link RandomForest.fromJSON}. */
export class RandomForest {
  private readonly compiled: Compiled;
  private readonly scratch: Float64Array;

  private constructor(
    readonly classes: readonly string[],
    readonly schema: FeatureSchema,
    readonly params: ForestParams,
    private readonly importances: Float64Array,
    private readonly trees: readonly TreeData[],
  ) {
    this.compiled = compile(trees, schema, classes.length);
    this.scratch = new Float64Array(classes.length);
  }

  /**
   * Trains a forest.
   * @param x - rows × features, encoded as `schema` says (`Encoder` in features/table.ts)
   * @param y - class index per row, in `[0, classes.length)`
   * @param classes - class names (index = label code)
   * @throws VigilError `VIGIL_ERR_ML_NO_DATA` without rows; `VIGIL_ERR_ML_INPUT` on a label out of
   *   range, a matrix that does not fit the schema, or a bad option
   */
  static fit(
    x: Matrix,
    y: Int32Array,
    classes: readonly string[],
    schema: FeatureSchema,
    options: RandomForestOptions = {},
  ): RandomForest {
    const params = resolveParams(options, schema.features.length);
    const n = x.rows;
    const k = classes.length;
    if (n === 0) throw new VigilError(ErrorCodes.ML_NO_DATA, 'a random forest', 'no rows');
    if (k === 0) throw new VigilError(ErrorCodes.ML_INPUT, 'no classes');
    if (y.length !== n) throw new VigilError(ErrorCodes.ML_INPUT, `${y.length} labels for ${n} rows`);
    for (let r = 0; r < n; r++)
      if (!(y[r]! >= 0 && y[r]! < k))
        throw new VigilError(ErrorCodes.ML_INPUT, `row ${r}: label ${y[r]} is not a class index`);
    const binned = binMatrix(x, schema);
    const scratch = new TreeScratch(binned, k);
    const importance = new Float64Array(binned.cols);
    const weights = new Float64Array(n);
    const idx = new Int32Array(n);
    const trees: TreeData[] = [];
    const grow = {
      classes: k,
      maxDepth: params.maxDepth ?? Infinity,
      minSamplesLeaf: params.minSamplesLeaf,
      maxFeatures: params.maxFeatures,
    };
    for (let t = 0; t < params.trees; t++) {
      const rng = new Prng(deriveSeed(params.seed, t));
      weights.fill(0);
      for (let i = 0; i < n; i++) weights[rng.int(n)]!++;
      let m = 0;
      for (let r = 0; r < n; r++) if (weights[r]! > 0) idx[m++] = r;
      trees.push(growTree(binned, y, weights, idx.subarray(0, m), grow, rng, scratch, importance));
    }
    let sum = 0;
    for (const v of importance) sum += v;
    if (sum > 0) for (let i = 0; i < importance.length; i++) importance[i]! /= sum;
    return new RandomForest([...classes], schema, params, importance, trees);
  }

  /**
   * Class probabilities of one row: the mean over trees of the leaf's class distribution.
   * @param row - encoded values, `schema.features.length` of them from `offset`
   * @param out - where to write (length ≥ classes.length); a new array when omitted
   * @returns `out`, indexed like `classes`, summing to 1
   */
  predictProba(row: Float64Array, offset = 0, out?: Float64Array): Float64Array {
    const p = out ?? new Float64Array(this.classes.length);
    const k = this.classes.length;
    p.fill(0, 0, k);
    const c = this.compiled;
    const { roots, leafProb } = c;
    for (let t = 0; t < roots.length; t++) {
      const l = findLeaf(c, roots[t]!, row, offset);
      for (let j = 0; j < k; j++) p[j]! += leafProb[l + j]!;
    }
    return p;
  }

  /** The most probable class index of one row (ties: the lower index). */
  predict(row: Float64Array, offset = 0): number {
    const p = this.predictProba(row, offset, this.scratch);
    let best = 0;
    for (let j = 1; j < this.classes.length; j++) if (p[j]! > p[best]!) best = j;
    return best;
  }

  /**
   * Class probabilities of every row of a matrix, as {@link predictProba} gives them.
   * @returns rows × classes, row-major: class j of row r at `[r * classes.length + j]`
   */
  predictProbaMatrix(x: Matrix): Float64Array {
    const k = this.classes.length;
    const out = new Float64Array(x.rows * k);
    for (let r = 0; r < x.rows; r++) this.predictProba(x.data, r * x.cols, out.subarray(r * k, (r + 1) * k));
    return out;
  }

  /** Predicted class index of every row of a matrix (ties: the lower index). */
  predictMatrix(x: Matrix): Int32Array {
    const out = new Int32Array(x.rows);
    for (let r = 0; r < x.rows; r++) out[r] = this.predict(x.data, r * x.cols);
    return out;
  }

  /**
   * Mean decrease in impurity per feature (Gini importance: Breiman 2001 section 10; Louppe et
   * al., NIPS 2013), summed over all splits of all trees, weighted by the rows reaching each split,
   * normalised to sum to 1. Sorted by importance, highest first (ties: schema order).
   */
  featureImportances(): { feature: string; importance: number }[] {
    return this.schema.features
      .map((f, i) => ({ feature: f.name, importance: this.importances[i]!, i }))
      .sort((a, b) => b.importance - a.importance || a.i - b.i)
      .map(({ feature, importance }) => ({ feature, importance }));
  }

  /** Number of trees and nodes (for logs and tests). */
  size(): { trees: number; nodes: number } {
    return { trees: this.trees.length, nodes: this.compiled.value.length / 2 };
  }

  /** The forest as JSON (`docs/ml-classifier.md`, "Model file"). */
  toJSON(): RandomForestJSON {
    return {
      classes: [...this.classes],
      schema: this.schema,
      params: this.params,
      importances: Array.from(this.importances),
      trees: this.trees.map(treeToJSON),
    };
  }

  /**
   * Rebuilds a forest from {@link RandomForest.toJSON} output; predictions are identical.
   * @throws VigilError `VIGIL_ERR_ML_MODEL` when the document is malformed
   */
  static fromJSON(json: unknown): RandomForest {
    const parts = parseForestJSON(json);
    return new RandomForest(parts.classes, parts.schema, parts.params, parts.importances, parts.trees);
  }
}
