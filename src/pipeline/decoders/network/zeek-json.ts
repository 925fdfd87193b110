/**
 * Zeek logs written as JSON (a {@link JsonDecoder}): Corelight's json-streaming-logs package
 * (objects carry `_path` and `_write_ts`, times as ISO 8601) and Zeek's own JSON writer
 * (`LogAscii::use_json=T`: no `_path`, `ts` as epoch seconds by default).
 *
 * Recognized: an object with a string `_path`, or with a string `uid` and `id.orig_h`. Without
 * `_path` the log path is guessed from a field only one log has ({@link PATH_SIGNATURES});
 * unguessable records still decode, as `product: zeek` with no service.
 *
 * Fields are the record's keys (nested objects flattened with dots), minus `_path` and
 * `_write_ts`, with values normalized to what the TSV writer gives (`text/zeek-tsv.ts`), so
 * both writers yield equal fields for the same record:
 * - ISO 8601 UTC times (`2018-03-24T17:15:20.865716Z`) → epoch seconds, built from the digits as
 *   written (the TSV writer prints `time` as `%.6f` epoch seconds);
 * - non-integer numbers (`double`, `interval`, epoch `time`) rounded to microseconds as the TSV
 *   writer prints them (JSON prints the full double: `0.0008699893951416016` vs `0.000870`).
 * One difference remains: the TSV writer prints a set holding only an empty string as
 * `(empty)`, which reads back as `[]`; JSON keeps `[""]`.
 *
 * Logsource and ECS: see `zeek-event.ts`.
 */
import type { FieldValue } from '../../../detect/sigma/types.js';
import { registerJsonDecoder } from '../json.js';
import type { DecodedEvent } from '../types.js';
import { zeekEvent } from './zeek-event.js';

type Json = { [key: string]: unknown };

/** Plain Zeek JSON (no `_path`): a field found in one log only → its path; first match wins. */
const PATH_SIGNATURES: readonly (readonly [string, string])[] = [
  ['conn', 'conn_state'],
  ['dns', 'qtype_name'],
  ['dns', 'trans_id'],
  ['sip', 'call_id'],
  ['http', 'trans_depth'],
  ['ssl', 'server_name'],
  ['ssl', 'established'],
  ['kerberos', 'request_type'],
  ['dce_rpc', 'endpoint'],
  ['rdp', 'security_protocol'],
  ['smb_mapping', 'share_type'],
  ['smb_files', 'action'],
  ['ntlm', 'domainname'],
  ['ssh', 'auth_success'],
  ['smtp', 'mailfrom'],
  ['ftp', 'command'],
  ['dhcp', 'assigned_addr'],
  ['snmp', 'community'],
  ['notice', 'note'],
  ['files', 'fuid'],
];

/** Zeek's JSON time: `YYYY-MM-DDTHH:MM:SS[.ffffff]Z`. */
const ISO_TIME = /^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.(\d{1,9}))?Z$/;
/** Above this, `x * 1e6` is no longer exact in a double: left as is. */
const ROUNDABLE = 2 ** 53 / 1e6;

/** Epoch seconds of a Zeek JSON time text, or undefined when the text is not one. */
export function zeekIsoToEpoch(text: string): number | undefined {
  if (
    text.length < 20 ||
    text.charCodeAt(10) !== 84 /* T */ ||
    text.charCodeAt(text.length - 1) !== 90 /* Z */
  ) {
    return undefined;
  }
  const m = ISO_TIME.exec(text);
  if (m === null) return undefined;
  const ms = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]));
  if (!Number.isFinite(ms)) return undefined;
  const seconds = ms / 1000;
  const fraction = m[7];
  if (fraction === undefined) return seconds;
  // From the digits, so the double is the one `Number('1521911720.865716')` gives for TSV.
  return seconds >= 0 ? Number(`${seconds}.${fraction}`) : seconds + Number(`0.${fraction}`);
}

/**
 * A number as the TSV writer prints it with 6 decimals (Zeek's `modp_dtoa2`: the fraction scaled
 * by 1e6, rounded half up above .5 and half to even at exactly .5), read back as a number.
 */
function roundMicros(n: number): number {
  if (Number.isInteger(n) || !Number.isFinite(n) || Math.abs(n) >= ROUNDABLE) return n;
  const a = Math.abs(n);
  let whole = Math.trunc(a);
  const scaled = (a - whole) * 1e6;
  let frac = Math.floor(scaled);
  const diff = scaled - frac;
  if (diff > 0.5 || (diff === 0.5 && frac % 2 === 1)) frac++;
  if (frac >= 1e6) {
    frac = 0;
    whole++;
  }
  const v = Number(`${whole}.${String(frac).padStart(6, '0')}`);
  return n < 0 ? -v : v;
}

function zeekValue(v: unknown): FieldValue {
  if (typeof v === 'number') return roundMicros(v);
  if (typeof v === 'string') return zeekIsoToEpoch(v) ?? v;
  if (Array.isArray(v)) return v.map(zeekValue);
  return v as FieldValue;
}

function flatten(obj: Json, prefix: string, out: Record<string, FieldValue>): void {
  for (const key in obj) {
    if (!Object.hasOwn(obj, key) || key === '__proto__') continue;
    if (prefix === '' && (key === '_path' || key === '_write_ts')) continue;
    const v = obj[key];
    const name = prefix === '' ? key : `${prefix}.${key}`;
    if (typeof v === 'object' && v !== null && !Array.isArray(v)) flatten(v as Json, name, out);
    else out[name] = zeekValue(v);
  }
}

function guessPath(fields: Readonly<Record<string, FieldValue>>): string {
  for (const [path, key] of PATH_SIGNATURES) if (fields[key] !== undefined) return path;
  return '';
}

/**
 * Decodes a Zeek JSON record.
 * @returns a `zeek-json` event, or `undefined` when the object is not a Zeek record
 */
export function decodeZeekJson(obj: Json): DecodedEvent | undefined {
  const path = obj._path;
  if (typeof path !== 'string' && !(typeof obj.uid === 'string' && 'id.orig_h' in obj)) return undefined;
  const fields: Record<string, FieldValue> = {};
  flatten(obj, '', fields);
  return zeekEvent('zeek-json', fields, typeof path === 'string' ? path : guessPath(fields), obj);
}

registerJsonDecoder(decodeZeekJson);
