/**
 * Migration `0009_templates`: log templates mined from syslog lines no decoder understood
 * (`log_templates`), their counts per hour of event time and host (`log_template_counts`) and the
 * miner's saved state (`log_template_miner`, one row). See `docs/templates-service.md`.
 * Append-only once shipped.
 */
import { type Kysely, type Migration, sql } from 'kysely';

export const templatesMigration: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    // `id` is the miner's template id (`vigil.template.id` of the events), stable across restarts.
    // A template the miner merged into another keeps its row with `merged_into` set; its counts
    // move to the survivor.
    await sql`
      CREATE TABLE log_templates (
        id integer PRIMARY KEY,
        template text NOT NULL,
        sample text NOT NULL,
        count bigint NOT NULL,
        first_seen timestamptz,
        last_seen timestamptz,
        merged_into integer,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL
      )`.execute(db);
    await sql`CREATE INDEX log_templates_count ON log_templates (count DESC, id DESC)`.execute(db);
    await sql`CREATE INDEX log_templates_merged ON log_templates (merged_into) WHERE merged_into IS NOT NULL`.execute(
      db,
    );
    // No foreign key: counts are derived data, rebuilt from the events (`vigil.template.id`).
    await sql`
      CREATE TABLE log_template_counts (
        template_id integer NOT NULL,
        bucket timestamptz NOT NULL,
        host_name text NOT NULL,
        count bigint NOT NULL,
        PRIMARY KEY (template_id, bucket, host_name)
      )`.execute(db);
    await sql`CREATE INDEX log_template_counts_bucket ON log_template_counts (bucket, host_name)`.execute(db);
    await sql`
      CREATE TABLE log_template_miner (
        id smallint PRIMARY KEY CHECK (id = 1),
        state text NOT NULL,
        templates integer NOT NULL,
        saved_at timestamptz NOT NULL
      )`.execute(db);
  },
};
