/**
 * Scored entity windows (`ml_scores`): one row per (model version, entity, window) a scorer
 * scored, active or shadow. Written by the UEBA scorer inside the detection transaction; read by
 * drift (`src/ml/drift.ts`) and the ML metrics (`src/ml/metrics.ts`).
 */
import { type Kysely, sql } from 'kysely';
import type { DatabaseSchema } from './schema.js';

type Db = Kysely<DatabaseSchema>;

/** One scored window, as a scorer records it. */
export interface NewScore {
  /** Registry name (`ueba-user`, …). */
  readonly modelName: string;
  /** `ml_models.id` of the version that scored (null: no registered version, e.g. a built-in). */
  readonly modelVersionId: number | null;
  /** Scored by a shadow version (never alerts). */
  readonly shadow: boolean;
  /** `user`, `host`, `ip`. */
  readonly entityType: string;
  readonly entityValue: string;
  readonly windowStart: Date;
  readonly windowEnd: Date;
  /** Anomaly score in [0, 1]. */
  readonly score: number;
  /**
   * Feature name → value as the model read it (encoded: a categorical feature's category code;
   * null or NaN = missing). Drift bins these with the version's training histograms.
   */
  readonly features: Readonly<Record<string, number | null>>;
  /** The explanation (top contributing features), stored as given. */
  readonly top: readonly unknown[];
  /** Whether the window raised an alert. */
  readonly alerted: boolean;
  /** Scoring time (default: now). */
  readonly createdAt?: Date;
}

/** Rows per INSERT (13 parameters each, well under PostgreSQL's 65,535). */
const CHUNK = 1000;

function finiteOrNull(features: Readonly<Record<string, number | null>>): Record<string, number | null> {
  const out: Record<string, number | null> = {};
  for (const [k, v] of Object.entries(features))
    out[k] = typeof v === 'number' && Number.isFinite(v) ? v : null;
  return out;
}

/**
 * Appends scored windows (inside the caller's transaction when `trx` is one). Non-finite feature
 * values are stored as null (missing).
 */
export async function recordScores(trx: Db, rows: readonly NewScore[]): Promise<void> {
  const now = new Date();
  for (let i = 0; i < rows.length; i += CHUNK) {
    await trx
      .insertInto('ml_scores')
      .values(
        rows.slice(i, i + CHUNK).map((r) => ({
          model_name: r.modelName,
          model_version_id: r.modelVersionId,
          shadow: r.shadow,
          entity_type: r.entityType,
          entity_value: r.entityValue,
          window_start: r.windowStart,
          window_end: r.windowEnd,
          score: Number.isFinite(r.score) ? r.score : 0,
          features: JSON.stringify(finiteOrNull(r.features)),
          top: JSON.stringify(r.top),
          alerted: r.alerted,
          created_at: r.createdAt ?? now,
        })),
      )
      .execute();
  }
}

/**
 * The feature values of the latest windows a version scored since `since` (newest first), for
 * drift: at most `limit` rows.
 */
export async function readScoredFeatures(
  db: Db,
  versionId: number,
  since: Date,
  limit: number,
): Promise<Record<string, number | null>[]> {
  const rows = await db
    .selectFrom('ml_scores')
    .select('features')
    .where('model_version_id', '=', versionId)
    .where('created_at', '>=', since)
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(limit)
    .execute();
  return rows.map((r) => r.features);
}

/** Per model name: windows scored by non-shadow versions (all time and since), alerts raised. */
export interface ScoreCounts {
  readonly model: string;
  readonly scored: number;
  readonly scoredRecent: number;
  readonly alerts: number;
}

/** Counts of scored windows and alerts per model name (shadow rows excluded). */
export async function readScoreCounts(db: Db, since: Date): Promise<ScoreCounts[]> {
  const rows = await db
    .selectFrom('ml_scores')
    .select([
      'model_name',
      sql<string>`count(*)`.as('scored'),
      sql<string>`count(*) FILTER (WHERE created_at >= ${since})`.as('recent'),
      sql<string>`count(*) FILTER (WHERE alerted)`.as('alerts'),
    ])
    .where('shadow', '=', false)
    .groupBy('model_name')
    .orderBy('model_name')
    .execute();
  return rows.map((r) => ({
    model: r.model_name,
    scored: Number(r.scored),
    scoredRecent: Number(r.recent),
    alerts: Number(r.alerts),
  }));
}

/**
 * Quantiles of the scores a version gave since `since` (linear interpolation,
 * `percentile_cont`); null when it scored nothing.
 * @param quantiles - in [0, 1], e.g. `[0.5, 0.95, 0.99]`
 */
export async function readScoreQuantiles(
  db: Db,
  versionId: number,
  since: Date,
  quantiles: readonly number[],
): Promise<{ count: number; values: number[] } | null> {
  const q = sql.join(quantiles.map((x) => sql`${x}::double precision`));
  const row = await db
    .selectFrom('ml_scores')
    .select([
      sql<string>`count(*)`.as('n'),
      sql<number[] | null>`percentile_cont(ARRAY[${q}]) WITHIN GROUP (ORDER BY score)`.as('qs'),
    ])
    .where('model_version_id', '=', versionId)
    .where('created_at', '>=', since)
    .executeTakeFirst();
  const n = Number(row?.n ?? 0);
  if (!row?.qs || n === 0) return null;
  return { count: n, values: row.qs.map(Number) };
}
