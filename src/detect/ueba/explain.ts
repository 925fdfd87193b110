/**
 * What a UEBA alert says about its window: the deviating features (ordered by the model's
 * explanation, each with the entity's baseline and z-score), the alert level, the ATT&CK tags the
 * window's pattern justifies, and a one-line message. Pure.
 */
import type { FeatureContribution } from '../anomaly/isolation-forest.js';
import { type Baseline, stdOf, zScore } from './baseline.js';
import type { EntityType } from './entities.js';
import { featureDefinition } from './features.js';

/** Windows an entity needs before its own baseline (not its type's population) is the reference. */
export const MIN_ENTITY_WINDOWS = 5;
/** Deviating features listed per alert at most. */
export const MAX_DEVIATIONS = 5;

/** One deviating feature of a scored window. */
export interface Deviation {
  readonly feature: string;
  /** The window's value (null = unknown). */
  readonly value: number | null;
  /** The model's credit for it (Isolation Forest path-length contribution). */
  readonly contribution: number;
  /** What the value is compared with: the entity's own windows, or all entities of its type. */
  readonly baseline: {
    readonly of: 'entity' | 'population';
    readonly windows: number;
    readonly mean: number | null;
    readonly std: number | null;
  };
  /** (value − mean) / max(std, the feature's floor); null without two baseline windows. */
  readonly z: number | null;
}

/**
 * The deviating features: the model's top contributions (positive ones, at most
 * {@link MAX_DEVIATIONS}; the top three when none is positive), each with its baseline.
 * @param entity - the entity's baseline before the window (used from {@link MIN_ENTITY_WINDOWS} windows)
 * @param population - the population baseline of the entity type before the window
 */
export function deviations(
  features: Readonly<Record<string, number>>,
  explanation: readonly FeatureContribution[],
  entity: Baseline | undefined,
  population: Baseline | undefined,
): Deviation[] {
  const positive = explanation.filter((c) => c.contribution > 0).slice(0, MAX_DEVIATIONS);
  const chosen = positive.length > 0 ? positive : explanation.slice(0, 3);
  const own = entity !== undefined && entity.windows >= MIN_ENTITY_WINDOWS;
  const ref = own ? entity : population;
  return chosen.map((c) => {
    const x = features[c.feature] ?? NaN;
    const stat = ref?.stats[c.feature];
    const floor = featureDefinition(c.feature)?.floor ?? 1;
    return {
      feature: c.feature,
      value: Number.isFinite(x) ? x : null,
      contribution: c.contribution,
      baseline: {
        of: own ? 'entity' : 'population',
        windows: ref?.windows ?? 0,
        mean: stat ? stat.mean : null,
        std: stat && stat.n >= 2 ? stdOf(stat) : null,
      },
      z: zScore(stat, x, floor),
    };
  });
}

export type UebaLevel = 'low' | 'medium' | 'high';

/**
 * Alert level by how far the score is above the threshold T, as a share m = (score − T) / (1 − T)
 * of the room above it: low below 0.25, medium below 0.5, high from 0.5 (T = 0.65: low from 0.65,
 * medium from 0.7375, high from 0.825). Never critical: an anomaly alone is not proof of an attack.
 */
export function uebaLevel(score: number, threshold: number): UebaLevel {
  const m = threshold >= 1 ? 1 : (score - threshold) / (1 - threshold);
  const eps = 1e-9; // 0.825 with T = 0.65 is m = 0.4999999999999999 in floating point
  return m < 0.25 - eps ? 'low' : m < 0.5 - eps ? 'medium' : 'high';
}

/** Failures in a window from which a failure-driven anomaly is tagged as brute force. */
export const BRUTE_FORCE_MIN_FAILURES = 10;
/** Failure ratio from which a failure-driven anomaly is tagged as brute force. */
export const BRUTE_FORCE_MIN_RATIO = 0.8;

/**
 * Sigma-style ATT&CK tags of a window: `attack.credential-access` + `attack.t1110` (Brute Force:
 * "adversaries may use brute force techniques to gain access to accounts when passwords are unknown";
 * ATT&CK's detection for it is many authentication failures) when at least
 * {@link BRUTE_FORCE_MIN_FAILURES} failures make at least {@link BRUTE_FORCE_MIN_RATIO} of the
 * window's attempts and a failure feature is among the deviating ones; otherwise none.
 */
export function attackTags(features: Readonly<Record<string, number>>, devs: readonly Deviation[]): string[] {
  const failures = features.logon_failures ?? 0;
  const ratio = features.failure_ratio ?? NaN;
  const driven = devs.some((d) => d.feature === 'logon_failures' || d.feature === 'failure_ratio');
  return failures >= BRUTE_FORCE_MIN_FAILURES && ratio >= BRUTE_FORCE_MIN_RATIO && driven
    ? ['attack.credential-access', 'attack.t1110']
    : [];
}

function fmt(x: number | null): string {
  if (x === null) return 'unknown';
  return Number.isInteger(x) ? String(x) : x.toFixed(2);
}

/** One line for `message`: model, score, entity, window and the deviating features. */
export function uebaMessage(p: {
  readonly model: string;
  readonly version: number;
  readonly score: number;
  readonly threshold: number;
  readonly type: EntityType;
  readonly value: string;
  readonly start: number;
  readonly end: number;
  readonly deviations: readonly Deviation[];
}): string {
  const parts = p.deviations.map((d) => {
    const base = d.baseline.mean === null ? 'no baseline' : `${d.baseline.of} mean ${fmt(d.baseline.mean)}`;
    return `${d.feature} ${fmt(d.value)} (${base}${d.z === null ? '' : `, z ${d.z.toFixed(1)}`})`;
  });
  return (
    `${p.model} v${p.version} scored ${p.type} ${p.value} ${p.score.toFixed(3)} (threshold ${p.threshold}) ` +
    `in ${new Date(p.start).toISOString()}–${new Date(p.end).toISOString()}: ${parts.join('; ')}`
  );
}
