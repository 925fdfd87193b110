import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { VigilError } from '../../src/errors.js';
import { normalizeObservable } from '../../src/incidents/observables.js';
import { OBSERVABLE_TYPES } from '../../src/incidents/types.js';

const bad = (type: Parameters<typeof normalizeObservable>[0], value: string) => {
  try {
    normalizeObservable(type, value);
  } catch (err) {
    expect(err).toBeInstanceOf(VigilError);
    return (err as VigilError).code;
  }
  return 'accepted';
};

describe('observable types', () => {
  it('ip: IPv4 as given, IPv6 in its RFC 5952 form; anything else refused', () => {
    expect(normalizeObservable('ip', '203.0.113.9')).toBe('203.0.113.9');
    expect(normalizeObservable('ip', ' 2001:DB8:0:0:0:0:0:1 ')).toBe('2001:db8::1');
    for (const v of ['203.0.113', '256.1.1.1', 'example.com', '2001:db8::1::2'])
      expect(bad('ip', v), v).toBe('VIGIL_ERR_BAD_REQUEST');
  });

  it('hash: MD5, SHA-1, SHA-256 and SHA-512 hex, lower-cased', () => {
    for (const n of [32, 40, 64, 128]) expect(normalizeObservable('hash', 'A'.repeat(n))).toBe('a'.repeat(n));
    expect(bad('hash', 'a'.repeat(33))).toBe('VIGIL_ERR_BAD_REQUEST');
    expect(bad('hash', 'z'.repeat(32))).toBe('VIGIL_ERR_BAD_REQUEST');
  });

  it('domain: lower-cased, trailing dot dropped, IDNs as punycode; one label or bad labels refused', () => {
    expect(normalizeObservable('domain', 'Evil.Example.COM.')).toBe('evil.example.com');
    expect(normalizeObservable('domain', 'bücher.example')).toBe('xn--bcher-kva.example');
    for (const v of ['localhost', '-bad.example', 'a..example', 'under_score.example', 'http://x.example'])
      expect(bad('domain', v), v).toBe('VIGIL_ERR_BAD_REQUEST');
  });

  it('url: absolute, with a host, normalized by the WHATWG parser', () => {
    expect(normalizeObservable('url', 'HTTP://Example.com/a/../b?q=1')).toBe('http://example.com/b?q=1');
    for (const v of ['/relative/path', 'mailto:someone@example.com', 'not a url'])
      expect(bad('url', v), v).toBe('VIGIL_ERR_BAD_REQUEST');
  });

  it('host and user: names as given; control characters refused', () => {
    expect(normalizeObservable('host', 'WS-01.corp.example')).toBe('WS-01.corp.example');
    expect(normalizeObservable('user', 'CORP\\alice')).toBe('CORP\\alice');
    expect(normalizeObservable('user', 'alice@corp.example')).toBe('alice@corp.example');
    expect(bad('host', 'WS 01')).toBe('VIGIL_ERR_BAD_REQUEST');
    expect(bad('user', 'alice\nbob')).toBe('VIGIL_ERR_BAD_REQUEST');
    expect(bad('user', '   ')).toBe('VIGIL_ERR_BAD_REQUEST');
  });

  it('any input yields a normalized value or a typed error, and normalizing twice changes nothing', () => {
    fc.assert(
      fc.property(fc.constantFrom(...OBSERVABLE_TYPES), fc.string({ maxLength: 80 }), (type, value) => {
        let out: string;
        try {
          out = normalizeObservable(type, value);
        } catch (err) {
          expect(err).toBeInstanceOf(VigilError);
          return;
        }
        expect(normalizeObservable(type, out)).toBe(out);
      }),
      { numRuns: 2000 },
    );
  });
});
