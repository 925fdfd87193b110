/**
 * Request bodies of `POST /api/v1/events`: one JSON object, a JSON array of objects
 * (`application/json`), or NDJSON (`application/x-ndjson`, one object per line). NDJSON errors are
 * per line (good lines are kept); a JSON document that does not parse is one error.
 */
import type { JsonRecord } from '../ingest/service.js';

/** Lines longer than this are rejected (not parsed), characters. */
export const MAX_LINE_CHARS = 1 << 20;

function describe(err: unknown): string {
  return `invalid JSON: ${err instanceof Error ? err.message : String(err)}`;
}

/** Splits NDJSON into records; blank lines are skipped, line numbers are 1-based. */
export function ndjsonRecords(body: string): JsonRecord[] {
  const out: JsonRecord[] = [];
  let line = 0;
  let start = 0;
  while (start <= body.length) {
    let end = body.indexOf('\n', start);
    if (end < 0) end = body.length;
    line++;
    const text = body.slice(start, end).trim();
    start = end + 1;
    if (text === '') continue;
    if (text.length > MAX_LINE_CHARS) {
      out.push({ line, text: text.slice(0, 1024), error: `line longer than ${MAX_LINE_CHARS} characters` });
      continue;
    }
    try {
      out.push({ line, text, value: JSON.parse(text) });
    } catch (err) {
      out.push({ line, text, error: describe(err) });
    }
  }
  return out;
}

/**
 * Splits a JSON document: an array gives one record per element (`line` = 1-based position),
 * anything else one record.
 * @throws SyntaxError when the document does not parse (the caller answers 400)
 */
export function jsonRecords(body: string): JsonRecord[] {
  const value: unknown = JSON.parse(body);
  if (Array.isArray(value)) return value.map((v, i) => ({ line: i + 1, text: JSON.stringify(v), value: v }));
  return [{ line: 1, text: body.trim(), value }];
}
