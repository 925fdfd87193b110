/**
 * Kysely table types for assets (critical marking) for attack paths; merged into DatabaseSchema
 * (schema.ts). The DDL is in `migration-assets.ts`.
 */
import type { ColumnType } from 'kysely';

type Timestamp = ColumnType<Date, Date | string, Date | string>;

/** One host name or IP address an analyst (or `VIGIL_CRITICAL_ASSETS`) has marked. */
export interface AssetsTable {
  /** Lower-case host name as given (FQDN or short), or the canonical IP address. */
  name: string;
  kind: 'host' | 'ip';
  /** Shortest paths lead here when true; false keeps the note without the marking. */
  critical: boolean;
  note: string | null;
  /** Audit actor name (`user:alice`, `system` for the start-up seed). */
  marked_by: string;
  marked_at: Timestamp;
}

export interface AssetsTables {
  assets: AssetsTable;
}
