/**
 * Contracts between the service's ML parts: the model registry and training jobs (`src/ml/`),
 * the trainers that produce models (UEBA, `src/ml/ueba/`) and the scorers that use the active
 * ones (the detection stage). See `docs/ml.md`.
 */
import type { Kysely } from 'kysely';
import type { FeatureHistogram } from '../detect/anomaly/drift.js';
import type { ModelFile } from '../detect/model-file.js';
import type { DatabaseSchema } from '../store/schema.js';

/** Registry status of a model version. Exactly one `active` version per model name at most. */
export type ModelStatus = 'active' | 'shadow' | 'retired';

/** Binned distribution of one feature over the training window (the PSI reference); defined with the PSI code. */
export type { FeatureHistogram } from '../detect/anomaly/drift.js';

/** What a trainer returns: the model and what the registry keeps about it. */
export interface TrainedModel {
  /** The model file (`src/detect/model-file.ts`), stored as is. */
  readonly file: ModelFile;
  /** Event-time span the training read. */
  readonly window: { readonly from: Date; readonly to: Date };
  /** Rows (entity windows, events) trained on. */
  readonly rows: number;
  /**
   * Training figures (score quantiles, threshold, …), shown in the registry. Training score
   * quantiles under `score_p50`, `score_p95`, `score_p99` appear beside the recent ones in
   * `GET /api/v1/metrics/ml`.
   */
  readonly metrics: Readonly<Record<string, number | string>>;
  /** Per-feature training distributions, for drift. */
  readonly histograms: readonly FeatureHistogram[];
}

/** Progress callback: `fraction` in [0, 1], a short phase label. */
export type TrainingProgress = (fraction: number, phase: string) => void;

/** A model the service can (re)train from stored data. */
export interface ModelTrainer {
  /** Registry name (`ueba-user`, `ueba-host`, `ueba-ip`, …). */
  readonly name: string;
  readonly description: string;
  /**
   * Trains from stored data in the window.
   * @throws VigilError `VIGIL_ERR_ML_NO_DATA` when the window holds too little to train on
   */
  train(
    db: Kysely<DatabaseSchema>,
    window: { readonly from: Date; readonly to: Date },
    progress: TrainingProgress,
    signal: AbortSignal,
  ): Promise<TrainedModel>;
}

/** A registry entry as the API returns it. */
export interface ModelVersion {
  readonly id: number;
  readonly name: string;
  readonly version: number;
  readonly status: ModelStatus;
  readonly kind: string;
  readonly params: Readonly<Record<string, unknown>>;
  readonly metrics: Readonly<Record<string, number | string>>;
  readonly window: { readonly from: string; readonly to: string };
  readonly rows: number;
  readonly created_at: string;
  readonly job_id: number | null;
}

/** Read access to the active models, for scorers (refreshed when the registry changes). */
export interface ActiveModels {
  /** The active version of a model and its file, or undefined when none is active. */
  active(name: string): { readonly version: ModelVersion; readonly file: ModelFile } | undefined;
  /** Shadow versions of a model (scored and recorded, never alerting). */
  shadows(name: string): readonly { readonly version: ModelVersion; readonly file: ModelFile }[];
  /** Called after any status change or new version. */
  onChange(listener: () => void): void;
}
