/**
 * Kysely table types for correlation state; merged into DatabaseSchema (schema.ts).
 */
import type { ColumnType, JSONColumnType } from 'kysely';

export interface CorrelationStateTable {
  name: string;
  /** Id of the last stored event the state includes. */
  cursor: number;
  state: JSONColumnType<Record<string, unknown>, string, string>;
  saved_at: ColumnType<Date, Date | string, Date | string>;
}

export interface CorrelationTables {
  correlation_state: CorrelationStateTable;
}
