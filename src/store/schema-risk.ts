/**
 * Kysely table types for entity risk; merged into DatabaseSchema (schema.ts). The DDL is in
 * `migration-risk.ts`; the scoring in `src/risk/score.ts`; `docs/risk.md` explains both.
 */
import type { ColumnType, JSONColumnType } from 'kysely';

type Timestamp = ColumnType<Date, Date | string, Date | string>;
type Json<T extends object> = JSONColumnType<T, string, string>;

/** One row per entity (`host`, `user`, `ip`) that alerts have added risk to. */
export interface RiskEntitiesTable {
  type: string;
  value: string;
  /** Points as of `score_at` (an exponentially decayed accumulator). */
  score: number;
  /** Detection time of the last contribution: the decay's reference. */
  score_at: Timestamp;
  /** `log2(score) + score_at_ms / half_life_ms`: orders entities by current score at any time. */
  rank: number;
  /** The half-life `rank` was computed with (re-keyed at start when the setting changes). */
  half_life_ms: number;
  /** Crossed the threshold and not re-armed since. */
  crossed: boolean;
  crossed_at: Timestamp | null;
  /** Event time span of the contributing alerts. */
  first_seen: Timestamp;
  last_seen: Timestamp;
  /** Alerts that added risk (all time), and suppressed repeats. */
  alerts: number;
  repeats: number;
  /** ATT&CK tactic id → epoch ms of its last alert here. */
  tactics: Json<Record<string, number>>;
  /** Rule id → decayed match count `{n, at}` (repetition). */
  rules: Json<Record<string, { n: number; at: number }>>;
  /** Contribution rows kept for this entity (at most `MAX_CONTRIBUTIONS`). */
  kept: number;
  /** Points of the contributions folded out of the kept list, as of `remainder_at`. */
  remainder_points: number;
  remainder_at: Timestamp | null;
  remainder_alerts: number;
}

/** What one alert added to one entity: its creation's factors plus its suppressed repeats. */
export interface RiskContributionsTable {
  entity_type: string;
  entity_value: string;
  alert_id: number;
  rule_id: string;
  rule_name: string;
  level: string;
  status: string | null;
  tactics: Json<string[]>;
  /** Tactics that earned the diversity bonus. */
  new_tactics: Json<string[]>;
  base: number;
  status_multiplier: number;
  diversity_multiplier: number;
  repetition_multiplier: number;
  /** Decayed count of earlier matches of the rule on the entity when the alert was scored. */
  earlier: number;
  /** Points added when the alert was created (0 when only its repeats were scored here). */
  points: number;
  scored_at: Timestamp;
  repeat_count: number;
  /** Points of the suppressed repeats, as of `repeat_at`. */
  repeat_points: number;
  repeat_at: Timestamp | null;
  /** Last time this row gained points (the kept list keeps the latest). */
  last_at: Timestamp;
}

export interface RiskTables {
  risk_entities: RiskEntitiesTable;
  risk_contributions: RiskContributionsTable;
}
