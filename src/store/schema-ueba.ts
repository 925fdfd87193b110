/**
 * Kysely table types for UEBA state, open window accumulators, baselines and process counts;
 * merged into DatabaseSchema (schema.ts). The DDL is in `migration-ueba.ts`; `docs/ueba.md`
 * explains them. Scored windows are `ml_scores` (`schema-ml.ts`).
 */
import type { ColumnType, JSONColumnType } from 'kysely';
import type { Baseline } from '../detect/ueba/baseline.js';
import type { WindowJSON } from '../detect/ueba/window.js';

type Timestamp = ColumnType<Date, Date | string, Date | string>;
type Json<T extends object> = JSONColumnType<T, string, string>;

/** One row per UEBA scorer (`detection`): what it has counted, written with the detection cursor. */
export interface UebaStateTable {
  name: string;
  /** Id of the last stored event counted (a replayed event at or below it is not counted again). */
  position: number;
  /** Latest event time seen. */
  watermark: Timestamp | null;
  /** Every window ending at or before this has closed; events of such windows are late. */
  closed_before: Timestamp | null;
  /** Process starts in `ueba_processes`. */
  process_total: number;
  updated_at: Timestamp;
}

/** An open window accumulator (`EntityWindow.toJSON()`). */
export interface UebaWindowsTable {
  entity_type: string;
  entity_value: string;
  window_start: Timestamp;
  window_end: Timestamp;
  state: Json<WindowJSON>;
  updated_at: Timestamp;
}

/** An entity's baseline; `entity_value` '' is the population baseline of `entity_type`. */
export interface UebaBaselinesTable {
  entity_type: string;
  entity_value: string;
  windows: number;
  first_seen: Timestamp | null;
  last_seen: Timestamp | null;
  baseline: Json<Baseline>;
  /** The latest closed window: start, features (null = unknown) and score (null: not scored). */
  last_window_start: Timestamp | null;
  last_features: Json<Record<string, number | null>> | null;
  last_score: number | null;
  updated_at: Timestamp;
}

/** Global started-process counts by lower-case file name (process rarity). */
export interface UebaProcessesTable {
  name: string;
  count: ColumnType<number, number, number>;
}

export interface UebaTables {
  ueba_state: UebaStateTable;
  ueba_windows: UebaWindowsTable;
  ueba_baselines: UebaBaselinesTable;
  ueba_processes: UebaProcessesTable;
}
