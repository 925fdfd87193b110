import type { DetectionRecord } from '../types.js';

/** Writes text to the output, resolving once it may take more (back-pressure). */
export type Write = (text: string) => Promise<void>;

/** Reads a dotted path from a detection record. */
export function field(d: DetectionRecord, path: string): unknown {
  let node: unknown = d;
  for (const k of path.split('.')) {
    if (typeof node !== 'object' || node === null) return undefined;
    node = (node as Record<string, unknown>)[k];
  }
  return node;
}

/** One-line text of a value for tables and CSV. */
export function text(v: unknown): string {
  if (v === undefined || v === null) return '';
  if (typeof v === 'string') return v;
  if (Array.isArray(v)) return v.map(text).join(', ');
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

/** `Field=value` pairs of what matched, for a details column. */
export function matchDetails(d: DetectionRecord, maxValue = 160): string {
  const parts: string[] = [];
  for (const [k, v] of Object.entries(d.vigil.match.fields)) {
    let t = text(v).replace(/\s+/g, ' ');
    if (t.length > maxValue) t = `${t.slice(0, maxValue - 1)}…`;
    parts.push(`${k}=${t}`);
  }
  for (const k of d.vigil.match.keywords) parts.push(`keyword="${k}"`);
  return parts.join(' | ');
}
