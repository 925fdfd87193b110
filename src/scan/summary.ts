/**
 * The scan summary: what was read, what matched (by level, rule and ATT&CK tactic), what could
 * not be read, and what became of the rules.
 */
import type { ActiveRule } from '../detect/sigma/detector.js';
import { type Diagnostic, SIGMA_LEVELS, type SigmaLevel } from '../detect/sigma/types.js';
import { DEFAULT_LEVEL } from './detection.js';
import type { DetectionRecord, Failure } from './types.js';

export interface FileSummary {
  readonly path: string;
  /** Decoder/format used, or why the file was not read. */
  format: string;
  status: 'scanned' | 'unsupported' | 'error' | 'empty';
  reason?: string;
  events: number;
  bytes: number;
  failures: number;
  detections: number;
}

export interface RuleCount {
  readonly id?: string;
  readonly title: string;
  readonly level: SigmaLevel;
  count: number;
  /** Most frequent entities among this rule's detections: field → [value, count][] (top 5). */
  top: Record<string, [string, number][]>;
}

/** Entity fields counted per rule, so that concentration (a brute force from one source) shows. */
export const ENTITY_FIELDS = ['source.ip', 'user.name', 'host.name'] as const;
const TOP_N = 5;
/** Distinct entity values counted per rule and field (memory bound for huge scans). */
const MAX_DISTINCT = 10_000;

export interface ScanSummary {
  readonly files: FileSummary[];
  events: number;
  bytes: number;
  elapsedMs: number;
  eventsPerSecond: number;
  threads: number;
  detections: number;
  readonly byLevel: Record<SigmaLevel, number>;
  readonly byRule: RuleCount[];
  readonly byTactic: { id: string; name: string; count: number }[];
  failures: number;
  readonly failureSamples: Failure[];
  readonly rules: {
    files: number;
    loaded: number;
    /** Rules left out by `--status`. */
    excludedByStatus: number;
    inactive: readonly Diagnostic[];
    unsupported: readonly Diagnostic[];
    errors: readonly Diagnostic[];
    warnings: readonly Diagnostic[];
    /** `attack.*` tags the bundled ATT&CK version does not know, with the number of rules using each. */
    unknownAttackTags: Record<string, number>;
    /** Correlation rules that resolved and ran. */
    correlations: number;
  };
  /** Correlation: base-rule matches read, those without `@timestamp`, those without a group-by value, alerts. */
  readonly correlation: { matches: number; untimed: number; missingGroup: number; alerts: number };
}

export function emptyByLevel(): Record<SigmaLevel, number> {
  return Object.fromEntries(SIGMA_LEVELS.map((l) => [l, 0])) as Record<SigmaLevel, number>;
}

/** Counts the ATT&CK tags of active rules the bundled ATT&CK does not know. */
export function unknownAttackTags(rules: readonly ActiveRule[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of rules) for (const tag of r.threat.unknown) out[tag] = (out[tag] ?? 0) + 1;
  return out;
}

function entityValue(d: DetectionRecord, path: string): string | undefined {
  let node: unknown = d;
  for (const k of path.split('.')) {
    if (typeof node !== 'object' || node === null) return undefined;
    node = (node as Record<string, unknown>)[k];
  }
  return typeof node === 'string' || typeof node === 'number' ? String(node) : undefined;
}

/** Accumulates detection counts into the summary. */
export class DetectionCounter {
  private readonly rules = new Map<string, RuleCount>();
  private readonly entities = new Map<string, Map<string, Map<string, number>>>();
  private readonly tactics = new Map<string, { id: string; name: string; count: number }>();
  readonly byLevel = emptyByLevel();
  total = 0;

  add(d: DetectionRecord): void {
    this.total++;
    const level = d.rule.level ?? DEFAULT_LEVEL;
    this.byLevel[level]++;
    const key = d.rule.id ?? d.rule.name;
    const rc = this.rules.get(key) ?? { id: d.rule.id, title: d.rule.name, level, count: 0, top: {} };
    rc.count++;
    this.rules.set(key, rc);
    let perField = this.entities.get(key);
    if (!perField) {
      perField = new Map();
      this.entities.set(key, perField);
    }
    for (const f of ENTITY_FIELDS) {
      const v = entityValue(d, f);
      if (v === undefined) continue;
      let counts = perField.get(f);
      if (!counts) {
        counts = new Map();
        perField.set(f, counts);
      }
      // Bounded: past MAX_DISTINCT values per rule and field, new ones are counted together.
      const key = counts.has(v) || counts.size < MAX_DISTINCT ? v : '(other values)';
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    const tactic = (d.threat?.tactic ?? undefined) as { id?: string[]; name?: string[] } | undefined;
    tactic?.id?.forEach((id, i) => {
      const t = this.tactics.get(id) ?? { id, name: tactic.name?.[i] ?? id, count: 0 };
      t.count++;
      this.tactics.set(id, t);
    });
  }

  byRule(): RuleCount[] {
    for (const [key, rc] of this.rules) {
      const top: Record<string, [string, number][]> = {};
      for (const [f, counts] of this.entities.get(key) ?? []) {
        top[f] = [...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).slice(0, TOP_N);
      }
      rc.top = top;
    }
    return [...this.rules.values()].sort((a, b) => b.count - a.count || a.title.localeCompare(b.title));
  }

  byTactic(): { id: string; name: string; count: number }[] {
    return [...this.tactics.values()].sort((a, b) => b.count - a.count || a.id.localeCompare(b.id));
  }
}
