/**
 * Reads model input files for `vigil ml`: CSV with a header row (RFC 4180, parsed by csv-parse)
 * or JSON Lines (one object per line), either optionally gzip-compressed (`.gz`). Rows keep
 * their order. The format is taken from the extension (`.csv`, `.jsonl`/`.ndjson`/`.json`, then
 * `.gz`), or given.
 */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { parse } from 'csv-parse';
import type { FeatureRecord, RawValue } from '../../detect/features/table.js';
import { ErrorCodes, VigilError } from '../../errors.js';

export type InputFormat = 'csv' | 'jsonl';

/** The input format of a path from its extension. */
export function inputFormat(path: string): InputFormat {
  const p = path.toLowerCase().replace(/\.gz$/, '');
  if (p.endsWith('.csv')) return 'csv';
  if (p.endsWith('.jsonl') || p.endsWith('.ndjson') || p.endsWith('.json')) return 'jsonl';
  throw new VigilError(
    ErrorCodes.ML_INPUT,
    `${path}: cannot tell the format (expected .csv or .jsonl, optionally .gz)`,
  );
}

/** A file's bytes, gunzipped when the name ends in `.gz` (errors of either stream surface on the result). */
export function openMaybeGzip(path: string): Readable {
  const file = createReadStream(path);
  if (!path.toLowerCase().endsWith('.gz')) return file;
  // `pipe` does not forward errors: a missing file would otherwise be an uncaught exception.
  const gunzip = createGunzip();
  file.on('error', (err) => gunzip.destroy(err));
  return file.pipe(gunzip);
}

/**
 * Reads every row of a CSV or JSONL file.
 * @returns the rows in file order and the column names (CSV header, or the keys in order of
 *   first appearance)
 * @throws VigilError `VIGIL_ERR_ML_INPUT` naming the file and line of the first bad row (a CSV
 *   row with the wrong number of fields, a JSON line that is not an object)
 */
export async function readRecords(
  path: string,
  format: InputFormat = inputFormat(path),
): Promise<{ records: FeatureRecord[]; columns: string[] }> {
  const records: FeatureRecord[] = [];
  const columns = new Set<string>();
  const source = openMaybeGzip(path);
  try {
    if (format === 'csv') {
      const parser = source.pipe(parse({ columns: true, bom: true, skip_empty_lines: true, trim: true }));
      source.on('error', (err) => parser.destroy(err));
      for await (const row of parser as AsyncIterable<Record<string, string>>) {
        if (columns.size === 0) for (const k of Object.keys(row)) columns.add(k);
        records.push(row);
      }
    } else {
      let line = 0;
      for await (const text of createInterface({ input: source, crlfDelay: Infinity })) {
        line++;
        if (text.trim() === '') continue;
        let row: unknown;
        try {
          row = JSON.parse(text);
        } catch (err) {
          throw new VigilError(ErrorCodes.ML_INPUT, `${path}:${line}: ${(err as Error).message}`);
        }
        if (typeof row !== 'object' || row === null || Array.isArray(row))
          throw new VigilError(ErrorCodes.ML_INPUT, `${path}:${line}: expected a JSON object`);
        const rec: Record<string, RawValue> = {};
        for (const [k, v] of Object.entries(row)) {
          columns.add(k);
          rec[k] =
            v === null || ['string', 'number', 'boolean'].includes(typeof v)
              ? (v as RawValue)
              : JSON.stringify(v);
        }
        records.push(rec);
      }
    }
  } catch (err) {
    if (err instanceof VigilError) throw err;
    throw new VigilError(ErrorCodes.ML_INPUT, `${path}: ${(err as Error).message}`);
  } finally {
    source.destroy();
  }
  if (records.length === 0) throw new VigilError(ErrorCodes.ML_INPUT, `${path}: no rows`);
  return { records, columns: [...columns] };
}

/** Splits a `--exclude a,b` value. */
export function columnList(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}
