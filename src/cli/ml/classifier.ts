/**
 * `vigil ml train classifier` and `vigil ml predict`: the random forest classifier
 * (`src/detect/classify/`) on CSV / JSONL files. See docs/ml-classifier.md.
 *
 * - train: reads the file, maps labels through `--map` (optional), infers the feature schema,
 *   optionally cross-validates (`--cv K`, figures on stderr and in the model file's `metrics`),
 *   fits on every row and writes a `random-forest` model file.
 * - predict: one JSON line per input row, in input order:
 *   `{"label": "normal", "probabilities": {"attack": 0.02, "normal": 0.98}}`.
 */
import { once } from 'node:events';
import { readFile, writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { crossValidate, type CrossValidation } from '../../detect/classify/cross-validate.js';
import { RandomForest, type RandomForestOptions } from '../../detect/classify/random-forest.js';
import { encode, type FeatureRecord, inferSchema } from '../../detect/features/table.js';
import {
  checkModelFile,
  MODEL_FORMAT,
  MODEL_FORMAT_VERSION,
  type ModelFile,
} from '../../detect/model-file.js';
import { ErrorCodes, VigilError } from '../../errors.js';
import type { CommandIO } from '../scan-command.js';
import { columnList, type InputFormat, readRecords } from './input.js';

export interface TrainClassifierOptions {
  input: string;
  inputFormat?: string;
  label: string;
  exclude?: string;
  categorical?: string;
  map?: string;
  trees?: string;
  maxDepth?: string;
  minSamplesLeaf?: string;
  maxFeatures?: string;
  seed?: string;
  cv?: string;
  output: string;
}

export interface PredictOptions {
  model: string;
  input: string;
  inputFormat?: string;
  format: string;
}

function usage(message: string): VigilError {
  return new VigilError(ErrorCodes.USAGE, message);
}

function positiveInt(option: string, value: string | undefined, min = 1): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min)
    throw usage(`${option}: "${value}" is not an integer ≥ ${min}`);
  return n;
}

function parseInputFormat(value: string | undefined): InputFormat | undefined {
  if (value === undefined || value === 'csv' || value === 'jsonl') return value;
  throw usage(`--input-format: "${value}" is not csv or jsonl`);
}

/** `--max-features`: a count, `sqrt` or `all`. */
function parseMaxFeatures(value: string | undefined): RandomForestOptions['maxFeatures'] {
  if (value === undefined || value === 'sqrt' || value === 'all') return value;
  return positiveInt('--max-features', value);
}

/** Builds the forest options from the command line. */
export function forestOptions(opts: TrainClassifierOptions): RandomForestOptions {
  const out: RandomForestOptions = {};
  const trees = positiveInt('--trees', opts.trees);
  const maxDepth = positiveInt('--max-depth', opts.maxDepth);
  const minSamplesLeaf = positiveInt('--min-samples-leaf', opts.minSamplesLeaf);
  const maxFeatures = parseMaxFeatures(opts.maxFeatures);
  const seed = positiveInt('--seed', opts.seed, 0);
  if (trees !== undefined) out.trees = trees;
  if (maxDepth !== undefined) out.maxDepth = maxDepth;
  if (minSamplesLeaf !== undefined) out.minSamplesLeaf = minSamplesLeaf;
  if (maxFeatures !== undefined) out.maxFeatures = maxFeatures;
  if (seed !== undefined) out.seed = seed;
  return out;
}

/**
 * Reads a label map: CSV with a header row; first column = label value, second = class; other
 * columns ignored. A row whose value is `*` gives the class of every label not listed.
 * @throws VigilError `VIGIL_ERR_ML_INPUT` when it has fewer than two columns or repeats a label
 */
export async function readLabelMap(path: string): Promise<Map<string, string>> {
  const { records, columns } = await readRecords(path, 'csv');
  if (columns.length < 2)
    throw new VigilError(ErrorCodes.ML_INPUT, `${path}: a label map needs two columns (label, class)`);
  const [from, to] = columns as [string, string];
  const map = new Map<string, string>();
  records.forEach((r, i) => {
    const key = String(r[from] ?? '').trim();
    const value = String(r[to] ?? '').trim();
    if (key === '' || value === '')
      throw new VigilError(ErrorCodes.ML_INPUT, `${path}: row ${i + 2} has an empty label or class`);
    if (map.has(key)) throw new VigilError(ErrorCodes.ML_INPUT, `${path}: label "${key}" is mapped twice`);
    map.set(key, value);
  });
  return map;
}

/** The class of each record (label column, mapped), the sorted class names and the codes. */
export function labelRows(
  records: readonly FeatureRecord[],
  label: string,
  map: ReadonlyMap<string, string> | undefined,
): { classes: string[]; y: Int32Array } {
  const names: string[] = [];
  const unmapped = new Set<string>();
  records.forEach((r, i) => {
    const raw = r[label];
    const value = raw === null || raw === undefined ? '' : String(raw).trim();
    if (value === '') throw new VigilError(ErrorCodes.ML_INPUT, `row ${i + 1} has no ${label}`);
    const cls = map ? (map.get(value) ?? map.get('*')) : value;
    if (cls === undefined) unmapped.add(value);
    names.push(cls ?? value);
  });
  if (unmapped.size > 0)
    throw new VigilError(
      ErrorCodes.ML_INPUT,
      `--map has no class for ${[...unmapped].slice(0, 10).join(', ')}${unmapped.size > 10 ? ', …' : ''} (add them, or a "*" row)`,
    );
  const classes = [...new Set(names)].sort();
  const index = new Map(classes.map((c, i) => [c, i]));
  return { classes, y: Int32Array.from(names, (n) => index.get(n)!) };
}

const pct = (v: number): string => `${(100 * v).toFixed(2)}%`;

/** Cross-validation figures as text (stderr). */
export function renderCrossValidation(cv: CrossValidation): string {
  const width = Math.max(5, ...cv.perClass.map((c) => c.class.length));
  const lines = [
    `${cv.folds}-fold stratified cross-validation on ${cv.rows} rows: accuracy ${pct(cv.accuracy)}, ` +
      `macro F1 ${cv.macroF1.toFixed(4)}, weighted F1 ${cv.weightedF1.toFixed(4)}`,
    `  fold accuracy: ${cv.foldAccuracy.map(pct).join(' ')}`,
    `  ${'class'.padEnd(width)}  precision  recall     F1  support`,
    ...cv.perClass.map(
      (c) =>
        `  ${c.class.padEnd(width)}  ${c.precision.toFixed(4).padStart(9)}  ${c.recall.toFixed(4).padStart(6)}` +
        `  ${c.f1.toFixed(4)}  ${String(c.support).padStart(7)}`,
    ),
    `  confusion (rows: true class, columns: predicted, order as above):`,
    ...cv.confusion.map((row) => `    ${row.map((v) => String(v).padStart(6)).join(' ')}`),
  ];
  return lines.join('\n') + '\n';
}

/** `vigil ml train classifier`: returns the exit code. */
export async function trainClassifier(opts: TrainClassifierOptions, io: CommandIO): Promise<number> {
  const options = forestOptions(opts);
  const folds = positiveInt('--cv', opts.cv, 2);
  const map = opts.map ? await readLabelMap(opts.map) : undefined;
  const { records, columns } = await readRecords(opts.input, parseInputFormat(opts.inputFormat));
  for (const c of [opts.label, ...columnList(opts.categorical)])
    if (!columns.includes(c))
      throw new VigilError(
        ErrorCodes.ML_INPUT,
        `${opts.input}: no column "${c}" (columns: ${columns.join(', ')})`,
      );
  const { classes, y } = labelRows(records, opts.label, map);
  if (classes.length < 2)
    throw new VigilError(
      ErrorCodes.ML_NO_DATA,
      'a classifier',
      `every row is of class "${classes[0]}"; at least two classes are needed`,
    );
  const exclude = [opts.label, ...columnList(opts.exclude)];
  let schema;
  try {
    schema = inferSchema(records, { columns, exclude, categorical: columnList(opts.categorical) });
  } catch (err) {
    throw new VigilError(ErrorCodes.ML_INPUT, `${opts.input}: ${(err as Error).message}`);
  }
  const x = encode(schema, records);
  const counts: Record<string, number> = {};
  for (const c of classes) counts[c] = 0;
  for (const v of y) counts[classes[v]!]!++;
  const metrics: Record<string, unknown> = { rows: x.rows, classes: counts };
  if (folds !== undefined) {
    const started = performance.now();
    const cv = crossValidate(x, y, classes, schema, {
      folds,
      forest: options,
      onFold: (f, k) => io.stderr.write(`cross-validation: fold ${f + 1}/${k} done\n`),
    });
    io.stderr.write(renderCrossValidation(cv));
    metrics.crossValidation = { ...cv, ms: Math.round(performance.now() - started) };
  }
  const started = performance.now();
  const forest = RandomForest.fit(x, y, classes, schema, options);
  const trainingMs = performance.now() - started;
  metrics.trainingMs = Math.round(trainingMs);
  const file: ModelFile = {
    format: MODEL_FORMAT,
    version: MODEL_FORMAT_VERSION,
    kind: 'random-forest',
    created: new Date().toISOString(),
    schema,
    params: {
      ...forest.params,
      label: opts.label,
      exclude: columnList(opts.exclude),
      ...(opts.map ? { map: Object.fromEntries(map!) } : {}),
    },
    metrics,
    model: forest.toJSON(),
  };
  await writeFile(opts.output, JSON.stringify(file));
  const { nodes } = forest.size();
  const top = forest
    .featureImportances()
    .slice(0, 10)
    .map((f) => `${f.feature} ${f.importance.toFixed(3)}`);
  io.stderr.write(
    `random forest: ${x.rows} rows, ${schema.features.length} features, ${classes.length} classes ` +
      `(${classes.map((c) => `${c} ${counts[c]}`).join(', ')}), ${forest.params.trees} tree${forest.params.trees === 1 ? '' : 's'}, ${nodes} nodes, ` +
      `trained in ${trainingMs.toFixed(0)} ms → ${opts.output}\n  top features: ${top.join(', ')}\n`,
  );
  return 0;
}

/**
 * Reads and checks a random forest model file.
 * @throws VigilError `VIGIL_ERR_ML_MODEL` when the file cannot be read or is not a usable
 *   random-forest model
 */
export async function readForestModel(path: string): Promise<{ file: ModelFile; forest: RandomForest }> {
  let doc: unknown;
  try {
    doc = JSON.parse(await readFile(path, 'utf8'));
  } catch (err) {
    throw new VigilError(ErrorCodes.ML_MODEL, `${path}: ${(err as Error).message}`);
  }
  let file: ModelFile;
  try {
    file = checkModelFile(doc, 'random-forest');
  } catch (err) {
    throw new VigilError(ErrorCodes.ML_MODEL, `${path}: ${(err as Error).message}`);
  }
  return { file, forest: RandomForest.fromJSON(file.model) };
}

async function write(stream: NodeJS.WritableStream, text: string): Promise<void> {
  if (!stream.write(text)) await once(stream, 'drain');
}

/** `vigil ml predict`: returns the exit code. */
export async function predictCommand(opts: PredictOptions, io: CommandIO): Promise<number> {
  if (opts.format !== 'jsonl') throw usage(`--format: "${opts.format}" is not jsonl`);
  const { forest } = await readForestModel(opts.model);
  const { records, columns } = await readRecords(opts.input, parseInputFormat(opts.inputFormat));
  const have = new Set(columns);
  const missing = forest.schema.features.map((f) => f.name).filter((n) => !have.has(n));
  if (missing.length > 0)
    throw new VigilError(
      ErrorCodes.ML_INPUT,
      `${opts.input}: the model reads column${missing.length > 1 ? 's' : ''} ${missing.join(', ')}, which the input lacks`,
    );
  const k = forest.classes.length;
  const proba = forest.predictProbaMatrix(encode(forest.schema, records));
  let chunk = '';
  for (let r = 0; r < records.length; r++) {
    let best = 0;
    const probabilities: Record<string, number> = {};
    for (let c = 0; c < k; c++) {
      const p = proba[r * k + c]!;
      if (p > proba[r * k + best]!) best = c;
      probabilities[forest.classes[c]!] = Math.round(p * 1e6) / 1e6;
    }
    chunk += JSON.stringify({ label: forest.classes[best], probabilities }) + '\n';
    if (chunk.length > 65_536) {
      await write(io.stdout, chunk);
      chunk = '';
    }
  }
  if (chunk !== '') await write(io.stdout, chunk);
  return 0;
}

/** Registers `vigil ml train classifier` and `vigil ml predict`. */
export function registerClassifierCommands(
  ml: Command,
  train: Command,
  io: CommandIO,
  setExit: (code: number) => void,
): void {
  train
    .command('classifier')
    .description('train a random forest classifier on a labelled CSV or JSONL file (optionally .gz)')
    .requiredOption('--input <file>', 'training rows: CSV with a header row, or JSON Lines')
    .requiredOption('--label <column>', 'the column holding each row’s class')
    .requiredOption('--output <model>', 'model file to write')
    .option('--input-format <format>', 'csv or jsonl (default: from the file extension)')
    .option('--exclude <columns>', 'comma list of columns that are not features (ids, other labels)')
    .option('--categorical <columns>', 'comma list of numeric-looking columns to treat as categories')
    .option('--map <file.csv>', 'two-column CSV (with header) mapping label values to classes; "*" = others')
    .option('--trees <n>', 'number of trees (default 100)')
    .option('--max-depth <n>', 'deepest tree level (default: unlimited)')
    .option('--min-samples-leaf <n>', 'least rows in a leaf (default 1)')
    .option('--max-features <n>', 'features tried per split: a count, sqrt (default) or all')
    .option('--seed <n>', 'random seed (default 1)')
    .option('--cv <k>', 'run stratified k-fold cross-validation first and store its figures')
    .action(async (opts: TrainClassifierOptions) => {
      setExit(await trainClassifier(opts, io));
    });
  ml.command('predict')
    .description('classify each row of a CSV or JSONL file with a trained random forest')
    .requiredOption('--model <model>', 'model file from `vigil ml train classifier`')
    .requiredOption('--input <file>', 'rows to classify: CSV with a header row, or JSON Lines')
    .option('--input-format <format>', 'csv or jsonl (default: from the file extension)')
    .option('-f, --format <format>', 'output format: jsonl', 'jsonl')
    .action(async (opts: PredictOptions) => {
      setExit(await predictCommand(opts, io));
    });
}
