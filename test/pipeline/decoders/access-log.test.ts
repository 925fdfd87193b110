import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createDetector } from '../../../src/detect/sigma/detector.js';
import { parseRules } from '../../../src/detect/sigma/parse.js';
import { ACCESS_LOG_FORMAT, decodeAccessLog } from '../../../src/pipeline/decoders/text/access-log.js';
import { decoded, failure, isWellFormed } from './decoded.js';

const COMMON = '203.0.113.50 - - [05/Mar/2024:14:02:11 +0100] "GET /index.html HTTP/1.1" 200 5120';
const COMBINED =
  '198.51.100.7 - jdoe [05/Mar/2024:14:02:12 +0100] "POST /login.php?next=%2Fadmin&x=1 HTTP/1.1" 302 - "https://shop.example.com/login" "Mozilla/5.0 (X11; Linux x86_64) Firefox/123.0"';

describe('access log: common and combined formats', () => {
  it('reads the common format (%h %l %u %t "%r" %>s %b)', () => {
    const e = decoded(decodeAccessLog(COMMON));
    expect(e.decoder).toBe('web-access-log');
    expect(e.logsource).toMatchObject({ product: undefined, services: [], categories: ['webserver'] });
    expect(e.fields).toEqual({
      'c-ip': '203.0.113.50',
      'cs-method': 'GET',
      'cs-uri': '/index.html',
      'cs-uri-stem': '/index.html',
      'cs-version': 'HTTP/1.1',
      'sc-status': 200,
      'sc-bytes': 5120,
      date: '2024-03-05',
      time: '13:02:11',
    });
    expect(e.keywordValues()).toContain(COMMON);
  });

  it('reads the combined format: user, query, referer, user agent; "-" size is absent', () => {
    const e = decoded(decodeAccessLog(COMBINED));
    expect(e.fields).toEqual({
      'c-ip': '198.51.100.7',
      'cs-username': 'jdoe',
      'cs-method': 'POST',
      'cs-uri': '/login.php?next=%2Fadmin&x=1',
      'cs-uri-stem': '/login.php',
      'cs-uri-query': 'next=%2Fadmin&x=1',
      'cs-version': 'HTTP/1.1',
      'sc-status': 302,
      'cs-referer': 'https://shop.example.com/login',
      'cs-user-agent': 'Mozilla/5.0 (X11; Linux x86_64) Firefox/123.0',
      date: '2024-03-05',
      time: '13:02:12',
    });
  });

  it('projects to ECS', () => {
    expect(decoded(decodeAccessLog(COMBINED)).ecs()).toEqual({
      '@timestamp': '2024-03-05T13:02:12.000Z',
      event: { kind: 'event', category: ['web'], type: ['access'], outcome: 'success' },
      source: { address: '198.51.100.7', ip: '198.51.100.7' },
      user: { name: 'jdoe' },
      http: {
        request: { method: 'POST', referrer: 'https://shop.example.com/login' },
        response: { status_code: 302 },
        version: '1.1',
      },
      url: { path: '/login.php', query: 'next=%2Fadmin&x=1', original: '/login.php?next=%2Fadmin&x=1' },
      user_agent: { original: 'Mozilla/5.0 (X11; Linux x86_64) Firefox/123.0' },
    });
    expect(decoded(decodeAccessLog(COMMON)).ecs()).toMatchObject({
      http: { response: { body: { bytes: 5120 } } },
    });
  });

  it('reads a leading %v:%p virtual host into cs-host and s-port', () => {
    const e = decoded(
      decodeAccessLog(
        'shop.example.com:443 198.51.100.7 - - [05/Mar/2024:14:02:13 -0500] "GET /robots.txt HTTP/2.0" 404 196 "-" "curl/8.5.0"',
      ),
    );
    expect(e.fields).toMatchObject({
      'cs-host': 'shop.example.com',
      's-port': 443,
      'c-ip': '198.51.100.7',
      'sc-status': 404,
      'cs-user-agent': 'curl/8.5.0',
      time: '19:02:13',
    });
    expect(e.fields['cs-referer']).toBeUndefined();
    expect(e.ecs()).toMatchObject({ url: { domain: 'shop.example.com' }, destination: { port: 443 } });
  });

  it('keeps Apache escapes in quoted values as written', () => {
    const e = decoded(
      decodeAccessLog(
        '192.0.2.1 - - [05/Mar/2024:14:02:14 +0000] "GET / HTTP/1.1" 200 1 "-" "Mozilla \\"evil\\" agent"',
      ),
    );
    expect(e.fields['cs-user-agent']).toBe('Mozilla \\"evil\\" agent');
  });

  it('takes a host name in %h as source.domain in ECS', () => {
    const e = decoded(
      decodeAccessLog('client7.example.net - - [05/Mar/2024:14:02:14 +0000] "GET / HTTP/1.1" 200 1'),
    );
    expect(e.ecs()).toMatchObject({ source: { domain: 'client7.example.net' } });
  });
});

describe('access log: malformed request lines are still events', () => {
  it('"-" request: no request fields', () => {
    const f = decoded(decodeAccessLog('192.0.2.99 - - [05/Mar/2024:14:03:00 +0100] "-" 408 -')).fields;
    expect(f).toEqual({ 'c-ip': '192.0.2.99', 'sc-status': 408, date: '2024-03-05', time: '13:03:00' });
  });

  it('an unescaped quote inside the request (Tomcat) does not end it', () => {
    const f = decoded(
      decodeAccessLog(
        '192.0.2.99 - - [05/Mar/2024:14:03:01 +0100] "GET /search?q="><svg/onload=alert(1)> HTTP/1.1" 400 435',
      ),
    ).fields;
    expect(f).toMatchObject({
      'cs-method': 'GET',
      'cs-uri-stem': '/search',
      'cs-uri-query': 'q="><svg/onload=alert(1)>',
      'cs-version': 'HTTP/1.1',
      'sc-status': 400,
      'sc-bytes': 435,
    });
  });

  it('binary garbage (a TLS ClientHello sent to a plain HTTP port): no request fields', () => {
    const f = decoded(
      decodeAccessLog('192.0.2.99 - - [05/Mar/2024:14:03:02 +0100] "\x16\x03\x01\x00\xa5\x01\x00 " 400 226'),
    ).fields;
    expect(f['cs-method']).toBeUndefined();
    expect(f['cs-uri']).toBeUndefined();
    expect(f['sc-status']).toBe(400);
  });

  it('a request without a version (HTTP/0.9 style) or with a non-HTTP protocol', () => {
    expect(
      decoded(decodeAccessLog('192.0.2.99 - - [05/Mar/2024:14:03:03 +0100] "GET /index.jsp " 400 10')).fields,
    ).toMatchObject({
      'cs-method': 'GET',
      'cs-uri': '/index.jsp',
    });
    const f = decoded(
      decodeAccessLog('192.0.2.99 - - [05/Mar/2024:14:03:04 +0100] "GNUTELLA CONNECT/0.6" 400 10'),
    ).fields;
    expect(f).toMatchObject({ 'cs-method': 'GNUTELLA', 'cs-uri': 'CONNECT/0.6' });
    expect(f['cs-version']).toBeUndefined();
  });
});

describe('access log: failures', () => {
  it('says which part is not an access log', () => {
    expect(failure(decodeAccessLog('hello world'))).toMatch(/not an access log line/);
    expect(failure(decodeAccessLog('a b c d e [05/Mar/2024:14:03:04 +0100] "GET / HTTP/1.1" 200 1'))).toMatch(
      /not an access log line/,
    );
    expect(
      failure(decodeAccessLog('192.0.2.1 - - [05/Xyz/2024:14:03:04 +0100] "GET / HTTP/1.1" 200 1')),
    ).toMatch(/timestamp/);
    expect(
      failure(decodeAccessLog('192.0.2.1 - - [05/Mar/2024:25:03:04 +0100] "GET / HTTP/1.1" 200 1')),
    ).toMatch(/timestamp/);
    expect(failure(decodeAccessLog('192.0.2.1 - - [05/Mar/2024:14:03:04 +0100] "GET / HTTP/1.1"'))).toMatch(
      /status size/,
    );
  });
});

describe('access log: Sigma webserver rules see the decoded events', () => {
  const rules = `title: xss in query
id: 00000000-0000-4000-8000-00000000c001
logsource:
    category: webserver
detection:
    selection:
        cs-uri-query|contains: '<svg'
    condition: selection
---
title: manager login
id: 00000000-0000-4000-8000-00000000c002
logsource:
    category: webserver
detection:
    selection:
        cs-method: POST
        cs-uri-stem|startswith: '/login'
        sc-status: 302
    condition: selection
`;
  const detector = createDetector(parseRules(rules, 'web-rules.yml').rules);
  const titles = (line: string) => detector.match(decoded(decodeAccessLog(line))).map((m) => m.rule.title);

  it('matches by webserver field names', () => {
    expect(titles(COMBINED)).toEqual(['manager login']);
    expect(
      titles('192.0.2.99 - - [05/Mar/2024:14:03:01 +0100] "GET /s?q=<svg/onload=x> HTTP/1.1" 200 4'),
    ).toEqual(['xss in query']);
    expect(titles(COMMON)).toEqual([]);
  });
});

describe('access log: sniffing and robustness', () => {
  it('sniffs access logs', () => {
    expect(ACCESS_LOG_FORMAT.sniff([COMMON, COMBINED])).toBe(true);
    expect(ACCESS_LOG_FORMAT.sniff(['Mar  3 09:14:07 h sshd[1]: x'])).toBe(false);
  });

  it('decodes adversarial 100 kB lines in linear time', () => {
    const start = performance.now();
    const who = '192.0.2.1 - - [05/Mar/2024:14:03:04 +0100] "';
    for (const line of [
      `${who}${'" 200 '.repeat(20_000)}`,
      `${who}GET / HTTP/1.1" 200 1 "${'\\"'.repeat(30_000)}`,
      `${who}${'GET '.repeat(25_000)}" 200 1`,
      `${' '.repeat(100_000)}[`,
    ]) {
      expect(isWellFormed(decodeAccessLog(line))).toBe(true);
    }
    expect(performance.now() - start).toBeLessThan(1000);
  });

  it('never throws: any string gives an event, null or a failure', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 300 }), (line) =>
        isWellFormed(decodeAccessLog(line)),
      ),
      { numRuns: 2000 },
    );
  });

  it('never throws on access-log-shaped lines with arbitrary parts', () => {
    const quoted = fc.oneof(fc.string({ maxLength: 40 }), fc.constantFrom('-', '"', '\\', 'GET / HTTP/1.1'));
    fc.assert(
      fc.property(
        fc.constantFrom('', 'vhost:80 ', 'vhost:x '),
        fc.constantFrom('192.0.2.1 - - ', 'h - u ', '- - - '),
        fc.constantFrom('[05/Mar/2024:14:03:04 +0100]', '[31/Feb/2024:14:03:04 -2359]', '[x]', '['),
        quoted,
        fc.constantFrom(' 200 1', ' - -', ' 999 12', ''),
        fc.option(fc.tuple(quoted, quoted)),
        (vhost, who, when, request, status, tail) =>
          isWellFormed(
            decodeAccessLog(
              `${vhost}${who}${when} "${request}"${status}${tail ? ` "${tail[0]}" "${tail[1]}"` : ''}`,
            ),
          ),
      ),
      { numRuns: 3000 },
    );
  });
});
