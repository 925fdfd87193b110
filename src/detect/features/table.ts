/**
 * Feature tables: records (CSV rows, JSON objects, UEBA windows) → a dense row-major
 * `Float64Array` the models read. Numeric features are numbers; categorical features are encoded
 * here as category codes, so the models need no one-hot step. Pure, no I/O.
 *
 * Encoding:
 * - numeric: the value as a number; missing (absent, null, '', 'NA', 'NaN', '?') = `NaN`;
 * - categorical: the index of the value in `categories` (the training data's values, sorted);
 *   missing = `NaN`; a value training never saw = `categories.length` (`unseenCode`), which no
 *   training row holds, so models may treat "new value" as informative.
 */

/** A raw value as read from CSV (string) or JSON. */
export type RawValue = string | number | boolean | null | undefined;

/** One input row: column name → raw value. */
export type FeatureRecord = Readonly<Record<string, RawValue>>;

export interface NumericFeature {
  readonly name: string;
  readonly kind: 'numeric';
}

export interface CategoricalFeature {
  readonly name: string;
  readonly kind: 'categorical';
  /** Training values, sorted; the code of a value is its index here. */
  readonly categories: readonly string[];
}

export type FeatureSpec = NumericFeature | CategoricalFeature;

/** The columns a model reads, in matrix column order. Serialized with every model. */
export interface FeatureSchema {
  readonly features: readonly FeatureSpec[];
}

/** Dense row-major matrix: value of row r, column c at `data[r * cols + c]`. */
export interface Matrix {
  readonly rows: number;
  readonly cols: number;
  readonly data: Float64Array;
}

const MISSING = new Set(['', 'na', 'nan', 'null', '?']);

function isMissing(v: RawValue): v is null | undefined | '' {
  return v === null || v === undefined || (typeof v === 'string' && MISSING.has(v.trim().toLowerCase()));
}

function asNumber(v: RawValue): number {
  if (isMissing(v)) return NaN;
  if (typeof v === 'number') return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  const s = v.trim();
  return s === '' ? NaN : Number(s);
}

/** The code a categorical feature gives a value training never saw. */
export function unseenCode(f: CategoricalFeature): number {
  return f.categories.length;
}

/**
 * Infers a schema from training records: a column whose every present value is a finite number
 * (or boolean) is numeric, any other is categorical (its distinct values become the categories).
 * @param columns - the columns to use, in order (default: the first record's keys, then any new
 *   key in order of first appearance)
 * @param exclude - columns to leave out (labels, ids)
 * @param categorical - columns to treat as categorical even when numeric-looking (codes, ports)
 * @throws Error when no column is left
 */
export function inferSchema(
  records: readonly FeatureRecord[],
  options: {
    readonly columns?: readonly string[];
    readonly exclude?: readonly string[];
    readonly categorical?: readonly string[];
  } = {},
): FeatureSchema {
  const exclude = new Set(options.exclude ?? []);
  const forced = new Set(options.categorical ?? []);
  let columns = options.columns;
  if (!columns) {
    const seen = new Set<string>();
    for (const r of records) for (const k of Object.keys(r)) seen.add(k);
    columns = [...seen];
  }
  const features: FeatureSpec[] = [];
  for (const name of columns) {
    if (exclude.has(name)) continue;
    let numeric = !forced.has(name);
    const values = new Set<string>();
    for (const r of records) {
      const v = r[name];
      if (isMissing(v)) continue;
      if (numeric && !Number.isFinite(asNumber(v))) numeric = false;
      values.add(String(v));
    }
    features.push(
      numeric ? { name, kind: 'numeric' } : { name, kind: 'categorical', categories: [...values].sort() },
    );
  }
  if (features.length === 0) throw new Error('no feature column left after exclusions');
  return { features };
}

/** Per-schema lookup tables for `encodeRow` (build once, reuse for every row). */
export class Encoder {
  readonly cols: number;
  private readonly codes: (ReadonlyMap<string, number> | undefined)[];

  constructor(readonly schema: FeatureSchema) {
    this.cols = schema.features.length;
    this.codes = schema.features.map((f) =>
      f.kind === 'categorical' ? new Map(f.categories.map((c, i) => [c, i])) : undefined,
    );
  }

  /** Writes one record's encoded values into `out` at `offset` (default 0). */
  encodeRow(record: FeatureRecord, out: Float64Array, offset = 0): void {
    const fs = this.schema.features;
    for (let c = 0; c < fs.length; c++) {
      const f = fs[c]!;
      const v = record[f.name];
      if (f.kind === 'numeric') {
        out[offset + c] = asNumber(v);
      } else if (isMissing(v)) {
        out[offset + c] = NaN;
      } else {
        out[offset + c] = this.codes[c]!.get(String(v)) ?? f.categories.length;
      }
    }
  }

  /** Encodes records into a new matrix. */
  encode(records: readonly FeatureRecord[]): Matrix {
    const data = new Float64Array(records.length * this.cols);
    for (let r = 0; r < records.length; r++) this.encodeRow(records[r]!, data, r * this.cols);
    return { rows: records.length, cols: this.cols, data };
  }
}

/** Shorthand: `new Encoder(schema).encode(records)`. */
export function encode(schema: FeatureSchema, records: readonly FeatureRecord[]): Matrix {
  return new Encoder(schema).encode(records);
}

/** The decoded value of an encoded cell (for explanations): the number, the category, or null. */
export function decodeValue(f: FeatureSpec, v: number): number | string | null {
  if (Number.isNaN(v)) return null;
  if (f.kind === 'numeric') return v;
  return f.categories[v] ?? '(unseen)';
}
