/**
 * Kysely table types for model registry (ml_models) and training jobs (ml_training_jobs); merged into DatabaseSchema (schema.ts). The DDL is in
 * `migration-ml.ts`.
 */

// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface MlTables {}
