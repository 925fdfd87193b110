/**
 * The model registry's table (`ml_models`): one row per trained version with its parameters,
 * metrics, training window, histograms (the drift reference) and model file. The status rules
 * are in `src/ml/registry.ts`; the partial unique indexes of `migration-ml.ts` back them.
 */
import { type Kysely, sql } from 'kysely';
import type { ModelStatus } from '../ml/types.js';
import type { DatabaseSchema } from './schema.js';

type Db = Kysely<DatabaseSchema>;

/** A registry row without its model file. */
export interface ModelRow {
  readonly id: number;
  readonly name: string;
  readonly version: number;
  readonly status: ModelStatus;
  readonly kind: string;
  readonly params: Record<string, unknown>;
  readonly metrics: Record<string, number | string>;
  readonly window_from: Date;
  readonly window_to: Date;
  readonly rows: number;
  readonly job_id: number | null;
  readonly created_at: Date;
  readonly status_at: Date;
}

export interface NewModelRow {
  readonly name: string;
  readonly status: ModelStatus;
  readonly kind: string;
  readonly params: Readonly<Record<string, unknown>>;
  readonly metrics: Readonly<Record<string, number | string>>;
  readonly windowFrom: Date;
  readonly windowTo: Date;
  readonly rows: number;
  readonly histograms: readonly { feature: string; edges: readonly number[]; fractions: readonly number[] }[];
  /** The model file, serialized. */
  readonly file: string;
  readonly jobId: number | null;
  readonly at: Date;
}

const COLUMNS = [
  'id',
  'name',
  'version',
  'status',
  'kind',
  'params',
  'metrics',
  'window_from',
  'window_to',
  'rows',
  'job_id',
  'created_at',
  'status_at',
] as const;

type RawRow = Omit<ModelRow, 'status' | 'id' | 'job_id'> & {
  id: number | string;
  status: string;
  job_id: number | string | null;
};

function toRow(r: RawRow): ModelRow {
  return {
    ...r,
    id: Number(r.id),
    job_id: r.job_id === null ? null : Number(r.job_id),
    status: r.status as ModelStatus,
  };
}

/**
 * Serializes registry writers of one model name until the transaction ends
 * (`pg_advisory_xact_lock` on `hashtext('ml_models:' || name)`).
 */
export async function lockModelName(trx: Db, name: string): Promise<void> {
  await sql`SELECT pg_advisory_xact_lock(hashtext(${`ml_models:${name}`}))`.execute(trx);
}

/** Inserts a version numbered one above the name's highest (call under {@link lockModelName}). */
export async function insertModel(trx: Db, m: NewModelRow): Promise<ModelRow> {
  const top = await trx
    .selectFrom('ml_models')
    .select(sql<number | null>`max(version)`.as('v'))
    .where('name', '=', m.name)
    .executeTakeFirst();
  const version = Number(top?.v ?? 0) + 1;
  const row = await trx
    .insertInto('ml_models')
    .values({
      name: m.name,
      version,
      status: m.status,
      kind: m.kind,
      params: JSON.stringify(m.params),
      metrics: JSON.stringify(m.metrics),
      window_from: m.windowFrom,
      window_to: m.windowTo,
      rows: m.rows,
      histograms: JSON.stringify(m.histograms),
      file: m.file,
      job_id: m.jobId,
      created_at: m.at,
      status_at: m.at,
    })
    .returning(COLUMNS)
    .executeTakeFirstOrThrow();
  return toRow(row);
}

/** Sets every version of `name` with status `from` (except `exceptId`) to `to`. @returns their ids */
export async function moveStatus(
  trx: Db,
  name: string,
  from: ModelStatus,
  to: ModelStatus,
  at: Date,
  exceptId?: number,
): Promise<number[]> {
  let q = trx
    .updateTable('ml_models')
    .set({ status: to, status_at: at })
    .where('name', '=', name)
    .where('status', '=', from);
  if (exceptId !== undefined) q = q.where('id', '<>', exceptId);
  const rows = await q.returning('id').execute();
  return rows.map((r) => Number(r.id));
}

export async function setModelStatus(trx: Db, id: number, status: ModelStatus, at: Date): Promise<void> {
  await trx.updateTable('ml_models').set({ status, status_at: at }).where('id', '=', id).execute();
}

export async function getModelRow(db: Db, id: number): Promise<ModelRow | undefined> {
  const r = await db.selectFrom('ml_models').select(COLUMNS).where('id', '=', id).executeTakeFirst();
  return r ? toRow(r) : undefined;
}

export interface ModelListFilter {
  readonly name?: string | undefined;
  readonly status?: ModelStatus | undefined;
  /** Newest first; at most this many (default 100). */
  readonly limit?: number | undefined;
}

/** Versions, newest first (by name, then version descending). */
export async function listModelRows(db: Db, f: ModelListFilter = {}): Promise<ModelRow[]> {
  let q = db.selectFrom('ml_models').select(COLUMNS);
  if (f.name !== undefined) q = q.where('name', '=', f.name);
  if (f.status !== undefined) q = q.where('status', '=', f.status);
  const rows = await q
    .orderBy('name')
    .orderBy('version', 'desc')
    .limit(f.limit ?? 100)
    .execute();
  return rows.map(toRow);
}

/** The live (active and shadow) versions, without their files. */
export async function readLiveModelRows(db: Db): Promise<ModelRow[]> {
  const rows = await db
    .selectFrom('ml_models')
    .select(COLUMNS)
    .where('status', 'in', ['active', 'shadow'])
    .orderBy('id')
    .execute();
  return rows.map(toRow);
}

/** Model files (JSON text) by version id. */
export async function readModelFiles(db: Db, ids: readonly number[]): Promise<Map<number, string>> {
  if (ids.length === 0) return new Map();
  const rows = await db
    .selectFrom('ml_models')
    .select(['id', 'file'])
    .where('id', 'in', [...ids])
    .execute();
  return new Map(rows.map((r) => [Number(r.id), r.file]));
}

/** A version's training histograms (the drift reference); undefined when the id is unknown. */
export async function readModelHistograms(
  db: Db,
  id: number,
): Promise<{ feature: string; edges: number[]; fractions: number[] }[] | undefined> {
  const r = await db.selectFrom('ml_models').select('histograms').where('id', '=', id).executeTakeFirst();
  return r?.histograms;
}
