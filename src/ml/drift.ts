/**
 * Feature drift of the active models: per model and feature, the PSI between the training
 * histograms stored with the active version and the feature values of the windows that version
 * scored recently (`ml_scores`, by scoring time). The formula, thresholds and the small-sample
 * floor are in `src/detect/anomaly/drift.ts`; `docs/ml-registry.md` (Drift) explains the report.
 */
import type { Kysely } from 'kysely';
import {
  binOf,
  type DriftLevel,
  driftLevel,
  type FeatureHistogram,
  psi,
  psiNoise,
  toFractions,
} from '../detect/anomaly/drift.js';
import { ErrorCodes, VigilError } from '../errors.js';
import { readScoredFeatures } from '../store/ml-scores.js';
import type { DatabaseSchema } from '../store/schema.js';
import type { ModelRegistry } from './registry.js';
import type { ModelVersion } from './types.js';

type Db = Kysely<DatabaseSchema>;

/**
 * Fewest recent rows judged: below it a feature is `insufficient_data`. With 11 bins the no-drift
 * PSI of 200 rows is about 10 × (1/200) = 0.05, half the `moderate` threshold (see `psiNoise`).
 */
export const DRIFT_MIN_ROWS = 200;
/** Most recent rows read per model (the newest). */
export const DRIFT_MAX_ROWS = 50_000;
/** Default recent window, ms (24 h). */
export const DRIFT_WINDOW_MS = 86_400_000;

export interface DriftBin {
  /** Value range `lower < v ≤ upper`; null = open; both null and `missing` for the missing-value bin. */
  readonly lower: number | null;
  readonly upper: number | null;
  readonly missing: boolean;
  /** Training fraction. */
  readonly expected: number;
  /** Recent fraction and count. */
  readonly actual: number;
  readonly count: number;
}

export interface FeatureDrift {
  readonly feature: string;
  /** null when `level` is `insufficient_data`. */
  readonly psi: number | null;
  readonly level: DriftLevel | 'insufficient_data';
  /** Expected PSI with no drift at these row counts (`psiNoise`). */
  readonly noise: number | null;
  readonly bins: DriftBin[];
}

export interface ModelDrift {
  readonly model: string;
  readonly version: ModelVersion | null;
  /** `ok`, `insufficient_data` (fewer than `min_rows` recent rows), `no_active_version`. */
  readonly state: 'ok' | 'insufficient_data' | 'no_active_version';
  /** The recent window (scoring time). */
  readonly window: { readonly from: string; readonly to: string };
  readonly training_rows: number;
  readonly recent_rows: number;
  readonly min_rows: number;
  /** Highest feature PSI and its level (null without enough data). */
  readonly max_psi: number | null;
  readonly level: DriftLevel | 'insufficient_data';
  readonly features: FeatureDrift[];
}

export interface DriftQuery {
  /** One model (default: every model with a registered version). */
  readonly model?: string | undefined;
  /** Recent window, ms back from now (default 24 h). */
  readonly windowMs?: number | undefined;
  readonly minRows?: number | undefined;
  readonly maxRows?: number | undefined;
}

/**
 * Compares one feature's recent values with its training histogram.
 * @param values - recent values (NaN = missing)
 * @param trainingRows - rows behind the histogram (for the noise floor)
 */
export function featureDrift(
  hist: FeatureHistogram,
  values: Float64Array,
  trainingRows: number,
  minRows: number,
): FeatureDrift {
  const counts = new Float64Array(hist.fractions.length);
  for (let i = 0; i < values.length; i++) {
    const b = Math.min(binOf(hist.edges, values[i] as number), counts.length - 1);
    counts[b] = (counts[b] as number) + 1;
  }
  const actual = toFractions(counts);
  const last = hist.edges.length - 1;
  const bins: DriftBin[] = hist.fractions.map((expected, i) => ({
    lower: i === 0 || i > last ? null : (hist.edges[i - 1] ?? null),
    upper: i >= last ? null : (hist.edges[i] ?? null),
    missing: i > last,
    expected,
    actual: actual[i] ?? 0,
    count: counts[i] ?? 0,
  }));
  if (values.length < minRows)
    return { feature: hist.feature, psi: null, level: 'insufficient_data', noise: null, bins };
  const value = psi(hist.fractions, actual);
  const used = hist.fractions.filter((f) => f > 0).length;
  return {
    feature: hist.feature,
    psi: value,
    level: driftLevel(value),
    noise: psiNoise(used, trainingRows, values.length),
    bins,
  };
}

/**
 * The drift report of the active versions (one entry per model name).
 * @throws VigilError `VIGIL_ERR_ML_UNKNOWN_MODEL` (404) when `model` has no registered version
 */
export async function driftReport(
  db: Db,
  registry: ModelRegistry,
  now: Date,
  q: DriftQuery = {},
): Promise<ModelDrift[]> {
  const windowMs = q.windowMs ?? DRIFT_WINDOW_MS;
  const minRows = q.minRows ?? DRIFT_MIN_ROWS;
  const since = new Date(now.getTime() - windowMs);
  const window = { from: since.toISOString(), to: now.toISOString() };
  let names: string[];
  if (q.model !== undefined) {
    if ((await registry.list({ name: q.model, limit: 1 })).length === 0)
      throw new VigilError(ErrorCodes.ML_UNKNOWN_MODEL, q.model);
    names = [q.model];
  } else names = [...new Set((await registry.list({ limit: 10_000 })).map((v) => v.name))];
  const out: ModelDrift[] = [];
  for (const model of names) {
    const active = registry.active(model);
    if (!active) {
      out.push({
        model,
        version: null,
        state: 'no_active_version',
        window,
        training_rows: 0,
        recent_rows: 0,
        min_rows: minRows,
        max_psi: null,
        level: 'insufficient_data',
        features: [],
      });
      continue;
    }
    const v = active.version;
    const histograms = await registry.histograms(v.id);
    const rows = await readScoredFeatures(db, v.id, since, q.maxRows ?? DRIFT_MAX_ROWS);
    const features = histograms.map((h) => {
      const values = new Float64Array(rows.length);
      for (let i = 0; i < rows.length; i++) {
        const x = rows[i]?.[h.feature];
        values[i] = typeof x === 'number' ? x : NaN;
      }
      return featureDrift(h, values, v.rows, minRows);
    });
    const judged = features.filter((f) => f.psi !== null);
    const maxPsi = judged.length > 0 ? Math.max(...judged.map((f) => f.psi as number)) : null;
    out.push({
      model,
      version: v,
      state: rows.length < minRows ? 'insufficient_data' : 'ok',
      window,
      training_rows: v.rows,
      recent_rows: rows.length,
      min_rows: minRows,
      max_psi: maxPsi,
      level: maxPsi === null ? 'insufficient_data' : driftLevel(maxPsi),
      features,
    });
  }
  return out;
}
