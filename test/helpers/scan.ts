import { DEFAULT_RULES_DIR } from '../../src/cli/options.js';
import '../../src/pipeline/decoders/register.js';
import { loadRuleFiles } from '../../src/rules/loader.js';
import { selectByStatus } from '../../src/rules/select.js';
import { runScan, type ScanOptions } from '../../src/scan/scan.js';
import type { ScanSummary } from '../../src/scan/summary.js';
import type { DetectionRecord } from '../../src/scan/types.js';

/** A scan's detections materialized (input order) and its summary. */
export interface ScanResult {
  readonly detections: DetectionRecord[];
  readonly summary: ScanSummary;
}

/** Runs a scan in-process (inline, one thread) with Vigil's pack and/or extra rule paths. */
export async function scan(
  paths: string[],
  options: { rules?: string[]; defaultRules?: boolean } & Partial<Omit<ScanOptions, 'rules'>> = {},
): Promise<ScanResult> {
  const { rules: extraRules, defaultRules, ...rest } = options;
  const rulePaths = [...(defaultRules === false ? [] : [DEFAULT_RULES_DIR]), ...(extraRules ?? [])];
  const set = await loadRuleFiles(rulePaths);
  const selected = selectByStatus(set.rules, new Set(['stable', 'test', 'experimental']));
  const report = await runScan({
    rules: selected.rules,
    correlations: selectByStatus(set.correlations, new Set(['stable', 'test', 'experimental'])).rules,
    filters: set.filters,
    ruleDiagnostics: set.diagnostics,
    ruleFiles: set.files,
    excludedByStatus: selected.excluded,
    placeholders: new Map(),
    timezone: 'UTC',
    minLevel: 'informational',
    includeOriginal: false,
    threads: 1,
    ...rest,
    paths,
  });
  const detections = [...report.detections.all()];
  report.detections.close();
  return { detections, summary: report.summary };
}

/** Detections of one rule, by title. */
export function byRule(report: ScanResult, title: string) {
  return report.detections.filter((d) => d.rule.name === title);
}

/** Count of values of a dotted ECS path among detections. */
export function countBy(detections: readonly DetectionRecord[], path: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const d of detections) {
    let node: unknown = d;
    for (const k of path.split('.')) node = (node as Record<string, unknown> | undefined)?.[k];
    const key = String(node);
    out.set(key, (out.get(key) ?? 0) + 1);
  }
  return out;
}
