/**
 * Types of Sigma correlation rules (`sigma-correlation-rules-specification.md`, v2.1.0): the
 * parsed rule, its condition, and what the correlation engine emits.
 *
 * The spec's type list names `event_count`, `value_count`, `temporal` and `temporal_ordered`; its
 * 2.1 "Correlation Types" section adds the metric types `value_sum`, `value_avg` and
 * `value_percentile`. As pySigma does, `value_percentile` takes the condition keys `field` and
 * `percentile` (0–100), and `value_median` is accepted as the 50th percentile.
 */
import type { FieldValue, RuleSource, SigmaLevel, SigmaStatus } from '../types.js';

export const CORRELATION_TYPES = [
  'event_count',
  'value_count',
  'temporal',
  'temporal_ordered',
  'value_sum',
  'value_avg',
  'value_percentile',
  'value_median',
] as const;
export type CorrelationType = (typeof CORRELATION_TYPES)[number];

/** Types whose condition reads a numeric field of the matched events. */
export const METRIC_TYPES: ReadonlySet<CorrelationType> = new Set([
  'value_sum',
  'value_avg',
  'value_percentile',
  'value_median',
]);

export const CONDITION_OPERATORS = ['gt', 'gte', 'lt', 'lte', 'eq', 'neq'] as const;
export type ConditionOperator = (typeof CONDITION_OPERATORS)[number];

/** The `condition` map: comparisons linked by AND (a range is `gt` + `lte`), plus `field`. */
export interface CorrelationCondition {
  readonly comparisons: readonly { readonly op: ConditionOperator; readonly value: number }[];
  /** `value_count` and the metric types: the field(s) read; several fields form one tuple. */
  readonly fields: readonly string[];
  /** `value_percentile`: 0–100 (50 for `value_median`). */
  readonly percentile?: number;
}

/** A Sigma correlation rule. */
export interface SigmaCorrelation {
  readonly kind: 'correlation';
  readonly title: string;
  readonly id?: string;
  readonly name?: string;
  readonly status?: SigmaStatus;
  readonly level?: SigmaLevel;
  readonly description?: string;
  readonly author?: string;
  readonly date?: string;
  readonly modified?: string;
  readonly references: readonly string[];
  readonly tags: readonly string[];
  readonly falsepositives: readonly string[];
  readonly type: CorrelationType;
  /** Referenced rules or correlations, by `id` or `name`, as written. */
  readonly rules: readonly string[];
  readonly groupBy: readonly string[];
  /** `timespan` in milliseconds, and as written (`5m`). */
  readonly timespanMs: number;
  readonly timespan: string;
  readonly condition: CorrelationCondition;
  /** alias → (rule reference → field name). */
  readonly aliases: ReadonlyMap<string, ReadonlyMap<string, string>>;
  /** True: the referenced rules also raise their own alerts. */
  readonly generate: boolean;
  readonly source: RuleSource;
}

/** A base-rule match as the correlation engine reads it. `R` is the caller's evidence reference. */
export interface CorrelationInput<R> {
  /** Event time (`@timestamp`), ms since the epoch. */
  readonly time: number;
  /**
   * The event's values of the fields the plan asks for this rule (`CorrelationPlan.fieldsFor`),
   * under their Sigma names; an absent field is left out.
   */
  readonly fields: Readonly<Record<string, FieldValue>>;
  readonly ref: R;
}

/** One correlation alert. */
export interface CorrelationAlert<R> {
  readonly correlation: SigmaCorrelation;
  /** Event time of the match that completed the condition (ms). */
  readonly time: number;
  /** The group-by values (field name as written in `group-by` → value). */
  readonly group: Readonly<Record<string, FieldValue>>;
  /** The metric when the condition held: count, distinct values, rule count, sum, average or percentile. */
  readonly value: number;
  /** Time of the first and last contributing match (ms). */
  readonly window: { readonly start: number; readonly end: number };
  /** Base matches that contributed (through chained correlations too), oldest first, at most {@link MAX_ALERT_EVENTS}. */
  readonly events: readonly R[];
  /** Contributing matches beyond {@link MAX_ALERT_EVENTS} (not listed). */
  readonly omittedEvents: number;
  /**
   * Fields an outer (chained) correlation reads from this alert: the group values, then the
   * fields of the match that completed the condition.
   */
  readonly fields: Readonly<Record<string, FieldValue>>;
}

/** Evidence listed per correlation alert. */
export const MAX_ALERT_EVENTS = 100;
