/**
 * A real, small trainer for the registry and training tests: per `host.name`, the events in the
 * window and the distinct `event.action` values, fitted with the Isolation Forest. Reads the
 * events table; no mocks. `gate` lets a test hold the training at 50 % (busy, progress).
 */
import { type Kysely, sql } from 'kysely';
import { buildHistograms } from '../../src/detect/anomaly/drift.js';
import { IsolationForest, isolationForestFile } from '../../src/detect/anomaly/isolation-forest.js';
import { encode, inferSchema } from '../../src/detect/features/table.js';
import { ErrorCodes, VigilError } from '../../src/errors.js';
import type { ModelTrainer, TrainedModel, TrainingProgress } from '../../src/ml/types.js';
import type { NewEvent } from '../../src/store/events.js';
import type { DatabaseSchema } from '../../src/store/schema.js';

export class HostActivityTrainer implements ModelTrainer {
  readonly description = 'events and distinct actions per host (test trainer)';
  /** When set, training waits for it after reporting 0.5 ('fitting'). */
  gate: Promise<void> | undefined;
  /** Windows trained on, in order. */
  readonly windows: { from: Date; to: Date }[] = [];

  constructor(readonly name = 'host-activity') {}

  async train(
    db: Kysely<DatabaseSchema>,
    window: { readonly from: Date; readonly to: Date },
    progress: TrainingProgress,
    signal: AbortSignal,
  ): Promise<TrainedModel> {
    this.windows.push({ from: window.from, to: window.to });
    progress(0.1, 'reading');
    const rows = await db
      .selectFrom('events')
      .select([
        sql<string>`ecs->'host'->>'name'`.as('host'),
        sql<string>`count(*)`.as('events'),
        sql<string>`count(DISTINCT ecs->'event'->>'action')`.as('actions'),
      ])
      .where('timestamp', '>=', window.from)
      .where('timestamp', '<', window.to)
      .groupBy(sql`ecs->'host'->>'name'`)
      .execute();
    if (rows.length < 2)
      throw new VigilError(ErrorCodes.ML_NO_DATA, this.name, `${rows.length} hosts in the window`);
    const records = rows.map((r) => ({ events: Number(r.events), actions: Number(r.actions) }));
    progress(0.5, 'fitting');
    if (this.gate)
      await Promise.race([
        this.gate,
        new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true })),
      ]);
    signal.throwIfAborted();
    progress(0.9, 'histograms');
    return fitTrained(records, window);
  }
}

/**
 * Fits a small Isolation Forest on records and wraps it as a trainer's result (training score
 * quantiles in `metrics.score_p50/p95/p99`).
 */
export function fitTrained(
  records: readonly Record<string, number>[],
  window: { readonly from: Date; readonly to: Date },
): TrainedModel {
  const schema = inferSchema(records);
  const matrix = encode(schema, records);
  const forest = IsolationForest.fit(matrix, schema, { trees: 10, seed: 7 });
  const sorted = [...forest.scoreMatrix(matrix)].sort((a, b) => a - b);
  const q = (p: number): number => sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)] ?? 0;
  const metrics = { rows: records.length, score_p50: q(0.5), score_p95: q(0.95), score_p99: q(0.99) };
  return {
    file: isolationForestFile(forest, window.to.toISOString(), metrics),
    window: { from: window.from, to: window.to },
    rows: records.length,
    metrics,
    histograms: buildHistograms(schema, matrix),
  };
}

/** `n` events per host for hosts `h0..h{hosts-1}` (host i gets i + 1 actions), at `at`. */
export function hostEvents(hosts: number, perHost: number, at: Date): NewEvent[] {
  const out: NewEvent[] = [];
  for (let h = 0; h < hosts; h++)
    for (let i = 0; i < perHost; i++) {
      const ecs = {
        '@timestamp': at.toISOString(),
        host: { name: `h${h}` },
        event: { action: `a${i % (h + 1)}` },
      };
      out.push({
        timestamp: at.toISOString(),
        ingested: at.toISOString(),
        source: 'http',
        decoder: 'json',
        format: 'json',
        logsource: { product: 'test' },
        ecs,
        original: JSON.stringify(ecs),
      });
    }
  return out;
}
