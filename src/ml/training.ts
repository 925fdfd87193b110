/**
 * Training jobs: one job per model and request, run in the background one at a time, with
 * progress persisted as it goes, the result registered in the model registry, and scheduled
 * retraining (`Config.ml.retrainMs` over the last `Config.ml.trainingWindowMs`). See
 * `docs/ml-registry.md` (Jobs, Schedule).
 *
 * Lifecycle: `queued` → `running` → `succeeded` | `failed` | `cancelled`. At shutdown
 * (`close`) the running job is aborted (`AbortSignal`) and recorded `cancelled`, queued ones too;
 * a job left `running` by a crash is recorded `failed` ("interrupted") when the service opens.
 * Training runs in one process: with several instances on one database, run training (the
 * schedule, `POST /api/v1/train`) on one of them.
 */
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { ErrorCodes, VigilError } from '../errors.js';
import { type Actor, SYSTEM_ACTOR, writeAudit } from '../store/audit.js';
import {
  closeOpenJobs,
  getJob,
  insertJob,
  type JobRow,
  type JobStatus,
  listJobs,
  openJobOf,
  updateJob,
} from '../store/ml-jobs.js';
import type { DatabaseSchema } from '../store/schema.js';
import type { ModelRegistry } from './registry.js';
import type { ModelTrainer } from './types.js';

type Db = Kysely<DatabaseSchema>;

/** A job as the API returns it. */
export interface TrainingJob {
  readonly id: number;
  readonly model: string;
  readonly status: JobStatus;
  /** 0..1. */
  readonly progress: number;
  readonly phase: string;
  readonly window: { readonly from: string; readonly to: string };
  readonly shadow: boolean;
  /** `api` | `schedule`. */
  readonly trigger: string;
  readonly actor: string;
  readonly created_at: string;
  readonly started_at: string | null;
  readonly finished_at: string | null;
  readonly error: string | null;
  readonly model_version_id: number | null;
}

export function trainingJobOf(j: JobRow): TrainingJob {
  return {
    id: j.id,
    model: j.model,
    status: j.status,
    progress: j.progress,
    phase: j.phase,
    window: { from: j.window_from.toISOString(), to: j.window_to.toISOString() },
    shadow: j.shadow,
    trigger: j.trigger,
    actor: j.actor,
    created_at: j.created_at.toISOString(),
    started_at: j.started_at?.toISOString() ?? null,
    finished_at: j.finished_at?.toISOString() ?? null,
    error: j.error,
    model_version_id: j.model_version_id,
  };
}

export interface TrainingRequest {
  /** Models to train (default: every registered trainer). */
  readonly models?: readonly string[] | undefined;
  /** Event-time window (default: the last `trainingWindowMs` up to now). */
  readonly from?: Date | undefined;
  readonly to?: Date | undefined;
  /** Register the results as `shadow` instead of `active`. */
  readonly shadow?: boolean | undefined;
}

export interface TrainingServiceOptions {
  readonly db: Db;
  readonly registry: ModelRegistry;
  readonly trainers?: readonly ModelTrainer[];
  readonly now?: () => Date;
  readonly log?: Logger;
  /** Default training window, ms back from `to` (`Config.ml.trainingWindowMs`). */
  readonly trainingWindowMs: number;
  /** Scheduled retraining period, ms; 0 = off (`Config.ml.retrainMs`). */
  readonly retrainMs: number;
  /** Progress is persisted when it advanced by this much (default 0.05) or the phase changed. */
  readonly progressStep?: number;
  /** Called when a job finishes (metrics). */
  readonly onFinished?: (job: TrainingJob) => void;
}

const INTERRUPTED = 'interrupted: the service stopped while the job was unfinished';

export class TrainingService {
  private readonly trainerMap = new Map<string, ModelTrainer>();
  private readonly queue: number[] = [];
  private running: Promise<void> | undefined;
  private readonly abort = new AbortController();
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private readonly now: () => Date;
  private readonly log: Logger | undefined;

  private constructor(private readonly o: TrainingServiceOptions) {
    this.now = o.now ?? (() => new Date());
    this.log = o.log;
    for (const t of o.trainers ?? []) this.addTrainer(t);
  }

  /** Opens the service: jobs left unfinished by a crash are recorded `failed` (running) or `cancelled`. */
  static async open(options: TrainingServiceOptions): Promise<TrainingService> {
    const s = new TrainingService(options);
    const ids = await closeOpenJobs(options.db, 'failed', INTERRUPTED, s.now());
    if (ids.length > 0) s.log?.warn({ jobs: ids }, 'training jobs interrupted by a restart');
    return s;
  }

  /** Adds (or replaces) the trainer of a model name. */
  addTrainer(trainer: ModelTrainer): void {
    this.trainerMap.set(trainer.name, trainer);
  }

  /** The trainable models. */
  trainers(): { name: string; description: string }[] {
    return [...this.trainerMap.values()].map((t) => ({ name: t.name, description: t.description }));
  }

  /**
   * Queues one job per model (all or none) and audits the request (`model.train`).
   * @throws VigilError `VIGIL_ERR_ML_UNKNOWN_MODEL` (404) for a name no trainer has (or no
   *   trainer at all), `VIGIL_ERR_ML_TRAINING_BUSY` (409) when a model already has an unfinished
   *   job, `VIGIL_ERR_BAD_REQUEST` (400) for an empty window, `VIGIL_ERR_UNAVAILABLE` after close
   */
  async start(request: TrainingRequest, actor: Actor, trigger = 'api'): Promise<TrainingJob[]> {
    if (this.closed) throw new VigilError(ErrorCodes.UNAVAILABLE, 'training is stopping');
    const names = [...new Set(request.models ?? [...this.trainerMap.keys()])];
    if (names.length === 0)
      throw new VigilError(ErrorCodes.ML_UNKNOWN_MODEL, 'no trainable model is registered');
    for (const n of names) if (!this.trainerMap.has(n)) throw new VigilError(ErrorCodes.ML_UNKNOWN_MODEL, n);
    const at = this.now();
    const to = request.to ?? at;
    const from = request.from ?? new Date(to.getTime() - this.o.trainingWindowMs);
    if (!(from.getTime() < to.getTime()))
      throw new VigilError(ErrorCodes.BAD_REQUEST, 'the training window is empty (from must be before to)');
    const jobs = await this.o.db.transaction().execute(async (trx) => {
      const out: JobRow[] = [];
      for (const model of names) {
        const open = await openJobOf(trx, model);
        if (open) throw new VigilError(ErrorCodes.ML_TRAINING_BUSY, model, open.id);
        try {
          out.push(
            await insertJob(trx, {
              model,
              windowFrom: from,
              windowTo: to,
              shadow: request.shadow ?? false,
              trigger,
              actor: actor.name,
              at,
            }),
          );
        } catch (err) {
          // A concurrent request won the partial unique index.
          if ((err as { code?: string }).code === '23505')
            throw new VigilError(ErrorCodes.ML_TRAINING_BUSY, model, '?');
          throw err;
        }
      }
      await writeAudit(
        trx,
        {
          actor,
          action: 'model.train',
          target: names.join(','),
          details: {
            jobs: out.map((j) => j.id),
            from: from.toISOString(),
            to: to.toISOString(),
            shadow: request.shadow ?? false,
            trigger,
          },
        },
        at,
      );
      return out;
    });
    for (const j of jobs) this.queue.push(j.id);
    this.kick();
    return jobs.map(trainingJobOf);
  }

  /** @throws VigilError `VIGIL_ERR_NOT_FOUND` (404) */
  async status(id: number): Promise<TrainingJob> {
    const j = await getJob(this.o.db, id);
    if (!j) throw new VigilError(ErrorCodes.NOT_FOUND, `training job ${id}`);
    return trainingJobOf(j);
  }

  /**
   * Jobs, newest first.
   * @throws VigilError `VIGIL_ERR_BAD_REQUEST` for a foreign cursor
   */
  async history(q: {
    model?: string | undefined;
    status?: JobStatus | undefined;
    limit: number;
    cursor?: string | undefined;
  }): Promise<{ jobs: TrainingJob[]; next?: string }> {
    const r = await listJobs(this.o.db, q);
    const jobs = r.jobs.map(trainingJobOf);
    return r.nextCursor ? { jobs, next: r.nextCursor } : { jobs };
  }

  /** Resolves when no job is queued or running (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  /**
   * Starts scheduled retraining: every `min(retrainMs, 60 s)` each trainer whose latest job
   * (of any outcome but `cancelled`) started `retrainMs` or more ago, or that never trained,
   * gets a job over the last `trainingWindowMs` (so a model with no version trains soon after
   * start). Does nothing when `retrainMs` is 0.
   */
  startSchedule(): void {
    if (this.o.retrainMs <= 0 || this.timer || this.closed) return;
    const every = Math.min(this.o.retrainMs, 60_000);
    const tick = (): void => {
      this.retrainDue().catch((err: unknown) => this.log?.error({ err }, 'scheduled retraining failed'));
    };
    this.timer = setInterval(tick, every);
    this.timer.unref();
    setImmediate(tick);
  }

  /**
   * One schedule check at `now()`: queues a job for each due trainer (see {@link startSchedule}).
   * @returns the queued jobs
   */
  async retrainDue(): Promise<TrainingJob[]> {
    if (this.o.retrainMs <= 0 || this.closed) return [];
    const at = this.now().getTime();
    const due: string[] = [];
    for (const name of this.trainerMap.keys()) {
      const last = await this.o.db
        .selectFrom('ml_training_jobs')
        .select(['status', 'created_at'])
        .where('model', '=', name)
        .where('status', '<>', 'cancelled')
        .orderBy('created_at', 'desc')
        .orderBy('id', 'desc')
        .limit(1)
        .executeTakeFirst();
      if (last && (last.status === 'queued' || last.status === 'running')) continue;
      if (!last || at - last.created_at.getTime() >= this.o.retrainMs) due.push(name);
    }
    if (due.length === 0) return [];
    try {
      return await this.start({ models: due }, SYSTEM_ACTOR, 'schedule');
    } catch (err) {
      if (err instanceof VigilError && err.code === ErrorCodes.ML_TRAINING_BUSY.code) return [];
      throw err;
    }
  }

  /** Stops the schedule, aborts the running job, cancels queued ones and waits for the runner. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.queue.length = 0;
    this.abort.abort(new Error('the service is stopping'));
    await this.idle();
    await closeOpenJobs(this.o.db, 'cancelled', 'cancelled: the service stopped', this.now());
  }

  private kick(): void {
    if (this.running) return;
    this.running = (async () => {
      try {
        for (let id = this.queue.shift(); id !== undefined && !this.closed; id = this.queue.shift()) {
          try {
            await this.run(id);
          } catch (err) {
            // A database error while recording the job: log it and go on (an unhandled
            // rejection here would stop the process; the next start closes the job).
            this.log?.error({ err, job: id }, 'training job not recorded');
          }
        }
      } finally {
        this.running = undefined;
      }
    })();
  }

  private async run(id: number): Promise<void> {
    const db = this.o.db;
    const job = await getJob(db, id);
    if (!job || job.status !== 'queued') return;
    const trainer = this.trainerMap.get(job.model);
    const started = this.now();
    await updateJob(db, id, { status: 'running', started_at: started, phase: 'starting', progress: 0 }, [
      'queued',
    ]);
    const log = this.log?.child({ job: id, model: job.model });
    log?.info('training started');
    const step = this.o.progressStep ?? 0.05;
    let saved = { fraction: 0, phase: 'starting' };
    let chain: Promise<unknown> = Promise.resolve();
    const progress = (fraction: number, phase: string): void => {
      const f = Math.min(1, Math.max(0, Number.isFinite(fraction) ? fraction : 0));
      if (f - saved.fraction < step && phase === saved.phase) return;
      saved = { fraction: f, phase };
      chain = chain
        .then(() => updateJob(db, id, { progress: f, phase }, ['running']))
        .catch((err: unknown) => log?.warn({ err }, 'training progress not saved'));
    };
    let patch: Parameters<typeof updateJob>[2];
    try {
      if (!trainer) throw new VigilError(ErrorCodes.ML_UNKNOWN_MODEL, job.model);
      const trained = await trainer.train(
        db,
        { from: job.window_from, to: job.window_to },
        progress,
        this.abort.signal,
      );
      this.abort.signal.throwIfAborted();
      await chain;
      const version = await db.transaction().execute(async (trx) => {
        const v = await this.o.registry.register(trx, job.model, trained, {
          jobId: id,
          promote: job.shadow ? 'shadow' : 'active',
          actor: { name: job.actor, ip: null },
        });
        const open = await updateJob(
          trx,
          id,
          {
            status: 'succeeded',
            progress: 1,
            phase: 'done',
            finished_at: this.now(),
            model_version_id: v.id,
          },
          ['running'],
        );
        // Closed meanwhile (another instance's start-up, an operator): keep nothing.
        if (!open) throw new Error('the job was closed while it trained');
        return v;
      });
      await this.o.registry.refresh();
      log?.info({ version: version.version, rows: trained.rows }, 'training succeeded');
      patch = {};
    } catch (err) {
      await chain;
      const aborted = this.abort.signal.aborted;
      const message = (
        err instanceof VigilError
          ? `${err.code}: ${err.message}`
          : err instanceof Error
            ? err.message
            : String(err)
      ).replace(/\0/g, '\ufffd'); // PostgreSQL text cannot hold NUL
      patch = {
        status: aborted ? 'cancelled' : 'failed',
        phase: aborted ? 'cancelled' : 'failed',
        finished_at: this.now(),
        error: aborted ? 'cancelled: the service stopped' : message,
      };
      if (aborted) log?.info('training cancelled');
      else log?.warn({ err: message }, 'training failed');
    }
    if (patch.status) await updateJob(db, id, patch, ['running']);
    const done = await getJob(db, id);
    if (done) this.o.onFinished?.(trainingJobOf(done));
  }
}
