/**
 * The random forest classifier on NSL-KDD (KDDTrain+_20Percent, 25,192 rows, 41 features),
 * through the CLI: `vigil ml train classifier --cv 5` for (a) normal/attack, (b) the 5 categories
 * (normal, dos, probe, r2l, u2r) via --map, (c) the raw attack labels; then `vigil ml predict` over
 * the file with the 5-category model.
 *
 * The published anchor (Tavallaee et al., CISDA 2009, table: random forest 80.67% on KDDTest+,
 * 63.25% on KDDTest-21) is measured on the official test sets, which are drawn from a shifted
 * distribution and are not here; cross-validation on the training subset answers a different,
 * easier question, so the floors below are this data's own (measured, then set a little under),
 * not the paper's. Figures are printed beside the anchor for the closing note.
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { vigil } from '../helpers/cli.js';
import { requireSharedData, shared } from '../helpers/shared-data.js';

const NSL = shared('network-ids/nsl-kdd/KDDTrain+_20Percent_with_header.csv.gz');
const CATEGORY_MAP = shared('network-ids/nsl-kdd/attack_category_map.csv');

interface ClassFigures {
  class: string;
  precision: number;
  recall: number;
  f1: number;
  support: number;
}
interface CvFigures {
  folds: number;
  rows: number;
  accuracy: number;
  macroF1: number;
  foldAccuracy: number[];
  perClass: ClassFigures[];
  confusion: number[][];
  ms: number;
}
interface ForestFile {
  kind: string;
  metrics: { rows: number; trainingMs: number; crossValidation: CvFigures };
  model: { classes: string[] };
}

/** The label column of the file, read independently of Vigil's reader. */
function labels(): string[] {
  const lines = gunzipSync(readFileSync(NSL)).toString('utf8').trim().split('\n');
  const header = lines[0]!.split(',');
  const at = header.indexOf('label');
  return lines.slice(1).map((l) => l.split(',')[at]!);
}

const pct = (v: number): string => `${(100 * v).toFixed(2)}%`;

describe.runIf(requireSharedData())(
  'random forest on NSL-KDD (KDDTrain+_20Percent), 5-fold CV via the CLI',
  () => {
    let dir: string;
    let truth: string[];
    let categories: Map<string, string>;
    const report: string[] = [];

    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'vigil-nsl-kdd-'));
      truth = labels();
      categories = new Map(
        readFileSync(CATEGORY_MAP, 'utf8')
          .trim()
          .split('\n')
          .slice(1)
          .map((l) => l.split(',').slice(0, 2) as [string, string]),
      );
      await writeFile(join(dir, 'binary.csv'), 'label,class\nnormal,normal\n*,attack\n');
    });

    async function train(name: string, extra: string[]): Promise<ForestFile> {
      const output = join(dir, `${name}.json`);
      const r = await vigil(
      'ml', 'train', 'classifier', '--input', NSL, '--label', 'label', '--exclude', 'difficulty',
      '--cv', '5', '--seed', '1', ...extra, '--output', output,
    ); // prettier-ignore
      expect(r.code, r.stderr).toBe(0);
      const file = JSON.parse(await readFile(output, 'utf8')) as ForestFile;
      const cv = file.metrics.crossValidation;
      report.push(
        `NSL-KDD ${name}: ${file.model.classes.length} classes, 5-fold CV accuracy ${pct(cv.accuracy)} ` +
          `(folds ${cv.foldAccuracy.map(pct).join(' ')}), macro F1 ${cv.macroF1.toFixed(4)}; ` +
          `CV ${(cv.ms / 1000).toFixed(1)} s, final fit ${file.metrics.trainingMs} ms\n` +
          cv.perClass
            .map(
              (c) =>
                `    ${c.class.padEnd(16)} P ${c.precision.toFixed(4)} R ${c.recall.toFixed(4)} F1 ${c.f1.toFixed(4)} n ${c.support}`,
            )
            .join('\n'),
      );
      console.log(report[report.length - 1]);
      expect(file.kind).toBe('random-forest');
      expect(cv.rows).toBe(truth.length);
      expect(cv.confusion.flat().reduce((a, b) => a + b, 0)).toBe(truth.length);
      return file;
    }

    it('(a) normal / attack', async () => {
      const file = await train('normal-vs-attack', ['--map', join(dir, 'binary.csv')]);
      expect(file.model.classes).toEqual(['attack', 'normal']);
      const cv = file.metrics.crossValidation;
      const attacks = truth.filter((l) => l !== 'normal').length;
      expect(cv.perClass[0]!.support).toBe(attacks);
      // measured 99.75% (seed 1, 100 trees); floor:
      expect(cv.accuracy).toBeGreaterThan(0.995);
    });

    it('(b) 5 categories via --map, then predict over the file', async () => {
      const file = await train('5-categories', ['--map', CATEGORY_MAP]);
      expect(file.model.classes).toEqual(['dos', 'normal', 'probe', 'r2l', 'u2r']);
      const cv = file.metrics.crossValidation;
      // measured 99.73% (macro F1 0.887: u2r has 11 rows, r2l 209); floors:
      expect(cv.accuracy).toBeGreaterThan(0.995);
      expect(cv.macroF1).toBeGreaterThan(0.8);
      for (const c of cv.perClass)
        expect(c.support).toBe(truth.filter((l) => categories.get(l) === c.class).length);

      const p = await vigil('ml', 'predict', '--model', join(dir, '5-categories.json'), '--input', NSL);
      expect(p.code, p.stderr).toBe(0);
      const out = p.stdout.trim().split('\n');
      expect(out).toHaveLength(truth.length);
      let right = 0;
      out.forEach((line, i) => {
        if ((JSON.parse(line) as { label: string }).label === categories.get(truth[i]!)) right++;
      });
      // resubstitution (rows the forest trained on): at least the cross-validated accuracy
      report.push(
        `NSL-KDD 5-categories: resubstitution accuracy ${pct(right / truth.length)} (training rows)`,
      );
      console.log(report[report.length - 1]);
      expect(right / truth.length).toBeGreaterThanOrEqual(cv.accuracy);
    });

    it('(c) raw attack labels', async () => {
      const file = await train('raw-labels', []);
      expect(file.model.classes).toEqual([...new Set(truth)].sort());
      // measured 99.67% (22 labels, 8 of them with fewer than 10 rows); floor:
      expect(file.metrics.crossValidation.accuracy).toBeGreaterThan(0.99);
      console.log(
        'published anchor (Tavallaee et al. 2009, full KDDTrain+ → official test sets, not here): ' +
          'random forest 80.67% on KDDTest+, 63.25% on KDDTest-21; best classifier 82.02%',
      );
    });
  },
);
