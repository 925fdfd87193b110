/**
 * The UEBA trainers `ueba-user`, `ueba-host` and `ueba-ip` (`ModelTrainer`, registered with the
 * training service): each replays the stored events of the training window into entity windows
 * with the detection stage's own feature code, and fits an Isolation Forest (Liu, Ting, Zhou,
 * ICDM 2008) on its entity type's windows. See `docs/ueba.md`, Training.
 */
import type { Kysely } from 'kysely';
import {
  DEFAULT_SAMPLE_SIZE,
  DEFAULT_SEED,
  DEFAULT_TREES,
  IsolationForest,
  isolationForestFile,
} from '../../detect/anomaly/isolation-forest.js';
import { buildHistograms } from '../../detect/anomaly/drift.js';
import { Encoder, type FeatureSchema } from '../../detect/features/table.js';
import { ENTITY_TYPES, type EntityType } from '../../detect/ueba/entities.js';
import { ENTITY_FEATURES, MODEL_INPUT, modelInput } from '../../detect/ueba/features.js';
import { ErrorCodes, VigilError } from '../../errors.js';
import type { DatabaseSchema } from '../../store/schema.js';
import type { ModelTrainer, TrainedModel, TrainingProgress } from '../types.js';
import { type PassResult, readTrainingWindows } from './events-pass.js';
import { uebaModelName } from './models.js';

type Db = Kysely<DatabaseSchema>;

/** Entity windows a UEBA model needs to train (below: `VIGIL_ERR_ML_NO_DATA`). */
export const UEBA_MIN_ROWS = 20;

export interface UebaTrainerOptions {
  /** Window length, ms (`Config.ml.uebaWindowMs`; the scorer's windows must be the same). */
  readonly windowMs: number;
  /** The alert threshold, to report the training windows' alert rate. */
  readonly threshold: number;
  /** Isolation Forest trees (default 100) and subsample size (default 256), seed (default 1). */
  readonly trees?: number;
  readonly sampleSize?: number;
  readonly seed?: number;
  /** Events per page (default 5,000) and read at most per training (default 2,000,000). */
  readonly pageSize?: number;
  readonly maxEvents?: number;
  /** Windows needed per entity type (default {@link UEBA_MIN_ROWS}). */
  readonly minRows?: number;
  /** Training time for the model file (default now). */
  readonly now?: () => Date;
}

/** How long a shared pass is reused by the other trainers of the same window, ms. */
const PASS_REUSE_MS = 10 * 60_000;

function quantile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

function round(x: number): number {
  return Math.round(x * 10_000) / 10_000;
}

/** The three UEBA trainers, sharing one pass over the events of a training window. */
export function uebaTrainers(o: UebaTrainerOptions): ModelTrainer[] {
  let memo: { key: string; at: number; pass: Promise<PassResult> } | undefined;
  const now = o.now ?? (() => new Date());
  const pass = (
    db: Db,
    window: { readonly from: Date; readonly to: Date },
    progress: TrainingProgress,
    signal: AbortSignal,
  ): Promise<PassResult> => {
    const key = `${window.from.toISOString()}|${window.to.toISOString()}`;
    const t = now().getTime();
    if (memo && memo.key === key && t - memo.at < PASS_REUSE_MS) {
      progress(0.8, 'reading events (shared)');
      return memo.pass;
    }
    const p = readTrainingWindows(
      db,
      window,
      { windowMs: o.windowMs, pageSize: o.pageSize ?? 5000, maxEvents: o.maxEvents ?? 2_000_000 },
      progress,
      0.8,
      signal,
    );
    const entry = { key, at: t, pass: p };
    memo = entry;
    p.catch(() => {
      if (memo === entry) memo = undefined;
    });
    return p;
  };
  return ENTITY_TYPES.map((type) => new UebaTrainer(type, o, pass, now));
}

type Pass = (
  db: Db,
  window: { readonly from: Date; readonly to: Date },
  progress: TrainingProgress,
  signal: AbortSignal,
) => Promise<PassResult>;

class UebaTrainer implements ModelTrainer {
  readonly name: string;
  readonly description: string;

  constructor(
    private readonly type: EntityType,
    private readonly o: UebaTrainerOptions,
    private readonly pass: Pass,
    private readonly now: () => Date,
  ) {
    this.name = uebaModelName(type);
    this.description =
      `UEBA: Isolation Forest over per-${type} behaviour windows ` + `(${ENTITY_FEATURES[type].join(', ')})`;
  }

  async train(
    db: Db,
    window: { readonly from: Date; readonly to: Date },
    progress: TrainingProgress,
    signal: AbortSignal,
  ): Promise<TrainedModel> {
    const p = await this.pass(db, window, progress, signal);
    const rows = p.closed[this.type].filter((c) => c.scored);
    const min = this.o.minRows ?? UEBA_MIN_ROWS;
    if (rows.length < min)
      throw new VigilError(
        ErrorCodes.ML_NO_DATA,
        this.name,
        `${rows.length} ${this.type} window(s) between ${window.from.toISOString()} and ${window.to.toISOString()}, at least ${min} needed`,
      );
    progress(0.85, 'fitting');
    // Features no training window has a value for (no geo data, no templates) are left out.
    const names = ENTITY_FEATURES[this.type].filter((n) => rows.some((r) => Number.isFinite(r.features[n])));
    const schema: FeatureSchema = { features: names.map((name) => ({ name, kind: 'numeric' as const })) };
    const encoder = new Encoder(schema);
    const matrix = encoder.encode(rows.map((r) => modelInput(r.features)));
    const trees = this.o.trees ?? DEFAULT_TREES;
    const forest = IsolationForest.fit(matrix, schema, {
      trees,
      sampleSize: this.o.sampleSize ?? DEFAULT_SAMPLE_SIZE,
      seed: this.o.seed ?? DEFAULT_SEED,
    });
    signal.throwIfAborted();
    const scores = forest.scoreMatrix(matrix).sort();
    let over = 0;
    for (const s of scores) if (s >= this.o.threshold) over++;
    const metrics: Record<string, number | string> = {
      rows: rows.length,
      entities: new Set(rows.map((r) => r.window.value)).size,
      events_read: p.events,
      events_counted: p.counted,
      truncated: p.truncated ? 1 : 0,
      features: names.length,
      window_ms: this.o.windowMs,
      threshold: this.o.threshold,
      score_p50: round(quantile(scores, 0.5)),
      score_p90: round(quantile(scores, 0.9)),
      score_p99: round(quantile(scores, 0.99)),
      score_max: round(scores[scores.length - 1] ?? NaN),
      alert_rate: round(over / rows.length),
    };
    const base = isolationForestFile(forest, this.now().toISOString(), metrics);
    const file = {
      ...base,
      params: { ...base.params, entity_type: this.type, window_ms: this.o.windowMs, input: MODEL_INPUT },
    };
    progress(0.95, 'histograms');
    return {
      file,
      window: { from: window.from, to: window.to },
      rows: rows.length,
      metrics,
      // In the features' own units, as the scorer records them (`ml_scores.features`) for drift.
      histograms: buildHistograms(schema, encoder.encode(rows.map((r) => r.features))),
    };
  }
}
