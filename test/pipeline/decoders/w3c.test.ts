import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createDetector } from '../../../src/detect/sigma/detector.js';
import { parseRules } from '../../../src/detect/sigma/parse.js';
import { decodeW3c, W3C_FORMAT, w3cFieldName } from '../../../src/pipeline/decoders/text/w3c.js';
import type { HeaderState } from '../../../src/pipeline/decoders/text.js';
import { decoded, failure, isWellFormed } from './decoded.js';

const IIS_HEADER = [
  '#Software: Microsoft Internet Information Services 10.0',
  '#Version: 1.0',
  '#Date: 2024-03-05 08:00:00',
  '#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status time-taken',
];

/** Header state after the given `#` lines. */
function headerOf(lines: readonly string[], state?: HeaderState): HeaderState | undefined {
  for (const line of lines) state = W3C_FORMAT.header!(line, state);
  return state;
}

const STATE = headerOf(IIS_HEADER);
const LINE =
  '2024-03-05 08:01:12 10.1.2.3 GET /owa/auth/logon.aspx url=%2fowa%2f&reason=0 443 - 198.51.100.20 Mozilla/5.0+(Windows+NT+10.0;+Win64;+x64) https://mail.example.org/owa/ 200 0 0 187';

describe('W3C extended log: directives and data lines', () => {
  it('keeps the #Fields list as header state; other directives keep the state', () => {
    expect(STATE).toEqual({ fields: IIS_HEADER[3]!.slice(9).split(' ') });
    expect(W3C_FORMAT.header!('#Date: 2024-03-05 09:00:00', STATE)).toBe(STATE);
    expect(W3C_FORMAT.header!('# a comment', STATE)).toBe(STATE);
  });

  it('reads values in #Fields order under Sigma webserver names, numbers as numbers', () => {
    const e = decoded(decodeW3c(LINE, STATE));
    expect(e.decoder).toBe('web-w3c');
    expect(e.logsource).toMatchObject({ product: undefined, services: [], categories: ['webserver'] });
    expect(e.fields).toEqual({
      date: '2024-03-05',
      time: '08:01:12',
      's-ip': '10.1.2.3',
      'cs-method': 'GET',
      'cs-uri-stem': '/owa/auth/logon.aspx',
      'cs-uri-query': 'url=%2fowa%2f&reason=0',
      // The whole request target, derived from stem and query, as access logs have it.
      'cs-uri': '/owa/auth/logon.aspx?url=%2fowa%2f&reason=0',
      's-port': 443,
      'c-ip': '198.51.100.20',
      'cs-user-agent': 'Mozilla/5.0 (Windows NT 10.0; Win64; x64)',
      'cs-referer': 'https://mail.example.org/owa/',
      'sc-status': 200,
      'sc-substatus': 0,
      'sc-win32-status': 0,
      'time-taken': 187,
    });
    expect(e.keywordValues()).toContain(LINE);
  });

  it('projects to ECS, timestamp in UTC, server address as destination', () => {
    expect(decoded(decodeW3c(LINE, STATE)).ecs()).toEqual({
      '@timestamp': '2024-03-05T08:01:12.000Z',
      event: {
        kind: 'event',
        category: ['web'],
        type: ['access'],
        duration: 187_000_000,
        outcome: 'success',
      },
      source: { address: '198.51.100.20', ip: '198.51.100.20' },
      destination: { ip: '10.1.2.3', port: 443 },
      http: {
        request: { method: 'GET', referrer: 'https://mail.example.org/owa/' },
        response: { status_code: 200 },
      },
      url: {
        path: '/owa/auth/logon.aspx',
        query: 'url=%2fowa%2f&reason=0',
        original: '/owa/auth/logon.aspx?url=%2fowa%2f&reason=0',
      },
      user_agent: { original: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64)' },
      iis: { access: { sub_status: 0, win32_status: 0 } },
    });
  });

  it('leaves "-" values out', () => {
    const f = decoded(
      decodeW3c(
        '2024-03-05 08:01:13 10.1.2.3 POST /ews/exchange.asmx - 443 CORP\\svc_mail 198.51.100.21 - - 401 1 2148074254 3',
        STATE,
      ),
    ).fields;
    expect(f['cs-uri-query']).toBeUndefined();
    expect(f['cs-user-agent']).toBeUndefined();
    expect(f['cs-username']).toBe('CORP\\svc_mail');
    expect(f['sc-win32-status']).toBe(2148074254);
  });

  it('a later #Fields replaces the list', () => {
    const next = headerOf(
      ['#Fields: date time c-ip cs-uri sc-status sc-bytes cs-bytes cs(Cookie) cs-host'],
      STATE,
    );
    const f = decoded(
      decodeW3c(
        '2024-03-05 09:00:00 198.51.100.22 /a/b.aspx?id=7 500 1024 310 ASP.NET_SessionId=abc www.example.org',
        next,
      ),
    ).fields;
    expect(f).toEqual({
      date: '2024-03-05',
      time: '09:00:00',
      'c-ip': '198.51.100.22',
      'cs-uri': '/a/b.aspx?id=7',
      'cs-uri-stem': '/a/b.aspx',
      'cs-uri-query': 'id=7',
      'sc-status': 500,
      'sc-bytes': 1024,
      'cs-bytes': 310,
      'cs-cookie': 'ASP.NET_SessionId=abc',
      'cs-host': 'www.example.org',
    });
    const ecs = decoded(
      decodeW3c(
        '2024-03-05 09:00:00 198.51.100.22 /a/b.aspx?id=7 500 1024 310 ASP.NET_SessionId=abc www.example.org',
        next,
      ),
    ).ecs();
    expect(ecs).toMatchObject({
      http: { response: { bytes: 1024, status_code: 500 }, request: { bytes: 310 } },
      url: { domain: 'www.example.org', original: '/a/b.aspx?id=7' },
      event: { outcome: 'failure' },
    });
  });

  it('maps header fields: cs(User-Agent), cs(Referer), cs(Cookie) and prefix(Header) generally', () => {
    expect(w3cFieldName('cs(User-Agent)')).toBe('cs-user-agent');
    expect(w3cFieldName('cs(Referer)')).toBe('cs-referer');
    expect(w3cFieldName('cs(Cookie)')).toBe('cs-cookie');
    expect(w3cFieldName('cs(X-Forwarded-For)')).toBe('cs-x-forwarded-for');
    expect(w3cFieldName('s-sitename')).toBe('s-sitename');
  });

  it('directive and comment lines decode to null', () => {
    expect(decodeW3c('#Fields: date time', STATE)).toBeNull();
    expect(decodeW3c('# Default traces of a tool', STATE)).toBeNull();
    expect(decodeW3c('', STATE)).toBeNull();
  });
});

describe('W3C extended log: failures', () => {
  it('a data line before any #Fields', () => {
    expect(failure(decodeW3c(LINE, undefined))).toBe('no #Fields directive before data');
    expect(failure(decodeW3c(LINE, headerOf(['#Software: IIS'])))).toBe('no #Fields directive before data');
  });

  it('a value count that does not match #Fields', () => {
    expect(failure(decodeW3c('2024-03-05 08:01:12 10.1.2.3 GET', STATE))).toBe(
      'expected 15 values (per #Fields), got 4',
    );
  });
});

describe('W3C extended log: Sigma webserver rules', () => {
  const rules = `title: tunna tunnel
id: 00000000-0000-4000-8000-00000000d001
logsource:
    category: webserver
detection:
    selection:
        cs-uri-query|contains|all:
            - 'proxy'
            - 'port='
    condition: selection
---
title: suspicious ua
id: 00000000-0000-4000-8000-00000000d002
logsource:
    category: webserver
detection:
    selection:
        cs-user-agent|contains: 'Windows NT 10.0; Win64'
    condition: selection
`;
  const detector = createDetector(parseRules(rules, 'iis-rules.yml').rules);

  it('matches the query and the user agent with spaces restored', () => {
    const titles = (line: string) => detector.match(decoded(decodeW3c(line, STATE))).map((m) => m.rule.title);
    expect(titles(LINE)).toEqual(['suspicious ua']);
    expect(
      titles(
        '2024-03-05 08:02:00 10.1.2.3 GET /erp/conn.aspx proxy&port=3389&ip=127.0.0.1 80 - 10.1.2.9 - - 200 0 0 7',
      ),
    ).toEqual(['tunna tunnel']);
  });
});

describe('W3C extended log: sniffing and robustness', () => {
  it('sniffs W3C directives, not Zeek headers', () => {
    expect(W3C_FORMAT.sniff(IIS_HEADER)).toBe(true);
    expect(W3C_FORMAT.sniff(['#separator \\x09', '#fields\tts\tuid'])).toBe(false);
  });

  it('never throws: any line under any header gives an event, null or a failure', () => {
    fc.assert(
      fc.property(
        fc.array(fc.string({ maxLength: 60 }), { maxLength: 3 }),
        fc.string({ unit: 'binary', maxLength: 200 }),
        (headers, line) => {
          const state = headerOf(headers.map((h) => `#Fields: ${h}`));
          return isWellFormed(decodeW3c(line, state));
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('never throws on data lines of the right width with arbitrary values', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.string({ maxLength: 12 }).map((s) => s.replaceAll(' ', '+')),
          { minLength: 15, maxLength: 15 },
        ),
        (values) => isWellFormed(decodeW3c(values.join(' '), STATE)),
      ),
      { numRuns: 2000 },
    );
  });
});
