/**
 * Kysely table types for attack; merged into DatabaseSchema (schema.ts).
 */

// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface AttackTables {}
