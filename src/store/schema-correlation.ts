/**
 * Kysely table types for correlation; merged into DatabaseSchema (schema.ts).
 */

// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface CorrelationTables {}
