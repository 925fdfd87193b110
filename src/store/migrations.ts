/**
 * Schema migrations, run at start by Kysely's `Migrator` (same DDL on PGlite and PostgreSQL).
 * Append new migrations; never edit one that has shipped.
 */
import { type Kysely, type Migration, type MigrationProvider, Migrator, sql } from 'kysely';
import { accountsMigration } from './migration-accounts.js';
import { attackMigration } from './migration-attack.js';
import { correlationMigration } from './migration-correlation.js';
import { incidentsMigration } from './migration-incidents.js';
import { riskMigration } from './migration-risk.js';
import { mlMigration } from './migration-ml.js';
import { uebaMigration } from './migration-ueba.js';
import { templatesMigration } from './migration-templates.js';
import { assetsMigration } from './migration-assets.js';

const migrations: Record<string, Migration> = {
  '0001_service': {
    async up(db: Kysely<unknown>): Promise<void> {
      await sql`
        CREATE TABLE events (
          id bigint PRIMARY KEY,
          timestamp timestamptz NOT NULL,
          ingested timestamptz NOT NULL,
          source text NOT NULL,
          decoder text NOT NULL,
          format text NOT NULL,
          logsource jsonb NOT NULL,
          ecs jsonb NOT NULL,
          original text NOT NULL
        )`.execute(db);
      await sql`CREATE INDEX events_timestamp ON events (timestamp, id)`.execute(db);
      await sql`CREATE INDEX events_ingested ON events USING brin (ingested)`.execute(db);
      await sql`CREATE INDEX events_ecs ON events USING gin (ecs jsonb_path_ops)`.execute(db);
      await sql`
        CREATE TABLE dead_letters (
          id bigserial PRIMARY KEY,
          received timestamptz NOT NULL,
          source text NOT NULL,
          line integer,
          reason text NOT NULL,
          raw text NOT NULL,
          replayed_at timestamptz
        )`.execute(db);
      await sql`
        CREATE TABLE alerts (
          id bigserial PRIMARY KEY,
          rule_id text NOT NULL,
          rule_title text NOT NULL,
          level text NOT NULL,
          status text NOT NULL,
          entity_key text NOT NULL,
          host_name text,
          user_name text,
          source_ip text,
          techniques jsonb NOT NULL,
          tactics jsonb NOT NULL,
          first_event_id bigint NOT NULL,
          event_count integer NOT NULL,
          first_seen timestamptz NOT NULL,
          last_seen timestamptz NOT NULL,
          created_at timestamptz NOT NULL,
          updated_at timestamptz NOT NULL,
          document jsonb NOT NULL,
          evidence jsonb NOT NULL
        )`.execute(db);
      await sql`CREATE INDEX alerts_created ON alerts (created_at, id)`.execute(db);
      await sql`CREATE INDEX alerts_open ON alerts (rule_id, entity_key, last_seen) WHERE status IN ('new', 'acknowledged', 'in_progress')`.execute(
        db,
      );
      await sql`
        CREATE TABLE alert_events (
          rule_id text NOT NULL,
          event_id bigint NOT NULL,
          alert_id bigint NOT NULL REFERENCES alerts (id) ON DELETE CASCADE,
          PRIMARY KEY (rule_id, event_id)
        )`.execute(db);
      await sql`
        CREATE TABLE alert_history (
          id bigserial PRIMARY KEY,
          alert_id bigint NOT NULL REFERENCES alerts (id) ON DELETE CASCADE,
          at timestamptz NOT NULL,
          actor text NOT NULL,
          status text NOT NULL,
          comment text
        )`.execute(db);
      await sql`CREATE TABLE cursors (name text PRIMARY KEY, position bigint NOT NULL)`.execute(db);
      await sql`
        CREATE TABLE rule_uploads (
          rule_id text PRIMARY KEY,
          yaml text NOT NULL,
          created_at timestamptz NOT NULL,
          updated_at timestamptz NOT NULL
        )`.execute(db);
      await sql`
        CREATE TABLE rule_states (
          rule_id text PRIMARY KEY,
          enabled boolean NOT NULL,
          updated_at timestamptz NOT NULL
        )`.execute(db);
      await sql`
        CREATE TABLE sigma_filters (
          id text PRIMARY KEY,
          title text NOT NULL,
          yaml text NOT NULL,
          enabled boolean NOT NULL,
          created_at timestamptz NOT NULL,
          updated_at timestamptz NOT NULL
        )`.execute(db);
      await sql`
        CREATE TABLE audit_log (
          id bigserial PRIMARY KEY,
          at timestamptz NOT NULL,
          actor text NOT NULL,
          action text NOT NULL,
          target text NOT NULL,
          details jsonb NOT NULL
        )`.execute(db);
    },
  },
  '0002_accounts': accountsMigration,
  '0003_correlation': correlationMigration,
  '0004_incidents': incidentsMigration,
  '0005_risk': riskMigration,
  '0006_attack': attackMigration,
  '0007_ml': mlMigration,
  '0008_ueba': uebaMigration,
  '0009_templates': templatesMigration,
  '0010_assets': assetsMigration,
};

const provider: MigrationProvider = { getMigrations: () => Promise.resolve(migrations) };

/**
 * Brings the schema up to date.
 * @throws Error naming the failed migration
 */
export async function migrate(db: Kysely<unknown>): Promise<void> {
  const { error, results } = await new Migrator({ db, provider }).migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    throw new Error(`database migration ${failed} failed: ${(error as Error).message}`, { cause: error });
  }
}
