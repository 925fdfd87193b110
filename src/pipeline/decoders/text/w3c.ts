/**
 * W3C Extended Log File Format (format id `w3c`), as IIS writes it (W3C working draft
 * WD-logfile-960323; Microsoft "W3C Extended Log File Format (IIS 6.0)").
 *
 * Directives start with `#`: `#Software`, `#Version`, `#Date`, `#Remark` and
 * `#Fields: date time s-ip cs-method …`; the header state is the `#Fields` list, and a later
 * `#Fields` (IIS starts one at every restart) replaces it. Data lines hold the fields in `#Fields`
 * order separated by spaces; `-` means absent. `date` and `time` are UTC (the draft: "All times
 * are specified in GMT").
 *
 * Sigma view (webserver taxonomy): every field under its W3C name, except the header fields
 * `cs(User-Agent)` → `cs-user-agent`, `cs(Referer)` → `cs-referer`, `cs(Cookie)` → `cs-cookie`,
 * and generally `prefix(Header-Name)` → `prefix-header-name`. `sc-status`, `sc-substatus`,
 * `sc-win32-status`, `time-taken`, `s-port`, `sc-bytes` and `cs-bytes` are numbers. IIS writes
 * spaces in the user agent as `+`: `cs-user-agent` holds it with spaces restored (as Filebeat's IIS
 * module does), so SigmaHQ user-agent values, written with spaces, match; the raw line keeps the
 * `+` form for keyword searches. Where a log has `cs-uri` but no `cs-uri-stem`, stem and query
 * are split from it.
 *
 * Logsource: `category: webserver`, no product or service (SigmaHQ has no IIS access-log service).
 */
import { eventLogSource } from '../../../detect/sigma/event.js';
import type { FieldValue } from '../../../detect/sigma/types.js';
import { FieldEvent } from '../field-event.js';
import {
  type DecodeFailure,
  type DecodeResult,
  type HeaderState,
  registerTextFormat,
  type TextFormat,
} from '../text.js';
import { webEcs } from './web-ecs.js';

const WEBSERVER = eventLogSource(undefined, [], ['webserver']);

/** Header fields with a fixed Sigma name. */
const FIELD_NAMES: ReadonlyMap<string, string> = new Map([
  ['cs(User-Agent)', 'cs-user-agent'],
  ['cs(Referer)', 'cs-referer'],
  ['cs(Cookie)', 'cs-cookie'],
]);

/** Fields holding numbers. */
const NUMERIC_FIELDS: ReadonlySet<string> = new Set([
  'sc-status',
  'sc-substatus',
  'sc-win32-status',
  'time-taken',
  's-port',
  'sc-bytes',
  'cs-bytes',
]);

/** `cs(Header-Name)`: a header field with its prefix (W3C draft, "Fields"). */
const HEADER_FIELD = /^(cs|sc|s|c|rs|sr|x)\((.+)\)$/;
const WHITESPACE = /[ \t]+/;
const PLUS = /\+/g;

const NO_FIELDS: DecodeFailure = Object.freeze({ error: 'no #Fields directive before data' });

/** Header state of a W3C log: the `#Fields` list as written. */
interface W3cHeader extends HeaderState {
  readonly fields: readonly string[];
}

/** Per-header work done once: Sigma names and number flags by column. */
interface Columns {
  readonly names: readonly string[];
  readonly numeric: readonly boolean[];
}

const columnsCache = new WeakMap<HeaderState, Columns>();

/** Sigma name of a W3C field name. */
export function w3cFieldName(name: string): string {
  const fixed = FIELD_NAMES.get(name);
  if (fixed !== undefined) return fixed;
  const m = HEADER_FIELD.exec(name);
  return m === null ? name : `${m[1]}-${m[2]!.toLowerCase()}`;
}

function columnsOf(state: HeaderState | undefined): Columns | undefined {
  if (state === undefined) return undefined;
  let columns = columnsCache.get(state);
  if (columns) return columns;
  const fields = (state as Partial<W3cHeader>).fields;
  if (!Array.isArray(fields) || fields.length === 0) return undefined;
  const names = fields.map((f) => w3cFieldName(String(f)));
  columns = { names, numeric: names.map((n) => NUMERIC_FIELDS.has(n)) };
  columnsCache.set(state, columns);
  return columns;
}

/** Header state after a `#` line: `#Fields:` starts a new field list; other directives keep the state. */
function w3cHeader(line: string, state: HeaderState | undefined): HeaderState | undefined {
  if (!line.startsWith('#Fields:')) return state;
  const fields = line
    .slice(8)
    .trim()
    .split(WHITESPACE)
    .filter((f) => f !== '');
  const header: W3cHeader = { fields };
  return header;
}

/**
 * Decodes one W3C data line with the `#Fields` in force.
 * @returns a `web-w3c` event, `null` for directives and comments, or a failure (no `#Fields`
 *   yet, or a value count that does not match it)
 */
export function decodeW3c(line: string, state: HeaderState | undefined): DecodeResult {
  if (line.charCodeAt(line.length - 1) === 13) line = line.slice(0, -1);
  if (line.length === 0 || line.charCodeAt(0) === 35 /* # */) return null;
  const columns = columnsOf(state);
  if (columns === undefined) return NO_FIELDS;
  let values = line.split(' ');
  if (values.length !== columns.names.length) values = line.trim().split(WHITESPACE);
  if (values.length !== columns.names.length) {
    if (values.length === 1 && values[0] === '') return null;
    return { error: `expected ${columns.names.length} values (per #Fields), got ${values.length}` };
  }
  const fields: Record<string, FieldValue> = {};
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    const name = columns.names[i]!;
    if (v === '-' || v === '' || name === '__proto__') continue;
    if (columns.numeric[i]) {
      const n = Number(v);
      fields[name] = Number.isFinite(n) ? n : v;
    } else {
      fields[name] = name === 'cs-user-agent' ? v.replace(PLUS, ' ') : v;
    }
  }
  const uri = fields['cs-uri'];
  if (typeof uri === 'string' && fields['cs-uri-stem'] === undefined) {
    const q = uri.indexOf('?');
    fields['cs-uri-stem'] = q < 0 ? uri : uri.slice(0, q);
    if (q >= 0 && fields['cs-uri-query'] === undefined) fields['cs-uri-query'] = uri.slice(q + 1);
  } else if (uri === undefined && typeof fields['cs-uri-stem'] === 'string') {
    // The whole request target, as access logs have it, so rules can look at path and query at once.
    const query = fields['cs-uri-query'];
    fields['cs-uri'] =
      typeof query === 'string' ? `${fields['cs-uri-stem']}?${query}` : fields['cs-uri-stem'];
  }
  return new FieldEvent('web-w3c', fields, WEBSERVER, line, webEcs, undefined, line);
}

/** True when the file starts with W3C directives (`#Software:`, `#Version:`, `#Date:`, `#Fields:`). */
function sniffW3c(lines: readonly string[]): boolean {
  return lines.some(
    (l) =>
      l.startsWith('#Fields:') ||
      l.startsWith('#Software:') ||
      l.startsWith('#Version:') ||
      l.startsWith('#Date:'),
  );
}

/** The `w3c` text format (W3C Extended Log File Format; header state: the `#Fields` list). */
export const W3C_FORMAT: TextFormat = {
  id: 'w3c',
  description: 'W3C Extended Log File Format (IIS and other W3C-style web logs)',
  sniff: sniffW3c,
  header: w3cHeader,
  decode: decodeW3c,
};

registerTextFormat(W3C_FORMAT);
