/**
 * The model file format: one JSON document per trained model, versioned so a newer Vigil can
 * refuse (or convert) what it does not understand. Documented in `docs/ml.md` (Model files).
 *
 * ```json
 * { "format": "vigil-model", "version": 1, "kind": "isolation-forest",
 *   "created": "2026-11-21T10:00:00.000Z", "schema": { "features": [...] },
 *   "params": {...}, "metrics": {...}, "model": {...} }
 * ```
 */
import type { FeatureSchema } from './features/table.js';

export const MODEL_FORMAT = 'vigil-model';
export const MODEL_FORMAT_VERSION = 1;

export type ModelKind = 'isolation-forest' | 'random-forest';

export interface ModelFile<M = unknown> {
  readonly format: typeof MODEL_FORMAT;
  readonly version: typeof MODEL_FORMAT_VERSION;
  readonly kind: ModelKind;
  /** ISO 8601 time of training. */
  readonly created: string;
  /** The input columns, in the order the model reads them. */
  readonly schema: FeatureSchema;
  /** Training parameters (trees, sample size, seed, …). */
  readonly params: Readonly<Record<string, unknown>>;
  /** Training figures (rows, cross-validated accuracy, …). */
  readonly metrics: Readonly<Record<string, unknown>>;
  /** The model's own serialization (`toJSON()` of the model class). */
  readonly model: M;
}

/**
 * Checks a parsed document is a model file Vigil can read.
 * @param expected - the kind the caller needs (omit to accept any)
 * @throws Error naming what is wrong (not a Vigil model, unsupported version, other kind)
 */
export function checkModelFile(doc: unknown, expected?: ModelKind): ModelFile {
  if (typeof doc !== 'object' || doc === null || (doc as { format?: unknown }).format !== MODEL_FORMAT)
    throw new Error(`not a Vigil model file (expected "format": "${MODEL_FORMAT}")`);
  const f = doc as ModelFile;
  if (f.version !== MODEL_FORMAT_VERSION)
    throw new Error(
      `model file version ${String(f.version)} is not supported (this Vigil reads ${MODEL_FORMAT_VERSION})`,
    );
  if (expected && f.kind !== expected)
    throw new Error(`model file holds a ${f.kind} model, expected ${expected}`);
  if (!f.schema || !Array.isArray(f.schema.features)) throw new Error('model file has no feature schema');
  return f;
}
