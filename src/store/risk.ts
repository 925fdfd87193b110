/**
 * Entity risk storage: entity rows (the decayed score accumulator, keyed by type and value) and
 * the contribution rows that explain them (one per entity and alert, the latest kept per entity).
 * Only storage here; the scoring is in `src/risk/score.ts`.
 */
import {
  type Expression,
  type ExpressionBuilder,
  type Insertable,
  type Kysely,
  type Selectable,
  type SqlBool,
  sql,
} from 'kysely';
import { ErrorCodes, VigilError } from '../errors.js';
import type { DatabaseSchema } from './schema.js';
import type { RiskContributionsTable, RiskEntitiesTable } from './schema-risk.js';

type Db = Kysely<DatabaseSchema>;

export type RiskEntityRow = Selectable<RiskEntitiesTable>;
export type RiskContributionRow = Selectable<RiskContributionsTable>;
/** An entity or contribution row to write (JSON columns as values, not text). */
export type RiskEntityValues = Omit<RiskEntityRow, 'tactics' | 'rules'> & {
  readonly tactics: Record<string, number>;
  readonly rules: Record<string, { n: number; at: number }>;
};
export type RiskContributionValues = Omit<RiskContributionRow, 'tactics' | 'new_tactics'> & {
  readonly tactics: readonly string[];
  readonly new_tactics: readonly string[];
};

/** An entity by type and value. */
export interface RiskEntityKey {
  readonly type: string;
  readonly value: string;
}

/** Where a page of the riskiest entities continues: after this rank key, type and value. */
export interface RiskCursor {
  readonly rank: number;
  readonly type: string;
  readonly value: string;
}

export interface RiskEntityQuery {
  readonly type?: string | undefined;
  /** Only entities whose rank key is at least this (a current-score floor, see `rankFloor`). */
  readonly minRank?: number | undefined;
  readonly limit: number;
  readonly after?: RiskCursor | undefined;
}

function byKeys(refs: readonly RiskEntityKey[]) {
  return (eb: ExpressionBuilder<DatabaseSchema, 'risk_entities'>): Expression<SqlBool> =>
    eb.or(refs.map((r) => eb.and([eb('type', '=', r.type), eb('value', '=', r.value)])));
}

/**
 * Reads entity rows, locked for update until the caller's transaction ends (detection is the only
 * writer; the lock keeps two writers from losing each other's points).
 */
export async function lockRiskEntities(trx: Db, refs: readonly RiskEntityKey[]): Promise<RiskEntityRow[]> {
  if (refs.length === 0) return [];
  return trx.selectFrom('risk_entities').selectAll().where(byKeys(refs)).forUpdate().execute();
}

/** What risk reads of an alert: its rule, level, status, tactics, entities and event time span. */
export interface RiskAlertRow {
  readonly id: number;
  readonly rule_id: string;
  readonly rule_title: string;
  readonly level: string;
  /** `rule.status` of the alert's ECS document (null when the rule has none). */
  readonly rule_status: string | null;
  readonly tactics: string[];
  readonly host_name: string | null;
  readonly user_name: string | null;
  readonly source_ip: string | null;
  readonly first_seen: Date;
  readonly last_seen: Date;
}

/** The alerts risk scores, by id. */
export async function readRiskAlerts(db: Db, ids: readonly number[]): Promise<RiskAlertRow[]> {
  if (ids.length === 0) return [];
  return db
    .selectFrom('alerts')
    .select([
      'id',
      'rule_id',
      'rule_title',
      'level',
      'tactics',
      'host_name',
      'user_name',
      'source_ip',
      'first_seen',
      'last_seen',
    ])
    .select(sql<string | null>`document->'rule'->>'status'`.as('rule_status'))
    .where('id', 'in', ids)
    .execute();
}

/** Reads entity rows (no lock). */
export async function readRiskEntities(db: Db, refs: readonly RiskEntityKey[]): Promise<RiskEntityRow[]> {
  if (refs.length === 0) return [];
  return db.selectFrom('risk_entities').selectAll().where(byKeys(refs)).execute();
}

/** The contribution rows of these alerts (any entity). */
export async function contributionsOfAlerts(
  db: Db,
  alertIds: readonly number[],
): Promise<RiskContributionRow[]> {
  if (alertIds.length === 0) return [];
  return db.selectFrom('risk_contributions').selectAll().where('alert_id', 'in', alertIds).execute();
}

/** The kept contribution rows of these entities. */
export async function contributionsOfEntities(
  db: Db,
  refs: readonly RiskEntityKey[],
): Promise<RiskContributionRow[]> {
  if (refs.length === 0) return [];
  return db
    .selectFrom('risk_contributions')
    .selectAll()
    .where((eb) =>
      eb.or(refs.map((r) => eb.and([eb('entity_type', '=', r.type), eb('entity_value', '=', r.value)]))),
    )
    .execute();
}

/** Rows per multi-row upsert (20 columns each: well under PostgreSQL's 65,535 parameters). */
const UPSERT_CHUNK = 500;

const ENTITY_COLUMNS = [
  'score',
  'score_at',
  'rank',
  'half_life_ms',
  'crossed',
  'crossed_at',
  'first_seen',
  'last_seen',
  'alerts',
  'repeats',
  'tactics',
  'rules',
  'kept',
  'remainder_points',
  'remainder_at',
  'remainder_alerts',
] as const satisfies readonly (keyof RiskEntitiesTable)[];

const CONTRIBUTION_COLUMNS = [
  'rule_id',
  'rule_name',
  'level',
  'status',
  'tactics',
  'new_tactics',
  'base',
  'status_multiplier',
  'diversity_multiplier',
  'repetition_multiplier',
  'earlier',
  'points',
  'scored_at',
  'repeat_count',
  'repeat_points',
  'repeat_at',
  'last_at',
] as const satisfies readonly (keyof RiskContributionsTable)[];

/** `SET col = excluded.col` for every column. */
function fromExcluded<C extends string>(columns: readonly C[]) {
  return (eb: { ref(r: `excluded.${C}`): unknown }) =>
    Object.fromEntries(columns.map((c) => [c, eb.ref(`excluded.${c}`)]));
}

/** Inserts or replaces entity rows (at most one per entity). */
export async function saveRiskEntities(trx: Db, rows: readonly RiskEntityValues[]): Promise<void> {
  for (let i = 0; i < rows.length; i += UPSERT_CHUNK) {
    const values: Insertable<RiskEntitiesTable>[] = rows
      .slice(i, i + UPSERT_CHUNK)
      .map((r) => ({ ...r, tactics: JSON.stringify(r.tactics), rules: JSON.stringify(r.rules) }));
    await trx
      .insertInto('risk_entities')
      .values(values)
      .onConflict((oc) => oc.columns(['type', 'value']).doUpdateSet(fromExcluded(ENTITY_COLUMNS)))
      .execute();
  }
}

/** Inserts or replaces contribution rows (at most one per entity and alert). */
export async function saveRiskContributions(trx: Db, rows: readonly RiskContributionValues[]): Promise<void> {
  for (let i = 0; i < rows.length; i += UPSERT_CHUNK) {
    const values: Insertable<RiskContributionsTable>[] = rows.slice(i, i + UPSERT_CHUNK).map((r) => ({
      ...r,
      tactics: JSON.stringify(r.tactics),
      new_tactics: JSON.stringify(r.new_tactics),
    }));
    await trx
      .insertInto('risk_contributions')
      .values(values)
      .onConflict((oc) =>
        oc
          .columns(['entity_type', 'entity_value', 'alert_id'])
          .doUpdateSet(fromExcluded(CONTRIBUTION_COLUMNS)),
      )
      .execute();
  }
}

/**
 * Deletes an entity's `count` least recently active contribution rows (by `last_at`, then alert
 * id) and returns them, for the caller to fold into the entity's remainder.
 */
export async function evictRiskContributions(
  trx: Db,
  ref: RiskEntityKey,
  count: number,
): Promise<RiskContributionRow[]> {
  if (count <= 0) return [];
  const oldest = await trx
    .selectFrom('risk_contributions')
    .select('alert_id')
    .where('entity_type', '=', ref.type)
    .where('entity_value', '=', ref.value)
    .orderBy('last_at')
    .orderBy('alert_id')
    .limit(count)
    .execute();
  if (oldest.length === 0) return [];
  return trx
    .deleteFrom('risk_contributions')
    .where('entity_type', '=', ref.type)
    .where('entity_value', '=', ref.value)
    .where(
      'alert_id',
      'in',
      oldest.map((r) => r.alert_id),
    )
    .returningAll()
    .execute();
}

/**
 * A page of entities, riskiest first (rank key descending, then type and value), one row more than
 * `limit` when there is a next page.
 */
export async function listRiskEntities(db: Db, q: RiskEntityQuery): Promise<RiskEntityRow[]> {
  return db
    .selectFrom('risk_entities')
    .selectAll()
    .where((eb) => {
      const c: Expression<SqlBool>[] = [];
      if (q.type !== undefined) c.push(eb('type', '=', q.type));
      if (q.minRank !== undefined) c.push(eb('rank', '>=', q.minRank));
      const a = q.after;
      if (a)
        c.push(
          eb.or([
            eb('rank', '<', a.rank),
            eb.and([
              eb('rank', '=', a.rank),
              eb.or([eb('type', '>', a.type), eb.and([eb('type', '=', a.type), eb('value', '>', a.value)])]),
            ]),
          ]),
        );
      return eb.and(c);
    })
    .orderBy('rank', 'desc')
    .orderBy('type')
    .orderBy('value')
    .limit(q.limit + 1)
    .execute();
}

/**
 * Recomputes the rank keys stored with another half-life (after `VIGIL_RISK_HALF_LIFE_MS`
 * changed), so that ordering and the score floor hold again.
 * @returns rows re-keyed
 */
export async function rekeyRiskEntities(db: Db, halfLifeMs: number): Promise<number> {
  const r = await db
    .updateTable('risk_entities')
    .set({
      rank: sql<number>`ln(greatest(score, 1e-300)) / ln(2.0::double precision) + extract(epoch from score_at)::double precision * 1000.0 / ${halfLifeMs}::double precision`,
      half_life_ms: halfLifeMs,
    })
    .where('half_life_ms', '<>', halfLifeMs)
    .executeTakeFirst();
  return Number(r.numUpdatedRows);
}

/** Encodes a page cursor (opaque base64url). */
export function encodeRiskCursor(c: RiskCursor): string {
  return Buffer.from(JSON.stringify([c.rank, c.type, c.value])).toString('base64url');
}

/**
 * @throws VigilError `VIGIL_ERR_BAD_REQUEST` (400) for a token this store did not issue
 */
export function decodeRiskCursor(cursor: string): RiskCursor {
  let v: unknown;
  try {
    v = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw new VigilError(ErrorCodes.BAD_REQUEST, 'invalid cursor');
  }
  if (
    !Array.isArray(v) ||
    v.length !== 3 ||
    typeof v[0] !== 'number' ||
    !Number.isFinite(v[0]) ||
    typeof v[1] !== 'string' ||
    typeof v[2] !== 'string'
  )
    throw new VigilError(ErrorCodes.BAD_REQUEST, 'invalid cursor');
  return { rank: v[0], type: v[1], value: v[2] };
}
