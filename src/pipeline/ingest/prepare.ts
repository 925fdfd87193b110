/**
 * Turns received records (a parsed JSON value, or a text line of a known format) into the event
 * row to store plus the decoded event detection reads, or into a dead letter with the reason.
 */
import { decodeJson } from '../decoders/json.js';
import { isDecodeFailure, textFormat } from '../decoders/text.js';
import type { DecodedEvent, DecodeOptions } from '../decoders/types.js';
import type { NewEvent } from '../../store/events.js';
import type { NewDeadLetter } from '../../store/dead-letters.js';

/** A decoded event and the row that stores it. */
export interface PreparedEvent {
  readonly row: NewEvent;
  readonly event: DecodedEvent;
}

export type Prepared = { readonly ok: PreparedEvent } | { readonly dead: NewDeadLetter };

function logsourceOf(e: DecodedEvent): Record<string, string> {
  const ls: Record<string, string> = {};
  if (e.logsource.product) ls.product = e.logsource.product;
  if (e.logsource.categories.length > 0) ls.category = e.logsource.categories.join(',');
  if (e.logsource.services.length > 0) ls.service = e.logsource.services.join(',');
  return ls;
}

/** Event time from the ECS projection, else the ingest time. */
function eventTime(ecs: Record<string, unknown>, ingested: string): string {
  const ts = ecs['@timestamp'];
  if (typeof ts === 'string') {
    const ms = Date.parse(ts);
    if (!Number.isNaN(ms)) return new Date(ms).toISOString();
  }
  return ingested;
}

function toPrepared(event: DecodedEvent, format: string, original: string, source: string, ingested: string) {
  const ecs = { ...event.ecs() };
  const timestamp = eventTime(ecs, ingested);
  ecs['@timestamp'] = timestamp;
  const ev =
    typeof ecs.event === 'object' && ecs.event !== null ? (ecs.event as Record<string, unknown>) : {};
  ecs.event = { ...ev, ingested };
  return {
    ok: {
      event,
      row: {
        timestamp,
        ingested,
        source,
        decoder: event.decoder,
        format,
        logsource: logsourceOf(event),
        ecs,
        original,
      },
    },
  };
}

/**
 * @param value - the parsed JSON value
 * @param text - its JSON text (stored as `original`)
 * @param line - 1-based line in the request, for the dead letter
 */
export function prepareJson(
  value: unknown,
  text: string,
  source: string,
  line: number | null,
  options: DecodeOptions,
  ingested: string,
): Prepared {
  const event = decodeJson(value, options);
  if (!event) return { dead: { source, line, reason: 'not a JSON object', raw: text } };
  return toPrepared(event, 'json', text, source, ingested);
}

/**
 * @param format - a registered text format id (`syslog`, …)
 * @throws Error for an unknown format (a programming error)
 */
export function prepareLine(
  text: string,
  format: string,
  source: string,
  line: number | null,
  options: DecodeOptions,
  ingested: string,
): Prepared | null {
  const f = textFormat(format);
  if (!f) throw new Error(`unknown text format ${format}`);
  const result = f.decode(text, undefined, options);
  if (result === null) return null;
  if (isDecodeFailure(result)) return { dead: { source, line, reason: result.error, raw: text } };
  return toPrepared(result, format, text, source, ingested);
}

/**
 * Re-decodes a stored event's `original` (detection after a restart, retro-hunts).
 * @returns undefined when the stored text no longer decodes (a decoder changed)
 */
export function redecode(format: string, original: string, options: DecodeOptions): DecodedEvent | undefined {
  if (format === 'json') {
    try {
      return decodeJson(JSON.parse(original), options);
    } catch {
      return undefined;
    }
  }
  const f = textFormat(format);
  const r = f?.decode(original, undefined, options);
  return r && !isDecodeFailure(r) ? r : undefined;
}
