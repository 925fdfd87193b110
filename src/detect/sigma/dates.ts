/**
 * Date parts for the time modifiers (`minute`, `hour`, `day`, `week`, `month`, `year`).
 *
 * Source: Sigma specification v2.1, `sigma-appendix-modifiers.md`, "Time Modifiers": the part is
 * read from the date as written, with no time zone or format conversion. Accepted shapes:
 * ISO 8601 / RFC 3339 (`2019-03-02T08:51:00.008Z`, `2019-03-02 08:51:00.008`) and epoch numbers
 * (seconds, or milliseconds when above 1e11), read in UTC. `week` is the ISO 8601 week number
 * (1–53; the appendix says 1–52, but ISO years have 53 weeks). A date without a time has no
 * `hour` or `minute` (no match rather than 0).
 */
import type { TimePart } from './modifiers.js';

const ISO = /^\s*(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2}))?/;

function isoWeek(year: number, month: number, day: number): number {
  const date = new Date(Date.UTC(year, month - 1, day));
  const weekday = date.getUTCDay() || 7;
  date.setUTCDate(date.getUTCDate() + 4 - weekday);
  const yearStart = Date.UTC(date.getUTCFullYear(), 0, 1);
  return Math.ceil(((date.getTime() - yearStart) / 86_400_000 + 1) / 7);
}

/**
 * Extracts one part of a date value.
 * @returns the part, or `undefined` when the value is not a recognized date
 */
export function datePart(value: string, part: TimePart): number | undefined {
  let y: number;
  let mo: number;
  let d: number;
  let h = 0;
  let mi = 0;
  const m = ISO.exec(value);
  if (m) {
    y = Number(m[1]);
    mo = Number(m[2]);
    d = Number(m[3]);
    if (m[4] !== undefined) {
      h = Number(m[4]);
      mi = Number(m[5]);
    }
  } else if (/^\s*\d+(\.\d+)?\s*$/.test(value)) {
    const n = Number(value);
    const date = new Date(n > 1e11 ? n : n * 1000);
    if (Number.isNaN(date.getTime())) return undefined;
    y = date.getUTCFullYear();
    mo = date.getUTCMonth() + 1;
    d = date.getUTCDate();
    h = date.getUTCHours();
    mi = date.getUTCMinutes();
  } else {
    return undefined;
  }
  const hasTime = m ? m[4] !== undefined : true;
  switch (part) {
    case 'minute':
      return hasTime ? mi : undefined;
    case 'hour':
      return hasTime ? h : undefined;
    case 'day':
      return d;
    case 'month':
      return mo;
    case 'year':
      return y;
    case 'week':
      return isoWeek(y, mo, d);
  }
}
