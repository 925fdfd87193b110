/**
 * Machine-readable scan outputs: `json` (one document with detections and summary), `jsonl`
 * (one detection per line) and `csv` (one detection per row; RFC 4180 quoting).
 */
import type { ScanSummary } from '../summary.js';
import type { DetectionRecord } from '../types.js';
import { field, matchDetails, text, type Write } from './timeline.js';

export const OUTPUT_FORMATS = ['table', 'json', 'jsonl', 'csv'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

/** One JSON document `{detections: [...timeline], summary}`, one detection per line. */
export async function writeJson(
  timeline: Iterable<DetectionRecord>,
  summary: ScanSummary,
  write: Write,
): Promise<void> {
  await write('{\n  "detections": [');
  let first = true;
  for (const d of timeline) {
    await write(`${first ? '\n' : ',\n'}    ${JSON.stringify(d)}`);
    first = false;
  }
  await write(
    `${first ? '' : '\n  '}],\n  "summary": ${JSON.stringify(summary, null, 2).replace(/\n/g, '\n  ')}\n}\n`,
  );
}

/** JSON Lines: one detection per line, in timeline order. */
export async function writeJsonl(timeline: Iterable<DetectionRecord>, write: Write): Promise<void> {
  for (const d of timeline) await write(`${JSON.stringify(d)}\n`);
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

/** CSV with a header row (RFC 4180: CRLF line ends, quoted cells when needed). */
export async function writeCsv(timeline: Iterable<DetectionRecord>, write: Write): Promise<void> {
  await write(`${CSV_COLUMNS.map(([name]) => name).join(',')}\r\n`);
  for (const d of timeline) await write(`${CSV_COLUMNS.map(([, get]) => csvCell(get(d))).join(',')}\r\n`);
}
