/**
 * Migration `0008_ueba`: UEBA state (`ueba_state`: the counted position and the window clock),
 * open window accumulators (`ueba_windows`), entity and population baselines (`ueba_baselines`)
 * and global process counts (`ueba_processes`). Scored windows go to `ml_scores` (0007). See
 * `docs/ueba.md`. Append-only once shipped.
 */
import { type Kysely, type Migration, sql } from 'kysely';

export const uebaMigration: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await sql`
      CREATE TABLE ueba_state (
        name text PRIMARY KEY,
        position bigint NOT NULL,
        watermark timestamptz,
        closed_before timestamptz,
        process_total bigint NOT NULL,
        updated_at timestamptz NOT NULL
      )`.execute(db);
    await sql`
      CREATE TABLE ueba_windows (
        entity_type text NOT NULL,
        entity_value text NOT NULL,
        window_start timestamptz NOT NULL,
        window_end timestamptz NOT NULL,
        state jsonb NOT NULL,
        updated_at timestamptz NOT NULL,
        PRIMARY KEY (entity_type, entity_value, window_start)
      )`.execute(db);
    // entity_value '' is the entity type's population baseline (no entity has an empty value).
    await sql`
      CREATE TABLE ueba_baselines (
        entity_type text NOT NULL,
        entity_value text NOT NULL,
        windows integer NOT NULL,
        first_seen timestamptz,
        last_seen timestamptz,
        baseline jsonb NOT NULL,
        last_window_start timestamptz,
        last_features jsonb,
        last_score double precision,
        updated_at timestamptz NOT NULL,
        PRIMARY KEY (entity_type, entity_value)
      )`.execute(db);
    await sql`CREATE TABLE ueba_processes (name text PRIMARY KEY, count bigint NOT NULL)`.execute(db);
  },
};
