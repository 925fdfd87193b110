/**
 * Kysely table types for log templates mined from unknown lines and their counts over time; merged into DatabaseSchema (schema.ts). The DDL is in
 * `migration-templates.ts`.
 */

// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface TemplatesTables {}
