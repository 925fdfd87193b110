/**
 * Isolation Forest anomaly detection (Liu, Ting, Zhou, "Isolation Forest", ICDM 2008): random
 * trees isolate each training subsample; rows that the trees isolate in few splits are anomalous.
 * Pure, typed arrays, no I/O; documented in `docs/ml-anomaly.md`.
 *
 * - Fit: t trees (default 100), each on ψ rows (default 256) drawn without replacement, height
 *   limit ⌈log2 ψ⌉ (paper §4–§5, Algorithms 1–2). Deterministic for a given seed (mulberry32).
 * - Numeric split: a uniform threshold in (min, max] of the node's non-missing values; a feature
 *   constant at the node is not chosen (another is; when none can split, the node is a leaf).
 * - Categorical split (codes from `Encoder`): a random non-empty proper subset of the categories
 *   present at the node goes left; every other code, including an unseen category, goes right.
 * - Missing values (`NaN`): the split is drawn on the non-missing values; the missing rows then
 *   follow the larger side (ties: left), which the node records; at scoring `NaN` takes that side.
 * - Score: s(x) = 2^(−E(h(x)) / c(ψ)) in (0, 1], with leaf path lengths adjusted by c(size)
 *   (paper eq. 2, Algorithm 3). Near 1: anomalous; ≤ 0.5: normal.
 * - Out-of-range values (Vigil's extension, `iforest-tree.ts`): a value beyond the range a numeric
 *   split saw in training ends the walk there with the probability that the split would have
 *   isolated it, so `failures = 55` after training on 0 and 1 is not scored like 1. Rows within
 *   the ranges (every training row) get the paper's path length unchanged.
 * - Explanation: per-feature depth-based credit after Local-DIFFI (`iforest-explain.ts`).
 */
import type { FeatureSchema, Matrix } from '../features/table.js';
import { decodeValue } from '../features/table.js';
import type { ModelFile } from '../model-file.js';
import { checkModelFile, MODEL_FORMAT, MODEL_FORMAT_VERSION } from '../model-file.js';
import { ErrorCodes, VigilError } from '../../errors.js';
import { pathContributions } from './iforest-explain.js';
import type { IsolationForestJSON } from './iforest-json.js';
import { forestFromJSON, forestToJSON } from './iforest-json.js';
import type { ForestArrays } from './iforest-tree.js';
import { averagePathLength, growForest, pathLengthSum } from './iforest-tree.js';
import { mulberry32 } from '../random.js';

export type { IsolationForestJSON } from './iforest-json.js';
export { anomalyScore, averagePathLength } from './iforest-tree.js';

/** Training options; every one has the paper's default. */
export interface IsolationForestOptions {
  /** Number of trees t (default 100, paper §5.2). */
  readonly trees?: number;
  /** Subsample size ψ per tree (default 256, paper §5.2); capped at the number of rows. */
  readonly sampleSize?: number;
  /** PRNG seed (default 1): the same data, options and seed give the same forest. */
  readonly seed?: number;
}

/** One feature's share in a row's isolation (see `iforest-explain.ts`). */
export interface FeatureContribution {
  readonly feature: string;
  /** The row's value, decoded: a number, a category (`'(unseen)'` for a new one) or null when missing. */
  readonly value: number | string | null;
  /** Depth-based credit; positive when splits on this feature isolate the row faster than average. */
  readonly contribution: number;
}

export const DEFAULT_TREES = 100;
export const DEFAULT_SAMPLE_SIZE = 256;
export const DEFAULT_SEED = 1;

function checkInt(name: string, v: number, min: number): number {
  if (!Number.isInteger(v) || v < min)
    throw new VigilError(ErrorCodes.ML_INPUT, `${name} must be an integer ≥ ${min}, got ${v}`);
  return v;
}

/** An Isolation Forest: fit with `IsolationForest.fit`, load with `fromJSON`. */
export class IsolationForest {
  /** The features the forest reads, in row column order. */
  readonly schema: FeatureSchema;
  /** Number of trees t. */
  readonly trees: number;
  /** ψ, the subsample size the trees were grown on. */
  readonly sampleSize: number;
  /** The seed the forest was grown with. */
  readonly seed: number;
  private readonly forest: ForestArrays;
  private readonly cols: number;
  /** ln 2 / (t · c(ψ)): score = exp(−Σ_t h_t(x) · scale). */
  private readonly scale: number;

  private constructor(schema: FeatureSchema, forest: ForestArrays, sampleSize: number, seed: number) {
    this.schema = schema;
    this.forest = forest;
    this.trees = forest.roots.length;
    this.sampleSize = sampleSize;
    this.seed = seed;
    this.cols = schema.features.length;
    this.scale = Math.LN2 / (this.trees * averagePathLength(sampleSize));
  }

  /**
   * Grows a forest on the rows of `x` (encoded with `schema`: categorical cells are codes, `NaN`
   * is missing).
   * @throws VigilError `VIGIL_ERR_ML_INPUT` when `x` does not match the schema, a numeric cell is
   *   infinite, a categorical cell is not a code, or an option is out of range;
   *   `VIGIL_ERR_ML_NO_DATA` with fewer than 2 rows
   */
  static fit(x: Matrix, schema: FeatureSchema, options: IsolationForestOptions = {}): IsolationForest {
    const trees = checkInt('trees', options.trees ?? DEFAULT_TREES, 1);
    const requested = checkInt('sampleSize', options.sampleSize ?? DEFAULT_SAMPLE_SIZE, 2);
    const seed = options.seed ?? DEFAULT_SEED;
    if (!Number.isFinite(seed))
      throw new VigilError(ErrorCodes.ML_INPUT, `seed must be a number, got ${seed}`);
    const fs = schema.features;
    if (x.cols !== fs.length || x.data.length < x.rows * x.cols)
      throw new VigilError(
        ErrorCodes.ML_INPUT,
        `the matrix has ${x.cols} columns, the schema ${fs.length} features`,
      );
    if (x.rows < 2)
      throw new VigilError(
        ErrorCodes.ML_NO_DATA,
        'an isolation forest',
        `${x.rows} row(s), at least 2 needed`,
      );
    const kinds = fs.map((f) => (f.kind === 'categorical' ? f.categories.length : -1));
    for (let r = 0; r < x.rows; r++) {
      for (let c = 0; c < x.cols; c++) {
        const v = x.data[r * x.cols + c]!;
        const k = kinds[c]!;
        if (v !== v) continue;
        if (k < 0 ? !Number.isFinite(v) : !(Number.isInteger(v) && v >= 0 && v <= k))
          throw new VigilError(
            ErrorCodes.ML_INPUT,
            `row ${r + 1}, ${fs[c]!.name}: ${v} is not a valid ${k < 0 ? 'number' : 'category code'}`,
          );
      }
    }
    const sampleSize = Math.min(requested, x.rows);
    const forest = growForest(x.data, x.rows, x.cols, kinds, trees, sampleSize, mulberry32(seed));
    return new IsolationForest(schema, forest, sampleSize, seed);
  }

  /**
   * The anomaly score of one encoded row at `row[offset … offset + features)`, in (0, 1].
   * Rows scored during fit with no split-worthy data score 2^(−E(h)/c(ψ)) like any other.
   */
  score(row: Float64Array, offset = 0): number {
    return Math.exp(-pathLengthSum(this.forest, row, offset) * this.scale);
  }

  /**
   * Scores every row of `x` into `out` (default: a new array of `x.rows` scores).
   * @throws VigilError `VIGIL_ERR_ML_INPUT` when `x` has another column count than the schema
   */
  scoreMatrix(x: Matrix, out: Float64Array = new Float64Array(x.rows)): Float64Array {
    if (x.cols !== this.cols)
      throw new VigilError(
        ErrorCodes.ML_INPUT,
        `the matrix has ${x.cols} columns, the model reads ${this.cols}`,
      );
    for (let r = 0; r < x.rows; r++) out[r] = this.score(x.data, r * x.cols);
    return out;
  }

  /**
   * The features that drove the score of the row at `row[offset …]`, largest contribution first.
   * @param top - how many to return (default all features)
   */
  explain(row: Float64Array, offset = 0, top = this.cols): FeatureContribution[] {
    const credit = new Float64Array(this.cols);
    pathContributions(this.forest, this.sampleSize, row, offset, credit);
    const fs = this.schema.features;
    const order = Array.from({ length: this.cols }, (_, i) => i);
    order.sort((a, b) => credit[b]! - credit[a]! || a - b);
    return order.slice(0, Math.max(0, top)).map((c) => ({
      feature: fs[c]!.name,
      value: decodeValue(fs[c]!, row[offset + c]!),
      contribution: credit[c]!,
    }));
  }

  /** The forest as plain JSON (fields in `docs/ml-anomaly.md`, Model files). */
  toJSON(): IsolationForestJSON {
    return forestToJSON(this.schema, this.forest, { sampleSize: this.sampleSize, seed: this.seed });
  }

  /**
   * Rebuilds a forest from `toJSON()` output; it scores exactly as the original.
   * @throws VigilError `VIGIL_ERR_ML_MODEL` when the document is malformed
   */
  static fromJSON(json: unknown): IsolationForest {
    const { schema, forest, sampleSize, seed } = forestFromJSON(json);
    return new IsolationForest(schema, forest, sampleSize, seed);
  }
}

/**
 * Wraps a forest in the model file envelope (`src/detect/model-file.ts`, kind `isolation-forest`).
 * @param created - ISO 8601 training time (passed in: this module reads no clock)
 * @param metrics - training figures to keep with the model (rows, score quantiles, …)
 */
export function isolationForestFile(
  forest: IsolationForest,
  created: string,
  metrics: Readonly<Record<string, unknown>> = {},
): ModelFile<IsolationForestJSON> {
  return {
    format: MODEL_FORMAT,
    version: MODEL_FORMAT_VERSION,
    kind: 'isolation-forest',
    created,
    schema: forest.schema,
    params: { trees: forest.trees, sampleSize: forest.sampleSize, seed: forest.seed },
    metrics,
    model: forest.toJSON(),
  };
}

/**
 * Loads the forest of a parsed model file.
 * @throws VigilError `VIGIL_ERR_ML_MODEL` when the document is not an isolation forest model file
 *   or its model is malformed
 */
export function loadIsolationForest(doc: unknown): IsolationForest {
  let file: ModelFile;
  try {
    file = checkModelFile(doc, 'isolation-forest');
  } catch (err) {
    throw new VigilError(ErrorCodes.ML_MODEL, (err as Error).message);
  }
  return IsolationForest.fromJSON(file.model);
}
