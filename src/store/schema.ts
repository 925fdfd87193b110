/**
 * The database schema as Kysely table types (one schema for PGlite and PostgreSQL; the DDL is in
 * `migrations.ts`). Timestamps are `timestamptz`, read back as `Date`; `bigint` ids are read as
 * numbers (ids stay below 2^53).
 */
import type { AttackTables } from './schema-attack.js';
import type { CorrelationTables } from './schema-correlation.js';
import type { IncidentsTables } from './schema-incidents.js';
import type { RiskTables } from './schema-risk.js';
import type { MlTables } from './schema-ml.js';
import type { UebaTables } from './schema-ueba.js';
import type { TemplatesTables } from './schema-templates.js';
import type { AssetsTables } from './schema-assets.js';
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
  /** Assigned by the writer (previous id + 1) under the chain's advisory lock. */
  id: number;
  at: Timestamp;
  /** Who: `user:<name>`, `key:<id>`, `oidc:<name>`, `system`, `cli:<os user>`, `anonymous`. */
  actor: string;
  /** From where: the client's IP address (null for the CLI and the service itself). */
  actor_ip: string | null;
  /** What, as `resource.verb`: `alert.update`, `auth.login`, `user.create`, … */
  action: string;
  target: string;
  /** `success` or `failure` (a refused login, a refused change). */
  outcome: string;
  before: Json<Record<string, unknown>> | null;
  after: Json<Record<string, unknown>> | null;
  details: Json<Record<string, unknown>>;
  prev_hash: string;
  hash: string;
}

export interface RolesTable {
  name: string;
  description: string;
  permissions: Json<string[]>;
  builtin: boolean;
  updated_at: Timestamp;
}

export interface UsersTable {
  id: string;
  name: string;
  email: string | null;
  role: string;
  /** argon2id PHC string; null for a user who only signs in through OpenID Connect. */
  password_hash: string | null;
  must_change_password: boolean;
  disabled: boolean;
  /** TOTP secret, base32 (RFC 4648), set at enrolment, active once `mfa_enabled`. */
  mfa_secret: string | null;
  mfa_enabled: boolean;
  /** The last accepted TOTP time step (RFC 6238), so a code is never accepted twice. */
  mfa_last_step: number | null;
  /** SHA-256 hex of the unused recovery codes. */
  recovery_codes: Json<string[]>;
  failed_logins: number;
  locked_until: Timestamp | null;
  oidc_issuer: string | null;
  oidc_subject: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
  last_login_at: Timestamp | null;
}

export interface SessionsTable {
  /** The refresh-token family id, also the access tokens' `sid` claim. */
  id: string;
  user_id: string;
  /** `password`, `mfa`, `recovery_code`, `oidc`. */
  method: string;
  source_ip: string | null;
  user_agent: string | null;
  created_at: Timestamp;
  expires_at: Timestamp;
  revoked_at: Timestamp | null;
  revoke_reason: string | null;
}

export interface RefreshTokensTable {
  /** SHA-256 hex of the token (the token itself is never stored). */
  hash: string;
  session_id: string;
  created_at: Timestamp;
  expires_at: Timestamp;
  /** Set when rotated: presenting it again is reuse and revokes the session. */
  used_at: Timestamp | null;
}

export interface ApiKeysTable {
  id: string;
  name: string;
  /** SHA-256 hex of the secret (256 random bits, so a fast hash is enough). */
  secret_hash: string;
  permissions: Json<string[]>;
  created_by: string;
  created_at: Timestamp;
  expires_at: Timestamp | null;
  last_used_at: Timestamp | null;
  revoked_at: Timestamp | null;
}

export interface SigningKeysTable {
  kid: string;
  alg: string;
  /** JWK (RFC 7517) JSON. */
  private_jwk: string;
  public_jwk: string;
  created_at: Timestamp;
  /** Set by rotation: the key no longer signs, and verifies only tokens issued before this. */
  retired_at: Timestamp | null;
}

export interface RevocationsTable {
  /** `session`, `key` (API key) or `user`. */
  kind: string;
  id: string;
  /** When the revoked thing would have expired anyway (the row can be pruned after). */
  expires_at: Timestamp;
}

export interface OidcLoginsTable {
  state: string;
  code_verifier: string;
  nonce: string;
  created_at: Timestamp;
  expires_at: Timestamp;
}

export interface DatabaseSchema
  extends
    CorrelationTables,
    IncidentsTables,
    RiskTables,
    AttackTables,
    MlTables,
    UebaTables,
    TemplatesTables,
    AssetsTables {
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
  roles: RolesTable;
  users: UsersTable;
  sessions: SessionsTable;
  refresh_tokens: RefreshTokensTable;
  api_keys: ApiKeysTable;
  signing_keys: SigningKeysTable;
  revocations: RevocationsTable;
  oidc_logins: OidcLoginsTable;
}
