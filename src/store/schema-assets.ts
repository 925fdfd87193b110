/**
 * Kysely table types for assets (critical marking) for attack paths; merged into DatabaseSchema (schema.ts). The DDL is in
 * `migration-assets.ts`.
 */

// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface AssetsTables {}
