/**
 * Zeek logs in the default ASCII/TSV writer format (format id `zeek-tsv`; Zeek documentation,
 * "Log Formats" → "Zeek TSV Format Logs", and `base/frameworks/logging/writers/ascii.zeek`).
 *
 * Header lines: `#separator \x09` (the one written with a space, its value escaped),
 * `#set_separator ,`, `#empty_field (empty)`, `#unset_field -`, `#path dns`, `#open …`,
 * `#fields ts uid …`, `#types time string …`, `#close …`, each split by the separator. The header
 * state holds separator, set separator, empty and unset markers, path, fields and types; a
 * `#separator` line (a new log's header) resets it.
 *
 * Values by `#types`: the unset marker → absent; the empty marker → `''`, or `[]` for
 * containers; `vector[…]`/`set[…]` → arrays split on the set separator; `count`, `int`,
 * `double`, `port`, `interval` and `time` (epoch seconds) → numbers; `bool` `T`/`F` → booleans.
 * Strings have the writer's escapes undone in the way Zeek's JSON writer would have written
 * them (`json_escape_utf8`), so TSV and JSON logs of the same traffic give equal fields: `\\` →
 * `\`; `\xHH` → the byte, for printable ASCII, tab, newline, CR, FF and BS, and for runs of bytes
 * that form valid UTF-8; other control bytes and invalid UTF-8 stay as the text `\xHH` (SigmaHQ's
 * Zeek DNS rule matches `answers|endswith: '\x00'` written that way).
 *
 * Sigma view and logsource: see `../network/zeek-event.ts`.
 */
import { Buffer } from 'node:buffer';
import type { FieldValue } from '../../../detect/sigma/types.js';
import { zeekEvent } from '../network/zeek-event.js';
import {
  type DecodeFailure,
  type DecodeResult,
  type HeaderState,
  registerTextFormat,
  type TextFormat,
} from '../text.js';

/** Header state of a Zeek TSV log (JSON-serializable). */
export interface ZeekHeader extends HeaderState {
  readonly separator: string;
  readonly setSeparator: string;
  readonly emptyField: string;
  readonly unsetField: string;
  readonly path?: string;
  readonly fields?: readonly string[];
  readonly types?: readonly string[];
}

/** The ASCII writer's defaults (`LogAscii::separator` …). */
const DEFAULT_HEADER: ZeekHeader = {
  separator: '\t',
  setSeparator: ',',
  emptyField: '(empty)',
  unsetField: '-',
};

/** How a column's values are read, from its `#types` entry. */
const Kind = { Text: 0, Number: 1, Bool: 2, TextList: 3, NumberList: 4, BoolList: 5 } as const;
type Kind = (typeof Kind)[keyof typeof Kind];

const NUMBER_TYPES: ReadonlySet<string> = new Set(['count', 'int', 'double', 'port', 'interval', 'time']);

/** Per-header work done once: column names and value kinds. */
interface Columns {
  readonly names: readonly string[];
  readonly kinds: readonly Kind[];
  readonly header: ZeekHeader;
}

const columnsCache = new WeakMap<HeaderState, Columns>();
const NO_FIELDS: DecodeFailure = Object.freeze({ error: 'no #fields header before data' });
const HEADER_ESCAPE = /\\x([0-9a-fA-F]{2})/g;

function kindOf(type: string | undefined): Kind {
  if (type === undefined) return Kind.Text;
  const open = type.indexOf('[');
  if (open > 0 && type.endsWith(']')) {
    const inner = type.slice(open + 1, -1);
    return NUMBER_TYPES.has(inner) ? Kind.NumberList : inner === 'bool' ? Kind.BoolList : Kind.TextList;
  }
  return NUMBER_TYPES.has(type) ? Kind.Number : type === 'bool' ? Kind.Bool : Kind.Text;
}

function columnsOf(state: HeaderState | undefined): Columns | undefined {
  if (state === undefined) return undefined;
  let columns = columnsCache.get(state);
  if (columns) return columns;
  const header = state as ZeekHeader;
  if (!Array.isArray(header.fields) || header.fields.length === 0) return undefined;
  const types = Array.isArray(header.types) ? header.types : [];
  columns = {
    names: header.fields.map(String),
    kinds: header.fields.map((_, i) => kindOf(typeof types[i] === 'string' ? types[i] : undefined)),
    header,
  };
  columnsCache.set(state, columns);
  return columns;
}

/** Value of a hex digit's char code, or -1. */
function hexDigit(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  const l = c | 0x20;
  return l >= 97 && l <= 102 ? l - 87 : -1;
}

/** The byte written as two hex digits at `s[at]`, or -1. */
function hexByte(s: string, at: number): number {
  const hi = hexDigit(s.charCodeAt(at));
  const lo = hexDigit(s.charCodeAt(at + 1));
  return hi < 0 || lo < 0 ? -1 : hi * 16 + lo;
}

/** `\xHH` text of a byte, lower-case hex as Zeek writes it. */
function byteText(b: number): string {
  return `\\x${b.toString(16).padStart(2, '0')}`;
}

/** Length of the valid UTF-8 sequence starting at `bytes[i]`, or 0 (RFC 3629 §4 table). */
function utf8Length(bytes: readonly number[], i: number): number {
  const b0 = bytes[i]!;
  let n: number;
  let lo = 0x80;
  let hi = 0xbf;
  if (b0 >= 0xc2 && b0 <= 0xdf) n = 2;
  else if (b0 >= 0xe0 && b0 <= 0xef) {
    n = 3;
    if (b0 === 0xe0) lo = 0xa0;
    if (b0 === 0xed) hi = 0x9f;
  } else if (b0 >= 0xf0 && b0 <= 0xf4) {
    n = 4;
    if (b0 === 0xf0) lo = 0x90;
    if (b0 === 0xf4) hi = 0x8f;
  } else return 0;
  if (i + n > bytes.length) return 0;
  const b1 = bytes[i + 1]!;
  if (b1 < lo || b1 > hi) return 0;
  for (let k = 2; k < n; k++) {
    const b = bytes[i + k]!;
    if (b < 0x80 || b > 0xbf) return 0;
  }
  return n;
}

/** Text of a run of escaped bytes, as Zeek's JSON writer would put it (see module doc). */
function bytesText(bytes: readonly number[]): string {
  let out = '';
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i]!;
    if (b < 0x80) {
      const printable = (b >= 0x20 && b < 0x7f) || b === 8 || b === 9 || b === 10 || b === 12 || b === 13;
      out += printable ? String.fromCharCode(b) : byteText(b);
      i++;
      continue;
    }
    const n = utf8Length(bytes, i);
    if (n === 0) {
      out += byteText(b);
      i++;
      continue;
    }
    out += Buffer.from(bytes.slice(i, i + n)).toString('utf8');
    i += n;
  }
  return out;
}

/** Undoes the ASCII writer's escapes of a string value. */
export function unescapeZeek(s: string): string {
  let j = s.indexOf('\\');
  if (j < 0) return s;
  let out = '';
  let i = 0;
  while (j >= 0) {
    out += s.slice(i, j);
    if (s.charCodeAt(j + 1) === 92) {
      out += '\\';
      i = j + 2;
    } else if (s.charCodeAt(j + 1) === 120 /* x */ && hexByte(s, j + 2) >= 0) {
      const bytes: number[] = [];
      let k = j;
      while (s.charCodeAt(k) === 92 && s.charCodeAt(k + 1) === 120) {
        const b = hexByte(s, k + 2);
        if (b < 0) break;
        bytes.push(b);
        k += 4;
      }
      out += bytesText(bytes);
      i = k;
    } else {
      out += '\\';
      i = j + 1;
    }
    j = s.indexOf('\\', i);
  }
  return out + s.slice(i);
}

function scalar(v: string, kind: Kind, unset: string): FieldValue {
  if (v === unset) return null;
  if (kind === Kind.Number) {
    const n = Number(v);
    return Number.isNaN(n) || v === '' ? v : n;
  }
  if (kind === Kind.Bool) return v === 'T' ? true : v === 'F' ? false : v;
  return unescapeZeek(v);
}

function decodeValue(v: string, kind: Kind, header: ZeekHeader): FieldValue {
  switch (kind) {
    case Kind.TextList:
    case Kind.NumberList:
    case Kind.BoolList: {
      if (v === header.emptyField) return [];
      const element = kind === Kind.NumberList ? Kind.Number : kind === Kind.BoolList ? Kind.Bool : Kind.Text;
      return v.split(header.setSeparator).map((x) => scalar(x, element, header.unsetField));
    }
    case Kind.Text:
      return v === header.emptyField ? '' : unescapeZeek(v);
    default:
      return scalar(v, kind, header.unsetField);
  }
}

/** Header state after a `#` line (see module doc). */
function zeekHeader(line: string, state: HeaderState | undefined): HeaderState | undefined {
  if (line.startsWith('#separator ')) {
    return { ...DEFAULT_HEADER, separator: line.slice(11).replace(HEADER_ESCAPE, hexChar) };
  }
  const current = (state as ZeekHeader | undefined) ?? DEFAULT_HEADER;
  const sep = typeof current.separator === 'string' && current.separator !== '' ? current.separator : '\t';
  const at = line.indexOf(sep);
  if (at < 0) return state;
  const name = line.slice(1, at);
  const value = line.slice(at + sep.length);
  switch (name) {
    case 'set_separator':
      return { ...current, setSeparator: value.replace(HEADER_ESCAPE, hexChar) };
    case 'empty_field':
      return { ...current, emptyField: value };
    case 'unset_field':
      return { ...current, unsetField: value };
    case 'path':
      return { ...current, path: value };
    case 'fields':
      return { ...current, fields: value.split(sep) };
    case 'types':
      return { ...current, types: value.split(sep) };
    default:
      return state;
  }
}

function hexChar(_: string, hex: string): string {
  return String.fromCharCode(Number.parseInt(hex, 16));
}

/**
 * Decodes one Zeek TSV data line with the header in force.
 * @returns a `zeek-tsv` event, `null` for header lines, or a failure (no `#fields` yet, or a
 *   value count that does not match it)
 */
export function decodeZeekTsv(line: string, state: HeaderState | undefined): DecodeResult {
  if (line.charCodeAt(line.length - 1) === 13) line = line.slice(0, -1);
  if (line.length === 0 || line.charCodeAt(0) === 35 /* # */) return null;
  const columns = columnsOf(state);
  if (columns === undefined) return NO_FIELDS;
  const header = columns.header;
  const values = line.split(
    typeof header.separator === 'string' && header.separator !== '' ? header.separator : '\t',
  );
  if (values.length !== columns.names.length) {
    return { error: `expected ${columns.names.length} values (per #fields), got ${values.length}` };
  }
  const fields: Record<string, FieldValue> = {};
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    const name = columns.names[i]!;
    if (v === header.unsetField || name === '__proto__') continue;
    fields[name] = decodeValue(v, columns.kinds[i]!, header);
  }
  return zeekEvent('zeek-tsv', fields, typeof header.path === 'string' ? header.path : '', line, line);
}

/** True when the file starts with Zeek's `#separator` header (or shows `#fields`/`#path` lines). */
function sniffZeekTsv(lines: readonly string[]): boolean {
  return (
    lines[0]?.startsWith('#separator ') === true ||
    lines.some((l) => l.startsWith('#fields\t') || l.startsWith('#path\t'))
  );
}

/** The `zeek-tsv` text format (Zeek ASCII writer; header state: {@link ZeekHeader}). */
export const ZEEK_TSV_FORMAT: TextFormat = {
  id: 'zeek-tsv',
  description: 'Zeek logs, default ASCII/TSV writer (#separator, #fields, #types headers)',
  sniff: sniffZeekTsv,
  header: zeekHeader,
  decode: decodeZeekTsv,
};

registerTextFormat(ZEEK_TSV_FORMAT);
