/**
 * Kysely table types for ATT&CK; merged into DatabaseSchema (schema.ts). The DDL is in
 * `migration-attack.ts`; `docs/attack.md` explains the import and the coverage built on it.
 * One imported catalog per ATT&CK domain; its rows are replaced as a whole by the next import.
 */
import type { ColumnType, JSONColumnType } from 'kysely';
import type { AttackCatalogCounts } from '../detect/attack/catalog.js';

type Timestamp = ColumnType<Date, Date | string, Date | string>;
type Json<T extends object> = JSONColumnType<T, string, string>;

/** One row per imported domain (`enterprise-attack`, `ics-attack`, `mobile-attack`). */
export interface AttackImportsTable {
  domain: string;
  /** `Enterprise ATT&CK`, `ICS ATT&CK`. */
  name: string;
  /** ATT&CK release (`18.1`, or `18` when inferred); null when nothing said. */
  version: string | null;
  /** `option`, `collection`, `file-name`, `spec-version` or `unknown`. */
  version_source: string;
  /** STIX version of the bundle: `2.0`, `2.1`. */
  stix_version: string;
  attack_spec_version: string | null;
  /** Latest `modified` among the bundle's objects (ISO 8601 text, as in the bundle). */
  modified: string | null;
  /** The file name (or `api`) the bundle came from. */
  source: string;
  /** SHA-256 hex of the bundle's bytes as read (after gunzip). */
  sha256: string;
  imported_at: Timestamp;
  /** Audit actor name (`system`, `cli:<os user>`, `user:<name>`). */
  imported_by: string;
  /** `AttackCatalogCounts`. */
  counts: Json<AttackCatalogCounts>;
  warnings: Json<string[]>;
  /** Group, software, data source, mitigation and campaign ids (tags like `attack.g0016`). */
  other_ids: Json<string[]>;
}

export interface AttackTacticsTable {
  domain: string;
  /** `TA0006` */
  id: string;
  /** `credential-access` */
  shortname: string;
  name: string;
  /** Matrix order, from 0. */
  position: number;
}

export interface AttackTechniquesTable {
  domain: string;
  /** `T1110`, `T1110.001` */
  id: string;
  name: string;
  /** Tactic short names. */
  tactics: Json<string[]>;
  platforms: Json<string[]>;
  subtechnique: boolean;
  /** `''`, `revoked` or `deprecated`. */
  status: string;
  revoked_by: string | null;
}

/** One log-source reference of an analytic detecting a technique (which data feeds which technique). */
export interface AttackLogSourcesTable {
  domain: string;
  technique_id: string;
  /** `DET0103` */
  strategy_id: string;
  /** `AN0110` */
  analytic_id: string;
  /** `WinEventLog:Security` */
  name: string;
  /** `EventCode=4625`, or ATT&CK's free text. */
  channel: string;
  /** `DC0084` */
  data_component: string | null;
}

export interface AttackTables {
  attack_imports: AttackImportsTable;
  attack_tactics: AttackTacticsTable;
  attack_techniques: AttackTechniquesTable;
  attack_log_sources: AttackLogSourcesTable;
}
