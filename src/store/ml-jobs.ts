/**
 * Training jobs (`ml_training_jobs`): one row per training run of one model, with its progress,
 * outcome and the registry version it produced. The lifecycle is in `src/ml/training.ts`.
 */
import { type Kysely, sql } from 'kysely';
import { afterCursor, decodePageCursor, encodePageCursor } from './page-cursor.js';
import type { DatabaseSchema } from './schema.js';

type Db = Kysely<DatabaseSchema>;

export type JobStatus = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';
export const JOB_STATUSES: readonly JobStatus[] = ['queued', 'running', 'succeeded', 'failed', 'cancelled'];

export interface JobRow {
  readonly id: number;
  readonly model: string;
  readonly status: JobStatus;
  readonly progress: number;
  readonly phase: string;
  readonly window_from: Date;
  readonly window_to: Date;
  readonly shadow: boolean;
  readonly trigger: string;
  readonly actor: string;
  readonly created_at: Date;
  readonly started_at: Date | null;
  readonly finished_at: Date | null;
  readonly error: string | null;
  readonly model_version_id: number | null;
}

export interface NewJob {
  readonly model: string;
  readonly windowFrom: Date;
  readonly windowTo: Date;
  readonly shadow: boolean;
  /** `api` | `schedule`. */
  readonly trigger: string;
  readonly actor: string;
  readonly at: Date;
}

type RawJob = Omit<JobRow, 'id' | 'status' | 'model_version_id'> & {
  id: number | string;
  status: string;
  model_version_id: number | string | null;
};

function toJob(r: RawJob): JobRow {
  return {
    ...r,
    id: Number(r.id),
    status: r.status as JobStatus,
    model_version_id: r.model_version_id === null ? null : Number(r.model_version_id),
  };
}

/** The unfinished (`queued` or `running`) job of a model, if any. */
export async function openJobOf(db: Db, model: string): Promise<JobRow | undefined> {
  const r = await db
    .selectFrom('ml_training_jobs')
    .selectAll()
    .where('model', '=', model)
    .where('status', 'in', ['queued', 'running'])
    .executeTakeFirst();
  return r ? toJob(r) : undefined;
}

/** Inserts a `queued` job (the partial unique index refuses a second open job of a model). */
export async function insertJob(db: Db, j: NewJob): Promise<JobRow> {
  const r = await db
    .insertInto('ml_training_jobs')
    .values({
      model: j.model,
      status: 'queued',
      progress: 0,
      phase: 'queued',
      window_from: j.windowFrom,
      window_to: j.windowTo,
      shadow: j.shadow,
      trigger: j.trigger,
      actor: j.actor,
      created_at: j.at,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  return toJob(r);
}

export interface JobPatch {
  readonly status?: JobStatus;
  readonly progress?: number;
  readonly phase?: string;
  readonly started_at?: Date;
  readonly finished_at?: Date;
  readonly error?: string | null;
  readonly model_version_id?: number | null;
}

/**
 * Updates a job; with `onlyIf`, only while it has one of those statuses.
 * @returns whether a row changed
 */
export async function updateJob(
  db: Db,
  id: number,
  patch: JobPatch,
  onlyIf?: readonly JobStatus[],
): Promise<boolean> {
  let q = db.updateTable('ml_training_jobs').set(patch).where('id', '=', id);
  if (onlyIf) q = q.where('status', 'in', [...onlyIf]);
  const r = await q.executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

export async function getJob(db: Db, id: number): Promise<JobRow | undefined> {
  const r = await db.selectFrom('ml_training_jobs').selectAll().where('id', '=', id).executeTakeFirst();
  return r ? toJob(r) : undefined;
}

/**
 * Closes every unfinished job (after a crash or at shutdown): `running` → `status`, `queued` →
 * `cancelled`, with `error`. @returns the closed jobs' ids
 */
export async function closeOpenJobs(
  db: Db,
  status: 'failed' | 'cancelled',
  error: string,
  at: Date,
): Promise<number[]> {
  const running = await db
    .updateTable('ml_training_jobs')
    .set({ status, error, finished_at: at, phase: 'interrupted' })
    .where('status', '=', 'running')
    .returning('id')
    .execute();
  const queued = await db
    .updateTable('ml_training_jobs')
    .set({ status: 'cancelled', error, finished_at: at, phase: 'interrupted' })
    .where('status', '=', 'queued')
    .returning('id')
    .execute();
  return [...running, ...queued].map((r) => Number(r.id));
}

export interface JobListQuery {
  readonly model?: string | undefined;
  readonly status?: JobStatus | undefined;
  readonly limit: number;
  readonly cursor?: string | undefined;
}

/**
 * Jobs, newest first, keyset-paginated on `(created_at, id)`.
 * @throws VigilError `VIGIL_ERR_BAD_REQUEST` for a cursor this store did not issue
 */
export async function listJobs(
  db: Db,
  q: JobListQuery,
): Promise<{ jobs: JobRow[]; nextCursor: string | null }> {
  let s = db.selectFrom('ml_training_jobs').selectAll();
  if (q.model !== undefined) s = s.where('model', '=', q.model);
  if (q.status !== undefined) s = s.where('status', '=', q.status);
  if (q.cursor !== undefined) s = s.where(afterCursor('created_at', 'desc', decodePageCursor(q.cursor)));
  const rows = (
    await s
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .limit(q.limit + 1)
      .execute()
  ).map(toJob);
  const more = rows.length > q.limit;
  const jobs = more ? rows.slice(0, q.limit) : rows;
  const last = jobs[jobs.length - 1];
  return { jobs, nextCursor: more && last ? encodePageCursor(last.created_at, last.id) : null };
}

/** The latest job of each model (any status). */
export async function latestJobs(db: Db): Promise<JobRow[]> {
  const rows = await db
    .selectFrom('ml_training_jobs')
    .selectAll()
    .distinctOn('model')
    .orderBy('model')
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .execute();
  return rows.map(toJob);
}

/** Number of jobs per model and status. */
export async function jobCounts(db: Db): Promise<{ model: string; status: JobStatus; count: number }[]> {
  const rows = await db
    .selectFrom('ml_training_jobs')
    .select(['model', 'status', sql<string>`count(*)`.as('n')])
    .groupBy(['model', 'status'])
    .orderBy('model')
    .orderBy('status')
    .execute();
  return rows.map((r) => ({ model: r.model, status: r.status as JobStatus, count: Number(r.n) }));
}
