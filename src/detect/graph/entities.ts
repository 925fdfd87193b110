/**
 * Entities of the attack-path graph and how raw ECS values become node ids: `user:<name>`,
 * `host:<name>`, `ip:<address>`. Pure.
 *
 * Normalisation (so that one machine or account is one node whatever wrote the event):
 * - IP addresses: parsed with ipaddr.js and printed canonically; an IPv4-mapped IPv6 address
 *   (`::ffff:10.0.0.1`) becomes the IPv4 address, IPv6 is compressed (`fe80:0:0:0:1` → `fe80::1`).
 * - Host names: lower case, the first DNS label (`WS6.corp.local` and the NetBIOS `WS6` are one
 *   node); a host "name" that is an IP address is an `ip:` node.
 * - User names: lower case, without a `DOMAIN\` prefix or an `@domain` suffix.
 */
import ipaddr from 'ipaddr.js';

export type EntityType = 'user' | 'host' | 'ip';

export const ENTITY_TYPES: readonly EntityType[] = ['user', 'host', 'ip'];

/** `type:value` node id. */
export type NodeId = string;

/**
 * The canonical text of an IP address, or undefined when `text` is not one. Only dotted-quad
 * IPv4 and IPv6 text are read (ipaddr.js would also read `167772161` or octal `010.1.2.3`).
 */
export function normalizeIp(text: string): string | undefined {
  const t = text.trim();
  // `fe80::1%12` (zone index): the address without the zone.
  const bare = t.includes('%') ? t.slice(0, t.indexOf('%')) : t;
  if (CANONICAL_IPV4.test(bare)) return bare;
  // Cheap shape checks first: ipaddr.js's validators throw and catch internally (slow on names).
  if (IPV4_SHAPE.test(bare)) {
    if (!ipaddr.IPv4.isValidFourPartDecimal(bare)) return undefined;
  } else if (!IPV6_SHAPE.test(bare) || !ipaddr.IPv6.isValid(bare)) return undefined;
  return ipaddr.process(bare).toString();
}

const OCTET = '(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)';
/** Dotted-quad IPv4 already in canonical form (no leading zeros): returned as it is. */
const CANONICAL_IPV4 = new RegExp(`^${OCTET}(?:\\.${OCTET}){3}$`);
const IPV4_SHAPE = /^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$/;
/** Hex groups and colons, optionally ending in a dotted quad (`::ffff:10.0.0.1`). */
const IPV6_SHAPE = /^[0-9a-f:]*:[0-9a-f:]*(?:\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3})?$/i;

/**
 * True for addresses that never name a remote peer: unspecified (`0.0.0.0`, `::`), loopback and
 * broadcast. Link-local addresses are kept (they name a neighbour).
 */
export function isLocalIp(canonical: string): boolean {
  if (!canonical.includes(':'))
    return canonical.startsWith('127.') || canonical === '0.0.0.0' || canonical === '255.255.255.255';
  const range = ipaddr.parse(canonical).range();
  return range === 'unspecified' || range === 'loopback' || range === 'broadcast';
}

/** `WS6.corp.local` → `ws6`; undefined for an empty or placeholder name. */
export function normalizeHost(text: string): string | undefined {
  const t = text.trim().toLowerCase().replace(/^\\\\/, '');
  if (t === '' || t === '-' || t === 'localhost') return undefined;
  const label = t.split('.')[0]!;
  return label === '' ? undefined : label;
}

/** `CORP\Alice`, `alice@corp.local` → `alice`; undefined for an empty or placeholder name. */
export function normalizeUser(text: string): string | undefined {
  let t = text.trim().toLowerCase();
  const slash = t.lastIndexOf('\\');
  if (slash >= 0) t = t.slice(slash + 1);
  const at = t.indexOf('@');
  if (at > 0) t = t.slice(0, at);
  return t === '' || t === '-' ? undefined : t;
}

/**
 * Accounts that are the operating system, not a person or a credential an attacker moves with:
 * their logons stay out of the graph. (Windows well-known accounts and the per-session DWM/UMFD
 * accounts; `ANONYMOUS LOGON` is the null session.)
 */
const SYSTEM_ACCOUNTS: ReadonlySet<string> = new Set([
  'system',
  'local service',
  'network service',
  'anonymous logon',
  'localsystem',
]);

/** True for an account {@link SYSTEM_ACCOUNTS} lists or a `DWM-n`/`UMFD-n` session account. */
export function isSystemAccount(user: string): boolean {
  return SYSTEM_ACCOUNTS.has(user) || /^(?:dwm|umfd)-\d+$/.test(user);
}

/** A Windows computer account (`WS6$`): host-to-host traffic, kept in the graph, not in signals. */
export function isMachineAccount(user: string): boolean {
  return user.endsWith('$');
}

/** The node id of a host name (undefined for a placeholder); an IP address gives an `ip:` id. */
export function hostNode(name: string | undefined): NodeId | undefined {
  if (name === undefined) return undefined;
  const ip = normalizeIp(name);
  if (ip !== undefined) return isLocalIp(ip) ? undefined : `ip:${ip}`;
  const h = normalizeHost(name);
  return h === undefined ? undefined : `host:${h}`;
}

/** The node id of an address (undefined when it is not an IP or is local). */
export function ipNode(text: string | undefined): NodeId | undefined {
  if (text === undefined) return undefined;
  const ip = normalizeIp(text);
  return ip === undefined || isLocalIp(ip) ? undefined : `ip:${ip}`;
}

export function userNode(name: string | undefined): NodeId | undefined {
  if (name === undefined) return undefined;
  const u = normalizeUser(name);
  return u === undefined ? undefined : `user:${u}`;
}

/**
 * Parses `type:value` (an API parameter) into a node id with the value normalised as above.
 * @returns undefined when the type is not `user`, `host` or `ip`, or the value is empty or not
 *   an address for `ip:`
 */
export function parseEntity(text: string): NodeId | undefined {
  const i = text.indexOf(':');
  if (i <= 0) return undefined;
  const type = text.slice(0, i);
  const value = text.slice(i + 1);
  if (type === 'user') return userNode(value);
  if (type === 'host') return hostNode(value);
  if (type === 'ip') {
    const ip = normalizeIp(value);
    return ip === undefined ? undefined : `ip:${ip}`;
  }
  return undefined;
}

/** The type part of a node id. */
export function nodeType(id: NodeId): EntityType {
  const type = id.slice(0, id.indexOf(':'));
  return type === 'user' || type === 'ip' ? type : 'host';
}

/**
 * The node id a critical-asset name designates: an IP address → `ip:`, anything else a host.
 * Undefined for a name that normalises to nothing.
 */
export function assetNode(name: string): NodeId | undefined {
  const ip = normalizeIp(name);
  if (ip !== undefined) return `ip:${ip}`;
  const h = normalizeHost(name);
  return h === undefined ? undefined : `host:${h}`;
}

/**
 * Destination ports of remote administration and lateral movement (ATT&CK T1021 Remote
 * Services): SSH, RPC endpoint mapper, NetBIOS session, SMB, MSSQL, RDP, VNC, WinRM. Flows to
 * these ports are the ones the signals look at; other flows only draw the topology.
 */
export const LATERAL_PORTS: ReadonlySet<number> = new Set([22, 135, 139, 445, 1433, 3389, 5900, 5985, 5986]);
