/**
 * Kysely table types for log templates mined from syslog lines no decoder understood, their counts
 * over time and the miner's saved state; merged into DatabaseSchema (schema.ts). The DDL is in
 * `migration-templates.ts`; `docs/templates-service.md` explains the tables.
 */
import type { ColumnType } from 'kysely';

type Timestamp = ColumnType<Date, Date | string, Date | string>;

/** One row per template the miner has made (`vigil.template.id` of the events). */
export interface LogTemplatesTable {
  /** The miner's template id (integers from 1, stable across restarts, never reused). */
  id: number;
  /** The template as of `updated_at` (`<*>` for each parameter). */
  template: string;
  /** The message that created the template. */
  sample: string;
  /** Stored events counted under this template (0 once merged; see `log_template_counts`). */
  count: number;
  /** Event time span of those events; null while none is stored. */
  first_seen: Timestamp | null;
  last_seen: Timestamp | null;
  /** The live template the miner merged this one into (its counts moved there); null while live. */
  merged_into: number | null;
  /** When the miner created the template, and last changed it (ingest time). */
  created_at: Timestamp;
  updated_at: Timestamp;
}

/** Stored events per live template, hour of event time (UTC) and `host.name` (`''` when absent). */
export interface LogTemplateCountsTable {
  template_id: number;
  /** Start of the hour. */
  bucket: Timestamp;
  host_name: string;
  count: number;
}

/** The miner's state (`TemplateMiner.toJSON()` as JSON text); one row, `id` 1. */
export interface LogTemplateMinerTable {
  id: number;
  state: string;
  /** Live templates in the state. */
  templates: number;
  saved_at: Timestamp;
}

export interface TemplatesTables {
  log_templates: LogTemplatesTable;
  log_template_counts: LogTemplateCountsTable;
  log_template_miner: LogTemplateMinerTable;
}
