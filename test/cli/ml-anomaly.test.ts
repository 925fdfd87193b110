import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { vigil } from '../helpers/cli.js';
import { ROOT } from '../helpers/shared-data.js';

const FIXTURES = join(ROOT, 'test/fixtures/ml/anomaly');
/** 300 normal logon windows and 10 brute-force ones (label column), 5 % of bytes_out missing. */
const TRAIN = join(FIXTURES, 'logons.csv');
/** Four rows: typical, brute force, missing bytes_out, unseen country; plus an extra `note` column. */
const SCORE = join(FIXTURES, 'score.jsonl');

interface ScoreLine {
  score: number;
  top: { feature: string; value: number | string | null; contribution: number }[];
}

const parse = (stdout: string): ScoreLine[] =>
  stdout
    .trimEnd()
    .split('\n')
    .map((l) => JSON.parse(l) as ScoreLine);

describe('vigil ml train anomaly / vigil ml score', () => {
  let dir: string;
  let model: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'vigil-ml-anomaly-'));
    model = join(dir, 'logons.model.json');
    const r = await vigil(
      ...'ml train anomaly --exclude user --where label=normal --trees 50 --seed 7'.split(' '),
      ...['--input', TRAIN, '--output', model],
    );
    expect(r.stderr).toMatch(
      /50 trees \(ψ=256, seed 7\) on 300 rows \(label=normal\), 6 features \(1 categorical\)/,
    );
    expect(r.code).toBe(0);
  });

  it('writes a versioned isolation-forest model file without the excluded and --where columns', async () => {
    const file = JSON.parse(await readFile(model, 'utf8')) as {
      format: string;
      version: number;
      kind: string;
      schema: { features: { name: string; kind: string; categories?: string[] }[] };
      params: Record<string, number>;
      metrics: Record<string, number>;
    };
    expect(file).toMatchObject({ format: 'vigil-model', version: 1, kind: 'isolation-forest' });
    expect(file.schema.features.map((f) => f.name)).toEqual(
      'hour logons failures distinct_hosts bytes_out country'.split(' '),
    );
    expect(file.schema.features[5]).toEqual({
      name: 'country',
      kind: 'categorical',
      categories: ['DE', 'FR'],
    });
    expect(file.params).toEqual({ trees: 50, sampleSize: 256, seed: 7 });
    expect(file.metrics.rows).toBe(300);
    expect(file.metrics.score_p50).toBeLessThan(file.metrics.score_p99!);
  });

  it('scores each input row in order, one JSON line each, the brute force highest and explained', async () => {
    const r = await vigil('ml', 'score', '--model', model, '--input', SCORE, '--format', 'jsonl');
    expect(r.code).toBe(0);
    const lines = parse(r.stdout);
    expect(lines).toHaveLength(4);
    const [typical, brute, missing, unseen] = lines as [ScoreLine, ScoreLine, ScoreLine, ScoreLine];
    for (const l of lines) {
      expect(l.score).toBeGreaterThanOrEqual(0);
      expect(l.score).toBeLessThanOrEqual(1);
      expect(l.top.length).toBeLessThanOrEqual(3);
      for (const t of l.top) expect(t.contribution).toBeGreaterThan(0);
      for (let i = 1; i < l.top.length; i++)
        expect(l.top[i - 1]!.contribution).toBeGreaterThanOrEqual(l.top[i]!.contribution);
    }
    expect(brute.top).toHaveLength(3);
    expect(brute.score).toBeGreaterThan(Math.max(typical.score, missing.score, unseen.score));
    expect(brute.top[0]).toMatchObject({ feature: 'failures', value: 55 });
    expect(unseen.score).toBeGreaterThan(typical.score);
    expect(unseen.top.find((t) => t.feature === 'country')?.value ?? '(unseen)').toBe('(unseen)');
    const bytes = missing.top.find((t) => t.feature === 'bytes_out');
    if (bytes) expect(bytes.value).toBeNull();
  });

  it('scores the labelled training file too: every attack row above every normal row', async () => {
    const r = await vigil('ml', 'score', '--model', model, '--input', TRAIN, '--top', '0');
    expect(r.code).toBe(0);
    const lines = parse(r.stdout);
    expect(lines).toHaveLength(310);
    for (const l of lines) expect(l.top).toEqual([]);
    const normal = lines.slice(0, 300).map((l) => l.score);
    const attack = lines.slice(300).map((l) => l.score);
    expect(Math.min(...attack)).toBeGreaterThan(Math.max(...normal));
  });

  it('trains the same model from the same data and seed, from gzip-compressed JSONL too', async () => {
    const csv = (await readFile(TRAIN, 'utf8')).trimEnd().split('\n');
    const header = csv[0]!.split(',');
    const jsonl = csv
      .slice(1)
      .map((line) => {
        const cells = line.split(',');
        const rec: Record<string, string | number | null> = {};
        header.forEach((h, i) => {
          const v = cells[i]!;
          rec[h] = v === '' ? null : /^\d+$/.test(v) ? Number(v) : v;
        });
        return JSON.stringify(rec);
      })
      .join('\n');
    const gz = join(dir, 'logons.jsonl.gz');
    await writeFile(gz, gzipSync(jsonl));
    const again = join(dir, 'again.json');
    const r = await vigil(
      ...'ml train anomaly --exclude user --where label=normal --trees 50 --seed 7'.split(' '),
      ...['--input', gz, '--output', again],
    );
    expect(r.code).toBe(0);
    const a = JSON.parse(await readFile(model, 'utf8')) as { model: unknown; created: string };
    const b = JSON.parse(await readFile(again, 'utf8')) as { model: unknown };
    expect(b.model).toEqual(a.model);
  });

  it('fails with VIGIL_ERR_ML_INPUT (exit 2) when a column the model needs is missing', async () => {
    const partial = join(dir, 'partial.jsonl');
    await writeFile(
      partial,
      '{"hour": 3, "logons": 2, "failures": 0, "distinct_hosts": 1, "country": "FR"}\n',
    );
    const r = await vigil('ml', 'score', '--model', model, '--input', partial);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('VIGIL_ERR_ML_INPUT');
    expect(r.stderr).toContain('bytes_out');
    expect(r.stdout).toBe('');
  });

  it('fails with VIGIL_ERR_ML_MODEL (exit 2) on a malformed or foreign model file', async () => {
    const file = JSON.parse(await readFile(model, 'utf8')) as { model: { right: number[] }; kind: string };
    file.model.right[0] = 0;
    const broken = join(dir, 'broken.json');
    await writeFile(broken, JSON.stringify(file));
    const notJson = join(dir, 'not.json');
    await writeFile(notJson, '{"format": "vigil-model", ');
    const other = join(dir, 'other.json');
    await writeFile(other, JSON.stringify({ ...file, kind: 'random-forest' }));
    for (const m of [broken, notJson, other, join(dir, 'absent.json')]) {
      const r = await vigil('ml', 'score', '--model', m, '--input', SCORE);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('VIGIL_ERR_ML_MODEL');
    }
  });

  it('rejects bad options and unknown columns with a usage or input error', async () => {
    const out = join(dir, 'x.json');
    const cases: [string[], string][] = [
      [['--trees', '0'], 'VIGIL_ERR_USAGE'],
      [['--sample-size', 'many'], 'VIGIL_ERR_USAGE'],
      [['--where', 'label'], 'VIGIL_ERR_USAGE'],
      [['--exclude', 'nope'], 'VIGIL_ERR_ML_INPUT'],
      [['--where', 'label=benign'], 'VIGIL_ERR_ML_NO_DATA'],
    ];
    for (const [args, code] of cases) {
      const r = await vigil('ml', 'train', 'anomaly', '--input', TRAIN, '--output', out, ...args);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(code);
    }
    const r = await vigil('ml', 'score', '--model', model, '--input', SCORE, '--format', 'csv');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('VIGIL_ERR_USAGE');
  });
});
