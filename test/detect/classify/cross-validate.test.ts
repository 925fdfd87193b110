import { describe, expect, it } from 'vitest';
import { crossValidate, stratifiedFolds } from '../../../src/detect/classify/cross-validate.js';
import { classificationReport } from '../../../src/detect/classify/metrics.js';
import { VigilError } from '../../../src/errors.js';
import { separable } from './data.js';

describe('stratified folds', () => {
  // 3 classes of 50, 31 and 7 rows, interleaved
  const y = Int32Array.from({ length: 88 }, (_, i) => (i < 50 ? 0 : i < 81 ? 1 : 2)).reverse();
  const folds = stratifiedFolds(y, 3, 5, 123);

  it('puts every row in exactly one fold in [0, k)', () => {
    expect(folds).toHaveLength(88);
    for (const f of folds) expect(f >= 0 && f < 5).toBe(true);
  });

  it('spreads each class over the folds within one row of even', () => {
    for (let c = 0; c < 3; c++) {
      const per = [0, 0, 0, 0, 0];
      for (let r = 0; r < y.length; r++) if (y[r] === c) per[folds[r]!]!++;
      expect(Math.max(...per) - Math.min(...per)).toBeLessThanOrEqual(1);
    }
    const sizes = [0, 0, 0, 0, 0];
    for (const f of folds) sizes[f]!++;
    expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
  });

  it('depends on the seed only', () => {
    expect(Array.from(stratifiedFolds(y, 3, 5, 123))).toEqual(Array.from(folds));
    expect(Array.from(stratifiedFolds(y, 3, 5, 124))).not.toEqual(Array.from(folds));
  });

  it('refuses fewer than 2 folds or fewer rows than folds', () => {
    expect(() => stratifiedFolds(y, 3, 1, 1)).toThrow(VigilError);
    expect(() => stratifiedFolds(y.subarray(0, 3), 3, 5, 1)).toThrow(VigilError);
  });
});

describe('crossValidate', () => {
  const d = separable(200, 8);

  it('predicts each row once, by a forest that did not train on it', () => {
    const cv = crossValidate(d.x, d.y, d.classes, d.schema, { folds: 4, forest: { trees: 15, seed: 3 } });
    expect(cv.folds).toBe(4);
    expect(cv.rows).toBe(200);
    expect(cv.confusion.flat().reduce((a, b) => a + b, 0)).toBe(200);
    expect(cv.foldAccuracy).toHaveLength(4);
    expect(cv.accuracy).toBe(1);
    expect(cv.perClass.map((c) => c.support)).toEqual([
      d.y.filter((v) => v === 0).length,
      d.y.filter((v) => v === 1).length,
    ]);
  });

  it('is reproducible with a seed', () => {
    const noisy = { ...d, y: Int32Array.from(d.y, (v, i) => (i % 9 === 0 ? 1 - v : v)) };
    const run = (): unknown =>
      crossValidate(noisy.x, noisy.y, noisy.classes, noisy.schema, {
        folds: 3,
        forest: { trees: 5, seed: 4 },
      });
    const a = run();
    expect(run()).toEqual(a);
  });
});

describe('classification report', () => {
  it('computes accuracy, precision, recall and F1 as defined', () => {
    // true:      a a a a b b c
    // predicted: a a b c b b b
    const r = classificationReport([0, 0, 0, 0, 1, 1, 2], [0, 0, 1, 2, 1, 1, 1], ['a', 'b', 'c']);
    expect(r.accuracy).toBeCloseTo(4 / 7, 12);
    expect(r.confusion).toEqual([
      [2, 1, 1],
      [0, 2, 0],
      [0, 1, 0],
    ]);
    const [a, b, c] = r.perClass;
    expect(a).toEqual({ class: 'a', precision: 1, recall: 0.5, f1: 2 / 3, support: 4 });
    expect(b!.precision).toBeCloseTo(0.5, 12);
    expect(b!.recall).toBe(1);
    expect(b!.f1).toBeCloseTo(2 / 3, 12);
    expect(c).toEqual({ class: 'c', precision: 0, recall: 0, f1: 0, support: 1 });
    expect(r.macroF1).toBeCloseTo((2 / 3 + 2 / 3 + 0) / 3, 12);
    expect(r.weightedF1).toBeCloseTo(((2 / 3) * 4 + (2 / 3) * 2) / 7, 12);
  });

  it('refuses mismatched lengths and out-of-range classes', () => {
    expect(() => classificationReport([0], [0, 1], ['a', 'b'])).toThrow(RangeError);
    expect(() => classificationReport([0], [2], ['a', 'b'])).toThrow(RangeError);
  });
});
