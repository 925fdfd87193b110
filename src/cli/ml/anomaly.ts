/**
 * `vigil ml train anomaly` and `vigil ml score`: an Isolation Forest over CSV / JSONL rows
 * (docs/ml-anomaly.md).
 *
 * - `vigil ml train anomaly --input <file> [--exclude <columns>] [--where <column>=<value>]
 *   [--categorical <columns>] [--trees N] [--sample-size N] [--seed N] --output <model>`
 * - `vigil ml score --model <model> --input <file> [--format jsonl] [--top N]`: one JSON line per
 *   input row, in order: `{"score": 0.71, "top": [{"feature", "value", "contribution"}]}`, `top`
 *   holding at most N features with a positive contribution, largest first.
 */
import { once } from 'node:events';
import { readFile, writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import {
  DEFAULT_SAMPLE_SIZE,
  DEFAULT_SEED,
  DEFAULT_TREES,
  IsolationForest,
  isolationForestFile,
  loadIsolationForest,
} from '../../detect/anomaly/isolation-forest.js';
import { Encoder, inferSchema, type FeatureRecord } from '../../detect/features/table.js';
import { ErrorCodes, VigilError } from '../../errors.js';
import type { CommandIO } from '../scan-command.js';
import { columnList, readRecords } from './input.js';

export interface TrainAnomalyOptions {
  input: string;
  output: string;
  exclude?: string;
  where: string[];
  categorical?: string;
  trees: string;
  sampleSize: string;
  seed: string;
}

export interface ScoreOptions {
  model: string;
  input: string;
  format: string;
  top: string;
}

function usage(message: string): VigilError {
  return new VigilError(ErrorCodes.USAGE, message);
}

function parseInteger(option: string, value: string, min: number): number {
  const n = Number(value);
  if (!/^\s*-?\d+\s*$/.test(value) || !Number.isSafeInteger(n) || n < min)
    throw usage(`${option}: "${value}" is not an integer ≥ ${min}`);
  return n;
}

/** `--where a=b` (repeatable) → the conditions every training row must meet. */
function parseWhere(values: readonly string[]): [string, string][] {
  return values.map((w) => {
    const eq = w.indexOf('=');
    if (eq <= 0) throw usage(`--where: "${w}" is not <column>=<value>`);
    return [w.slice(0, eq).trim(), w.slice(eq + 1).trim()];
  });
}

function checkColumns(option: string, names: readonly string[], columns: readonly string[]): void {
  const known = new Set(columns);
  const unknown = names.filter((n) => !known.has(n));
  if (unknown.length > 0)
    throw new VigilError(ErrorCodes.ML_INPUT, `${option}: no column ${unknown.join(', ')} in the input`);
}

function quantile(sorted: Float64Array, q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

const round = (v: number): number => Math.round(v * 1e6) / 1e6;

/** Trains an Isolation Forest and writes its model file; returns the exit code. */
export async function trainAnomalyCommand(opts: TrainAnomalyOptions, io: CommandIO): Promise<number> {
  const trees = parseInteger('--trees', opts.trees, 1);
  const sampleSize = parseInteger('--sample-size', opts.sampleSize, 2);
  const seed = parseInteger('--seed', opts.seed, 0);
  const where = parseWhere(opts.where);
  const exclude = columnList(opts.exclude);
  const categorical = columnList(opts.categorical);
  const started = performance.now();
  const { records, columns } = await readRecords(opts.input);
  checkColumns('--exclude', exclude, columns);
  checkColumns('--categorical', categorical, columns);
  checkColumns(
    '--where',
    where.map(([c]) => c),
    columns,
  );
  const rows: FeatureRecord[] =
    where.length === 0
      ? records
      : records.filter((r) => where.every(([c, v]) => String(r[c] ?? '').trim() === v));
  if (rows.length < 2)
    throw new VigilError(
      ErrorCodes.ML_NO_DATA,
      'an isolation forest',
      `${rows.length} of ${records.length} rows match --where, at least 2 needed`,
    );
  // A --where column is constant on the training rows: it carries nothing, so it is no feature.
  const excluded = [...exclude, ...where.map(([c]) => c)];
  let schema;
  try {
    schema = inferSchema(rows, { columns, exclude: excluded, categorical });
  } catch (err) {
    throw new VigilError(ErrorCodes.ML_INPUT, `${opts.input}: ${(err as Error).message}`);
  }
  const matrix = new Encoder(schema).encode(rows);
  const forest = IsolationForest.fit(matrix, schema, { trees, sampleSize, seed });
  const scores = forest.scoreMatrix(matrix).sort();
  const metrics = {
    rows: rows.length,
    score_p50: round(quantile(scores, 0.5)),
    score_p95: round(quantile(scores, 0.95)),
    score_p99: round(quantile(scores, 0.99)),
    score_max: round(scores[scores.length - 1]!),
  };
  const file = isolationForestFile(forest, new Date().toISOString(), metrics);
  await writeFile(opts.output, JSON.stringify(file) + '\n');
  const nCat = schema.features.filter((f) => f.kind === 'categorical').length;
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  const filter = where.length > 0 ? ` (${where.map(([c, v]) => `${c}=${v}`).join(', ')})` : '';
  io.stderr.write(
    `vigil: isolation forest of ${forest.trees} trees (ψ=${forest.sampleSize}, seed ${seed}) on ` +
      `${rows.length} rows${filter}, ${schema.features.length} features (${nCat} categorical), ` +
      `training score p50 ${metrics.score_p50} p99 ${metrics.score_p99}, ${seconds} s → ${opts.output}\n`,
  );
  return 0;
}

async function readModel(path: string): Promise<IsolationForest> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new VigilError(ErrorCodes.ML_MODEL, `${path}: ${(err as Error).message}`);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new VigilError(ErrorCodes.ML_MODEL, `${path}: not JSON (${(err as Error).message})`);
  }
  try {
    return loadIsolationForest(doc);
  } catch (err) {
    if (err instanceof VigilError) throw new VigilError(ErrorCodes.ML_MODEL, `${path}: ${err.message}`);
    throw err;
  }
}

/** Scores every input row with a model file, one JSON line per row on stdout; returns the exit code. */
export async function scoreCommand(opts: ScoreOptions, io: CommandIO): Promise<number> {
  if (opts.format !== 'jsonl') throw usage(`--format: "${opts.format}" is not one of jsonl`);
  const top = parseInteger('--top', opts.top, 0);
  const forest = await readModel(opts.model);
  const { records, columns } = await readRecords(opts.input);
  const have = new Set(columns);
  const missing = forest.schema.features.map((f) => f.name).filter((n) => !have.has(n));
  if (missing.length > 0)
    throw new VigilError(
      ErrorCodes.ML_INPUT,
      `${opts.input}: the model needs column(s) ${missing.join(', ')}, absent from the input`,
    );
  const encoder = new Encoder(forest.schema);
  const row = new Float64Array(encoder.cols);
  let chunk = '';
  for (let i = 0; i < records.length; i++) {
    encoder.encodeRow(records[i]!, row);
    // Only features that pushed the row towards isolation (contribution > 0) are listed.
    const explained = top > 0 ? forest.explain(row, 0, top).filter((c) => c.contribution > 0) : [];
    chunk +=
      JSON.stringify({
        score: round(forest.score(row)),
        top: explained.map((c) => ({ ...c, contribution: round(c.contribution) })),
      }) + '\n';
    if (chunk.length >= 1 << 16 || i === records.length - 1) {
      if (!io.stdout.write(chunk)) await once(io.stdout, 'drain');
      chunk = '';
    }
  }
  return 0;
}

/** Registers `vigil ml train anomaly` and `vigil ml score`. */
export function registerAnomalyCommands(
  ml: Command,
  train: Command,
  io: CommandIO,
  setExit: (code: number) => void,
): void {
  train
    .command('anomaly')
    .description('train an Isolation Forest (Liu et al. 2008) on CSV or JSONL rows')
    .requiredOption('-i, --input <file>', 'training rows: .csv (header row) or .jsonl, optionally .gz')
    .requiredOption('-o, --output <model>', 'model file to write (JSON)')
    .option('--exclude <columns>', 'comma-separated columns that are not features (labels, ids)')
    .option(
      '--where <column=value>',
      'train only on rows where the column equals the value (repeatable; the column is then no feature)',
      (v: string, prev: string[]) => [...prev, v],
      [],
    )
    .option('--categorical <columns>', 'comma-separated numeric-looking columns to treat as categories')
    .option('--trees <n>', 'number of trees', String(DEFAULT_TREES))
    .option('--sample-size <n>', 'rows drawn (without replacement) per tree, ψ', String(DEFAULT_SAMPLE_SIZE))
    .option('--seed <n>', 'random seed (same data, options and seed: same model)', String(DEFAULT_SEED))
    .action(async (opts: TrainAnomalyOptions) => {
      setExit(await trainAnomalyCommand(opts, io));
    });
  ml.command('score')
    .description('score rows with an anomaly model: one JSON line per row (score in [0, 1], top features)')
    .requiredOption('-m, --model <model>', 'model file from `vigil ml train anomaly`')
    .requiredOption('-i, --input <file>', 'rows to score: .csv (header row) or .jsonl, optionally .gz')
    .option('-f, --format <format>', 'output format: jsonl', 'jsonl')
    .option(
      '--top <n>',
      'most contributing features to list per row (positive contributions only; 0: none)',
      '3',
    )
    .action(async (opts: ScoreOptions) => {
      setExit(await scoreCommand(opts, io));
    });
}
