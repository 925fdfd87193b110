/**
 * Observable validation and normalization, per type: `ip` (IPv4 or IPv6, RFC 4291/5952 text form),
 * `host` (a host name or NetBIOS name), `user` (an account name, `DOMAIN\user` and `user@domain`
 * allowed), `hash` (MD5, SHA-1, SHA-256 or SHA-512 hex), `domain` (RFC 1035 labels, IDNs as
 * punycode per RFC 3492) and `url` (WHATWG URL with a host). Normalized values make the
 * per-incident uniqueness meaningful (`A1B2…` and `a1b2…` are one hash).
 */
import { isIP } from 'node:net';
import { domainToASCII } from 'node:url';
import { ErrorCodes, VigilError } from '../errors.js';
import type { ObservableType } from './types.js';

/** Hex digest lengths: MD5, SHA-1, SHA-256, SHA-512. */
const HASH_LENGTHS = new Set([32, 40, 64, 128]);
const HOST = /^[A-Za-z0-9_](?:[A-Za-z0-9_.-]{0,253}[A-Za-z0-9_])?$/;
const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;
const CONTROL = /[\u0000-\u001f\u007f]/;

function invalid(type: ObservableType, value: string, why: string): VigilError {
  return new VigilError(
    ErrorCodes.BAD_REQUEST,
    `invalid ${type} observable ${JSON.stringify(value)}: ${why}`,
  );
}

/** The RFC 5952 text of an IP address (IPv4 unchanged), or undefined when it is not one. */
export function canonicalIp(value: string): string | undefined {
  const v = isIP(value);
  if (v === 4) return value;
  if (v === 6) return new URL(`http://[${value}]/`).hostname.slice(1, -1);
  return undefined;
}

/**
 * Checks an observable and returns its normalized value.
 * @throws VigilError `VIGIL_ERR_BAD_REQUEST` naming the type, the value and what is wrong
 */
export function normalizeObservable(type: ObservableType, raw: string): string {
  const value = raw.trim();
  if (value === '') throw invalid(type, raw, 'empty');
  if (CONTROL.test(value)) throw invalid(type, raw, 'control characters');
  switch (type) {
    case 'ip': {
      const ip = canonicalIp(value);
      if (ip === undefined) throw invalid(type, raw, 'not an IPv4 or IPv6 address');
      return ip;
    }
    case 'host':
      if (!HOST.test(value))
        throw invalid(type, raw, 'expected a host name (letters, digits, ".", "-", "_")');
      return value;
    case 'user':
      if (value.length > 256) throw invalid(type, raw, 'longer than 256 characters');
      return value;
    case 'hash': {
      const h = value.toLowerCase();
      if (!/^[0-9a-f]+$/.test(h) || !HASH_LENGTHS.has(h.length))
        throw invalid(type, raw, 'expected MD5, SHA-1, SHA-256 or SHA-512 in hex');
      return h;
    }
    case 'domain': {
      const d = domainToASCII(value.replace(/\.$/, '')).toLowerCase();
      const labels = d.split('.');
      if (d === '' || d.length > 253 || labels.length < 2 || !labels.every((l) => LABEL.test(l)))
        throw invalid(type, raw, 'expected a domain name such as example.com');
      return d;
    }
    case 'url': {
      let u: URL;
      try {
        u = new URL(value);
      } catch {
        throw invalid(type, raw, 'not an absolute URL');
      }
      if (u.hostname === '') throw invalid(type, raw, 'the URL has no host');
      return u.href;
    }
  }
}
