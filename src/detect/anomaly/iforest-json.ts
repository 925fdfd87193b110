/**
 * The JSON form of an isolation forest (the `model` of a `kind: "isolation-forest"` model file,
 * `src/detect/model-file.ts`; fields documented in `docs/ml-anomaly.md`, Model files), and its
 * strict validation: a document that is not exactly a forest this code grew is rejected with
 * `VIGIL_ERR_ML_MODEL`, never half-loaded.
 */
import type { FeatureSchema, FeatureSpec } from '../features/table.js';
import { ErrorCodes, VigilError } from '../../errors.js';
import type { ForestArrays } from './iforest-tree.js';
import { averagePathLength } from './iforest-tree.js';

/** Version of the `model` document below (inside the model file envelope's own version). */
export const IFOREST_JSON_VERSION = 1;

/**
 * An isolation forest as plain JSON. Nodes are columns indexed by node id; each tree's nodes are
 * contiguous in depth-first preorder, its root first, so a split's left child is the next node.
 */
export interface IsolationForestJSON {
  readonly version: typeof IFOREST_JSON_VERSION;
  /** The features the forest reads, in column order (as in the model file envelope). */
  readonly schema: FeatureSchema;
  /** Number of trees t. */
  readonly trees: number;
  /** ψ, the subsample size each tree was grown on (≤ the requested size when rows were fewer). */
  readonly sampleSize: number;
  /** PRNG seed the forest was grown with (mulberry32). */
  readonly seed: number;
  /** Root node id of each tree. */
  readonly roots: readonly number[];
  /** Split feature (column index into `schema.features`), or -1 for a leaf. */
  readonly feature: readonly number[];
  /** Right child node id, or -1 for a leaf (the left child of split i is i + 1). */
  readonly right: readonly number[];
  /** Numeric split: threshold (`x < threshold` goes left). Categorical split: offset into `subsets`. Leaf: 0. */
  readonly threshold: readonly number[];
  /** 1 when rows with a missing value go left at this split, else 0. */
  readonly missingLeft: readonly number[];
  /** Leaf: training rows that reached it (≥ 1). Split: 0. */
  readonly size: readonly number[];
  /** Numeric split: min of the node's training values on its feature (out-of-range rule). Else 0. */
  readonly low: readonly number[];
  /** Numeric split: max of the node's training values on its feature. Else 0. */
  readonly high: readonly number[];
  /** Categorical left subsets: at each offset, a count then that many sorted category codes. */
  readonly subsets: readonly number[];
}

function bad(message: string): VigilError {
  return new VigilError(ErrorCodes.ML_MODEL, `isolation forest: ${message}`);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function intArray(doc: Record<string, unknown>, key: string): Int32Array {
  const v = doc[key];
  if (!Array.isArray(v)) throw bad(`"${key}" is not an array`);
  const out = new Int32Array(v.length);
  for (let i = 0; i < v.length; i++) {
    const x: unknown = v[i];
    if (typeof x !== 'number' || !Number.isInteger(x) || x < -1 || x > 0x7fffffff)
      throw bad(`"${key}"[${i}] is not an integer`);
    out[i] = x;
  }
  return out;
}

function numberArray(doc: Record<string, unknown>, key: string, length: number): Float64Array {
  const v = doc[key];
  if (!Array.isArray(v) || v.length !== length) throw bad(`"${key}" must be an array as long as "feature"`);
  const out = new Float64Array(length);
  for (let i = 0; i < length; i++) {
    const x: unknown = v[i];
    if (typeof x !== 'number' || !Number.isFinite(x)) throw bad(`"${key}"[${i}] is not a finite number`);
    out[i] = x;
  }
  return out;
}

function positiveInt(doc: Record<string, unknown>, key: string, min: number): number {
  const v = doc[key];
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min)
    throw bad(`"${key}" must be an integer ≥ ${min}`);
  return v;
}

/** Validates a feature schema document. */
export function parseSchema(doc: unknown): FeatureSchema {
  if (!isObject(doc) || !Array.isArray(doc.features) || doc.features.length === 0)
    throw bad('"schema.features" must be a non-empty array');
  const features: FeatureSpec[] = [];
  for (const f of doc.features as unknown[]) {
    if (!isObject(f) || typeof f.name !== 'string') throw bad('a schema feature has no name');
    if (f.kind === 'numeric') features.push({ name: f.name, kind: 'numeric' });
    else if (
      f.kind === 'categorical' &&
      Array.isArray(f.categories) &&
      f.categories.every((c) => typeof c === 'string')
    )
      features.push({ name: f.name, kind: 'categorical', categories: f.categories as string[] });
    else throw bad(`schema feature ${f.name} has no valid kind`);
  }
  return { features };
}

/** Serializes forest arrays (`size` and `pool` are stored as grown; leaf terms are recomputed on load). */
export function forestToJSON(
  schema: FeatureSchema,
  forest: ForestArrays,
  params: { readonly sampleSize: number; readonly seed: number },
): IsolationForestJSON {
  const n = forest.feature.length;
  const feature: number[] = new Array<number>(n);
  const threshold: number[] = new Array<number>(n);
  const low: number[] = new Array<number>(n);
  const high: number[] = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const k = forest.feature[i]!;
    feature[i] = k >= -1 ? k : -2 - k;
    threshold[i] = k === -1 ? 0 : forest.value[i]!;
    low[i] = k >= 0 ? forest.low[i]! : 0;
    high[i] = k >= 0 ? forest.high[i]! : 0;
  }
  return {
    version: IFOREST_JSON_VERSION,
    schema,
    trees: forest.roots.length,
    sampleSize: params.sampleSize,
    seed: params.seed,
    roots: [...forest.roots],
    feature,
    right: [...forest.right],
    threshold,
    missingLeft: [...forest.missingLeft],
    size: [...forest.size],
    low,
    high,
    subsets: [...forest.pool],
  };
}

/**
 * Parses and checks an `IsolationForestJSON` document: field types, one tree per root in
 * depth-first preorder (the left child of a split is the next node, `right` points just past the
 * left subtree, trees follow each other with no gap), features and categories in the schema,
 * numeric thresholds inside their node range, leaf sizes ≥ 1.
 * @throws VigilError `VIGIL_ERR_ML_MODEL` naming the first problem
 */
export function forestFromJSON(doc: unknown): {
  schema: FeatureSchema;
  forest: ForestArrays;
  sampleSize: number;
  seed: number;
} {
  if (!isObject(doc)) throw bad('not a JSON object');
  if (doc.version !== IFOREST_JSON_VERSION)
    throw bad(`version ${String(doc.version)} is not supported (expected ${IFOREST_JSON_VERSION})`);
  const schema = parseSchema(doc.schema);
  const trees = positiveInt(doc, 'trees', 1);
  const sampleSize = positiveInt(doc, 'sampleSize', 2);
  if (typeof doc.seed !== 'number' || !Number.isFinite(doc.seed)) throw bad('"seed" must be a number');
  const roots = intArray(doc, 'roots');
  const column = intArray(doc, 'feature');
  const right = intArray(doc, 'right');
  const missing = intArray(doc, 'missingLeft');
  const size = intArray(doc, 'size');
  const pool = intArray(doc, 'subsets');
  const n = column.length;
  const threshold = numberArray(doc, 'threshold', n);
  const lowIn = numberArray(doc, 'low', n);
  const highIn = numberArray(doc, 'high', n);
  if (roots.length !== trees) throw bad(`"roots" has ${roots.length} entries for ${trees} trees`);
  for (const [key, arr] of [
    ['right', right],
    ['missingLeft', missing],
    ['size', size],
  ] as const)
    if (arr.length !== n) throw bad(`"${key}" has ${arr.length} entries, "feature" ${n}`);

  const fs = schema.features;
  const feature = new Int32Array(n);
  const value = new Float64Array(n);
  const missingLeft = new Uint8Array(n);
  const low = new Float64Array(n).fill(-Infinity);
  const high = new Float64Array(n).fill(Infinity);
  const depth = new Uint8Array(n);
  // Walk every tree depth-first, left first: node ids must come in visiting order.
  let next = 0;
  const stack: number[] = [];
  for (let t = 0; t < trees; t++) {
    if (roots[t] !== next) throw bad(`tree ${t} does not start right after tree ${t - 1}`);
    stack.push(next, 0);
    while (stack.length > 0) {
      const d = stack.pop()!;
      const i = stack.pop()!;
      if (i !== next || i >= n) throw bad(`node ${i} is not where the preorder layout puts it`);
      if (d > 255) throw bad('a tree is deeper than 255');
      next++;
      depth[i] = d;
      const f = column[i]!;
      const th = threshold[i]!;
      if (f === -1) {
        if (right[i] !== -1 || size[i]! < 1) throw bad(`leaf ${i} has a child or no rows`);
        feature[i] = -1;
        value[i] = d + averagePathLength(size[i]!);
        continue;
      }
      if (f < 0 || f >= fs.length) throw bad(`node ${i} splits on feature ${f}, the schema has ${fs.length}`);
      if (missing[i] !== 0 && missing[i] !== 1) throw bad(`"missingLeft"[${i}] must be 0 or 1`);
      if (right[i]! <= i + 1) throw bad(`node ${i} has its right child out of place`);
      const spec = fs[f]!;
      if (spec.kind === 'categorical') {
        const count = pool[th];
        if (!Number.isInteger(th) || count === undefined || count < 1 || th + count >= pool.length)
          throw bad(`node ${i} has no valid category subset`);
        for (let j = th + 1; j <= th + count; j++) {
          const code = pool[j]!;
          if (code < 0 || code >= spec.categories.length || (j > th + 1 && code <= pool[j - 1]!))
            throw bad(`node ${i} has an invalid category subset`);
        }
        feature[i] = -2 - f;
      } else {
        const lo = lowIn[i]!;
        const hi = highIn[i]!;
        if (!(lo < hi && lo < th && th <= hi))
          throw bad(`node ${i} has threshold ${th} outside its range (${lo}, ${hi}]`);
        low[i] = lo;
        high[i] = hi;
        feature[i] = f;
      }
      value[i] = th;
      missingLeft[i] = missing[i]!;
      stack.push(right[i]!, d + 1, i + 1, d + 1);
    }
  }
  if (next !== n) throw bad(`${n - next} nodes belong to no tree`);
  return {
    schema,
    forest: { roots, feature, right, value, missingLeft, low, high, depth, size, pool },
    sampleSize,
    seed: doc.seed,
  };
}
