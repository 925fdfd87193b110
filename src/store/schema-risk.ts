/**
 * Kysely table types for risk; merged into DatabaseSchema (schema.ts).
 */

// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface RiskTables {}
