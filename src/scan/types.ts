/**
 * Shapes shared by the scan orchestrator, its worker threads and its outputs.
 */
import type { FieldValue, SigmaLevel } from '../detect/sigma/types.js';
import type { Batch } from '../pipeline/sources/batcher.js';

/** How a batch's records are to be decoded. */
export interface FileContext {
  readonly path: string;
  /** `jsonl`, `json`, or a text format id (`syslog`, `w3c`, …). */
  readonly format: string;
  readonly year: number;
  readonly timezone: string;
  /** The file's modification time (ms), for year rollover, when the year was not given. */
  readonly latest?: number;
}

export interface BatchJob {
  readonly seq: number;
  readonly file: FileContext;
  readonly batch: Batch;
}

/** A detection: ECS fields of the event and the rule, plus Vigil's explanation. */
export interface DetectionRecord {
  readonly '@timestamp'?: string;
  readonly event: Record<string, unknown>;
  readonly rule: {
    readonly id?: string;
    readonly name: string;
    readonly level: SigmaLevel;
    readonly status?: string;
    readonly description?: string;
    readonly author?: string;
    readonly reference?: readonly string[];
    readonly tags: readonly string[];
    readonly ruleset: 'sigma';
  };
  readonly threat?: Record<string, unknown>;
  /** ECS `log.*`: the file, and for binary input (`.evtx`) the record's byte offset. */
  readonly log: { readonly file: { readonly path: string }; readonly offset?: number };
  readonly vigil: {
    /** 1-based line of the record; 0 for binary input (`.evtx`: see `log.offset`, `winlog.record_id`). */
    readonly line: number;
    /** 1-based index of the event among the file's decoded events. */
    event_index: number;
    readonly decoder: string;
    readonly logsource: {
      readonly product?: string;
      readonly services: readonly string[];
      readonly categories: readonly string[];
    };
    readonly match: {
      readonly selections: readonly string[];
      readonly fields: Readonly<Record<string, unknown>>;
      readonly keywords: readonly string[];
    };
    /** Correlation alerts only: what was correlated (see scan/correlate.ts). */
    readonly correlation?: CorrelationDetail;
  };
  readonly [ecs: string]: unknown;
}

/** Where a correlated match was found, and the entities of its event. */
export interface CorrelationRef {
  /** Title(s) of the matching rule(s) correlations read. */
  readonly rule: string;
  readonly '@timestamp': string;
  readonly path: string;
  readonly line: number;
  event_index: number;
  readonly offset?: number;
  readonly 'host.name'?: string;
  readonly 'user.name'?: string;
  readonly 'source.ip'?: string;
}

/** An event matching rules correlations read: the rules (by id and name), event time and fields. */
export interface CorrelationMatch {
  readonly rules: readonly { readonly id?: string; readonly name?: string }[];
  /** `@timestamp` in ms. */
  readonly time: number;
  readonly fields: Record<string, FieldValue>;
  readonly ref: CorrelationRef;
}

/** `vigil.correlation` of a correlation alert. */
export interface CorrelationDetail {
  readonly type: string;
  readonly group: Readonly<Record<string, unknown>>;
  /** The metric when the condition held (count, distinct values, rules, sum, average, percentile). */
  readonly value: number;
  readonly condition: Readonly<Record<string, unknown>>;
  readonly timespan: string;
  readonly window: { readonly start: string; readonly end: string };
  readonly rules: readonly string[];
  readonly events: readonly CorrelationRef[];
  readonly omitted_events: number;
}

/** A record that could not be decoded. */
export interface Failure {
  readonly path: string;
  /** 1-based line; 0 for binary input (`.evtx`), where `offset` says where. */
  readonly line: number;
  /** Byte offset in the file (binary input). */
  readonly offset?: number;
  readonly reason: string;
}

/** What one batch produced. */
export interface BatchResult {
  readonly seq: number;
  readonly events: number;
  readonly detections: DetectionRecord[];
  /** Up to {@link MAX_FAILURE_SAMPLES} failures; `failureCount` has them all. */
  readonly failures: Failure[];
  readonly failureCount: number;
  /** Matches of rules that correlations read (including rules below `minLevel` or not generated). */
  readonly correlationMatches: CorrelationMatch[];
  /** Of those, matches whose event had no `@timestamp` (not correlated). */
  readonly untimed: number;
}

export const MAX_FAILURE_SAMPLES = 50;

/** Options of the per-batch work (shared by every worker). */
export interface ProcessOptions {
  readonly minLevel: SigmaLevel;
  readonly includeOriginal: boolean;
  /** Skip JSON lines no rule can match before parsing them (see pipeline/prefilter.ts). */
  readonly prefilter: boolean;
  /**
   * Rules correlations read, by {@link correlationRuleKey}: the fields to extract, and whether the
   * rule also reports its own matches (`generate`).
   */
  readonly correlation?: Readonly<
    Record<string, { readonly fields: readonly string[]; readonly standalone: boolean }>
  >;
}

/** Key of a rule in {@link ProcessOptions.correlation}: its id, else `name:` and its name. */
export function correlationRuleKey(rule: {
  readonly id?: string;
  readonly name?: string;
}): string | undefined {
  return rule.id ?? (rule.name === undefined ? undefined : `name:${rule.name}`);
}
