/**
 * UEBA entities: the users (`user.name`), hosts (`host.name`) and source addresses (`source.ip`)
 * whose behaviour is scored, and how a stored event's values become entity values. Pure.
 *
 * Normalisation (documented in `docs/ueba.md`, Entities):
 * - `ip`: IPv4-mapped IPv6 (`::ffff:10.0.0.1`, as Windows logs Kerberos clients) becomes the IPv4
 *   address; IPv6 is lower-cased; loopback (`127.0.0.0/8`, `::1`) and unspecified (`0.0.0.0`, `::`)
 *   addresses are not entities (every host has them; they say nothing about who connected).
 * - `user`: `-`, `ANONYMOUS LOGON`, the built-in service identities (`SYSTEM`, `LOCAL SERVICE`,
 *   `NETWORK SERVICE`, `DWM-n`, `UMFD-n`) and machine accounts (`NAME$`) are not user entities:
 *   their activity is the host's, and it is counted on the host entity. Names keep their case (as
 *   Sigma alerts store them) so a UEBA alert and a rule alert on the same user join one incident.
 * - `host`: the name as logged, trimmed (`WS01` and `WS01.corp.local` are two hosts).
 */

export const ENTITY_TYPES = ['user', 'host', 'ip'] as const;
/** `user` (`user.name`), `host` (`host.name`), `ip` (`source.ip`). */
export type EntityType = (typeof ENTITY_TYPES)[number];

/** The ECS field each entity type is keyed on. */
export const ENTITY_FIELDS: Readonly<Record<EntityType, string>> = {
  user: 'user.name',
  host: 'host.name',
  ip: 'source.ip',
};

const SERVICE_USERS: ReadonlySet<string> = new Set([
  '-',
  'anonymous logon',
  'anonymous',
  'system',
  'local service',
  'network service',
  'localsystem',
  'nt authority\\system',
]);
const SESSION_USER = /^(?:dwm|umfd)-\d+$/i;
const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

/**
 * Longest entity value kept, characters. Longer values (a hostile 8 KB syslog HOSTNAME) are cut:
 * entity values are index keys, and PostgreSQL refuses an index row over ~2.7 KB, which would
 * stop the detection stage on that batch for good.
 */
export const MAX_ENTITY_CHARS = 255;

function trimmed(v: unknown): string | undefined {
  if (typeof v !== 'string') return undefined;
  // NUL cannot be stored in a PostgreSQL text column.
  let s = (v.includes('\0') ? v.replace(/\0/g, '\ufffd') : v).trim();
  if (s.length > MAX_ENTITY_CHARS) s = s.slice(0, MAX_ENTITY_CHARS);
  return s === '' ? undefined : s;
}

/**
 * The entity value of a `source.ip` (or any address field), or undefined when it is not one.
 * @param v - an ECS value (a string; anything else is not an address)
 */
export function normalizeIp(v: unknown): string | undefined {
  let s = trimmed(v);
  if (s === undefined || s === '-') return undefined;
  if (s.length > 7 && s.slice(0, 7).toLowerCase() === '::ffff:' && IPV4.test(s.slice(7))) s = s.slice(7);
  const m = IPV4.exec(s);
  if (m) {
    if (m[1] === '127' || s === '0.0.0.0') return undefined;
    return s;
  }
  if (!s.includes(':')) return undefined; // a host name in an address field
  s = s.toLowerCase();
  if (s === '::1' || s === '::' || s === '0:0:0:0:0:0:0:1' || s === '0:0:0:0:0:0:0:0') return undefined;
  return s;
}

/** The entity value of a `user.name`, or undefined for service identities and machine accounts. */
export function normalizeUser(v: unknown): string | undefined {
  const s = trimmed(v);
  if (s === undefined || s.endsWith('$')) return undefined;
  const lower = s.toLowerCase();
  if (SERVICE_USERS.has(lower) || SESSION_USER.test(s)) return undefined;
  return s;
}

/** The entity value of a `host.name`, or undefined when empty. */
export function normalizeHost(v: unknown): string | undefined {
  const s = trimmed(v);
  return s === '-' ? undefined : s;
}
