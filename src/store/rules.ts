/**
 * Rule state kept in the database, keyed by rule id: uploaded rules (Sigma YAML), enabled/disabled
 * overrides and Sigma filters. Rule directories on disk are read-only sources.
 */
import type { Kysely } from 'kysely';
import type { DatabaseSchema } from './schema.js';

type Db = Kysely<DatabaseSchema>;

export interface UploadedRule {
  readonly ruleId: string;
  readonly yaml: string;
  readonly updatedAt: string;
}

export interface StoredFilter {
  readonly id: string;
  readonly title: string;
  readonly yaml: string;
  readonly enabled: boolean;
  readonly updatedAt: string;
}

export async function listUploads(db: Db): Promise<UploadedRule[]> {
  const rows = await db.selectFrom('rule_uploads').selectAll().orderBy('rule_id').execute();
  return rows.map((r) => ({ ruleId: r.rule_id, yaml: r.yaml, updatedAt: r.updated_at.toISOString() }));
}

export async function saveUpload(db: Db, ruleId: string, yaml: string, now: Date): Promise<void> {
  await db
    .insertInto('rule_uploads')
    .values({ rule_id: ruleId, yaml, created_at: now, updated_at: now })
    .onConflict((oc) => oc.column('rule_id').doUpdateSet({ yaml, updated_at: now }))
    .execute();
}

/** Rule id → enabled, for rules whose state was changed through the API. */
export async function ruleStates(db: Db): Promise<Map<string, boolean>> {
  const rows = await db.selectFrom('rule_states').select(['rule_id', 'enabled']).execute();
  return new Map(rows.map((r) => [r.rule_id, r.enabled]));
}

export async function setRuleState(db: Db, ruleId: string, enabled: boolean, now: Date): Promise<void> {
  await db
    .insertInto('rule_states')
    .values({ rule_id: ruleId, enabled, updated_at: now })
    .onConflict((oc) => oc.column('rule_id').doUpdateSet({ enabled, updated_at: now }))
    .execute();
}

export async function listFilters(db: Db): Promise<StoredFilter[]> {
  const rows = await db.selectFrom('sigma_filters').selectAll().orderBy('id').execute();
  return rows.map((r) => ({
    id: r.id,
    title: r.title,
    yaml: r.yaml,
    enabled: r.enabled,
    updatedAt: r.updated_at.toISOString(),
  }));
}

export async function saveFilter(db: Db, id: string, title: string, yaml: string, now: Date): Promise<void> {
  await db
    .insertInto('sigma_filters')
    .values({ id, title, yaml, enabled: true, created_at: now, updated_at: now })
    .onConflict((oc) => oc.column('id').doUpdateSet({ title, yaml, enabled: true, updated_at: now }))
    .execute();
}

/** @returns false when no filter has this id */
export async function setFilterEnabled(db: Db, id: string, enabled: boolean, now: Date): Promise<boolean> {
  const r = await db
    .updateTable('sigma_filters')
    .set({ enabled, updated_at: now })
    .where('id', '=', id)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}
