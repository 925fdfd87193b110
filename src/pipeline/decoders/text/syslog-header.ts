/**
 * Syslog line headers: splits a line into PRI, timestamp, host, tag/APP-NAME, PROCID, MSGID,
 * STRUCTURED-DATA and MSG, for `syslog.ts`.
 *
 * - RFC 5424 §6: `<PRI>VERSION SP TIMESTAMP SP HOSTNAME SP APP-NAME SP PROCID SP MSGID SP
 *   STRUCTURED-DATA [SP MSG]`, `-` for nil values, §6.3 STRUCTURED-DATA (`\"`, `\\`, `\]` escapes
 *   in PARAM-VALUE), §6.4 MSG with an optional UTF-8 BOM;
 * - RFC 3164 §4.1: `[<PRI>]Mmm dd hh:mm:ss HOSTNAME TAG[PID]: MSG` (day padded with a space);
 * - the BSD layout with an RFC 3339 timestamp (rsyslog's default file format on Debian 12+).
 */
import type { DecodeFailure } from '../text.js';
import { monthNumber, normalizeTimestamp, timestampFromParts } from '../time.js';
import type { DecodeOptions, EcsDocument } from '../types.js';

/** `<PRI>VERSION TIMESTAMP HOSTNAME APP-NAME PROCID MSGID rest` (rest = STRUCTURED-DATA [SP MSG]). */
const RFC5424 = /^<(\d{1,3})>(\d{1,2}) (\S+) (\S+) (\S+) (\S+) (\S+) (.*)$/s;
/** `[<PRI>]Mmm dd hh:mm:ss[.fff] HOSTNAME rest`. */
const RFC3164 =
  /^(?:<(\d{1,3})>)?([A-Z][a-z]{2}) {1,2}(\d{1,2}) (\d\d):(\d\d):(\d\d)(?:\.(\d{1,6}))? +(\S+)(?: +(.*))?$/s;
/** `[<PRI>]2024-05-01T10:00:00.123456+02:00 HOSTNAME rest` (RFC 3339 timestamp, BSD layout). */
const ISO_HEADER =
  /^(?:<(\d{1,3})>)?(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,9})?(?:Z|[+-]\d\d:?\d\d)?) +(\S+)(?: +(.*))?$/s;
/** `TAG[PID]: ` at the start of the rest of an RFC 3164 line. */
const TAG = /^([^\s[\]:]{1,64})(?:\[([^\]\s]{0,32})\])?:(?: |$)/;

/** An RFC 5424 TIMESTAMP starts with a full date. */
const DATE_START = /^\d{4}-/;

const NOT_SYSLOG: DecodeFailure = Object.freeze({
  error:
    'not a syslog line: expected <PRI>, an RFC 5424 header or an RFC 3164 "Mmm dd hh:mm:ss host" timestamp',
});
const BAD_PRI: DecodeFailure = Object.freeze({ error: 'syslog PRI out of range (0-191)' });
const BAD_SD: DecodeFailure = Object.freeze({ error: 'RFC 5424 STRUCTURED-DATA is not terminated by "]"' });

/** The parts of a syslog line. */
export interface SyslogParts {
  pri: number | undefined;
  version: number | undefined;
  /** RFC 5424 / RFC 3339 timestamp text, or undefined for RFC 3164. */
  isoTime: string | undefined;
  /** RFC 3164 calendar parts (no year). */
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  millisecond: number;
  host: string | undefined;
  tag: string | undefined;
  procid: string | undefined;
  msgid: string | undefined;
  sd: string | undefined;
  message: string;
}

function nil(v: string | undefined): string | undefined {
  return v === undefined || v === '-' || v === '' ? undefined : v;
}

function emptyParts(): SyslogParts {
  return {
    pri: undefined,
    version: undefined,
    isoTime: undefined,
    month: 0,
    day: 0,
    hour: 0,
    minute: 0,
    second: 0,
    millisecond: 0,
    host: undefined,
    tag: undefined,
    procid: undefined,
    msgid: undefined,
    sd: undefined,
    message: '',
  };
}

/** End index (exclusive) of RFC 5424 STRUCTURED-DATA starting with `[` at `from`, or -1. */
function structuredDataEnd(text: string, from: number): number {
  let i = from;
  while (i < text.length && text.charCodeAt(i) === 91 /* [ */) {
    let quoted = false;
    i++;
    for (; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (quoted) {
        if (c === 92 /* \ */) i++;
        else if (c === 34 /* " */) quoted = false;
      } else if (c === 34) {
        quoted = true;
      } else if (c === 93 /* ] */) {
        break;
      }
    }
    if (i >= text.length) return -1;
    i++;
  }
  return i;
}

/** Splits `TAG[PID]: MSG` (RFC 3164 §4.1.3) into the parts; a rest without a tag is all message. */
function splitTag(rest: string, parts: SyslogParts): void {
  const t = TAG.exec(rest);
  if (t === null) {
    parts.message = rest;
    return;
  }
  parts.tag = t[1];
  parts.procid = nil(t[2]);
  parts.message = rest.slice(t[0].length);
}

function parse5424(m: RegExpExecArray, parts: SyslogParts): DecodeFailure | undefined {
  parts.version = Number(m[2]);
  parts.isoTime = nil(m[3]);
  parts.host = nil(m[4]);
  parts.tag = nil(m[5]);
  parts.procid = nil(m[6]);
  parts.msgid = nil(m[7]);
  const rest = m[8]!;
  let msgStart: number;
  if (rest.charCodeAt(0) === 91) {
    const end = structuredDataEnd(rest, 0);
    if (end < 0) return BAD_SD;
    parts.sd = rest.slice(0, end);
    msgStart = end + 1;
  } else if (rest.charCodeAt(0) === 45 /* - */ && (rest.length === 1 || rest.charCodeAt(1) === 32)) {
    msgStart = 2;
  } else {
    // No STRUCTURED-DATA at all (a lenient sender): the rest is the message.
    msgStart = 0;
  }
  let message = rest.slice(msgStart);
  if (message.charCodeAt(0) === 0xfeff) message = message.slice(1);
  parts.message = message;
  return undefined;
}

/**
 * Parses a syslog line.
 * @returns the parts, or a failure saying why the line is not syslog
 */
export function parseSyslog(line: string): SyslogParts | DecodeFailure {
  if (line.charCodeAt(line.length - 1) === 13) line = line.slice(0, -1);
  const parts = emptyParts();
  let pri: string | undefined;
  const first = line.charCodeAt(0);
  const m5424 = first === 60 /* < */ ? RFC5424.exec(line) : null;
  if (m5424 !== null && (m5424[3] === '-' || DATE_START.test(m5424[3]!))) {
    pri = m5424[1];
    const failed = parse5424(m5424, parts);
    if (failed) return failed;
  } else {
    const bsd = RFC3164.exec(line);
    if (bsd !== null) {
      const month = monthNumber(bsd[2]!);
      if (month === undefined) return NOT_SYSLOG;
      pri = bsd[1];
      parts.month = month;
      parts.day = Number(bsd[3]);
      parts.hour = Number(bsd[4]);
      parts.minute = Number(bsd[5]);
      parts.second = Number(bsd[6]);
      parts.millisecond = bsd[7] === undefined ? 0 : Number(`${bsd[7]}00`.slice(0, 3));
      hostAndRest(bsd[8]!, bsd[9], parts);
    } else {
      const iso = ISO_HEADER.exec(line);
      if (iso === null) return NOT_SYSLOG;
      pri = iso[1];
      parts.isoTime = iso[2];
      hostAndRest(iso[3]!, iso[4], parts);
    }
  }
  if (pri !== undefined) {
    const p = Number(pri);
    if (p > 191) return BAD_PRI;
    parts.pri = p;
  }
  return parts;
}

/** HOSTNAME then `TAG: MSG`; a first token that ends with `:` is a tag (the host was left out). */
function hostAndRest(host: string, rest: string | undefined, parts: SyslogParts): void {
  if (host.endsWith(':')) {
    splitTag(rest === undefined ? host : `${host} ${rest}`, parts);
  } else {
    parts.host = host;
    splitTag(rest ?? '', parts);
  }
}

/** Timestamp of parsed parts as ISO UTC: RFC 3164 parts are read in `options.year`/`timezone`. */
export function timestampOf(parts: SyslogParts, options: DecodeOptions): string | undefined {
  if (parts.isoTime !== undefined) return normalizeTimestamp(parts.isoTime, options);
  if (parts.month === 0) return undefined;
  const at = (year: number): string | undefined =>
    timestampFromParts(
      {
        year,
        month: parts.month,
        day: parts.day,
        hour: parts.hour,
        minute: parts.minute,
        second: parts.second,
        millisecond: parts.millisecond,
      },
      options.timezone,
    );
  const ts = at(options.year);
  // RFC 3164 has no year: a date after the file was last written is last year's (year rollover).
  if (ts !== undefined && options.latest !== undefined && Date.parse(ts) > options.latest + DAY_MS) {
    return at(options.year - 1);
  }
  return ts;
}

const DAY_MS = 86_400_000;

/** Parses RFC 5424 STRUCTURED-DATA text into `{ SD-ID: { PARAM-NAME: value } }` (§6.3.3 escapes undone). */
export function parseStructuredData(sd: string): EcsDocument {
  const out: EcsDocument = {};
  let i = 0;
  while (i < sd.length && sd.charCodeAt(i) === 91) {
    let j = i + 1;
    while (j < sd.length && sd[j] !== ' ' && sd[j] !== ']') j++;
    const params: Record<string, string> = {};
    out[sd.slice(i + 1, j)] = params;
    while (j < sd.length && sd[j] === ' ') {
      const eq = sd.indexOf('="', j);
      if (eq < 0) break;
      const name = sd.slice(j + 1, eq);
      let value = '';
      let k = eq + 2;
      for (; k < sd.length && sd[k] !== '"'; k++) {
        if (sd[k] === '\\' && k + 1 < sd.length) k++;
        value += sd[k];
      }
      params[name] = value;
      j = k + 1;
    }
    const close = sd.indexOf(']', j);
    i = close < 0 ? sd.length : close + 1;
  }
  return out;
}
