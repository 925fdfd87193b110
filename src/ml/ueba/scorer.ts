/**
 * Closing UEBA windows in the detection transaction: features against the entity's persisted
 * baseline, scores from the active model of the entity type (and its shadows), alert matches at or
 * above the threshold, then the baselines, global process counts and scored windows written.
 * Baselines are cached in memory (bounded); the cache is dropped whenever a batch did not commit.
 */
import type { Kysely } from 'kysely';
import type { FeatureContribution } from '../../detect/anomaly/isolation-forest.js';
import type { AttackLookup } from '../../detect/attack/catalog.js';
import type { Baseline } from '../../detect/ueba/baseline.js';
import { type ClosedWindow, closeWindows, entityKey } from '../../detect/ueba/close.js';
import type { EntityType } from '../../detect/ueba/entities.js';
import { deviations } from '../../detect/ueba/explain.js';
import { modelInput } from '../../detect/ueba/features.js';
import type { EntityWindow } from '../../detect/ueba/window.js';
import { type AlertMatch, readEvidence } from '../../store/alerts.js';
import { type NewScore, recordScores } from '../../store/ml-scores.js';
import type { DatabaseSchema } from '../../store/schema.js';
import {
  addProcessCounts,
  type BaselineWrite,
  readBaselines,
  readProcessCounts,
  saveBaselines,
} from '../../store/ueba.js';
import type { ActiveModels, ModelVersion } from '../types.js';
import { uebaAlertMatch } from './alert.js';
import { type LoadedModel, UebaModels } from './models.js';

type Db = Kysely<DatabaseSchema>;

/** What became of a closed window. */
export type UebaResult = 'alerted' | 'normal' | 'cold' | 'unscored';

/** Baselines kept in memory at most (entities and populations). */
export const BASELINE_CACHE = 50_000;

export interface ScorerOptions {
  readonly models: ActiveModels;
  readonly threshold: number;
  readonly attack?: () => AttackLookup | undefined;
  readonly onInvalidModel?: (version: ModelVersion, err: Error) => void;
}

/** What closing a group of windows produced. */
export interface ScoredGroup {
  readonly matches: AlertMatch[];
  /** Process starts added to the global counts. */
  readonly processStarts: number;
  /** Closed windows per `type` + U+0001 + result. */
  readonly tally: Map<string, number>;
}

/** An explanation with the features' own values (the model read them scaled). */
function inUnits(
  explanation: readonly FeatureContribution[],
  features: Readonly<Record<string, number>>,
): FeatureContribution[] {
  return explanation.map((c) => {
    const x = features[c.feature];
    return { ...c, value: x === undefined || !Number.isFinite(x) ? null : x };
  });
}

function finiteOrNull(f: Readonly<Record<string, number>>): Record<string, number | null> {
  const out: Record<string, number | null> = {};
  for (const [k, v] of Object.entries(f)) out[k] = Number.isFinite(v) ? v : null;
  return out;
}

export class UebaScorer {
  private readonly models: UebaModels;
  private readonly cache = new Map<string, Baseline | null>();

  constructor(private readonly o: ScorerOptions) {
    this.models = new UebaModels(o.models, o.onInvalidModel);
  }

  /** Forgets cached baselines (after a batch that did not commit). */
  reset(): void {
    this.cache.clear();
  }

  private remember(key: string, b: Baseline | null): void {
    if (this.cache.size >= BASELINE_CACHE && !this.cache.has(key)) {
      const oldest = this.cache.keys().next();
      if (!oldest.done) this.cache.delete(oldest.value);
    }
    this.cache.set(key, b);
  }

  private async baselines(trx: Db, windows: readonly EntityWindow[]): Promise<void> {
    const missing = new Map<string, { type: EntityType; value: string }>();
    for (const w of windows)
      for (const value of [w.value, '']) {
        const key = entityKey(w.type, value);
        if (!this.cache.has(key)) missing.set(key, { type: w.type, value });
      }
    if (missing.size === 0) return;
    const stored = await readBaselines(trx, [...missing.values()]);
    for (const key of missing.keys()) this.remember(key, stored.get(key)?.baseline ?? null);
  }

  /**
   * Closes windows inside the detection transaction.
   * @param processTotal - process starts counted globally before these windows
   */
  async close(
    trx: Db,
    windows: readonly EntityWindow[],
    processTotal: number,
    now: Date,
  ): Promise<ScoredGroup> {
    await this.baselines(trx, windows);
    const names = new Set<string>();
    for (const w of windows) for (const name of w.processes.keys()) names.add(name);
    const counts = await readProcessCounts(trx, [...names]);
    const result = closeWindows(windows, {
      baseline: (type, value) => this.cache.get(entityKey(type, value)) ?? undefined,
      population: (type) => this.cache.get(entityKey(type, '')) ?? undefined,
      processes: { total: processTotal, count: (name) => counts.get(name) ?? 0 },
    });
    const threshold = this.o.threshold;
    const scores: NewScore[] = [];
    const alerting: { closed: ClosedWindow; model: LoadedModel; score: number; row: Float64Array }[] = [];
    const lastScore = new Map<string, number | null>();
    const lastWindow = new Map<string, ClosedWindow>();
    const tally = new Map<string, number>();
    const count = (type: EntityType, r: UebaResult): void => {
      const k = `${type}\u0001${r}`;
      tally.set(k, (tally.get(k) ?? 0) + 1);
    };
    for (const c of result.closed) {
      const w = c.window;
      const key = entityKey(w.type, w.value);
      lastWindow.set(key, c);
      lastScore.set(key, null);
      if (!c.scored) {
        count(w.type, 'unscored');
        continue;
      }
      const active = this.models.active(w.type);
      const live = active ? [active, ...this.models.shadows(w.type)] : this.models.shadows(w.type);
      const input = modelInput(c.features);
      for (const m of live) {
        const row = new Float64Array(m.encoder.cols);
        m.encoder.encodeRow(input, row);
        const score = m.forest.score(row);
        const shadow = m !== active;
        const alerted = !shadow && score >= threshold;
        scores.push({
          modelName: m.version.name,
          modelVersionId: m.version.id,
          shadow,
          entityType: w.type,
          entityValue: w.value,
          windowStart: new Date(w.start),
          windowEnd: new Date(w.end),
          score,
          features: finiteOrNull(c.features),
          // The explanation costs as much as the score: kept for windows at or above the threshold.
          top: score >= threshold ? inUnits(m.forest.explain(row, 0, 5), c.features) : [],
          alerted,
          createdAt: now,
        });
        if (shadow) continue;
        lastScore.set(key, score);
        if (alerted) alerting.push({ closed: c, model: m, score, row });
      }
      count(w.type, !active ? 'cold' : (lastScore.get(key) ?? 0) >= threshold ? 'alerted' : 'normal');
    }
    const writes: BaselineWrite[] = [];
    for (const [key, baseline] of result.baselines) {
      const c = lastWindow.get(key)!;
      writes.push({
        type: c.window.type,
        value: c.window.value,
        baseline,
        lastWindowStart: c.window.start,
        lastFeatures: c.features,
        lastScore: lastScore.get(key) ?? null,
      });
      this.remember(key, baseline);
    }
    for (const [type, baseline] of result.populations) {
      writes.push({ type, value: '', baseline, lastWindowStart: null, lastFeatures: null, lastScore: null });
      this.remember(entityKey(type, ''), baseline);
    }
    await saveBaselines(trx, writes, now);
    if (result.processCounts.size > 0) await addProcessCounts(trx, result.processCounts);
    if (scores.length > 0) await recordScores(trx, scores);
    const matches: AlertMatch[] = [];
    const attack = this.o.attack?.();
    for (const a of alerting) {
      const c = a.closed;
      const explanation = inUnits(a.model.forest.explain(a.row), c.features);
      matches.push(
        uebaAlertMatch({
          closed: c,
          model: { name: a.model.version.name, version: a.model.version.version, id: a.model.version.id },
          score: a.score,
          threshold,
          explanation,
          deviations: deviations(c.features, explanation, c.baseline, c.population),
          evidence: await readEvidence(trx, c.window.evidence),
          attack,
        }),
      );
    }
    return { matches, processStarts: result.processTotal, tally };
  }
}
