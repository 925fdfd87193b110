/**
 * Kysely table types for the model registry (`ml_models`), training jobs (`ml_training_jobs`) and
 * scored entity windows (`ml_scores`); merged into DatabaseSchema (schema.ts). The DDL is in
 * `migration-ml.ts`; `docs/ml-registry.md` explains the statuses and the drift they feed.
 */
import type { ColumnType, Generated, JSONColumnType } from 'kysely';

type Timestamp = ColumnType<Date, Date | string, Date | string>;
type Json<T extends object> = JSONColumnType<T, string, string>;

/** One trained version of a model. At most one `active` and one `shadow` row per `name`. */
export interface MlModelsTable {
  id: Generated<number>;
  /** Registry name (`ueba-user`, …). */
  name: string;
  /** 1, 2, … per name. */
  version: number;
  /** `active` | `shadow` | `retired`. */
  status: string;
  /** Model file kind (`isolation-forest`, …). */
  kind: string;
  params: Json<Record<string, unknown>>;
  metrics: Json<Record<string, number | string>>;
  /** Event-time span the training read. */
  window_from: Timestamp;
  window_to: Timestamp;
  rows: number;
  /** Per-feature training distributions (`FeatureHistogram[]`), the drift reference. */
  histograms: Json<{ feature: string; edges: number[]; fractions: number[] }[]>;
  /** The model file as JSON text (parsed once into the registry's cache). */
  file: string;
  job_id: number | null;
  created_at: Timestamp;
  status_at: Timestamp;
}

/** One training run of one model. At most one `queued`/`running` row per `model`. */
export interface MlTrainingJobsTable {
  id: Generated<number>;
  model: string;
  /** `queued` | `running` | `succeeded` | `failed` | `cancelled`. */
  status: string;
  /** 0..1. */
  progress: number;
  phase: string;
  window_from: Timestamp;
  window_to: Timestamp;
  /** Register the result as `shadow` instead of `active`. */
  shadow: boolean;
  /** `api` | `schedule` | `start`. */
  trigger: string;
  /** Audit actor name of the request (`system` for scheduled runs). */
  actor: string;
  created_at: Timestamp;
  started_at: Timestamp | null;
  finished_at: Timestamp | null;
  error: string | null;
  model_version_id: number | null;
}

/** One scored entity window (UEBA), active or shadow version. */
export interface MlScoresTable {
  id: Generated<number>;
  model_name: string;
  model_version_id: number | null;
  shadow: boolean;
  entity_type: string;
  entity_value: string;
  window_start: Timestamp;
  window_end: Timestamp;
  /** Anomaly score in [0, 1]. */
  score: number;
  /** Feature name → value (null = missing). */
  features: Json<Record<string, number | null>>;
  /** The explanation: top contributing features. */
  top: Json<unknown[]>;
  alerted: boolean;
  /** When the window was scored (drift and ML metrics count from this). */
  created_at: Timestamp;
}

export interface MlTables {
  ml_models: MlModelsTable;
  ml_training_jobs: MlTrainingJobsTable;
  ml_scores: MlScoresTable;
}
