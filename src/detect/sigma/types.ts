/**
 * Types of the Sigma engine: the rule AST produced by `parseRules`, the diagnostics, and the
 * event interface the detector reads.
 *
 * Terms follow the Sigma specification v2.1 (`sigma-rules-specification.md`): logsource,
 * detection, search identifier, detection item, value modifier, condition.
 */
import type { SigmaCorrelation } from './correlation/types.js';

/** Severity of a rule, per the spec's "Level" section. Ordered from least to most severe. */
export const SIGMA_LEVELS = ['informational', 'low', 'medium', 'high', 'critical'] as const;
export type SigmaLevel = (typeof SIGMA_LEVELS)[number];

/** Rule maturity, per the spec's "Status" section. */
export const SIGMA_STATUSES = ['stable', 'test', 'experimental', 'deprecated', 'unsupported'] as const;
export type SigmaStatus = (typeof SIGMA_STATUSES)[number];

/** The `logsource` section of a rule: which log data the detection applies to. */
export interface LogSource {
  readonly product?: string;
  readonly category?: string;
  readonly service?: string;
  readonly definition?: string;
}

/** Where a rule came from: a file path (or any label) and the 0-based YAML document index. */
export interface RuleSource {
  readonly path: string;
  readonly document: number;
}

/** A YAML scalar value as a Sigma rule can carry it. */
export type SigmaScalar = string | number | boolean | null;

/**
 * One detection item: `field|mod1|mod2: values` inside a search identifier. `field` is `null` for
 * keyword (value-only) searches.
 */
export interface DetectionItem {
  readonly field: string | null;
  readonly modifiers: readonly string[];
  readonly values: readonly SigmaScalar[];
  /** YAML path of the item, e.g. `detection.selection.Image|endswith`. */
  readonly path: string;
  /** 1-based line of the item in its file, when known. */
  readonly line?: number;
}

/**
 * The body of a search identifier as a tree: maps are AND of their items, lists are OR of their
 * elements (spec: "Lists", "Maps").
 */
export type DetectionNode =
  | { readonly kind: 'and'; readonly children: readonly DetectionNode[] }
  | { readonly kind: 'or'; readonly children: readonly DetectionNode[] }
  | { readonly kind: 'item'; readonly item: DetectionItem };

/** Parsed condition expression (spec: "Condition"). */
export type ConditionNode =
  | { readonly kind: 'and'; readonly children: readonly ConditionNode[] }
  | { readonly kind: 'or'; readonly children: readonly ConditionNode[] }
  | { readonly kind: 'not'; readonly child: ConditionNode }
  | { readonly kind: 'ref'; readonly name: string }
  /** `1 of sel*`, `all of them`, `N of pattern`: `count` is `'all'` or a positive integer. */
  | { readonly kind: 'of'; readonly count: number | 'all'; readonly names: readonly string[] };

/** The `detection` section: named search identifiers and the condition(s). */
export interface Detection {
  readonly identifiers: ReadonlyMap<string, DetectionNode>;
  /** One or more conditions; several are OR-linked (spec: "The condition can be a list"). */
  readonly conditions: readonly ConditionNode[];
  readonly conditionText: readonly string[];
}

/** A reference to another rule (spec: "Identification", `related`). */
export interface RelatedRule {
  readonly id: string;
  readonly type: string;
}

/** A Sigma detection rule. */
export interface SigmaRule {
  readonly kind: 'rule';
  readonly title: string;
  readonly id?: string;
  readonly name?: string;
  readonly status?: SigmaStatus;
  readonly level?: SigmaLevel;
  readonly description?: string;
  readonly author?: string;
  readonly date?: string;
  readonly modified?: string;
  readonly license?: string;
  readonly taxonomy?: string;
  readonly references: readonly string[];
  readonly tags: readonly string[];
  readonly falsepositives: readonly string[];
  readonly fields: readonly string[];
  readonly related: readonly RelatedRule[];
  readonly scope: readonly string[];
  readonly logsource: LogSource;
  readonly detection: Detection;
  readonly source: RuleSource;
}

/** A Sigma global filter (`sigma-filters-specification.md`). */
export interface SigmaFilter {
  readonly kind: 'filter';
  readonly title: string;
  readonly id?: string;
  readonly logsource: LogSource;
  /** Rule ids or names the filter applies to. */
  readonly rules: readonly string[];
  readonly detection: Detection;
  readonly source: RuleSource;
}

/** What became of a rule document at load time. */
export type DiagnosticSeverity = 'error' | 'unsupported' | 'inactive' | 'warning';

/** A per-rule finding: file, rule id, YAML path and reason. */
export interface Diagnostic {
  readonly severity: DiagnosticSeverity;
  /** Stable code from the error catalogue, e.g. `VIGIL_ERR_RULE_MODIFIER`. */
  readonly code: string;
  readonly message: string;
  readonly source: RuleSource;
  readonly ruleId?: string;
  readonly title?: string;
  /** YAML path inside the document, e.g. `detection.selection.Image|foo`. */
  readonly path?: string;
  /** 1-based line in the file when known. */
  readonly line?: number;
}

/** Result of `parseRules`. */
export interface ParseResult {
  readonly rules: SigmaRule[];
  readonly filters: SigmaFilter[];
  readonly correlations: SigmaCorrelation[];
  readonly diagnostics: Diagnostic[];
}

/**
 * A value as an event carries it. Objects appear only for shapes a decoder did not flatten;
 * matching treats them as their JSON text.
 */
export type FieldValue = string | number | boolean | null | bigint | readonly FieldValue[] | object;

/**
 * The logsource of a decoded event: one product and the sets of services and categories it
 * belongs to (a Sysmon event 13 is `service: sysmon` and both `registry_event` and `registry_set`).
 */
export interface EventLogSource {
  readonly product?: string;
  readonly services: readonly string[];
  readonly categories: readonly string[];
  /** Stable string identity of this combination; the detector memoizes routing on it. */
  readonly key: string;
}

/**
 * What the detector reads from an event (DESIGN.md, "One event, two views": the Sigma view).
 */
export interface SigmaEvent {
  readonly logsource: EventLogSource;
  /**
   * Value of a field under its Sigma taxonomy name. `undefined` when the event has no such field,
   * `null` when it has the field with a null value.
   */
  get(field: string): FieldValue | undefined;
  /** Every value keyword (value-only) searches look at: leaf values and, for text logs, the line. */
  keywordValues(): readonly FieldValue[];
}
