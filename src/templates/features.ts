/**
 * Log template counts as anomaly features: per host, how much of a window's syslog traffic was
 * lines no decoder knew, and how much of that was new or rare. Read by UEBA beside its own
 * per-entity features (`docs/templates-service.md`, "Anomaly features").
 *
 * Read from `log_template_counts` (hourly buckets of event time), so a window is widened to whole
 * hours: `[floor_hour(from), to)`. Counts are derived data written after each event batch; a
 * crash between the two leaves them short until `POST /api/v1/templates/counts/rebuild`.
 */
import type { Kysely } from 'kysely';
import type { DatabaseSchema } from '../store/schema.js';
import { type HostTemplateRow, hostTemplateRows } from '../store/templates-read.js';
import { HOUR_MS } from '../store/templates.js';

/** Templates with fewer stored events than this (all time) are rare, by default. */
export const DEFAULT_RARE_BELOW = 10;

/** One host's template activity in a window (fields documented on `HostTemplateRow`). */
export type HostTemplateActivity = HostTemplateRow;

export interface TemplateActivityOptions {
  /** Default {@link DEFAULT_RARE_BELOW}. */
  readonly rareBelow?: number;
}

/**
 * Per-host template activity over `[from, to)` (ms since the epoch, event time), sorted by host.
 * Hosts without mined lines in the window are absent (read them as zeros).
 * @throws the database error
 */
export async function templateActivityByHost(
  db: Kysely<DatabaseSchema>,
  from: number,
  to: number,
  options: TemplateActivityOptions = {},
): Promise<HostTemplateActivity[]> {
  const start = Math.floor(from / HOUR_MS) * HOUR_MS;
  if (!(to > start)) return [];
  return hostTemplateRows(db, start, to, options.rareBelow ?? DEFAULT_RARE_BELOW);
}
