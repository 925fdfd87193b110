/**
 * Machine-readable scan outputs: `json` (one document with detections and summary), `jsonl`
 * (one detection per line) and `csv` (one detection per row; RFC 4180 quoting).
 */
import type { ScanReport } from '../scan.js';
import type { DetectionRecord } from '../types.js';
import { field, matchDetails, text, timeline } from './timeline.js';

export const OUTPUT_FORMATS = ['table', 'json', 'jsonl', 'csv'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

export function renderJson(report: ScanReport): string {
  return `${JSON.stringify({ detections: timeline(report.detections), summary: report.summary }, null, 2)}\n`;
}

export function renderJsonl(detections: readonly DetectionRecord[]): string {
  return timeline(detections)
    .map((d) => `${JSON.stringify(d)}\n`)
    .join('');
}

const CSV_COLUMNS: readonly (readonly [string, (d: DetectionRecord) => unknown])[] = [
  ['timestamp', (d) => d['@timestamp']],
  ['level', (d) => d.rule.level],
  ['rule_id', (d) => d.rule.id],
  ['rule_name', (d) => d.rule.name],
  ['tactics', (d) => field(d, 'threat.tactic.name')],
  [
    'techniques',
    (d) =>
      [field(d, 'threat.technique.id'), field(d, 'threat.technique.subtechnique.id')].flat().filter(Boolean),
  ],
  ['host', (d) => field(d, 'host.name')],
  ['user', (d) => field(d, 'user.name')],
  ['source_ip', (d) => field(d, 'source.ip')],
  ['details', (d) => matchDetails(d, 500)],
  ['file', (d) => d.log.file.path],
  ['line', (d) => d.vigil.line],
  ['event_index', (d) => d.vigil.event_index],
];

function csvCell(v: unknown): string {
  const s = text(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function renderCsv(detections: readonly DetectionRecord[]): string {
  const rows = [CSV_COLUMNS.map(([name]) => name).join(',')];
  for (const d of timeline(detections)) rows.push(CSV_COLUMNS.map(([, get]) => csvCell(get(d))).join(','));
  return `${rows.join('\r\n')}\r\n`;
}
