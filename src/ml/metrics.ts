/**
 * ML metrics: per model, the active version and its age, windows scored and alerts raised,
 * score quantiles of recent windows beside the training ones, and the last training job
 * (`GET /api/v1/metrics/ml`); and the same plus drift as Prometheus series, computed at most once
 * per `ttlMs` and never holding a scrape longer than `scrapeWaitMs` (a slow refresh serves the
 * previous figures). See `docs/ml-registry.md` (Metrics).
 */
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { Counter, Gauge, type Registry } from 'prom-client';
import { jobCounts, latestJobs } from '../store/ml-jobs.js';
import { readScoreCounts, readScoreQuantiles } from '../store/ml-scores.js';
import type { DatabaseSchema } from '../store/schema.js';
import { DRIFT_WINDOW_MS, driftReport } from './drift.js';
import type { ModelRegistry } from './registry.js';
import { type TrainingJob, trainingJobOf, type TrainingService } from './training.js';
import type { ModelVersion } from './types.js';

type Db = Kysely<DatabaseSchema>;

const QUANTILES = [0.5, 0.95, 0.99] as const;

export interface ScoreQuantiles {
  readonly p50: number | null;
  readonly p95: number | null;
  readonly p99: number | null;
}

export interface ModelMetrics {
  readonly model: string;
  readonly active_version: ModelVersion | null;
  /** Seconds since the active version was registered. */
  readonly active_age_seconds: number | null;
  readonly shadow_version_ids: number[];
  /** Windows scored by non-shadow versions: all time and in the recent window. */
  readonly scored: { readonly total: number; readonly recent: number };
  /** Windows that raised an alert (all time). */
  readonly alerts: number;
  /** Recent scores of the active version (`count` windows), beside the training metrics' `score_p50/p95/p99`. */
  readonly scores: {
    readonly recent: (ScoreQuantiles & { readonly count: number }) | null;
    readonly training: ScoreQuantiles | null;
  };
  readonly last_job: TrainingJob | null;
}

function trainingQuantiles(v: ModelVersion): ScoreQuantiles | null {
  const get = (k: string): number | null => {
    const x = v.metrics[k];
    return typeof x === 'number' && Number.isFinite(x) ? x : null;
  };
  const q = { p50: get('score_p50'), p95: get('score_p95'), p99: get('score_p99') };
  return q.p50 === null && q.p95 === null && q.p99 === null ? null : q;
}

/** The Prometheus figures, as last computed. */
interface PromSnapshot {
  readonly psi: { model: string; feature: string; value: number }[];
  readonly scored: { model: string; value: number }[];
  readonly alerts: { model: string; value: number }[];
  readonly jobs: { model: string; status: string; value: number }[];
  readonly age: { model: string; value: number }[];
}

const EMPTY: PromSnapshot = { psi: [], scored: [], alerts: [], jobs: [], age: [] };

export interface MlMonitorOptions {
  readonly db: Db;
  readonly registry: ModelRegistry;
  readonly training: TrainingService;
  readonly now: () => Date;
  readonly log?: Logger;
  /** Prometheus figures are recomputed at most this often, ms (default 60,000). */
  readonly ttlMs?: number;
  /** A scrape waits at most this long for a recomputation, ms (default 2,000). */
  readonly scrapeWaitMs?: number;
}

export class MlMonitor {
  private cache: { at: number; value: PromSnapshot } | undefined;
  private inflight: Promise<PromSnapshot> | undefined;

  constructor(private readonly o: MlMonitorOptions) {}

  /**
   * Per-model ML metrics (every model with a trainer, a version or scored windows), by name.
   * @param windowMs - the recent window, ms back from now (default 24 h)
   */
  async report(windowMs = DRIFT_WINDOW_MS): Promise<ModelMetrics[]> {
    const { db, registry } = this.o;
    const now = this.o.now();
    const since = new Date(now.getTime() - windowMs);
    const counts = new Map((await readScoreCounts(db, since)).map((c) => [c.model, c]));
    const jobs = new Map((await latestJobs(db)).map((j) => [j.model, j]));
    const versions = await registry.list({ limit: 10_000 });
    const names = new Set<string>([
      ...this.o.training.trainers().map((t) => t.name),
      ...versions.map((v) => v.name),
      ...counts.keys(),
    ]);
    const out: ModelMetrics[] = [];
    for (const model of [...names].sort()) {
      const active = registry.active(model)?.version ?? null;
      const recent = active ? await readScoreQuantiles(db, active.id, since, QUANTILES) : null;
      const c = counts.get(model);
      const job = jobs.get(model);
      out.push({
        model,
        active_version: active,
        active_age_seconds: active
          ? Math.max(0, (now.getTime() - Date.parse(active.created_at)) / 1000)
          : null,
        shadow_version_ids: registry.shadows(model).map((s) => s.version.id),
        scored: { total: c?.scored ?? 0, recent: c?.scoredRecent ?? 0 },
        alerts: c?.alerts ?? 0,
        scores: {
          recent: recent
            ? {
                count: recent.count,
                p50: recent.values[0] ?? null,
                p95: recent.values[1] ?? null,
                p99: recent.values[2] ?? null,
              }
            : null,
          training: active ? trainingQuantiles(active) : null,
        },
        last_job: job ? trainingJobOf(job) : null,
      });
    }
    return out;
  }

  /** The Prometheus figures: cached for `ttlMs`; a scrape waits at most `scrapeWaitMs`. */
  async prometheus(): Promise<PromSnapshot> {
    const t = this.o.now().getTime();
    if (this.cache && t - this.cache.at < (this.o.ttlMs ?? 60_000)) return this.cache.value;
    this.inflight ??= this.compute()
      .then((value) => {
        this.cache = { at: t, value };
        return value;
      })
      .finally(() => {
        this.inflight = undefined;
      });
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), this.o.scrapeWaitMs ?? 2000);
    });
    try {
      return (await Promise.race([this.inflight, timeout])) ?? this.cache?.value ?? EMPTY;
    } catch (err) {
      this.o.log?.warn({ err }, 'ML metrics not computed');
      return this.cache?.value ?? EMPTY;
    } finally {
      clearTimeout(timer);
    }
  }

  private async compute(): Promise<PromSnapshot> {
    const { db, registry } = this.o;
    const now = this.o.now();
    const report = await this.report();
    const drift = await driftReport(db, registry, now);
    return {
      psi: drift.flatMap((m) =>
        m.features.flatMap((f) =>
          f.psi === null ? [] : [{ model: m.model, feature: f.feature, value: f.psi }],
        ),
      ),
      scored: report.map((m) => ({ model: m.model, value: m.scored.total })),
      alerts: report.map((m) => ({ model: m.model, value: m.alerts })),
      jobs: (await jobCounts(db)).map((j) => ({ model: j.model, status: j.status, value: j.count })),
      age: report.flatMap((m) =>
        m.active_age_seconds === null ? [] : [{ model: m.model, value: m.active_age_seconds }],
      ),
    };
  }

  /**
   * Registers the Prometheus series on a registry: `vigil_ml_feature_psi{model,feature}`,
   * `vigil_ml_scored_total{model}`, `vigil_ml_alerts_total{model}`,
   * `vigil_ml_training_jobs_total{model,status}`, `vigil_ml_model_age_seconds{model}`. The
   * `_total` series are counts kept in the database (they survive restarts).
   */
  register(registry: Registry): void {
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const monitor = this;
    const registers = [registry];
    new Gauge({
      name: 'vigil_ml_feature_psi',
      help: 'Population Stability Index of a feature of the active model: training vs the last 24 h of scored windows',
      labelNames: ['model', 'feature'],
      registers,
      async collect() {
        const s = await monitor.prometheus();
        this.reset();
        for (const p of s.psi) this.set({ model: p.model, feature: p.feature }, p.value);
      },
    });
    const counter = (
      name: string,
      help: string,
      pick: (s: PromSnapshot) => { model: string; value: number }[],
    ): void => {
      new Counter({
        name,
        help,
        labelNames: ['model'],
        registers,
        async collect() {
          const s = await monitor.prometheus();
          this.reset();
          for (const p of pick(s)) this.inc({ model: p.model }, p.value);
        },
      });
    };
    counter('vigil_ml_scored_total', 'Entity windows scored by the active model versions', (s) => s.scored);
    counter('vigil_ml_alerts_total', 'Entity windows that raised an alert', (s) => s.alerts);
    new Counter({
      name: 'vigil_ml_training_jobs_total',
      help: 'Training jobs, by model and status',
      labelNames: ['model', 'status'],
      registers,
      async collect() {
        const s = await monitor.prometheus();
        this.reset();
        for (const j of s.jobs) this.inc({ model: j.model, status: j.status }, j.value);
      },
    });
    new Gauge({
      name: 'vigil_ml_model_age_seconds',
      help: 'Seconds since the active version of a model was registered',
      labelNames: ['model'],
      registers,
      async collect() {
        const s = await monitor.prometheus();
        this.reset();
        for (const a of s.age) this.set({ model: a.model }, a.value);
      },
    });
  }
}
