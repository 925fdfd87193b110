/**
 * Explained entity risk: the API's view of an entity (its score now, level, tactics) with the
 * alerts that make it up, each with every factor of its points and what is left of them now.
 * Pure: rows and a time in, views out.
 */
import type { RiskContributionRow, RiskEntityRow } from '../store/risk.js';
import {
  activeTactics,
  currentScore,
  decay,
  type EntityType,
  type RiskLevel,
  type RiskParams,
  riskLevel,
  stillCrossed,
  SUPPRESSED_MULTIPLIER,
} from './score.js';

/** What one alert adds to an entity's score. */
export interface RiskContributionView {
  readonly alert_id: number;
  readonly rule: { readonly id: string; readonly name: string };
  /** Sigma `level` and `status` of the rule. */
  readonly level: string;
  readonly status: string | null;
  /** ATT&CK tactic ids of the rule, and those that were new to the entity (diversity bonus). */
  readonly tactics: string[];
  readonly new_tactics: string[];
  /** Points of the level (the alert's `event.severity`). */
  readonly base: number;
  readonly multipliers: { readonly status: number; readonly diversity: number; readonly repetition: number };
  /** Decayed count of earlier matches of the same rule on the entity when it was scored. */
  readonly earlier_matches: number;
  /** `base × status × diversity × repetition` when scored (0 when only its repeats were scored). */
  readonly points: number;
  readonly scored_at: string;
  /** Suppressed repeats (matches folded into this alert), each worth a quarter of a new alert. */
  readonly repeats: { readonly count: number; readonly multiplier: number; readonly points_now: number };
  /** What is left now of the points and the repeats' points after decay. */
  readonly points_now: number;
}

export interface RiskEntityView {
  readonly type: EntityType;
  readonly value: string;
  /** Current score: the sum of `contributions[].points_now` and `remainder.points_now`. */
  readonly score: number;
  readonly level: RiskLevel;
  readonly threshold: number;
  /** Crossed the threshold (a risk incident was raised) and not yet back below half of it. */
  readonly crossed: boolean;
  readonly crossed_at: string | null;
  /** Event time span of the contributing alerts. */
  readonly first_seen: string;
  readonly last_seen: string;
  /** Detection time of the last contribution. */
  readonly scored_at: string;
  /** ATT&CK tactics of its alerts still remembered (7 half-lives). */
  readonly tactics: string[];
  /** Alerts that added risk, all time, and suppressed repeats. */
  readonly alerts: number;
  readonly repeats: number;
  /** The latest contributions, most points now first. */
  readonly contributions: RiskContributionView[];
  /**
   * Everything not listed, as one sum: contributions folded out of the kept list (it is bounded)
   * and kept ones beyond the number asked for.
   */
  readonly remainder: { readonly alerts: number; readonly points_now: number };
}

/** Rounds points for display (0.01). */
export function roundPoints(x: number): number {
  return Math.round(x * 100) / 100;
}

function roundFactor(x: number): number {
  return Math.round(x * 10_000) / 10_000;
}

/** The points left at `nowMs` of a contribution row (its creation plus its repeats). */
export function contributionNow(
  c: Pick<RiskContributionRow, 'points' | 'scored_at' | 'repeat_points' | 'repeat_at'>,
  nowMs: number,
  halfLifeMs: number,
): number {
  const created = decay(c.points, c.scored_at.getTime(), nowMs, halfLifeMs);
  const repeats = c.repeat_at ? decay(c.repeat_points, c.repeat_at.getTime(), nowMs, halfLifeMs) : 0;
  return created + repeats;
}

function contributionView(c: RiskContributionRow, nowMs: number, halfLifeMs: number): RiskContributionView {
  return {
    alert_id: c.alert_id,
    rule: { id: c.rule_id, name: c.rule_name },
    level: c.level,
    status: c.status,
    tactics: [...c.tactics],
    new_tactics: [...c.new_tactics],
    base: c.base,
    multipliers: {
      status: roundFactor(c.status_multiplier),
      diversity: roundFactor(c.diversity_multiplier),
      repetition: roundFactor(c.repetition_multiplier),
    },
    earlier_matches: roundFactor(c.earlier),
    points: roundPoints(c.points),
    scored_at: c.scored_at.toISOString(),
    repeats: {
      count: c.repeat_count,
      multiplier: SUPPRESSED_MULTIPLIER,
      points_now: roundPoints(
        c.repeat_at ? decay(c.repeat_points, c.repeat_at.getTime(), nowMs, halfLifeMs) : 0,
      ),
    },
    points_now: roundPoints(contributionNow(c, nowMs, halfLifeMs)),
  };
}

/**
 * The view of an entity at `nowMs`.
 * @param contributions - its kept contribution rows (any order); the `maxContributions` with most
 *   points now are listed, the others are summed into `remainder`
 */
export function entityView(
  row: RiskEntityRow,
  contributions: readonly RiskContributionRow[],
  nowMs: number,
  params: RiskParams,
  maxContributions: number,
): RiskEntityView {
  const h = params.halfLifeMs;
  const state = {
    score: row.score,
    at: row.score_at.getTime(),
    crossed: row.crossed,
    tactics: row.tactics,
    rules: {},
  };
  const score = currentScore(state, nowMs, h);
  const ranked = contributions
    .map((c) => ({ c, now: contributionNow(c, nowMs, h) }))
    .sort((a, b) => b.now - a.now || b.c.alert_id - a.c.alert_id);
  const shown = ranked.slice(0, maxContributions);
  const hidden = ranked.slice(maxContributions);
  const folded = row.remainder_at ? decay(row.remainder_points, row.remainder_at.getTime(), nowMs, h) : 0;
  return {
    type: row.type as EntityType,
    value: row.value,
    score: roundPoints(score),
    level: riskLevel(score, params.threshold),
    threshold: params.threshold,
    crossed: stillCrossed(state, nowMs, params),
    crossed_at: row.crossed_at ? row.crossed_at.toISOString() : null,
    first_seen: row.first_seen.toISOString(),
    last_seen: row.last_seen.toISOString(),
    scored_at: row.score_at.toISOString(),
    tactics: activeTactics(state, nowMs, h),
    alerts: row.alerts,
    repeats: row.repeats,
    contributions: shown.map((r) => contributionView(r.c, nowMs, h)),
    remainder: {
      alerts: row.remainder_alerts + hidden.length,
      points_now: roundPoints(folded + hidden.reduce((sum, r) => sum + r.now, 0)),
    },
  };
}
