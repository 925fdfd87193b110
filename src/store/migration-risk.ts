/**
 * Migration `0005_risk`: entity risk (`risk_entities`, one row per host, user or source IP) and the
 * alerts that explain each score (`risk_contributions`, the latest per entity). See `docs/risk.md`.
 * Append-only once shipped.
 */
import { type Kysely, type Migration, sql } from 'kysely';

export const riskMigration: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await sql`
      CREATE TABLE risk_entities (
        type text NOT NULL,
        value text NOT NULL,
        score double precision NOT NULL,
        score_at timestamptz NOT NULL,
        rank double precision NOT NULL,
        half_life_ms bigint NOT NULL,
        crossed boolean NOT NULL,
        crossed_at timestamptz,
        first_seen timestamptz NOT NULL,
        last_seen timestamptz NOT NULL,
        alerts integer NOT NULL,
        repeats integer NOT NULL,
        tactics jsonb NOT NULL,
        rules jsonb NOT NULL,
        kept integer NOT NULL,
        remainder_points double precision NOT NULL,
        remainder_at timestamptz,
        remainder_alerts integer NOT NULL,
        PRIMARY KEY (type, value)
      )`.execute(db);
    await sql`CREATE INDEX risk_entities_rank ON risk_entities (rank DESC, type, value)`.execute(db);
    // No foreign key to alerts: an explanation outlives the alert it names (it carries the rule).
    await sql`
      CREATE TABLE risk_contributions (
        entity_type text NOT NULL,
        entity_value text NOT NULL,
        alert_id bigint NOT NULL,
        rule_id text NOT NULL,
        rule_name text NOT NULL,
        level text NOT NULL,
        status text,
        tactics jsonb NOT NULL,
        new_tactics jsonb NOT NULL,
        base double precision NOT NULL,
        status_multiplier double precision NOT NULL,
        diversity_multiplier double precision NOT NULL,
        repetition_multiplier double precision NOT NULL,
        earlier double precision NOT NULL,
        points double precision NOT NULL,
        scored_at timestamptz NOT NULL,
        repeat_count integer NOT NULL,
        repeat_points double precision NOT NULL,
        repeat_at timestamptz,
        last_at timestamptz NOT NULL,
        PRIMARY KEY (entity_type, entity_value, alert_id)
      )`.execute(db);
    await sql`CREATE INDEX risk_contributions_alert ON risk_contributions (alert_id)`.execute(db);
    await sql`CREATE INDEX risk_contributions_last ON risk_contributions (entity_type, entity_value, last_at, alert_id)`.execute(
      db,
    );
  },
};
