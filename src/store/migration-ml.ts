/**
 * Migration `0007_ml`: model registry (`ml_models`), training jobs (`ml_training_jobs`) and scored
 * entity windows (`ml_scores`). See `docs/ml-registry.md`. Append-only once shipped.
 */
import { type Kysely, type Migration, sql } from 'kysely';

export const mlMigration: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await sql`
      CREATE TABLE ml_models (
        id bigserial PRIMARY KEY,
        name text NOT NULL,
        version integer NOT NULL,
        status text NOT NULL,
        kind text NOT NULL,
        params jsonb NOT NULL,
        metrics jsonb NOT NULL,
        window_from timestamptz NOT NULL,
        window_to timestamptz NOT NULL,
        rows integer NOT NULL,
        histograms jsonb NOT NULL,
        file text NOT NULL,
        job_id bigint,
        created_at timestamptz NOT NULL,
        status_at timestamptz NOT NULL,
        UNIQUE (name, version)
      )`.execute(db);
    // The promotion policy's invariants, also under concurrent writers.
    await sql`CREATE UNIQUE INDEX ml_models_one_active ON ml_models (name) WHERE status = 'active'`.execute(
      db,
    );
    await sql`CREATE UNIQUE INDEX ml_models_one_shadow ON ml_models (name) WHERE status = 'shadow'`.execute(
      db,
    );
    await sql`CREATE INDEX ml_models_created ON ml_models (created_at, id)`.execute(db);
    await sql`
      CREATE TABLE ml_training_jobs (
        id bigserial PRIMARY KEY,
        model text NOT NULL,
        status text NOT NULL,
        progress double precision NOT NULL,
        phase text NOT NULL,
        window_from timestamptz NOT NULL,
        window_to timestamptz NOT NULL,
        shadow boolean NOT NULL,
        trigger text NOT NULL,
        actor text NOT NULL,
        created_at timestamptz NOT NULL,
        started_at timestamptz,
        finished_at timestamptz,
        error text,
        model_version_id bigint
      )`.execute(db);
    // One unfinished job per model (the busy check holds across instances).
    await sql`CREATE UNIQUE INDEX ml_training_jobs_one_open ON ml_training_jobs (model) WHERE status IN ('queued', 'running')`.execute(
      db,
    );
    await sql`CREATE INDEX ml_training_jobs_created ON ml_training_jobs (created_at, id)`.execute(db);
    await sql`
      CREATE TABLE ml_scores (
        id bigserial PRIMARY KEY,
        model_name text NOT NULL,
        model_version_id bigint,
        shadow boolean NOT NULL,
        entity_type text NOT NULL,
        entity_value text NOT NULL,
        window_start timestamptz NOT NULL,
        window_end timestamptz NOT NULL,
        score double precision NOT NULL,
        features jsonb NOT NULL,
        top jsonb NOT NULL,
        alerted boolean NOT NULL,
        created_at timestamptz NOT NULL
      )`.execute(db);
    await sql`CREATE INDEX ml_scores_version ON ml_scores (model_version_id, created_at)`.execute(db);
    await sql`CREATE INDEX ml_scores_model ON ml_scores (model_name, created_at)`.execute(db);
    await sql`CREATE INDEX ml_scores_entity ON ml_scores (entity_type, entity_value, window_end)`.execute(db);
  },
};
