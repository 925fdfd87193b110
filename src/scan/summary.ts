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
}

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
  };
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

/** Accumulates detection counts into the summary. */
export class DetectionCounter {
  private readonly rules = new Map<string, RuleCount>();
  private readonly tactics = new Map<string, { id: string; name: string; count: number }>();
  readonly byLevel = emptyByLevel();
  total = 0;

  add(d: DetectionRecord): void {
    this.total++;
    const level = d.rule.level ?? DEFAULT_LEVEL;
    this.byLevel[level]++;
    const key = d.rule.id ?? d.rule.name;
    const rc = this.rules.get(key) ?? { id: d.rule.id, title: d.rule.name, level, count: 0 };
    rc.count++;
    this.rules.set(key, rc);
    const tactic = (d.threat?.tactic ?? undefined) as { id?: string[]; name?: string[] } | undefined;
    tactic?.id?.forEach((id, i) => {
      const t = this.tactics.get(id) ?? { id, name: tactic.name?.[i] ?? id, count: 0 };
      t.count++;
      this.tactics.set(id, t);
    });
  }

  byRule(): RuleCount[] {
    return [...this.rules.values()].sort((a, b) => b.count - a.count || a.title.localeCompare(b.title));
  }

  byTactic(): { id: string; name: string; count: number }[] {
    return [...this.tactics.values()].sort((a, b) => b.count - a.count || a.id.localeCompare(b.id));
  }
}
