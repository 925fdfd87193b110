/**
 * Stratified k-fold cross-validation of the random forest (Kohavi, "A study of cross-validation
 * and bootstrap for accuracy estimation and model selection", IJCAI 1995: stratified 10-fold is
 * the recommended estimator; each fold keeps the class proportions of the whole). Every row is
 * predicted exactly once, by a forest that did not see it; figures pool those predictions.
 * Deterministic with a seed. Pure.
 */
import type { FeatureSchema, Matrix } from '../features/table.js';
import { ErrorCodes, VigilError } from '../../errors.js';
import { type ClassificationReport, classificationReport } from './metrics.js';
import { deriveSeed, Prng } from '../random.js';
import { RandomForest, type RandomForestOptions } from './random-forest.js';

export interface CrossValidationOptions {
  /** Number of folds, ≥ 2 (default 5). */
  folds?: number;
  /** Seed of the fold assignment (default: the forest's seed, else 1). */
  seed?: number;
  /** Options of the forest trained on each fold's complement. */
  forest?: RandomForestOptions;
  /** Called after each fold with (fold index, folds). */
  onFold?: (fold: number, folds: number) => void;
}

export interface CrossValidation extends ClassificationReport {
  readonly folds: number;
  /** Accuracy of each fold's held-out rows. */
  readonly foldAccuracy: readonly number[];
}

/**
 * Assigns each row a fold in `[0, folds)` so that every class is spread as evenly as possible:
 * the rows of each class are shuffled (seeded) and dealt round-robin, each class starting where
 * the previous one stopped so that fold sizes differ by at most one.
 * @throws VigilError `VIGIL_ERR_ML_INPUT` when folds < 2 or there are fewer rows than folds
 */
export function stratifiedFolds(y: Int32Array, classes: number, folds: number, seed: number): Int32Array {
  if (!Number.isInteger(folds) || folds < 2)
    throw new VigilError(ErrorCodes.ML_INPUT, `cross-validation needs at least 2 folds (got ${folds})`);
  if (y.length < folds)
    throw new VigilError(ErrorCodes.ML_INPUT, `${y.length} rows cannot be split into ${folds} folds`);
  const byClass: number[][] = Array.from({ length: classes }, () => []);
  for (let r = 0; r < y.length; r++) byClass[y[r]!]!.push(r);
  const rng = new Prng(seed);
  const fold = new Int32Array(y.length);
  let next = 0;
  for (const rows of byClass) {
    rng.shuffle(rows);
    for (const r of rows) {
      fold[r] = next;
      next = (next + 1) % folds;
    }
  }
  return fold;
}

function subset(x: Matrix, rows: Int32Array): Matrix {
  const data = new Float64Array(rows.length * x.cols);
  for (let i = 0; i < rows.length; i++)
    data.set(x.data.subarray(rows[i]! * x.cols, (rows[i]! + 1) * x.cols), i * x.cols);
  return { rows: rows.length, cols: x.cols, data };
}

/**
 * Stratified k-fold cross-validation: for each fold, fits a forest on the other folds and
 * predicts the fold.
 * @returns pooled accuracy, per-class precision/recall/F1, the confusion matrix (rows = true
 *   class), and each fold's accuracy
 * @throws VigilError as {@link stratifiedFolds} and {@link RandomForest.fit}
 */
export function crossValidate(
  x: Matrix,
  y: Int32Array,
  classes: readonly string[],
  schema: FeatureSchema,
  options: CrossValidationOptions = {},
): CrossValidation {
  const k = options.folds ?? 5;
  const seed = options.seed ?? options.forest?.seed ?? 1;
  const fold = stratifiedFolds(y, classes.length, k, deriveSeed(seed, 0x5eed));
  const predicted = new Int32Array(y.length);
  const foldAccuracy: number[] = [];
  for (let f = 0; f < k; f++) {
    const train: number[] = [];
    const test: number[] = [];
    for (let r = 0; r < y.length; r++) (fold[r] === f ? test : train).push(r);
    const trainRows = Int32Array.from(train);
    const forest = RandomForest.fit(
      subset(x, trainRows),
      Int32Array.from(trainRows, (r) => y[r]!),
      classes,
      schema,
      options.forest,
    );
    let right = 0;
    for (const r of test) {
      predicted[r] = forest.predict(x.data, r * x.cols);
      if (predicted[r] === y[r]) right++;
    }
    foldAccuracy.push(test.length > 0 ? right / test.length : 0);
    options.onFold?.(f, k);
  }
  return { ...classificationReport(y, predicted, classes), folds: k, foldAccuracy };
}
