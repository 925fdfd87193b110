/**
 * The database schema as Kysely table types (one schema for PGlite and PostgreSQL; the DDL is in
 * `migrations.ts`). Timestamps are `timestamptz`, read back as `Date`; `bigint` ids are read as
 * numbers (ids stay below 2^53).
 */
import type { ColumnType, Generated, JSONColumnType } from 'kysely';

type Timestamp = ColumnType<Date, Date | string, Date | string>;
type Json<T extends object> = JSONColumnType<T, string, string>;

export interface EventsTable {
  /** Assigned by the single event writer, gap-free, so the detection cursor can trust it. */
  id: number;
  /** Event time (`@timestamp`); the ingest time when the event has none. */
  timestamp: Timestamp;
  /** `event.ingested`: when Vigil stored it. */
  ingested: Timestamp;
  /** Where it arrived: `http`, `es-bulk`, `syslog-udp`, `syslog-tcp`. */
  source: string;
  /** The decoder's shape id (`windows-evtx-json`, `linux-syslog`, `json`, …). */
  decoder: string;
  /** How `original` is re-decoded: `json` or a text format id (`syslog`, …). */
  format: string;
  logsource: Json<Record<string, string>>;
  ecs: Json<Record<string, unknown>>;
  /** The raw record as received (a JSON text or a log line). */
  original: string;
}

export interface DeadLettersTable {
  id: Generated<number>;
  received: Timestamp;
  source: string;
  /** 1-based line of the request body (NDJSON, bulk) or null. */
  line: number | null;
  reason: string;
  raw: string;
  replayed_at: Timestamp | null;
}

export interface AlertsTable {
  id: Generated<number>;
  rule_id: string;
  rule_title: string;
  level: string;
  status: string;
  /** `host.name|user.name|source.ip` of the first event: the suppression key. */
  entity_key: string;
  host_name: string | null;
  user_name: string | null;
  source_ip: string | null;
  techniques: Json<string[]>;
  tactics: Json<string[]>;
  first_event_id: number;
  event_count: number;
  first_seen: Timestamp;
  last_seen: Timestamp;
  created_at: Timestamp;
  updated_at: Timestamp;
  /** The ECS detection record of the first match (rule.*, threat.*, the event's ECS, vigil.match). */
  document: Json<Record<string, unknown>>;
  /** Copies of the matched events (first few), kept whatever the event retention. */
  evidence: Json<EvidenceEvent[]>;
}

export interface EvidenceEvent {
  readonly id: number;
  readonly timestamp: string;
  readonly ecs: Record<string, unknown>;
  readonly original: string;
}

export interface AlertEventsTable {
  rule_id: string;
  event_id: number;
  alert_id: number;
}

export interface AlertHistoryTable {
  id: Generated<number>;
  alert_id: number;
  at: Timestamp;
  actor: string;
  status: string;
  comment: string | null;
}

export interface CursorsTable {
  name: string;
  position: number;
}

export interface RuleUploadsTable {
  rule_id: string;
  yaml: string;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface RuleStatesTable {
  rule_id: string;
  enabled: boolean;
  updated_at: Timestamp;
}

export interface SigmaFiltersTable {
  id: string;
  title: string;
  yaml: string;
  enabled: boolean;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface AuditLogTable {
  id: Generated<number>;
  at: Timestamp;
  actor: string;
  action: string;
  target: string;
  details: Json<Record<string, unknown>>;
}

export interface DatabaseSchema {
  events: EventsTable;
  dead_letters: DeadLettersTable;
  alerts: AlertsTable;
  alert_events: AlertEventsTable;
  alert_history: AlertHistoryTable;
  cursors: CursorsTable;
  rule_uploads: RuleUploadsTable;
  rule_states: RuleStatesTable;
  sigma_filters: SigmaFiltersTable;
  audit_log: AuditLogTable;
}
