/**
 * Kysely table types for incidents (case management); merged into DatabaseSchema (schema.ts).
 * The DDL is `migration-incidents.ts`.
 */
import type { ColumnType, Generated, JSONColumnType } from 'kysely';

type Timestamp = ColumnType<Date, Date | string, Date | string>;

export interface IncidentsTable {
  id: Generated<number>;
  /** `alerts` (automatic grouping), `risk` (an entity crossed its risk threshold), `manual`. */
  kind: string;
  title: string;
  /** Markdown, stored as text. */
  description: string;
  /** A Sigma level: informational, low, medium, high, critical. */
  severity: string;
  /** open, investigating, contained, resolved, false_positive, duplicate. */
  status: string;
  /** A user name. */
  assignee: string | null;
  tags: JSONColumnType<string[], string, string>;
  /** For `risk` incidents: the entity whose risk crossed the threshold, `type:value`. */
  risk_subject: string | null;
  /** Highest risk score seen on the incident's entities (0-100+). */
  risk_score: number | null;
  /** Set when merged into another incident (status `duplicate`). */
  duplicate_of: number | null;
  alert_count: number;
  /** Matched events over the linked alerts (suppressed repeats included). */
  event_count: number;
  /** Event time of the earliest linked alert's first event. */
  first_seen: Timestamp | null;
  /** Event time of the latest linked alert's last event. */
  last_seen: Timestamp | null;
  /** When the earliest linked alert was raised (its `created_at`). */
  first_alert_at: Timestamp | null;
  created_at: Timestamp;
  updated_at: Timestamp;
  /** First move out of `open`. */
  acknowledged_at: Timestamp | null;
  /** First move to `contained`. */
  contained_at: Timestamp | null;
  /** Closed (resolved, false_positive, duplicate); cleared when reopened. */
  resolved_at: Timestamp | null;
  /** Actor name: `system`, `user:<name>`, `key:<id>`. */
  created_by: string;
}

/** The entities an incident groups alerts on, with the event-time span they were seen in it. */
export interface IncidentEntitiesTable {
  incident_id: number;
  /** host, user, ip, rule. */
  type: string;
  value: string;
  first_seen: Timestamp;
  last_seen: Timestamp;
}

/** Alert ↔ incident links; an alert belongs to at most one incident (primary key `alert_id`). */
export interface IncidentAlertsTable {
  alert_id: number;
  incident_id: number;
  linked_at: Timestamp;
  linked_by: string;
}

export interface IncidentCommentsTable {
  id: Generated<number>;
  incident_id: number;
  author: string;
  /** Markdown, stored as text, never rendered by the server. */
  body: string;
  created_at: Timestamp;
}

export interface IncidentObservablesTable {
  id: Generated<number>;
  incident_id: number;
  /** ip, host, user, hash, domain, url. */
  type: string;
  /** Normalized (lower-case hashes and domains, canonical IP text). */
  value: string;
  description: string | null;
  created_by: string;
  created_at: Timestamp;
}

export interface IncidentTasksTable {
  id: Generated<number>;
  incident_id: number;
  title: string;
  /** todo, done. */
  status: string;
  assignee: string | null;
  created_by: string;
  created_at: Timestamp;
  updated_at: Timestamp;
  done_at: Timestamp | null;
}

/** Append-only (a trigger refuses UPDATE and DELETE). */
export interface IncidentTimelineTable {
  id: Generated<number>;
  incident_id: number;
  at: Timestamp;
  actor: string;
  kind: string;
  details: JSONColumnType<Record<string, unknown>, string, string>;
}

export interface IncidentsTables {
  incidents: IncidentsTable;
  incident_entities: IncidentEntitiesTable;
  incident_alerts: IncidentAlertsTable;
  incident_comments: IncidentCommentsTable;
  incident_observables: IncidentObservablesTable;
  incident_tasks: IncidentTasksTable;
  incident_timeline: IncidentTimelineTable;
}
