/**
 * Classification figures from true and predicted class indices: accuracy, confusion matrix,
 * per-class precision, recall and F1 (van Rijsbergen, "Information Retrieval", 1979, F with
 * β = 1), macro and support-weighted averages as scikit-learn's `classification_report` prints
 * them. Pure.
 */

export interface ClassFigures {
  readonly class: string;
  /** Of the rows predicted as this class, the fraction that are (0 when none predicted). */
  readonly precision: number;
  /** Of the rows of this class, the fraction predicted as it (0 when there are none). */
  readonly recall: number;
  /** Harmonic mean of precision and recall (0 when both are 0). */
  readonly f1: number;
  /** Rows of this class. */
  readonly support: number;
}

export interface ClassificationReport {
  readonly rows: number;
  /** Fraction of rows predicted right. */
  readonly accuracy: number;
  /** Unweighted mean of the per-class F1 over classes with support > 0. */
  readonly macroF1: number;
  /** Support-weighted mean of the per-class F1. */
  readonly weightedF1: number;
  readonly perClass: readonly ClassFigures[];
  /** `confusion[t][p]`: rows of true class t predicted as class p. */
  readonly confusion: readonly (readonly number[])[];
}

/**
 * Builds the report.
 * @param truth - true class index per row
 * @param predicted - predicted class index per row (same length)
 * @param classes - class names, index = class code
 * @throws RangeError when the lengths differ or an index is outside `classes`
 */
export function classificationReport(
  truth: ArrayLike<number>,
  predicted: ArrayLike<number>,
  classes: readonly string[],
): ClassificationReport {
  if (truth.length !== predicted.length)
    throw new RangeError(`${truth.length} true labels, ${predicted.length} predictions`);
  const k = classes.length;
  const confusion = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  let right = 0;
  for (let i = 0; i < truth.length; i++) {
    const t = truth[i]!;
    const p = predicted[i]!;
    if (!(t >= 0 && t < k && p >= 0 && p < k)) throw new RangeError(`row ${i}: class index out of range`);
    confusion[t]![p]!++;
    if (t === p) right++;
  }
  const perClass: ClassFigures[] = [];
  let macro = 0;
  let withSupport = 0;
  let weighted = 0;
  for (let c = 0; c < k; c++) {
    const tp = confusion[c]![c]!;
    let support = 0;
    let predictedAs = 0;
    for (let j = 0; j < k; j++) {
      support += confusion[c]![j]!;
      predictedAs += confusion[j]![c]!;
    }
    const precision = predictedAs > 0 ? tp / predictedAs : 0;
    const recall = support > 0 ? tp / support : 0;
    const f1 = precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0;
    perClass.push({ class: classes[c]!, precision, recall, f1, support });
    if (support > 0) {
      macro += f1;
      withSupport++;
      weighted += f1 * support;
    }
  }
  const rows = truth.length;
  return {
    rows,
    accuracy: rows > 0 ? right / rows : 0,
    macroF1: withSupport > 0 ? macro / withSupport : 0,
    weightedF1: rows > 0 ? weighted / rows : 0,
    perClass,
    confusion,
  };
}
