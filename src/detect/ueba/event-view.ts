/**
 * What UEBA reads from one stored event: its time, entities, authentication outcome, geography,
 * bytes, started process and template, taken from the event's ECS projection (and, for Windows
 * authentication events whose outcome is in `Status`, one Sigma field of the decoded event). One
 * function, used by the detection stage and by training alike. Pure.
 */
import { type AuthOutcome, statusOutcome, WINDOWS_AUTH_EVENTS, WINDOWS_STATUS_FIELD } from './auth-events.js';
import { normalizeHost, normalizeIp, normalizeUser } from './entities.js';

/** A Sigma field of the decoded event (`Status`), or undefined when there is none. */
export type FieldReader = (name: string) => unknown;

/** One event as UEBA sees it. Absent values are undefined. */
export interface UebaEvent {
  /** Stored event id. */
  readonly id: number;
  /** Event time (`@timestamp`), ms since the epoch. */
  readonly time: number;
  readonly user: string | undefined;
  readonly host: string | undefined;
  readonly ip: string | undefined;
  /** `destination.ip` (normalised like `source.ip`). */
  readonly destinationIp: string | undefined;
  readonly auth: AuthOutcome | undefined;
  /** `source.geo.country_iso_code`. */
  readonly country: string | undefined;
  /** `source.as.number`, as text. */
  readonly asn: string | undefined;
  /** `source.bytes`, else `network.bytes`. */
  readonly bytesOut: number | undefined;
  /** Started process (ECS `event.category: process`, `event.type: start`): lower-case file name. */
  readonly process: string | undefined;
  /** `vigil.template.id` (log template of a line no decoder knew). */
  readonly template: string | undefined;
}

const SPLIT = new Map<string, readonly string[]>();

function segments(path: string): readonly string[] {
  let parts = SPLIT.get(path);
  if (parts === undefined) {
    parts = path.split('.');
    if (SPLIT.size < 64) SPLIT.set(path, parts);
  }
  return parts;
}

/** The value at a dotted ECS path: nested objects first, then a flat dotted key. */
export function ecsValue(doc: Readonly<Record<string, unknown>>, path: string): unknown {
  let node: unknown = doc;
  for (const key of segments(path)) {
    if (typeof node !== 'object' || node === null) return (doc as Record<string, unknown>)[path];
    node = (node as Record<string, unknown>)[key];
  }
  return node !== undefined ? node : (doc as Record<string, unknown>)[path];
}

function has(v: unknown, word: string): boolean {
  if (typeof v === 'string') return v.toLowerCase() === word;
  return Array.isArray(v) && v.some((x) => typeof x === 'string' && x.toLowerCase() === word);
}

function numberOf(v: unknown): number | undefined {
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
  return Number.isFinite(n) && n >= 0 ? n : undefined;
}

function textOf(v: unknown): string | undefined {
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  if (typeof v !== 'string') return undefined;
  // NUL cannot be stored in a PostgreSQL text column.
  const s = (v.includes('\0') ? v.replace(/\0/g, '\ufffd') : v).trim();
  return s === '' || s === '-' ? undefined : s;
}

/** Lower-case file name of a path (`C:\Windows\System32\cmd.exe` → `cmd.exe`). */
export function processKey(v: unknown): string | undefined {
  const s = textOf(v);
  if (s === undefined) return undefined;
  const cut = Math.max(s.lastIndexOf('\\'), s.lastIndexOf('/'));
  const name = s.slice(cut + 1).toLowerCase();
  return name === '' ? undefined : name;
}

function authOf(
  ecs: Readonly<Record<string, unknown>>,
  field: FieldReader | undefined,
): AuthOutcome | undefined {
  if (has(ecsValue(ecs, 'event.category'), 'authentication')) {
    const o = ecsValue(ecs, 'event.outcome');
    return o === 'success' || o === 'failure' ? o : 'attempt';
  }
  const code = ecsValue(ecs, 'event.code');
  if (code === undefined) return undefined;
  const rule = WINDOWS_AUTH_EVENTS.get(String(code));
  if (rule === undefined || !isWindowsSecurity(ecs)) return undefined;
  return rule === 'status' ? statusOutcome(field?.(WINDOWS_STATUS_FIELD)) : rule;
}

function isWindowsSecurity(ecs: Readonly<Record<string, unknown>>): boolean {
  const channel = ecsValue(ecs, 'winlog.channel');
  if (typeof channel === 'string') return channel.toLowerCase() === 'security';
  return ecsValue(ecs, 'event.provider') === 'Microsoft-Windows-Security-Auditing';
}

/**
 * Whether {@link uebaEvent} reads a Sigma field of this event (a Windows authentication event
 * whose outcome is in `Status`): training re-decodes only those stored events.
 */
export function needsFields(ecs: Readonly<Record<string, unknown>>): boolean {
  const code = ecsValue(ecs, 'event.code');
  return code !== undefined && WINDOWS_AUTH_EVENTS.get(String(code)) === 'status' && isWindowsSecurity(ecs);
}

/**
 * The UEBA view of one stored event.
 * @param id - stored event id
 * @param time - event time, ms
 * @param ecs - the stored ECS projection
 * @param field - reads a Sigma field of the decoded event (absent: `Status` outcomes are attempts)
 */
export function uebaEvent(
  id: number,
  time: number,
  ecs: Readonly<Record<string, unknown>>,
  field?: FieldReader,
): UebaEvent {
  const category = ecsValue(ecs, 'event.category');
  let process: string | undefined;
  if (has(category, 'process')) {
    const type = ecsValue(ecs, 'event.type');
    if (type === undefined || has(type, 'start'))
      process = processKey(ecsValue(ecs, 'process.executable')) ?? processKey(ecsValue(ecs, 'process.name'));
  }
  return {
    id,
    time,
    user: normalizeUser(ecsValue(ecs, 'user.name')),
    host: normalizeHost(ecsValue(ecs, 'host.name')),
    ip: normalizeIp(ecsValue(ecs, 'source.ip')),
    destinationIp: normalizeIp(ecsValue(ecs, 'destination.ip')),
    auth: authOf(ecs, field),
    country: textOf(ecsValue(ecs, 'source.geo.country_iso_code'))?.toUpperCase(),
    asn: textOf(ecsValue(ecs, 'source.as.number')),
    bytesOut: numberOf(ecsValue(ecs, 'source.bytes')) ?? numberOf(ecsValue(ecs, 'network.bytes')),
    process,
    template: textOf(ecsValue(ecs, 'vigil.template.id')),
  };
}
