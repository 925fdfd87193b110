/**
 * Entity risk scoring (risk-based alerting): pure functions, no I/O, no clock (time is passed in
 * as epoch milliseconds), so a score is a deterministic function of the alerts and the times they
 * were scored at.
 *
 * Each alert adds points to each of its entities (`host.name`, `user.name`, `source.ip`):
 *
 *   points = base(level) × status(rule.status) × diversity(new tactics) × repetition(earlier) [× 0.25 for a suppressed repeat]
 *
 * and an entity's score is the sum of its points, each halved every `halfLifeMs` since it was
 * scored. The idea follows Splunk's risk-based alerting (risk events accumulate on a risk object;
 * a risk incident rule fires when the sum crosses a threshold, default 100, or when the object
 * shows 3 or more ATT&CK tactics) and Elastic's entity risk scoring (alert risk scores aggregated
 * per `host.name`/`user.name`, later ones weighted by 1/i^1.5 so that the sum stays bounded). The
 * formula and its constants are Vigil's own; `docs/risk.md` explains them with examples.
 *
 * Sources: Splunk Enterprise Security, "Default risk incident rules" (Risk Threshold Exceeded for
 * Object Over 24 Hour Period; ATT&CK Tactic Threshold Exceeded for Object Over Previous 7 Days);
 * Elastic Security, "Entity risk scoring — how are risk scores calculated"; Cormode, Shkapenyuk,
 * Srivastava, Xu, "Forward Decay: A Practical Time Decay Model for Streaming Systems", ICDE 2009
 * (the decay-invariant rank key).
 */
import { SIGMA_LEVELS, SIGMA_STATUSES, type SigmaLevel, type SigmaStatus } from '../detect/sigma/types.js';
import { DEFAULT_LEVEL, LEVEL_SEVERITY } from '../scan/detection.js';

/** The kinds of entity an alert names: `host.name`, `user.name`, `source.ip`. */
export const ENTITY_TYPES = ['host', 'user', 'ip'] as const;
export type EntityType = (typeof ENTITY_TYPES)[number];

export interface EntityRef {
  readonly type: EntityType;
  readonly value: string;
}

/** The map key of an entity: `${type}:${value}` (`host:WS-01`, `ip:10.0.0.5`). */
export function entityId(e: EntityRef): string {
  return `${e.type}:${e.value}`;
}

/** The configurable part of scoring. */
export interface RiskParams {
  /** Score (points) at which an entity raises a risk incident (`VIGIL_RISK_THRESHOLD`, default 100). */
  readonly threshold: number;
  /** Time for a contribution to lose half its points, ms (`VIGIL_RISK_HALF_LIFE_MS`, default 24 h). */
  readonly halfLifeMs: number;
}

export const DEFAULT_RISK_PARAMS: RiskParams = { threshold: 100, halfLifeMs: 86_400_000 };

/**
 * Multiplier per Sigma rule status (Sigma specification, "status"): a stable rule's alert is worth
 * more than a rule still in test, which is worth more than an experimental one.
 */
export const STATUS_MULTIPLIER: Readonly<Record<SigmaStatus, number>> = {
  stable: 1,
  test: 0.8,
  experimental: 0.5,
  deprecated: 0.25,
  unsupported: 0.25,
};
/** A rule without `status` (the field is optional in Sigma) counts as experimental. */
export const UNKNOWN_STATUS_MULTIPLIER = 0.5;
/** A suppressed repeat (a match folded into an open alert) adds a quarter of what a new alert would. */
export const SUPPRESSED_MULTIPLIER = 0.25;
/** Repetition multiplier `(1 + earlier)^-1.5`: one rule alone adds at most ζ(1.5) ≈ 2.612 × its points. */
export const REPETITION_EXPONENT = 1.5;
/** Bonus per ATT&CK tactic new to an entity that already has tactics. */
export const DIVERSITY_BONUS = 0.5;
/** New tactics counted per alert (a rule tagged with many tactics gets at most × 2). */
export const DIVERSITY_MAX_NEW = 2;
/** A tactic is forgotten after this many half-lives without an alert (7 days at the default). */
export const TACTIC_MEMORY_HALF_LIVES = 7;
/** An entity that crossed the threshold re-arms once its score falls below this fraction of it. */
export const REARM_FRACTION = 0.5;
/** Rule repetition memories below this decayed count are dropped. */
const RULE_MEMORY_FLOOR = 0.01;
/** Smallest score the rank key takes the logarithm of. */
const MIN_SCORE = 1e-300;

/** What an entity remembers of a rule: the decayed count of its matches, as of `at`. */
export interface RuleMemory {
  readonly n: number;
  readonly at: number;
}

/** An entity's scoring state: an exponentially decayed accumulator plus what diversity and repetition need. */
export interface EntityRisk {
  /** Points as of `at` (epoch ms). */
  readonly score: number;
  readonly at: number;
  /** Crossed the threshold and not re-armed since (hysteresis, see {@link applyBatch}). */
  readonly crossed: boolean;
  /** ATT&CK tactic id → epoch ms of its last alert on this entity. */
  readonly tactics: Readonly<Record<string, number>>;
  /** Rule id → decayed count of its matches on this entity. */
  readonly rules: Readonly<Record<string, RuleMemory>>;
}

export const EMPTY_RISK: EntityRisk = Object.freeze({
  score: 0,
  at: 0,
  crossed: false,
  tactics: Object.freeze({}),
  rules: Object.freeze({}),
});

/** One alert change as scoring sees it. */
export interface RiskInput {
  /** `created`: a new alert; `suppressed`: a repeat folded into an open alert. */
  readonly kind: 'created' | 'suppressed';
  readonly ruleId: string;
  /** Sigma `level` (unknown values count as medium). */
  readonly level: string;
  /** Sigma `status`, or null when the rule has none. */
  readonly status: string | null;
  /** ATT&CK tactic ids of the rule (`TA0002`). */
  readonly tactics: readonly string[];
}

/** How one input was scored: every factor of its points, for the explanation. */
export interface Scored {
  readonly points: number;
  /** Points of the level: ECS `event.severity` of the alert (informational 10 … critical 99). */
  readonly base: number;
  readonly status: number;
  readonly diversity: number;
  readonly repetition: number;
  /** 1 for a new alert, {@link SUPPRESSED_MULTIPLIER} for a suppressed repeat. */
  readonly suppressed: number;
  /** Decayed count of earlier matches of the same rule on the entity. */
  readonly earlier: number;
  /** Tactics that earned the diversity bonus. */
  readonly newTactics: readonly string[];
}

/**
 * `points × 2^(-(toMs - fromMs) / halfLifeMs)`; a time before `fromMs` does not grow the points.
 */
export function decay(points: number, fromMs: number, toMs: number, halfLifeMs: number): number {
  const elapsed = toMs - fromMs;
  return elapsed <= 0 ? points : points * Math.pow(2, -elapsed / halfLifeMs);
}

/** The entity's score at `nowMs` (points). */
export function currentScore(state: EntityRisk, nowMs: number, halfLifeMs: number): number {
  return decay(state.score, state.at, nowMs, halfLifeMs);
}

function isLevel(level: string): level is SigmaLevel {
  return (SIGMA_LEVELS as readonly string[]).includes(level);
}

/** Base points of a Sigma level: the alert's `event.severity` (Elastic's default rule risk scores). */
export function levelPoints(level: string): number {
  return LEVEL_SEVERITY[isLevel(level) ? level : DEFAULT_LEVEL];
}

/** Multiplier of a Sigma rule status (see {@link STATUS_MULTIPLIER}). */
export function statusMultiplier(status: string | null): number {
  return status !== null && (SIGMA_STATUSES as readonly string[]).includes(status)
    ? STATUS_MULTIPLIER[status as SigmaStatus]
    : UNKNOWN_STATUS_MULTIPLIER;
}

/** `(1 + earlier)^-1.5`: 1, 0.354, 0.192, 0.125, … for 0, 1, 2, 3 earlier matches. */
export function repetitionMultiplier(earlier: number): number {
  return Math.pow(1 + Math.max(0, earlier), -REPETITION_EXPONENT);
}

/** `1 + 0.5 × min(newTactics, 2)`. */
export function diversityMultiplier(newTactics: number): number {
  return 1 + DIVERSITY_BONUS * Math.min(Math.max(0, newTactics), DIVERSITY_MAX_NEW);
}

/** Risk levels (Sigma's level words) by score relative to the threshold. */
export type RiskLevel = SigmaLevel;

/**
 * The level of a score: `informational` below 20 % of the threshold, `low` below 50 %, `medium`
 * below the threshold, `high` from the threshold, `critical` from 2.5 × the threshold (the ratio of
 * Splunk's default risk incident severities: medium from 100, high from 250).
 */
export function riskLevel(score: number, threshold: number): RiskLevel {
  if (score >= 2.5 * threshold) return 'critical';
  if (score >= threshold) return 'high';
  if (score >= 0.5 * threshold) return 'medium';
  if (score >= 0.2 * threshold) return 'low';
  return 'informational';
}

/**
 * A key that orders entities by their current score whatever the current time: `log2(score) +
 * atMs / halfLifeMs` (forward decay, Cormode et al. 2009). For two entities, the one with the
 * larger key has the larger decayed score at any time after both `at`s.
 */
export function rankKey(score: number, atMs: number, halfLifeMs: number): number {
  return Math.log2(Math.max(score, MIN_SCORE)) + atMs / halfLifeMs;
}

/** The smallest rank key of an entity whose score at `nowMs` is at least `minScore` (> 0). */
export function rankFloor(minScore: number, nowMs: number, halfLifeMs: number): number {
  return Math.log2(Math.max(minScore, MIN_SCORE)) + nowMs / halfLifeMs;
}

/** The tactics still remembered at `nowMs`. */
export function activeTactics(state: EntityRisk, nowMs: number, halfLifeMs: number): string[] {
  const memory = TACTIC_MEMORY_HALF_LIVES * halfLifeMs;
  return Object.entries(state.tactics)
    .filter(([, at]) => nowMs - at <= memory)
    .map(([t]) => t)
    .sort();
}

/**
 * Scores one input on an entity at `nowMs` and returns the entity's new state. The entity's score
 * is first decayed to `nowMs` (never back in time: a `nowMs` before `state.at` counts as `at`).
 */
export function scoreInput(
  state: EntityRisk,
  input: RiskInput,
  nowMs: number,
  halfLifeMs: number,
): { state: EntityRisk; scored: Scored } {
  const at = Math.max(state.at, nowMs);
  const known = new Set(activeTactics(state, at, halfLifeMs));
  const fresh = [...new Set(input.tactics)].filter((t) => !known.has(t));
  // The first alert's tactics are the entity's baseline; a tactic added later is progress along
  // the kill chain (one alert tagged with two tactics is still one observation).
  const newTactics = known.size === 0 ? [] : fresh;
  const memory = state.rules[input.ruleId];
  const earlier = memory ? decay(memory.n, memory.at, at, halfLifeMs) : 0;
  const base = levelPoints(input.level);
  const status = statusMultiplier(input.status);
  const diversity = diversityMultiplier(newTactics.length);
  const repetition = repetitionMultiplier(earlier);
  const suppressed = input.kind === 'suppressed' ? SUPPRESSED_MULTIPLIER : 1;
  const points = base * status * diversity * repetition * suppressed;

  const memoryMs = TACTIC_MEMORY_HALF_LIVES * halfLifeMs;
  const tactics: Record<string, number> = {};
  for (const [t, last] of Object.entries(state.tactics)) if (at - last <= memoryMs) tactics[t] = last;
  for (const t of input.tactics) tactics[t] = at;
  const rules: Record<string, RuleMemory> = {};
  for (const [id, m] of Object.entries(state.rules))
    if (decay(m.n, m.at, at, halfLifeMs) >= RULE_MEMORY_FLOOR) rules[id] = m;
  rules[input.ruleId] = { n: earlier + 1, at };

  return {
    state: {
      score: decay(state.score, state.at, at, halfLifeMs) + points,
      at,
      crossed: state.crossed,
      tactics,
      rules,
    },
    scored: {
      points,
      base,
      status,
      diversity,
      repetition,
      suppressed,
      earlier,
      newTactics: newTactics.slice(0, DIVERSITY_MAX_NEW),
    },
  };
}

/**
 * Scores a batch of inputs on one entity at `nowMs`, in order, with the threshold's hysteresis:
 * an entity whose score reaches `threshold` crosses (once); it re-arms, and may cross again, only
 * after its score has fallen below {@link REARM_FRACTION} × `threshold`. The fall is checked before
 * the batch's points are added; since a score only falls between batches, that check is exact.
 * @returns the new state, each input's scoring, and whether the entity crossed in this batch
 */
export function applyBatch(
  state: EntityRisk,
  inputs: readonly RiskInput[],
  nowMs: number,
  params: RiskParams,
): { state: EntityRisk; scored: Scored[]; crossed: boolean } {
  let s = state;
  if (s.crossed && currentScore(s, nowMs, params.halfLifeMs) < REARM_FRACTION * params.threshold)
    s = { ...s, crossed: false };
  const scored: Scored[] = [];
  for (const input of inputs) {
    const r = scoreInput(s, input, nowMs, params.halfLifeMs);
    s = r.state;
    scored.push(r.scored);
  }
  const crossed = !s.crossed && currentScore(s, nowMs, params.halfLifeMs) >= params.threshold;
  return { state: crossed ? { ...s, crossed: true } : s, scored, crossed };
}

/** Whether an entity that crossed is still above its re-arm level at `nowMs`. */
export function stillCrossed(state: EntityRisk, nowMs: number, params: RiskParams): boolean {
  return state.crossed && currentScore(state, nowMs, params.halfLifeMs) >= REARM_FRACTION * params.threshold;
}
