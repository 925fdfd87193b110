import { readFile, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { beforeAll, describe, expect, it } from 'vitest';
import { vigil } from '../helpers/cli.js';
import { ROOT } from '../helpers/shared-data.js';

const FIXTURES = join(ROOT, 'test/fixtures/ml/classify');
const CONNECTIONS = join(FIXTURES, 'connections.csv');
const MAP = join(FIXTURES, 'label-map.csv');

interface Prediction {
  label: string;
  probabilities: Record<string, number>;
}

const lines = (stdout: string): Prediction[] =>
  stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Prediction);

describe('vigil ml train classifier / vigil ml predict', () => {
  let dir: string;
  let rows: Record<string, string>[];
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'vigil-ml-classifier-'));
    rows = parse(await readFile(CONNECTIONS, 'utf8'), { columns: true }) as Record<string, string>[];
  });

  it('trains with cross-validation, then predicts every row in order', async () => {
    const model = join(dir, 'rf.json');
    const train = await vigil(
      'ml', 'train', 'classifier', '--input', CONNECTIONS, '--label', 'label', '--exclude', 'id',
      '--trees', '30', '--seed', '5', '--cv', '3', '--output', model,
    ); // prettier-ignore
    expect(train.stderr).toMatch(/3-fold stratified cross-validation on 180 rows: accuracy/);
    expect(train.code).toBe(0);
    const file = JSON.parse(await readFile(model, 'utf8')) as {
      format: string;
      kind: string;
      schema: { features: { name: string; kind: string }[] };
      params: { trees: number; seed: number; label: string };
      metrics: { rows: number; crossValidation: { accuracy: number; folds: number; confusion: number[][] } };
    };
    expect(file.format).toBe('vigil-model');
    expect(file.kind).toBe('random-forest');
    expect(file.schema.features.map((f) => `${f.name}:${f.kind}`)).toEqual([
      'duration:numeric',
      'protocol:categorical',
      'service:categorical',
      'bytes:numeric',
      'failed_logins:numeric',
    ]);
    expect(file.params).toMatchObject({ trees: 30, seed: 5, label: 'label' });
    expect(file.metrics.rows).toBe(180);
    expect(file.metrics.crossValidation.folds).toBe(3);
    expect(file.metrics.crossValidation.confusion.flat().reduce((a, b) => a + b, 0)).toBe(180);
    // the fixture's classes follow simple rules (see the generator in the fixture's docs)
    expect(file.metrics.crossValidation.accuracy).toBeGreaterThan(0.95);

    const predict = await vigil(
      'ml',
      'predict',
      '--model',
      model,
      '--input',
      CONNECTIONS,
      '--format',
      'jsonl',
    );
    expect(predict.code).toBe(0);
    const out = lines(predict.stdout);
    expect(out).toHaveLength(rows.length);
    let right = 0;
    out.forEach((p, i) => {
      expect(Object.keys(p.probabilities).sort()).toEqual(['bruteforce', 'exfil', 'normal', 'portscan']);
      const sum = Object.values(p.probabilities).reduce((a, b) => a + b, 0);
      expect(sum).toBeCloseTo(1, 4);
      const top = Object.entries(p.probabilities).sort((a, b) => b[1] - a[1])[0]![0];
      expect(p.label).toBe(top);
      if (p.label === rows[i]!.label) right++;
    });
    expect(right / rows.length).toBeGreaterThan(0.97);
  });

  it('maps labels to classes through --map, and reads JSON Lines', async () => {
    const model = join(dir, 'mapped.json');
    const train = await vigil(
      'ml', 'train', 'classifier', '--input', CONNECTIONS, '--label', 'label', '--exclude', 'id',
      '--map', MAP, '--trees', '20', '--output', model,
    ); // prettier-ignore
    expect(train.code).toBe(0);
    const file = JSON.parse(await readFile(model, 'utf8')) as { model: { classes: string[] } };
    expect(file.model.classes).toEqual(['benign', 'malicious', 'suspicious']);

    const jsonl = join(dir, 'rows.jsonl');
    await writeFile(jsonl, rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
    const predict = await vigil('ml', 'predict', '--model', model, '--input', jsonl);
    expect(predict.code).toBe(0);
    const expected: Record<string, string> = {
      normal: 'benign',
      portscan: 'suspicious',
      bruteforce: 'malicious',
      exfil: 'malicious',
    };
    const out = lines(predict.stdout);
    const right = out.filter((p, i) => p.label === expected[rows[i]!.label!]).length;
    expect(right / rows.length).toBeGreaterThan(0.97);
  });

  it('maps every other label through a "*" row', async () => {
    const map = join(dir, 'binary.csv');
    await writeFile(map, 'label,class\nnormal,normal\n*,attack\n');
    const model = join(dir, 'binary.json');
    const r = await vigil(
      'ml', 'train', 'classifier', '--input', CONNECTIONS, '--label', 'label', '--exclude', 'id',
      '--map', map, '--trees', '10', '--output', model,
    ); // prettier-ignore
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/2 classes \(attack 90, normal 90\)/);
  });

  it('refuses a label the map does not know', async () => {
    const map = join(dir, 'partial.csv');
    await writeFile(map, 'label,class\nnormal,benign\n');
    const r = await vigil(
      'ml', 'train', 'classifier', '--input', CONNECTIONS, '--label', 'label', '--map', map,
      '--output', join(dir, 'x.json'),
    ); // prettier-ignore
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/VIGIL_ERR_ML_INPUT/);
    expect(r.stderr).toMatch(/portscan/);
  });

  it('refuses an input without the label column', async () => {
    const r = await vigil(
      'ml', 'train', 'classifier', '--input', CONNECTIONS, '--label', 'class', '--output', join(dir, 'y.json'),
    ); // prettier-ignore
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/no column "class".*VIGIL_ERR_ML_INPUT/);
  });

  it('refuses prediction input that lacks a model column (VIGIL_ERR_ML_INPUT, exit 2)', async () => {
    const model = join(dir, 'small.json');
    expect(
      (await vigil(
          'ml', 'train', 'classifier', '--input', CONNECTIONS, '--label', 'label', '--exclude', 'id',
          '--trees', '3', '--output', model,
        )) // prettier-ignore
      .code,
    ).toBe(0);
    const partial = join(dir, 'partial-rows.csv');
    await writeFile(partial, 'duration,protocol,service,bytes\n1,tcp,ssh,100\n');
    const r = await vigil('ml', 'predict', '--model', model, '--input', partial);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/failed_logins/);
    expect(r.stderr).toMatch(/VIGIL_ERR_ML_INPUT/);
    expect(r.stdout).toBe('');
  });

  it('refuses a file that is not a random forest model (VIGIL_ERR_ML_MODEL)', async () => {
    const bad = join(dir, 'bad.json');
    await writeFile(bad, JSON.stringify({ format: 'vigil-model', version: 1, kind: 'isolation-forest' }));
    const r = await vigil('ml', 'predict', '--model', bad, '--input', CONNECTIONS);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/VIGIL_ERR_ML_MODEL/);
    const notJson = join(dir, 'not.json');
    await writeFile(notJson, '{');
    expect((await vigil('ml', 'predict', '--model', notJson, '--input', CONNECTIONS)).stderr).toMatch(
      /VIGIL_ERR_ML_MODEL/,
    );
  });

  it('refuses bad option values with VIGIL_ERR_USAGE', async () => {
    const r = await vigil(
      'ml', 'train', 'classifier', '--input', CONNECTIONS, '--label', 'label', '--trees', 'many',
      '--output', join(dir, 'z.json'),
    ); // prettier-ignore
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--trees.*VIGIL_ERR_USAGE/);
  });
});
