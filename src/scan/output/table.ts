/**
 * Human-readable output of a scan: the timeline of detections, then the summary.
 */
import Table from 'cli-table3';
import pc from 'picocolors';
import { type Diagnostic, SIGMA_LEVELS, type SigmaLevel } from '../../detect/sigma/types.js';
import type { ScanSummary } from '../summary.js';
import type { DetectionRecord } from '../types.js';
import { field, matchDetails, text, type Write } from './timeline.js';

export interface TextStyle {
  readonly color: boolean;
  /** Terminal width in columns (for wrapping the details column). */
  readonly width: number;
}

function paint(style: TextStyle, level: SigmaLevel, s: string): string {
  if (!style.color) return s;
  switch (level) {
    case 'critical':
      return pc.bold(pc.red(s));
    case 'high':
      return pc.red(s);
    case 'medium':
      return pc.yellow(s);
    case 'low':
      return pc.cyan(s);
    default:
      return pc.dim(s);
  }
}

const PLAIN_CHARS = {
  top: '',
  'top-mid': '',
  'top-left': '',
  'top-right': '',
  bottom: '',
  'bottom-mid': '',
  'bottom-left': '',
  'bottom-right': '',
  left: '',
  'left-mid': '',
  mid: '',
  'mid-mid': '',
  right: '',
  'right-mid': '',
  middle: '  ',
};

function table(head: string[], style: TextStyle, colWidths?: number[]): Table.Table {
  return new Table({
    head: style.color ? head.map((h) => pc.bold(h)) : head,
    chars: PLAIN_CHARS,
    style: { head: [], border: [], 'padding-left': 0, 'padding-right': 0 },
    wordWrap: true,
    ...(colWidths ? { colWidths } : {}),
  });
}

const LEVEL_TAG: Readonly<Record<SigmaLevel, string>> = {
  informational: 'INFO',
  low: 'LOW',
  medium: 'MEDIUM',
  high: 'HIGH',
  critical: 'CRITICAL',
};

/** `file:line` for text input; `file (record N, offset 0x…)` for `.evtx`. */
function where(d: DetectionRecord): string {
  if (d.vigil.line > 0 || d.log.offset === undefined) return `${d.log.file.path}:${d.vigil.line}`;
  const id = field(d, 'winlog.record_id');
  return `${d.log.file.path} (${id === undefined ? '' : `record ${text(id)}, `}offset 0x${d.log.offset.toString(16)})`;
}

function wrap(textValue: string, width: number, indent: string): string {
  if (textValue.length <= width) return `${indent}${textValue}`;
  const out: string[] = [];
  for (let i = 0; i < textValue.length; i += width) out.push(`${indent}${textValue.slice(i, i + width)}`);
  return out.join('\n');
}

/**
 * The timeline: one block per detection, in event-time order —
 * time, level, rule, ATT&CK ids; then entities and where it was found; then what matched.
 */
export async function writeTimeline(
  timeline: Iterable<DetectionRecord>,
  style: TextStyle,
  write: Write,
): Promise<void> {
  let any = false;
  const dim = (s: string): string => (style.color ? pc.dim(s) : s);
  for (const d of timeline) {
    any = true;
    const out: string[] = [];
    const techniques = [field(d, 'threat.technique.subtechnique.id'), field(d, 'threat.technique.id')]
      .flatMap((v) => (Array.isArray(v) ? v : []))
      .filter((v, i, all) => all.findIndex((x) => String(x).startsWith(String(v))) === i);
    const head = `${d['@timestamp'] ?? '(no timestamp)'}  ${paint(style, d.rule.level, LEVEL_TAG[d.rule.level].padEnd(8))}  ${d.rule.name}${techniques.length > 0 ? dim(`  [${techniques.join(', ')}]`) : ''}`;
    const entities = [
      ['host', field(d, 'host.name')],
      ['user', field(d, 'user.name')],
      ['source', field(d, 'source.ip')],
      ['process', field(d, 'process.executable')],
    ]
      .filter(([, v]) => v !== undefined && v !== null && v !== '')
      .map(([k, v]) => `${k}=${text(v)}`)
      .join(' ');
    out.push(head);
    out.push(`    ${entities}${entities ? '  ' : ''}${dim(where(d))}`);
    const details = matchDetails(d, 300);
    if (details) out.push(wrap(details, Math.max(40, style.width - 6), '    '));
    await write(`${out.join('\n')}\n`);
  }
  if (!any) await write('No detections.\n');
}

function reasons(list: readonly Diagnostic[], max: number): string[] {
  const lines = list
    .slice(0, max)
    .map(
      (d) =>
        `    ${d.source.path}${d.line ? `:${d.line}` : ''}${d.ruleId ? ` [${d.ruleId}]` : ''} ${d.path ?? ''}: ${d.message}`,
    );
  if (list.length > max) lines.push(`    … and ${list.length - max} more (vigil rules check lists them all)`);
  return lines;
}

/** The summary block. */
export function renderSummary(s: ScanSummary, style: TextStyle): string {
  const out: string[] = [];
  const h = (t: string): string => (style.color ? pc.bold(t) : t);
  const mb = s.bytes / 1e6;
  out.push(h('Summary'));
  out.push(
    `  Events scanned: ${s.events} in ${(s.elapsedMs / 1000).toFixed(2)} s (${Math.round(s.eventsPerSecond)} events/s, ${(mb / (s.elapsedMs / 1000 || 1)).toFixed(1)} MB/s, ${s.threads} thread${s.threads > 1 ? 's' : ''})`,
  );
  const scanned = s.files.filter((f) => f.status === 'scanned');
  out.push(`  Files: ${s.files.length} (${scanned.length} scanned, ${mb.toFixed(1)} MB)`);
  const byFormat = new Map<string, number>();
  for (const f of scanned) byFormat.set(f.format, (byFormat.get(f.format) ?? 0) + 1);
  if (byFormat.size > 0) out.push(`    formats: ${[...byFormat].map(([k, v]) => `${k} ${v}`).join(', ')}`);
  const skipped = s.files.filter((x) => x.status === 'unsupported' || x.status === 'error');
  for (const f of skipped.slice(0, 10)) out.push(`    ${f.status}: ${f.path}: ${f.reason}`);
  if (skipped.length > 10) {
    const byReason = new Map<string, number>();
    for (const f of skipped.slice(10))
      byReason.set(f.reason ?? f.status, (byReason.get(f.reason ?? f.status) ?? 0) + 1);
    for (const [reason, n] of byReason) out.push(`    … ${n} more: ${reason}`);
  }
  out.push(`  Detections: ${s.detections}`);
  out.push(
    `    by level: ${[...SIGMA_LEVELS]
      .reverse()
      .map((l) => paint(style, l, `${l} ${s.byLevel[l]}`))
      .join(', ')}`,
  );
  if (s.byRule.length > 0) {
    out.push('    by rule:');
    const t = table(['Count', 'Level', 'Rule', 'Top entities', 'Id'], style);
    for (const r of s.byRule.slice(0, 25)) {
      // Entities that repeat across a rule's detections (one source behind a brute force, …).
      const top = Object.entries(r.top)
        .filter(([, values]) => values.length > 0 && values[0]![1] > 1)
        .map(
          ([f, values]) =>
            `${f}: ${values
              .slice(0, 3)
              .map(([v, n]) => `${v} ×${n}`)
              .join(', ')}`,
        )
        .join('; ');
      t.push([String(r.count), paint(style, r.level, r.level), r.title, top, r.id ?? '']);
    }
    out.push(t.toString().replace(/^/gm, '      '));
    if (s.byRule.length > 25) out.push(`      … ${s.byRule.length - 25} more rules`);
  }
  if (s.byTactic.length > 0) {
    out.push(`    by ATT&CK tactic: ${s.byTactic.map((t) => `${t.name} (${t.id}) ${t.count}`).join(', ')}`);
  }
  if (s.failures > 0) {
    out.push(`  Malformed records: ${s.failures} (skipped, scan continued)`);
    for (const f of s.failureSamples.slice(0, 10))
      out.push(`    ${f.path}${f.line > 0 ? `:${f.line}` : ''}: ${f.reason}`);
    if (s.failures > 10) out.push(`    … ${s.failures - 10} more`);
  }
  const r = s.rules;
  out.push(
    `  Rules: ${r.loaded} loaded from ${r.files} files, ${r.inactive.length} inactive, ${r.unsupported.length} unsupported, ${r.errors.length} with errors, ${r.excludedByStatus} excluded by --status`,
  );
  if (r.correlations > 0 || s.correlation.matches > 0) {
    const c = s.correlation;
    out.push(
      `  Correlation: ${r.correlations} correlation rules over ${c.matches} base-rule matches, ${c.alerts} alerts` +
        (c.untimed > 0 ? `, ${c.untimed} matches without @timestamp (not correlated)` : '') +
        (c.missingGroup > 0 ? `, ${c.missingGroup} without a group-by value` : ''),
    );
  }
  if (r.inactive.length > 0) out.push('    inactive:', ...reasons(r.inactive, 5));
  if (r.unsupported.length > 0) out.push('    unsupported:', ...reasons(r.unsupported, 5));
  if (r.errors.length > 0) out.push('    errors:', ...reasons(r.errors, 5));
  const unknown = Object.keys(r.unknownAttackTags);
  if (unknown.length > 0) {
    out.push(
      `    ATT&CK tags unknown to the bundled ATT&CK version (kept verbatim): ${unknown.sort().join(', ')}`,
    );
  }
  return `${out.join('\n')}\n`;
}
