/**
 * Contribution rows: what one alert adds to one entity, built from the scoring of its changes
 * (`score.ts`). Pure.
 */
import type { AlertChange } from '../store/alerts.js';
import type { RiskAlertRow, RiskContributionValues, RiskEntityRow } from '../store/risk.js';
import { contributionNow } from './explain.js';
import { decay, EMPTY_RISK, type EntityRef, type EntityRisk, type Scored } from './score.js';

/** The entities an alert names: `host.name`, `user.name`, `source.ip` (the alert's columns). */
export function entitiesOf(a: RiskAlertRow): EntityRef[] {
  const out: EntityRef[] = [];
  if (a.host_name) out.push({ type: 'host', value: a.host_name });
  if (a.user_name) out.push({ type: 'user', value: a.user_name });
  if (a.source_ip) out.push({ type: 'ip', value: a.source_ip });
  return out;
}

/** The scoring state stored in an entity row (the empty state for a new entity). */
export function stateOf(row: RiskEntityRow | undefined): EntityRisk {
  if (!row) return EMPTY_RISK;
  return {
    score: row.score,
    at: row.score_at.getTime(),
    crossed: row.crossed,
    tactics: row.tactics,
    rules: row.rules,
  };
}

/**
 * A contribution row after one more scored change of its alert: a new alert sets its factors and
 * points; a suppressed repeat adds to the row's decayed repeat points.
 */
export function addToContribution(
  prev: RiskContributionValues | undefined,
  ref: EntityRef,
  alert: RiskAlertRow,
  kind: AlertChange['kind'],
  s: Scored,
  at: Date,
  halfLifeMs: number,
): RiskContributionValues {
  const factors = {
    rule_id: alert.rule_id,
    rule_name: alert.rule_title,
    level: alert.level,
    status: alert.rule_status,
    tactics: alert.tactics,
    new_tactics: s.newTactics,
    base: s.base,
    status_multiplier: s.status,
    diversity_multiplier: s.diversity,
    repetition_multiplier: s.repetition,
    earlier: s.earlier,
  };
  const repeatsNow = (p: RiskContributionValues | undefined): number =>
    p?.repeat_at ? decay(p.repeat_points, p.repeat_at.getTime(), at.getTime(), halfLifeMs) : 0;
  if (kind === 'created' || !prev) {
    // A repeat with no row: its alert was created before risk was recorded, or its row was folded
    // into the remainder; the repeat still counts, as a row with no creation points.
    const created = kind === 'created';
    const carried = prev ? contributionNow(prev, at.getTime(), halfLifeMs) : 0;
    return {
      entity_type: ref.type,
      entity_value: ref.value,
      alert_id: alert.id,
      ...factors,
      points: created ? s.points : 0,
      scored_at: at,
      repeat_count: (prev?.repeat_count ?? 0) + (created ? 0 : 1),
      repeat_points: carried + (created ? 0 : s.points),
      repeat_at: created && carried === 0 ? null : at,
      last_at: at,
    };
  }
  return {
    ...prev,
    repeat_count: prev.repeat_count + 1,
    repeat_points: repeatsNow(prev) + s.points,
    repeat_at: at,
    last_at: at,
  };
}
