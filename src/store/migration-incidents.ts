/**
 * Migration for incidents (`docs/incidents.md`): the incidents, the entities they group alerts
 * on, alert links (an alert in at most one incident), comments, observables, tasks and the
 * append-only timeline. Append-only once shipped.
 */
import { type Kysely, type Migration, sql } from 'kysely';

export const incidentsMigration: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await sql`
      CREATE TABLE incidents (
        id bigserial PRIMARY KEY,
        kind text NOT NULL,
        title text NOT NULL,
        description text NOT NULL,
        severity text NOT NULL,
        status text NOT NULL,
        assignee text,
        tags jsonb NOT NULL,
        risk_subject text,
        risk_score double precision,
        duplicate_of bigint REFERENCES incidents (id),
        alert_count integer NOT NULL,
        event_count integer NOT NULL,
        first_seen timestamptz,
        last_seen timestamptz,
        first_alert_at timestamptz,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL,
        acknowledged_at timestamptz,
        contained_at timestamptz,
        resolved_at timestamptz,
        created_by text NOT NULL
      )`.execute(db);
    await sql`CREATE INDEX incidents_created ON incidents (created_at, id)`.execute(db);
    await sql`CREATE INDEX incidents_updated ON incidents (updated_at, id)`.execute(db);
    await sql`CREATE INDEX incidents_status ON incidents (status, created_at)`.execute(db);
    await sql`CREATE INDEX incidents_assignee ON incidents (assignee) WHERE assignee IS NOT NULL`.execute(db);
    await sql`CREATE INDEX incidents_tags ON incidents USING gin (tags jsonb_path_ops)`.execute(db);
    await sql`CREATE INDEX incidents_risk_subject ON incidents (risk_subject) WHERE risk_subject IS NOT NULL`.execute(
      db,
    );
    await sql`
      CREATE TABLE incident_entities (
        incident_id bigint NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
        type text NOT NULL,
        value text NOT NULL,
        first_seen timestamptz NOT NULL,
        last_seen timestamptz NOT NULL,
        PRIMARY KEY (incident_id, type, value)
      )`.execute(db);
    await sql`CREATE INDEX incident_entities_lookup ON incident_entities (type, value, last_seen)`.execute(
      db,
    );
    await sql`
      CREATE TABLE incident_alerts (
        alert_id bigint PRIMARY KEY REFERENCES alerts (id) ON DELETE CASCADE,
        incident_id bigint NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
        linked_at timestamptz NOT NULL,
        linked_by text NOT NULL
      )`.execute(db);
    await sql`CREATE INDEX incident_alerts_incident ON incident_alerts (incident_id, alert_id)`.execute(db);
    await sql`
      CREATE TABLE incident_comments (
        id bigserial PRIMARY KEY,
        incident_id bigint NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
        author text NOT NULL,
        body text NOT NULL,
        created_at timestamptz NOT NULL
      )`.execute(db);
    await sql`CREATE INDEX incident_comments_incident ON incident_comments (incident_id, id)`.execute(db);
    await sql`
      CREATE TABLE incident_observables (
        id bigserial PRIMARY KEY,
        incident_id bigint NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
        type text NOT NULL,
        value text NOT NULL,
        description text,
        created_by text NOT NULL,
        created_at timestamptz NOT NULL,
        UNIQUE (incident_id, type, value)
      )`.execute(db);
    await sql`CREATE INDEX incident_observables_value ON incident_observables (type, value)`.execute(db);
    await sql`
      CREATE TABLE incident_tasks (
        id bigserial PRIMARY KEY,
        incident_id bigint NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
        title text NOT NULL,
        status text NOT NULL,
        assignee text,
        created_by text NOT NULL,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL,
        done_at timestamptz
      )`.execute(db);
    await sql`CREATE INDEX incident_tasks_incident ON incident_tasks (incident_id, id)`.execute(db);
    await sql`
      CREATE TABLE incident_timeline (
        id bigserial PRIMARY KEY,
        incident_id bigint NOT NULL REFERENCES incidents (id),
        at timestamptz NOT NULL,
        actor text NOT NULL,
        kind text NOT NULL,
        details jsonb NOT NULL
      )`.execute(db);
    await sql`CREATE INDEX incident_timeline_incident ON incident_timeline (incident_id, id)`.execute(db);
    // Append-only, like the audit log: the service never rewrites history; the trigger stops a
    // mistake (or a hand-typed UPDATE) from doing it.
    await sql`
      CREATE FUNCTION incident_timeline_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'incident_timeline is append-only';
      END $$`.execute(db);
    await sql`
      CREATE TRIGGER incident_timeline_append_only BEFORE UPDATE OR DELETE ON incident_timeline
      FOR EACH ROW EXECUTE FUNCTION incident_timeline_append_only()`.execute(db);
  },
};
