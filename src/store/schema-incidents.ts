/**
 * Kysely table types for incidents; merged into DatabaseSchema (schema.ts).
 */

// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface IncidentsTables {}
