/**
 * The JSON form of a random forest (the `model` member of a `random-forest` model file,
 * `src/detect/model-file.ts`; documented in `docs/ml-classifier.md`) and its validation on load.
 * Pure.
 */
import type { FeatureSchema, FeatureSpec } from '../features/table.js';
import { ErrorCodes, VigilError } from '../../errors.js';
import type { TreeData } from './cart.js';

/**
 * One tree: parallel arrays over its nodes, in pre-order with the left subtree first (node 0 =
 * root; a split's left child is the next node).
 */
export interface TreeJSON {
  /** Split feature (index into `schema.features`), -1 for a leaf. */
  readonly feature: number[];
  /** Numeric split: `x ≤ threshold` goes left. 0 otherwise. */
  readonly threshold: number[];
  /** Child node indices; -1 for leaves. */
  readonly left: number[];
  readonly right: number[];
  /** 1: missing values (and categories the node never saw) go left; 0: right. */
  readonly defaultLeft: number[];
  /** Categorical split: the category codes going left; null otherwise. */
  readonly categories: (number[] | null)[];
  /** Leaf: training weight (in-bag rows) per class, in `classes` order; null for splits. */
  readonly value: (number[] | null)[];
}

/** Resolved training options, as stored. */
export interface ForestParams {
  readonly trees: number;
  /** null: unlimited. */
  readonly maxDepth: number | null;
  readonly minSamplesLeaf: number;
  /** Features tried per split (resolved from 'sqrt' / 'all'). */
  readonly maxFeatures: number;
  readonly seed: number;
}

export interface RandomForestJSON {
  readonly classes: string[];
  readonly schema: FeatureSchema;
  readonly params: ForestParams;
  /** Mean decrease in impurity per feature, schema order, summing to 1 (or all 0). */
  readonly importances: number[];
  readonly trees: TreeJSON[];
}

/** The parsed, validated content of a {@link RandomForestJSON}. */
export interface ForestParts {
  readonly classes: readonly string[];
  readonly schema: FeatureSchema;
  readonly params: ForestParams;
  readonly importances: Float64Array;
  readonly trees: readonly TreeData[];
}

export function treeToJSON(t: TreeData): TreeJSON {
  return {
    feature: Array.from(t.feature),
    threshold: Array.from(t.threshold),
    left: Array.from(t.left),
    right: Array.from(t.right),
    defaultLeft: Array.from(t.defaultLeft),
    categories: t.categories.map((c) => (c ? Array.from(c) : null)),
    value: t.value.map((v) => (v ? Array.from(v) : null)),
  };
}

function fail(what: string): never {
  throw new VigilError(ErrorCodes.ML_MODEL, `random forest: ${what}`);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function numbers(v: unknown, what: string, length?: number): number[] {
  if (!Array.isArray(v) || (length !== undefined && v.length !== length))
    fail(`${what} is not an array${length !== undefined ? ` of ${length} numbers` : ''}`);
  for (const x of v) if (typeof x !== 'number' || !Number.isFinite(x)) fail(`${what} holds a non-number`);
  return v as number[];
}

function isInt(v: unknown, min: number, max = Number.MAX_SAFE_INTEGER): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max;
}

export function parseSchema(v: unknown): FeatureSchema {
  if (!isObject(v) || !Array.isArray(v.features) || v.features.length === 0) fail('schema has no features');
  const features: FeatureSpec[] = [];
  for (const f of v.features as unknown[]) {
    if (!isObject(f) || typeof f.name !== 'string') fail('schema feature without a name');
    if (f.kind === 'numeric') features.push({ name: f.name, kind: 'numeric' });
    else if (f.kind === 'categorical' && Array.isArray(f.categories)) {
      if (!f.categories.every((c) => typeof c === 'string')) fail(`feature ${f.name}: non-string category`);
      features.push({ name: f.name, kind: 'categorical', categories: f.categories as string[] });
    } else fail(`feature ${f.name}: kind must be numeric or categorical (with categories)`);
  }
  return { features };
}

function parseParams(v: unknown, features: number): ForestParams {
  if (!isObject(v)) fail('params missing');
  const { trees, maxDepth, minSamplesLeaf, maxFeatures, seed } = v;
  if (!isInt(trees, 1)) fail('params.trees must be a positive integer');
  if (maxDepth !== null && !isInt(maxDepth, 1)) fail('params.maxDepth must be a positive integer or null');
  if (typeof minSamplesLeaf !== 'number' || !(minSamplesLeaf >= 1)) fail('params.minSamplesLeaf must be ≥ 1');
  if (!isInt(maxFeatures, 1, features)) fail(`params.maxFeatures must be an integer in [1, ${features}]`);
  if (typeof seed !== 'number' || !Number.isFinite(seed)) fail('params.seed must be a number');
  return { trees, maxDepth, minSamplesLeaf, maxFeatures, seed };
}

function parseTree(v: unknown, t: number, schema: FeatureSchema, classes: number): TreeData {
  if (!isObject(v)) fail(`tree ${t} is not an object`);
  const feature = numbers(v.feature, `tree ${t} feature`);
  const n = feature.length;
  if (n === 0) fail(`tree ${t} has no nodes`);
  const threshold = numbers(v.threshold, `tree ${t} threshold`, n);
  const left = numbers(v.left, `tree ${t} left`, n);
  const right = numbers(v.right, `tree ${t} right`, n);
  const defaultLeft = numbers(v.defaultLeft, `tree ${t} defaultLeft`, n);
  if (!Array.isArray(v.categories) || v.categories.length !== n) fail(`tree ${t} categories`);
  if (!Array.isArray(v.value) || v.value.length !== n) fail(`tree ${t} value`);
  const categories: (Int32Array | null)[] = [];
  const value: (Float64Array | null)[] = [];
  const p = schema.features.length;
  for (let i = 0; i < n; i++) {
    const where = `tree ${t} node ${i}`;
    const f = feature[i]!;
    if (f === -1) {
      const counts = numbers(v.value[i], `${where} value`, classes);
      if (counts.some((c) => c < 0) || !(counts.reduce((a, b) => a + b, 0) > 0))
        fail(`${where}: leaf weights must be ≥ 0 and not all 0`);
      value.push(Float64Array.from(counts));
      categories.push(null);
      continue;
    }
    if (!isInt(f, 0, p - 1)) fail(`${where}: feature ${f} out of range`);
    // Pre-order, left subtree first: the left child is the next node, the right child comes
    // after it (which also rules out cycles).
    if (left[i] !== i + 1 || !isInt(right[i], i + 2, n - 1)) fail(`${where}: bad child indices`);
    if (defaultLeft[i] !== 0 && defaultLeft[i] !== 1) fail(`${where}: defaultLeft must be 0 or 1`);
    const spec = schema.features[f]!;
    const cats: unknown = v.categories[i];
    if (spec.kind === 'categorical') {
      const codes = numbers(cats, `${where} categories`);
      if (!codes.every((c) => isInt(c, 0, spec.categories.length)))
        fail(`${where}: category code out of range`);
      categories.push(Int32Array.from(codes));
    } else {
      if (cats !== null) fail(`${where}: categories on a numeric split`);
      categories.push(null);
    }
    value.push(null);
  }
  return {
    feature: Int32Array.from(feature),
    threshold: Float64Array.from(threshold),
    left: Int32Array.from(left),
    right: Int32Array.from(right),
    defaultLeft: Uint8Array.from(defaultLeft),
    categories,
    value,
  };
}

/**
 * Validates a parsed JSON document as a {@link RandomForestJSON}.
 * @throws VigilError `VIGIL_ERR_ML_MODEL` naming the first thing that is wrong
 */
export function parseForestJSON(json: unknown): ForestParts {
  if (!isObject(json)) fail('not an object');
  const { classes } = json;
  if (!Array.isArray(classes) || classes.length === 0 || !classes.every((c) => typeof c === 'string'))
    fail('classes must be a non-empty array of strings');
  if (new Set(classes).size !== classes.length) fail('classes repeat');
  const schema = parseSchema(json.schema);
  const params = parseParams(json.params, schema.features.length);
  const importances = numbers(json.importances, 'importances', schema.features.length);
  if (!Array.isArray(json.trees) || json.trees.length !== params.trees)
    fail(`trees must be an array of params.trees (${params.trees}) trees`);
  const trees = json.trees.map((t: unknown, i) => parseTree(t, i, schema, classes.length));
  return { classes: classes as string[], schema, params, importances: Float64Array.from(importances), trees };
}
