/**
 * Retro-hunt: runs one rule over stored events in a time range, re-decoding each event's
 * `original`, and returns what it would have matched. Reads in id-ordered pages, so memory stays
 * bounded whatever the range; it never writes alerts.
 */
import { alertMatch } from '../alerts/match.js';
import { createDetector } from '../detect/sigma/detector.js';
import type { SigmaRule } from '../detect/sigma/types.js';
import { ErrorCodes, VigilError } from '../errors.js';
import type { DecodeOptions } from '../pipeline/decoders/types.js';
import { redecode } from '../pipeline/ingest/prepare.js';
import type { Database } from '../store/database.js';

export interface RetroHuntResult {
  /** Events read in the range. */
  readonly scanned: number;
  /** Events that did not decode any more (a decoder changed since they were stored). */
  readonly undecodable: number;
  /** ECS detection records, oldest first, at most `limit`. */
  readonly matches: Record<string, unknown>[];
  /** True when the scan stopped at `maxEvents` or `limit` before the end of the range. */
  readonly truncated: boolean;
}

/**
 * @param from - ISO start of the range on `@timestamp` (inclusive)
 * @param to - ISO end (exclusive)
 * @param limit - matches returned at most
 * @param maxEvents - events read at most (bounds the cost of one request)
 * @throws VigilError `VIGIL_ERR_RULE_INVALID` when the rule cannot run
 */
export async function retroHunt(
  database: Database,
  rule: SigmaRule,
  range: { readonly from: string; readonly to: string },
  options: { readonly limit: number; readonly maxEvents: number; readonly decode: DecodeOptions },
): Promise<RetroHuntResult> {
  const detector = createDetector([rule]);
  const active = detector.rules[0];
  if (!active)
    throw new VigilError(ErrorCodes.RULE_INVALID, detector.diagnostics[0]?.message ?? 'the rule cannot run here');
  const matches: Record<string, unknown>[] = [];
  let scanned = 0;
  let undecodable = 0;
  let after = 0;
  const page = 2000;
  while (scanned < options.maxEvents && matches.length < options.limit) {
    const rows = await database.db
      .selectFrom('events')
      .selectAll()
      .where('timestamp', '>=', new Date(range.from))
      .where('timestamp', '<', new Date(range.to))
      .where('id', '>', after)
      .orderBy('id')
      .limit(Math.min(page, options.maxEvents - scanned))
      .execute();
    if (rows.length === 0) return { scanned, undecodable, matches, truncated: false };
    for (const r of rows) {
      scanned++;
      after = r.id;
      const event = redecode(r.format, r.original, options.decode);
      if (!event) {
        undecodable++;
        continue;
      }
      if (detector.match(event).length === 0) continue;
      const row = { ...r, timestamp: r.timestamp.toISOString(), ingested: r.ingested.toISOString() };
      matches.push(alertMatch(detector, active, event, r.id, row).document);
      if (matches.length >= options.limit) break;
    }
    if (matches.length >= options.limit || scanned >= options.maxEvents) break;
    if (rows.length < page) return { scanned, undecodable, matches, truncated: false };
  }
  return { scanned, undecodable, matches, truncated: true };
}
