/**
 * Syslog lines (format id `syslog`): RFC 5424, RFC 3164 (BSD syslog, with or without `<PRI>`),
 * which is also the layout of Debian/Ubuntu `/var/log/auth.log` and `/var/log/syslog`, and the
 * same layout with an RFC 3339 timestamp (rsyslog's default on Debian 12 and later).
 *
 * Shapes:
 * - RFC 5424 §6: `<PRI>VERSION SP TIMESTAMP SP HOSTNAME SP APP-NAME SP PROCID SP MSGID SP
 *   STRUCTURED-DATA [SP MSG]`, `-` for nil values (§6.2.1 PRI, §6.3 STRUCTURED-DATA, §6.4 MSG
 *   with an optional UTF-8 BOM);
 * - RFC 3164 §4.1: `[<PRI>]Mmm dd hh:mm:ss HOSTNAME TAG[PID]: MSG`, single-digit days padded with
 *   a space (`Jun  7`); no year or zone, so {@link DecodeOptions.year} and `timezone` supply them.
 *
 * Sigma view (`fields`): `message`, `process.name` (TAG/APP-NAME without a `(pam_unix)` suffix or
 * directory), `process.pid`, `host.hostname`, `log.syslog.appname` (as written),
 * `log.syslog.procid` (non-numeric PROCID), `log.syslog.priority`, `log.syslog.facility.code`/`.name`,
 * `log.syslog.severity.code`/`.name` (with PRI), `log.syslog.version`, `log.syslog.msgid`,
 * `log.syslog.structured_data` (raw SD text; RFC 5424), and the auth fields of
 * `auth-messages.ts`. Keyword searches also see the raw line.
 *
 * Logsource: `product: linux`, services `syslog` plus the program's (`syslog-tables.ts`), plus
 * `auth` when PRI says facility auth/authpriv or the line is a PAM message.
 */
import { eventLogSource } from '../../../detect/sigma/event.js';
import type { EventLogSource, FieldValue } from '../../../detect/sigma/types.js';
import { type EcsBuilder, FieldEvent, setEcs } from '../field-event.js';
import { type DecodeResult, registerTextFormat, type TextFormat } from '../text.js';
import type { DecodeOptions, EcsDocument } from '../types.js';
import { parseAuthMessage } from './auth-messages.js';
import { ACTION_CATEGORIES } from './auth-rules.js';
import { parseStructuredData, parseSyslog, timestampOf } from './syslog-header.js';
import {
  AUTH_FACILITIES,
  AUTH_PROGRAM_PREFIXES,
  FACILITY_NAMES,
  PROGRAM_SERVICES,
  SEVERITY_NAMES,
} from './syslog-tables.js';

/** A numeric PROCID / PID. */
const PID = /^\d{1,10}$/;

/** A program as routed: its name for `process.name`, its rule key and its two logsources. */
interface ProgramRouting {
  readonly name: string;
  readonly key: string;
  readonly pamTag: boolean;
  /** Services from the program table. */
  readonly plain: EventLogSource;
  /** The same plus `auth`. */
  readonly auth: EventLogSource;
}

const programCache = new Map<string, ProgramRouting>();
const PROGRAM_CACHE_LIMIT = 10_000;
const NO_PROGRAM: ProgramRouting = {
  name: '',
  key: '',
  pamTag: false,
  plain: eventLogSource('linux', ['syslog'], []),
  auth: eventLogSource('linux', ['syslog', 'auth'], []),
};

/** Routing of a tag: `/usr/sbin/CRON` → `CRON`/`cron`; `sshd(pam_unix)` → `sshd` with pamTag. */
function routeProgram(tag: string | undefined): ProgramRouting {
  if (tag === undefined) return NO_PROGRAM;
  const hit = programCache.get(tag);
  if (hit) return hit;
  let name = tag;
  const paren = name.indexOf('(');
  const pamTag = paren > 0 && name.startsWith('(pam', paren);
  if (paren > 0) name = name.slice(0, paren);
  const slash = name.lastIndexOf('/');
  if (slash >= 0 && slash < name.length - 1) name = name.slice(slash + 1);
  const key = name.toLowerCase();
  const services = ['syslog', ...(PROGRAM_SERVICES.get(key) ?? [])];
  if (AUTH_PROGRAM_PREFIXES.some((p) => key.startsWith(p)) && !services.includes('auth'))
    services.push('auth');
  const withAuth = services.includes('auth') ? services : [...services, 'auth'];
  const routing: ProgramRouting = {
    name,
    key,
    pamTag,
    plain: eventLogSource('linux', services, []),
    auth: eventLogSource('linux', withAuth, []),
  };
  if (programCache.size < PROGRAM_CACHE_LIMIT) programCache.set(tag, routing);
  return routing;
}

const ecsBuilders = new WeakMap<DecodeOptions, EcsBuilder>();

function syslogEcs(options: DecodeOptions): EcsBuilder {
  let builder = ecsBuilders.get(options);
  if (builder) return builder;
  builder = (e) => {
    const doc: EcsDocument = {};
    const parts = typeof e.original === 'string' ? parseSyslog(e.original) : undefined;
    if (parts && !('error' in parts)) setEcs(doc, '@timestamp', timestampOf(parts, options));
    setEcs(doc, 'event.kind', 'event');
    for (const key in e.fields) if (key.includes('.')) setEcs(doc, key, e.fields[key]);
    const sd = e.fields['log.syslog.structured_data'];
    if (typeof sd === 'string') setEcs(doc, 'log.syslog.structured_data', parseStructuredData(sd));
    setEcs(doc, 'host.name', e.fields['host.hostname']);
    setEcs(doc, 'message', e.fields.message);
    const action = e.fields['event.action'];
    const categories = typeof action === 'string' ? ACTION_CATEGORIES[action] : undefined;
    if (categories) {
      setEcs(doc, 'event.category', [...categories[0]]);
      setEcs(doc, 'event.type', [...categories[1]]);
    }
    return doc;
  };
  ecsBuilders.set(options, builder);
  return builder;
}

/**
 * Decodes one syslog line (RFC 5424, RFC 3164 or RFC 3339-stamped BSD layout).
 * @returns a `linux-syslog` event, or a failure for a line with no syslog header
 */
export function decodeSyslog(line: string, options: DecodeOptions): DecodeResult {
  const parts = parseSyslog(line);
  if ('error' in parts) return parts;
  const program = routeProgram(parts.tag);
  const fields: Record<string, FieldValue> = { message: parts.message };
  if (parts.host !== undefined) fields['host.hostname'] = parts.host;
  if (parts.tag !== undefined) {
    fields['process.name'] = program.name;
    fields['log.syslog.appname'] = parts.tag;
  }
  if (parts.procid !== undefined) {
    if (PID.test(parts.procid)) fields['process.pid'] = Number(parts.procid);
    else fields['log.syslog.procid'] = parts.procid;
  }
  let authFacility = false;
  if (parts.pri !== undefined) {
    const facility = parts.pri >> 3;
    const severity = parts.pri & 7;
    fields['log.syslog.priority'] = parts.pri;
    fields['log.syslog.facility.code'] = facility;
    fields['log.syslog.facility.name'] = FACILITY_NAMES[facility]!;
    fields['log.syslog.severity.code'] = severity;
    fields['log.syslog.severity.name'] = SEVERITY_NAMES[severity]!;
    authFacility = AUTH_FACILITIES.has(facility);
  }
  if (parts.version !== undefined) fields['log.syslog.version'] = parts.version;
  if (parts.msgid !== undefined) fields['log.syslog.msgid'] = parts.msgid;
  if (parts.sd !== undefined) fields['log.syslog.structured_data'] = parts.sd;
  if (parts.tag !== undefined) parseAuthMessage(program.key, parts.message, program.pamTag, fields);
  const auth = authFacility || program.pamTag || parts.message.startsWith('pam_');
  const raw = line.charCodeAt(line.length - 1) === 13 ? line.slice(0, -1) : line;
  return new FieldEvent(
    'linux-syslog',
    fields,
    auth ? program.auth : program.plain,
    raw,
    syslogEcs(options),
    undefined,
    raw,
  );
}

/** True when at least half of the sample lines (and at least one) have a syslog header. */
function sniffSyslog(lines: readonly string[]): boolean {
  let hits = 0;
  for (const line of lines) if (!('error' in parseSyslog(line))) hits++;
  return hits > 0 && hits * 2 >= lines.length;
}

/** The `syslog` text format (RFC 5424 / RFC 3164 / RFC 3339-stamped BSD lines). */
export const SYSLOG_FORMAT: TextFormat = {
  id: 'syslog',
  description: 'Syslog: RFC 5424, RFC 3164 / BSD (auth.log, /var/log/syslog, messages, secure)',
  sniff: sniffSyslog,
  decode: (line, _state, options) => decodeSyslog(line, options),
};

registerTextFormat(SYSLOG_FORMAT);
