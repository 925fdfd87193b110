/**
 * Linux audit records (format id `auditd`): `/var/log/audit/audit.log` in the RAW and ENRICHED
 * formats, and the same records forwarded through syslog (`… audispd: node=h type=…`,
 * `… audisp-syslog: type=…`) or printed by the kernel (`… kernel: audit: type=1400 audit(…): …`).
 *
 * Shape (audit-userspace, `auditd.conf(5)` `log_format`; Red Hat "Understanding Audit Log Files"):
 * `[node=NODE ]type=TYPE msg=audit(EPOCH.MS:SERIAL): key=value …[\x1dKEY=value …]`. Values are
 * `"quoted"` (literal), `'quoted'` (USER_* records: the inner text holds more pairs, read too),
 * or bare. Untrusted strings ({@link UNTRUSTED_FIELDS}, and `a0`… of EXECVE) are written as bare
 * hex when they hold spaces, quotes or control characters: an even-length all-hex bare value of
 * those fields is decoded (NULs of `proctitle` become spaces, as `ausearch -i` shows it; a `key`
 * holding several keys separated by \x01 becomes a list). `(null)` and `?` stay as written.
 * The ENRICHED part after the GS (\x1d) character carries the interpreted values under
 * UPPERCASE keys (`SYSCALL=execve UID="root"`), kept under those keys.
 *
 * Sigma view: every pair under its audit name (`type`, `a0`…, `exe`, `comm`, `key`, `name`,
 * `syscall`, `SYSCALL`, `uid`, `auid`, `proctitle`, … as SigmaHQ `tests/logsource.json`
 * `linux.service.auditd` lists them); a numeric `type` (kernel form, `UNKNOWN[1334]`) becomes its
 * name; raw x86_64 SYSCALL records also get `SYSCALL` from the syscall number. Values stay text.
 *
 * Logsource: `product: linux`, `service: auditd`.
 */
import { Buffer } from 'node:buffer';
import { eventLogSource } from '../../../detect/sigma/event.js';
import type { FieldValue } from '../../../detect/sigma/types.js';
import { type EcsBuilder, FieldEvent, setEcs } from '../field-event.js';
import { type DecodeFailure, type DecodeResult, registerTextFormat, type TextFormat } from '../text.js';
import { normalizeTimestamp } from '../time.js';
import { DEFAULT_DECODE_OPTIONS, type EcsDocument } from '../types.js';
import { ARCH_X86_64, RECORD_TYPES, UNTRUSTED_FIELDS, X86_64_SYSCALLS } from './auditd-tables.js';

type Fields = Record<string, FieldValue>;

const AUDITD = eventLogSource('linux', ['auditd'], []);
const NOT_AUDIT: DecodeFailure = Object.freeze({ error: 'not an audit record: no "type=" field' });
/** `audit(1610000000.123:456)`: epoch seconds and serial. */
const AUDIT_STAMP = /audit\((\d+(?:\.\d+)?):(\d+)\)/;
const UNKNOWN_TYPE = /^UNKNOWN\[(\d+)\]$/;
const TRAILING_NULS = /\0+$/;

/** True for a non-empty even-length string of hex digits. */
function isHex(s: string): boolean {
  if (s.length === 0 || s.length % 2 !== 0) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i) | 0x20;
    if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 102))) return false;
  }
  return true;
}

/** `a0`, `a12`, `a1[0]`: EXECVE argument fields. */
function isArgKey(key: string): boolean {
  const c = key.charCodeAt(1);
  return key.charCodeAt(0) === 97 && c >= 48 && c <= 57 && !key.endsWith('_len');
}

/** Decodes an untrusted hex value as auditd wrote it. */
function decodeHex(key: string, hex: string): FieldValue {
  const text = Buffer.from(hex, 'hex').toString('utf8');
  if (key === 'proctitle') return text.replace(TRAILING_NULS, '').replaceAll('\0', ' ');
  if (key === 'key' && text.includes('\x01')) return text.split('\x01');
  return text;
}

/**
 * Reads `key=value` pairs of `text[from, to)` into `out` (existing keys win when `keep`).
 * @param execve - the record is EXECVE, so `aN` bare hex values are decoded
 */
function readPairs(
  text: string,
  from: number,
  to: number,
  out: Fields,
  execve: boolean,
  keep: boolean,
): void {
  let i = from;
  while (i < to) {
    while (i < to && text.charCodeAt(i) === 32) i++;
    let j = i;
    while (j < to) {
      const c = text.charCodeAt(j);
      if (c === 61 /* = */ || c === 32) break;
      j++;
    }
    if (j >= to || text.charCodeAt(j) === 32 || j === i) {
      // A bare token (`audit(…):` of kernel records, a syslog remnant): nothing to store.
      i = j + 1;
      continue;
    }
    const key = text.slice(i, j);
    const q = text.charCodeAt(j + 1);
    let value: FieldValue;
    if (q === 34 /* " */ || q === 39 /* ' */) {
      let close = text.indexOf(q === 34 ? '"' : "'", j + 2);
      if (close < 0 || close > to) close = to;
      const inner = text.slice(j + 2, close);
      if (q === 39) readPairs(inner, 0, inner.length, out, false, true);
      value = inner;
      i = close + 1;
    } else {
      let end = text.indexOf(' ', j + 1);
      if (end < 0 || end > to) end = to;
      const bare = text.slice(j + 1, end);
      i = end;
      if (key === 'msg' && bare.startsWith('audit(')) continue;
      value =
        (UNTRUSTED_FIELDS.has(key) || (execve && isArgKey(key))) && isHex(bare) ? decodeHex(key, bare) : bare;
      if (key === 'type' && (value === 'EXECVE' || value === '1309')) execve = true;
    }
    if (key === '__proto__' || (keep && Object.hasOwn(out, key))) continue;
    out[key] = value;
  }
}

/** Start of the audit record in a line: `node=` or `type=` at the start or after a space. */
function recordStart(line: string): number {
  if (line.startsWith('node=') || line.startsWith('type=')) return 0;
  const node = line.indexOf(' node=');
  const type = line.indexOf(' type=');
  if (type < 0) return -1;
  return (node >= 0 && node < type ? node : type) + 1;
}

/** Record type name of a numeric type (`1300`, `UNKNOWN[1300]`), else the type as written. */
function typeName(type: string): string {
  const m = UNKNOWN_TYPE.exec(type);
  const n = Number(m === null ? type : m[1]);
  return (Number.isInteger(n) && RECORD_TYPES.get(n)) || type;
}

function str(v: FieldValue | undefined): string | undefined {
  return typeof v === 'string' && v !== '' && v !== '?' && v !== '(null)' ? v : undefined;
}

function num(v: FieldValue | undefined): number | undefined {
  const s = str(v);
  if (s === undefined) return undefined;
  const n = Number(s);
  return Number.isFinite(n) ? n : undefined;
}

/** EXECVE arguments `a0`…`a(argc-1)` in order. */
function execveArgs(fields: Readonly<Fields>): string[] | undefined {
  const argc = num(fields.argc);
  if (argc === undefined) return undefined;
  const args: string[] = [];
  for (let i = 0; i < argc && i < 4096; i++) {
    const a = fields[`a${i}`];
    if (typeof a !== 'string') break;
    args.push(a);
  }
  return args;
}

/** `success=` (SYSCALL) and `res=` (USER_*) values → ECS `event.outcome`. */
const OUTCOMES: ReadonlyMap<string, string> = new Map([
  ['yes', 'success'],
  ['no', 'failure'],
  ['success', 'success'],
  ['failed', 'failure'],
]);

/** ECS projection (the epoch stamp is re-read from the raw line). */
const auditdEcs: EcsBuilder = (e) => {
  const f = e.fields;
  const doc: EcsDocument = {};
  const stamp = typeof e.original === 'string' ? AUDIT_STAMP.exec(e.original) : null;
  if (stamp !== null) {
    setEcs(doc, '@timestamp', normalizeTimestamp(Number(stamp[1]), DEFAULT_DECODE_OPTIONS));
    setEcs(doc, 'event.sequence', Number(stamp[2]));
  }
  setEcs(doc, 'event.kind', 'event');
  setEcs(doc, 'event.module', 'auditd');
  setEcs(doc, 'event.code', str(f.type));
  setEcs(doc, 'host.name', str(f.node));
  setEcs(doc, 'process.executable', str(f.exe));
  setEcs(doc, 'process.name', str(f.comm));
  setEcs(doc, 'process.pid', num(f.pid));
  setEcs(doc, 'process.parent.pid', num(f.ppid));
  setEcs(doc, 'process.title', str(f.proctitle));
  setEcs(doc, 'user.id', str(f.uid));
  setEcs(doc, 'user.name', str(f.UID) ?? str(f.acct));
  setEcs(doc, 'user.audit.id', str(f.auid));
  setEcs(doc, 'user.audit.name', str(f.AUID));
  setEcs(doc, 'user.effective.id', str(f.euid));
  setEcs(doc, 'user.group.id', str(f.gid));
  setEcs(doc, 'auditd.session', str(f.ses));
  setEcs(doc, 'auditd.data.syscall', str(f.SYSCALL) ?? str(f.syscall));
  const outcome = str(f.success) ?? str(f.res);
  setEcs(doc, 'event.outcome', outcome === undefined ? undefined : OUTCOMES.get(outcome));
  if (f.type === 'PATH') setEcs(doc, 'file.path', str(f.name));
  if (f.type === 'CWD') setEcs(doc, 'process.working_directory', str(f.cwd));
  if (f.type === 'EXECVE') {
    const args = execveArgs(f);
    if (args && args.length > 0) {
      setEcs(doc, 'process.args', args);
      setEcs(doc, 'process.args_count', args.length);
      setEcs(doc, 'process.command_line', args.join(' '));
    }
  }
  const key = f.key;
  if (Array.isArray(key)) setEcs(doc, 'tags', [...key]);
  else if (str(key) !== undefined) setEcs(doc, 'tags', [key]);
  return doc;
};

/**
 * Decodes one audit record line (RAW, ENRICHED, or forwarded through syslog).
 * @returns a `linux-auditd` event, or a failure for a line without `type=`
 */
export function decodeAuditd(line: string): DecodeResult {
  if (line.charCodeAt(line.length - 1) === 13) line = line.slice(0, -1);
  const start = recordStart(line);
  if (start < 0) return NOT_AUDIT;
  const gs = line.indexOf('\x1d', start);
  const end = gs < 0 ? line.length : gs;
  const fields: Fields = {};
  readPairs(line, start, end, fields, false, false);
  const type = fields.type;
  if (typeof type !== 'string' || type === '') return NOT_AUDIT;
  if (gs >= 0) readPairs(line, gs + 1, line.length, fields, false, true);
  const name = typeName(type);
  if (name !== type) fields.type = name;
  if (name === 'SYSCALL' && fields.SYSCALL === undefined && typeof fields.syscall === 'string') {
    const n = Number(fields.syscall);
    const syscall = Number.isInteger(n)
      ? fields.arch === ARCH_X86_64 && X86_64_SYSCALLS.get(n)
      : fields.syscall;
    if (syscall) fields.SYSCALL = syscall;
  }
  return new FieldEvent('linux-auditd', fields, AUDITD, line, auditdEcs, undefined, line);
}

/** True when at least half of the sample lines (and at least one) are audit records. */
function sniffAuditd(lines: readonly string[]): boolean {
  let hits = 0;
  for (const line of lines) if (recordStart(line) >= 0 && AUDIT_STAMP.test(line)) hits++;
  return hits > 0 && hits * 2 >= lines.length;
}

/** The `auditd` text format (audit.log RAW/ENRICHED and forwarded audit records). */
export const AUDITD_FORMAT: TextFormat = {
  id: 'auditd',
  description: 'Linux audit log (auditd RAW/ENRICHED, audispd/audisp-syslog, kernel audit lines)',
  sniff: sniffAuditd,
  decode: (line) => decodeAuditd(line),
};

registerTextFormat(AUDITD_FORMAT);
