/**
 * Timestamp normalization to ECS `@timestamp` (ISO 8601, UTC, millisecond precision).
 *
 * Time zone arithmetic uses Luxon (IANA zones through Intl). Records that carry an offset keep
 * it; records without one are read in the configured zone (`--timezone`, default UTC).
 */
import { DateTime } from 'luxon';
import type { DecodeOptions } from './types.js';

const ISO_LIKE =
  /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?)?(?:\s*(?:Z|[+-]\d{2}:?\d{2}))?$/i;
const HAS_ZONE = /(?:Z|[+-]\d{2}:?\d{2})$/i;
/** The common case, UTC with a `T` (Windows, ECS, JSON logs): parsed without Luxon. */
const ISO_UTC = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?Z$/;

/**
 * `2019-03-02T08:51:00.0081234Z` → `2019-03-02T08:51:00.008Z` with `Date.parse`; the round trip
 * through `toISOString` rejects dates that do not exist (Feb 30), which then go to Luxon.
 */
function fastUtc(text: string): string | undefined {
  const m = ISO_UTC.exec(text);
  if (!m) return undefined;
  const iso = `${m[1]}.${((m[2] ?? '') + '000').slice(0, 3)}Z`;
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return undefined;
  const out = new Date(ms).toISOString();
  return out === iso ? out : undefined;
}

function fromDateTime(dt: DateTime): string | undefined {
  return dt.isValid ? (dt.toUTC().toISO({ suppressMilliseconds: false }) ?? undefined) : undefined;
}

/**
 * Parses an ISO 8601-like date (`2019-03-02T08:51:00.008Z`, `2019-03-02 08:51:00.008`,
 * `2017-01-30T16:12:26.985026+0100`) or an epoch number in seconds (ms when > 1e11).
 * @returns ISO 8601 UTC text, or `undefined` when the value is not a date
 */
export function normalizeTimestamp(value: unknown, options: DecodeOptions): string | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) {
    return fromDateTime(DateTime.fromMillis(value > 1e11 ? value : value * 1000, { zone: 'utc' }));
  }
  if (typeof value !== 'string') return undefined;
  const text = value.trim();
  const fast = fastUtc(text);
  if (fast !== undefined) return fast;
  if (/^\d+(\.\d+)?$/.test(text)) return normalizeTimestamp(Number(text), options);
  if (!ISO_LIKE.test(text)) return undefined;
  let iso = text.replace(' ', 'T').replace(',', '.');
  // Luxon wants ±HH:MM; Suricata writes ±HHMM.
  iso = iso.replace(/([+-]\d{2})(\d{2})$/, '$1:$2');
  // More than millisecond precision (python-evtx writes microseconds) is cut to ms.
  iso = iso.replace(/(\.\d{3})\d+/, '$1');
  const zone = HAS_ZONE.test(text) ? undefined : options.timezone;
  return fromDateTime(DateTime.fromISO(iso, zone ? { zone } : { setZone: true }));
}

const MONTHS: Readonly<Record<string, number>> = {
  jan: 1,
  feb: 2,
  mar: 3,
  apr: 4,
  may: 5,
  jun: 6,
  jul: 7,
  aug: 8,
  sep: 9,
  oct: 10,
  nov: 11,
  dec: 12,
};

/** Month number (1-12) of an English month abbreviation, or `undefined`. */
export function monthNumber(abbrev: string): number | undefined {
  return MONTHS[abbrev.slice(0, 3).toLowerCase()];
}

/**
 * Builds a UTC ISO timestamp from calendar parts read in a zone.
 * @param zone - IANA zone or `UTC`; an explicit `offsetMinutes` wins over it
 */
export function timestampFromParts(
  parts: {
    year: number;
    month: number;
    day: number;
    hour: number;
    minute: number;
    second: number;
    millisecond?: number;
  },
  zone: string,
  offsetMinutes?: number,
): string | undefined {
  const z =
    offsetMinutes === undefined
      ? zone
      : `UTC${offsetMinutes >= 0 ? '+' : '-'}${Math.floor(Math.abs(offsetMinutes) / 60)}:${String(Math.abs(offsetMinutes) % 60).padStart(2, '0')}`;
  return fromDateTime(DateTime.fromObject(parts, { zone: z }));
}

/** True when `zone` is an IANA zone (or UTC) that Intl knows. */
export function isValidZone(zone: string): boolean {
  return DateTime.local().setZone(zone).isValid;
}
