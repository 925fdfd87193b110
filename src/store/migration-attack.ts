/**
 * Migration `0006_attack`: imported ATT&CK catalogs, one per domain (`attack_imports`), with their
 * tactics, techniques and sub-techniques, and the analytics' log-source references per technique.
 * Child rows cascade from the domain's import row, so an import replaces them by deleting it.
 * See `docs/attack.md`. Append-only once shipped.
 */
import { type Kysely, type Migration, sql } from 'kysely';

export const attackMigration: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await sql`
      CREATE TABLE attack_imports (
        domain text PRIMARY KEY,
        name text NOT NULL,
        version text,
        version_source text NOT NULL,
        stix_version text NOT NULL,
        attack_spec_version text,
        modified text,
        source text NOT NULL,
        sha256 text NOT NULL,
        imported_at timestamptz NOT NULL,
        imported_by text NOT NULL,
        counts jsonb NOT NULL,
        warnings jsonb NOT NULL,
        other_ids jsonb NOT NULL
      )`.execute(db);
    await sql`
      CREATE TABLE attack_tactics (
        domain text NOT NULL REFERENCES attack_imports (domain) ON DELETE CASCADE,
        id text NOT NULL,
        shortname text NOT NULL,
        name text NOT NULL,
        position integer NOT NULL,
        PRIMARY KEY (domain, id),
        UNIQUE (domain, shortname)
      )`.execute(db);
    await sql`
      CREATE TABLE attack_techniques (
        domain text NOT NULL REFERENCES attack_imports (domain) ON DELETE CASCADE,
        id text NOT NULL,
        name text NOT NULL,
        tactics jsonb NOT NULL,
        platforms jsonb NOT NULL,
        subtechnique boolean NOT NULL,
        status text NOT NULL,
        revoked_by text,
        PRIMARY KEY (domain, id)
      )`.execute(db);
    await sql`
      CREATE TABLE attack_log_sources (
        domain text NOT NULL REFERENCES attack_imports (domain) ON DELETE CASCADE,
        technique_id text NOT NULL,
        strategy_id text NOT NULL,
        analytic_id text NOT NULL,
        name text NOT NULL,
        channel text NOT NULL,
        data_component text
      )`.execute(db);
    await sql`CREATE INDEX attack_log_sources_technique ON attack_log_sources (domain, technique_id)`.execute(
      db,
    );
  },
};
