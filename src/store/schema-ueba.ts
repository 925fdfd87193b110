/**
 * Kysely table types for UEBA entity baselines, open window accumulators and scored windows; merged into DatabaseSchema (schema.ts). The DDL is in
 * `migration-ueba.ts`.
 */

// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface UebaTables {}
