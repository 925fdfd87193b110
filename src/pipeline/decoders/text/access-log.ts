/**
 * Web server access logs (format id `access-log`): the NCSA Common Log Format and Apache
 * mod_log_config's "combined" format, which Nginx (`log_format combined`) and Tomcat's
 * AccessLogValve (`common`/`combined` patterns) also write:
 * `%h %l %u %t "%r" %>s %b` [`"%{Referer}i" "%{User-agent}i"`], optionally led by a
 * `%v:%p` virtual host (Apache "vhost_combined"). `-` stands for a missing value.
 *
 * Real logs break the quoting: Tomcat does not escape `"` inside the request line, and scanners
 * send binary garbage (TLS handshakes) or nothing (`"-"`). The request therefore ends at the
 * first `" STATUS SIZE` after it, and a request that is not `METHOD TARGET [VERSION]` leaves the
 * request fields out (the raw line is still there for keyword searches). Values are kept as
 * written (percent-encoding and Apache's `\"`/`\xhh` escapes are not undone).
 *
 * Sigma view (webserver taxonomy, SigmaHQ `tests/logsource.json` "webserver"): `c-ip`,
 * `cs-username`, `cs-method`, `cs-uri` (request target as written), `cs-uri-stem` (before `?`),
 * `cs-uri-query` (after `?`, absent without one), `cs-version`, `sc-status` and `sc-bytes`
 * (numbers), `cs-referer`, `cs-user-agent`, `date` and `time` (UTC, as W3C logs write them),
 * `cs-host` and `s-port` (from a `%v:%p` prefix).
 *
 * Logsource: `category: webserver`, no product or service (SigmaHQ's `service: apache`/`nginx`
 * rules are for error logs).
 */
import { eventLogSource } from '../../../detect/sigma/event.js';
import type { FieldValue } from '../../../detect/sigma/types.js';
import { FieldEvent } from '../field-event.js';
import { type DecodeFailure, type DecodeResult, registerTextFormat, type TextFormat } from '../text.js';
import { monthNumber } from '../time.js';
import { webEcs } from './web-ecs.js';

const WEBSERVER = eventLogSource(undefined, [], ['webserver']);

/** `%t`: `10/Oct/2000:13:55:36 -0700` (strftime `%d/%b/%Y:%H:%M:%S %z`; Tomcat may add `.SSS`). */
const CLF_TIME = /^(\d{1,2})\/([A-Za-z]{3})\/(\d{4}):(\d\d):(\d\d):(\d\d)(?:\.\d{1,6})? ([+-])(\d\d)(\d\d)$/;
/** The `" STATUS SIZE` that closes the request (global: searched from the request start). */
const STATUS_SIZE = /" (\d{3}|-) (\d+|-)(?= |$)/g;
/** An HTTP method token (RFC 9110 §9.1 `token`, letters first). */
const METHOD = /^[A-Za-z][A-Za-z0-9_-]*$/;
/** A protocol version token: `HTTP/1.1`, `HTTP/2.0`, `Secure-HTTP/1.4`. */
const VERSION = /^[A-Za-z-]*HTTP\/\d/;
/** Sniffing: `[vhost ]host ident user [dd/Mon/yyyy:hh:mm:ss ±zzzz] "`. */
const SNIFF =
  /^(?:\S+ )?\S+ \S+ \S+ \[\d{1,2}\/[A-Za-z]{3}\/\d{4}:\d\d:\d\d:\d\d(?:\.\d{1,6})? [+-]\d{4}\] "/;

const NOT_ACCESS: DecodeFailure = Object.freeze({
  error:
    'not an access log line: expected "host ident user [dd/Mon/yyyy:hh:mm:ss +zzzz] "request" status size"',
});
const BAD_TIME: DecodeFailure = Object.freeze({
  error: 'access log timestamp is not "dd/Mon/yyyy:hh:mm:ss +zzzz"',
});
const NO_STATUS: DecodeFailure = Object.freeze({
  error: 'access log line has no "status size" after the quoted request',
});

/** Index of the `"` closing a quoted value that starts at `from`: the first unescaped `"` before a space or the end. */
function quotedEnd(line: string, from: number): number {
  for (let i = from; i < line.length; i++) {
    const c = line.charCodeAt(i);
    if (c === 92 /* \ */) i++;
    else if (c === 34 && (i + 1 === line.length || line.charCodeAt(i + 1) === 32)) return i;
  }
  return line.length;
}

function present(v: string | undefined): string | undefined {
  return v === undefined || v === '-' || v === '' ? undefined : v;
}

/** Date and time (UTC) of a CLF timestamp, or undefined when it is not one. */
function utcDateTime(text: string): readonly [string, string] | undefined {
  const m = CLF_TIME.exec(text);
  if (m === null) return undefined;
  const month = monthNumber(m[2]!);
  const day = Number(m[1]);
  const hour = Number(m[4]);
  const minute = Number(m[5]);
  const second = Number(m[6]);
  if (month === undefined || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) return undefined;
  const offset = (m[7] === '-' ? -1 : 1) * (Number(m[8]) * 60 + Number(m[9])) * 60_000;
  const iso = new Date(Date.UTC(Number(m[3]), month - 1, day, hour, minute, second) - offset).toISOString();
  return [iso.slice(0, 10), iso.slice(11, 19)];
}

/** The last timestamp read: consecutive lines mostly share their second. */
let lastStamp = '';
let lastDateTime: readonly [string, string] | undefined;

function cachedDateTime(text: string): readonly [string, string] | undefined {
  if (text !== lastStamp) {
    lastDateTime = utcDateTime(text);
    lastStamp = text;
  }
  return lastDateTime;
}

/** Splits a request line `METHOD TARGET [VERSION]` into the Sigma request fields. */
function readRequest(request: string, fields: Record<string, FieldValue>): void {
  const sp = request.indexOf(' ');
  if (sp <= 0) return;
  const method = request.slice(0, sp);
  if (!METHOD.test(method)) return;
  let target = request.slice(sp + 1);
  const last = target.lastIndexOf(' ');
  if (last >= 0 && VERSION.test(target.slice(last + 1))) {
    fields['cs-version'] = target.slice(last + 1);
    target = target.slice(0, last);
  }
  target = target.trim();
  fields['cs-method'] = method;
  if (target === '') return;
  fields['cs-uri'] = target;
  const q = target.indexOf('?');
  fields['cs-uri-stem'] = q < 0 ? target : target.slice(0, q);
  if (q >= 0) fields['cs-uri-query'] = target.slice(q + 1);
}

/**
 * Decodes one access log line (common, combined, vhost_common/vhost_combined).
 * @returns a `web-access-log` event, or a failure naming the part that is not an access log
 */
export function decodeAccessLog(line: string): DecodeResult {
  if (line.charCodeAt(line.length - 1) === 13) line = line.slice(0, -1);
  const open = line.indexOf(' [');
  if (open <= 0) return NOT_ACCESS;
  const head = line.slice(0, open).split(' ');
  if ((head.length !== 3 && head.length !== 4) || head.includes('')) return NOT_ACCESS;
  const close = line.indexOf('] ', open);
  if (close < 0 || line.charCodeAt(close + 2) !== 34) return NOT_ACCESS;
  const when = cachedDateTime(line.slice(open + 2, close));
  if (when === undefined) return BAD_TIME;
  const requestStart = close + 3;
  STATUS_SIZE.lastIndex = requestStart;
  const m = STATUS_SIZE.exec(line);
  if (m === null) return NO_STATUS;

  const fields: Record<string, FieldValue> = {};
  const vhost = head.length === 4 ? head[0]! : undefined;
  const [ip, , user] = head.length === 4 ? head.slice(1) : head;
  fields['c-ip'] = ip!;
  if (present(user) !== undefined) fields['cs-username'] = user!;
  if (vhost !== undefined) {
    const colon = vhost.lastIndexOf(':');
    const port = colon > 0 ? Number(vhost.slice(colon + 1)) : Number.NaN;
    fields['cs-host'] = Number.isInteger(port) ? vhost.slice(0, colon) : vhost;
    if (Number.isInteger(port)) fields['s-port'] = port;
  }
  readRequest(line.slice(requestStart, m.index), fields);
  if (m[1] !== '-') fields['sc-status'] = Number(m[1]);
  if (m[2] !== '-') fields['sc-bytes'] = Number(m[2]);
  let at = m.index + m[0].length;
  if (line.startsWith(' "', at)) {
    const end = quotedEnd(line, at + 2);
    const referer = present(line.slice(at + 2, end));
    if (referer !== undefined) fields['cs-referer'] = referer;
    at = end + 1;
    if (line.startsWith(' "', at)) {
      const uaEnd = quotedEnd(line, at + 2);
      const agent = present(line.slice(at + 2, uaEnd));
      if (agent !== undefined) fields['cs-user-agent'] = agent;
    }
  }
  fields.date = when[0];
  fields.time = when[1];
  return new FieldEvent('web-access-log', fields, WEBSERVER, line, webEcs, undefined, line);
}

/** True when at least half of the sample lines (and at least one) start like an access log line. */
function sniffAccessLog(lines: readonly string[]): boolean {
  let hits = 0;
  for (const line of lines) if (SNIFF.test(line)) hits++;
  return hits > 0 && hits * 2 >= lines.length;
}

/** The `access-log` text format (NCSA common / Apache combined, optional vhost). */
export const ACCESS_LOG_FORMAT: TextFormat = {
  id: 'access-log',
  description: 'Web access log: NCSA common / Apache combined (Apache, Nginx, Tomcat), optional vhost',
  sniff: sniffAccessLog,
  decode: (line) => decodeAccessLog(line),
};

registerTextFormat(ACCESS_LOG_FORMAT);
