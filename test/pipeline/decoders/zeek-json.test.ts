import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createDetector } from '../../../src/detect/sigma/detector.js';
import { parseRules } from '../../../src/detect/sigma/parse.js';
import { decodeZeekJson, zeekIsoToEpoch } from '../../../src/pipeline/decoders/network/zeek-json.js';
import { decoded, isWellFormed } from './decoded.js';
import { DNS_FIELDS, DNS_JSON, DNS_ROWS, DNS_TYPES, decodeLog, tsvLog } from './zeek-fixtures.js';

describe('Zeek JSON', () => {
  it('gives the same fields as TSV for the same records (minus _path and _write_ts)', () => {
    const tsv = decodeLog(tsvLog('dns', DNS_FIELDS, DNS_TYPES, DNS_ROWS)).map((r) => decoded(r).fields);
    const json = DNS_JSON.map((o) => decoded(decodeZeekJson(o)).fields);
    expect(json).toEqual(tsv);
  });

  it('accepts epoch ts (Zeek JSON writer) and guesses the path without _path', () => {
    const e = decoded(
      decodeZeekJson({
        ts: 1709625600.123456,
        uid: 'CAbc12x9Vq1',
        'id.orig_h': '10.0.0.15',
        'id.orig_p': 51000,
        'id.resp_h': '203.0.113.5',
        'id.resp_p': 80,
        trans_depth: 1,
        method: 'GET',
        host: 'updates.example.org',
        uri: '/agent.exe',
        user_agent: 'Microsoft BITS/7.8',
        status_code: 200,
      }),
    );
    expect(e.decoder).toBe('zeek-json');
    expect(e.logsource).toMatchObject({ product: 'zeek', services: ['http'], categories: ['proxy'] });
    expect(e.fields.ts).toBe(1709625600.123456);
    expect(e.get('c-useragent')).toBe('Microsoft BITS/7.8');
    expect(e.get('cs-host')).toBe('updates.example.org');
    expect(e.ecs()).toMatchObject({
      '@timestamp': '2024-03-05T08:00:00.123Z',
      event: { dataset: 'zeek.http', module: 'zeek', kind: 'event' },
      source: { ip: '10.0.0.15', port: 51000 },
      destination: { ip: '203.0.113.5', port: 80 },
      zeek: { session_id: 'CAbc12x9Vq1' },
      http: { request: { method: 'GET' }, response: { status_code: 200 } },
      url: { original: '/agent.exe', domain: 'updates.example.org' },
      user_agent: { original: 'Microsoft BITS/7.8' },
    });
  });

  it('flattens nested records with dots and converts ISO times inside them', () => {
    const e = decoded(
      decodeZeekJson({
        _path: 'x509',
        ts: '2024-03-05T08:00:00Z',
        certificate: { not_valid_after: '2025-12-31T23:59:59.000000Z' },
      }),
    );
    expect(e.fields).toEqual({ ts: 1709625600, 'certificate.not_valid_after': 1767225599 });
    expect(e.ecs()).toMatchObject({ x509: { not_after: '2025-12-31T23:59:59.000Z' } });
  });

  it('converts Zeek ISO times to epoch seconds from the digits as written', () => {
    expect(zeekIsoToEpoch('2018-03-24T17:15:20.865716Z')).toBe(1521911720.865716);
    expect(zeekIsoToEpoch('1970-01-01T00:00:00.000000Z')).toBe(0);
    expect(zeekIsoToEpoch('1969-12-31T23:59:55.250000Z')).toBe(-4.75);
    expect(zeekIsoToEpoch('2018-03-24 17:15:20')).toBeUndefined();
  });

  it('is not a Zeek record without _path or uid and id.orig_h', () => {
    expect(decodeZeekJson({ uid: 'C1', query: 'x' })).toBeUndefined();
    expect(decodeZeekJson({ event_type: 'dns', src_ip: '10.0.0.1' })).toBeUndefined();
  });
});

describe('Zeek: logsource and ECS', () => {
  it('is product zeek, service = path; dns also category dns with Sigma aliases', () => {
    const e = decoded(decodeZeekJson(DNS_JSON[0]!));
    expect(e.logsource).toMatchObject({ product: 'zeek', services: ['dns'], categories: ['dns'] });
    expect(e.get('record_type')).toBe('A');
    expect(e.get('answer')).toEqual(['cdn.example.net', '192.0.2.80']);
    expect(e.ecs()).toEqual({
      '@timestamp': '2024-03-05T08:00:00.123Z',
      event: { kind: 'event', module: 'zeek', dataset: 'zeek.dns', created: '2024-03-05T08:00:00.200Z' },
      source: { ip: '10.0.0.15', port: 53124 },
      destination: { ip: '10.0.0.2', port: 53 },
      network: { transport: 'udp' },
      zeek: { session_id: 'CAbc12x9Vq1' },
      dns: {
        id: 4411,
        question: { name: 'update.example.com', type: 'A', class: 'C_INTERNET' },
        response_code: 'NOERROR',
        answers: [{ data: 'cdn.example.net' }, { data: '192.0.2.80' }],
      },
    });
  });

  it('conn is also service netflow with ECS aliases', () => {
    const e = decoded(
      decodeZeekJson({
        _path: 'conn',
        ts: 1709625600,
        uid: 'C9',
        'id.orig_h': '10.0.0.15',
        'id.orig_p': 50000,
        'id.resp_h': '198.51.100.9',
        'id.resp_p': 3389,
        proto: 'tcp',
        duration: 1.5,
        orig_bytes: 100,
        resp_bytes: 2000,
        conn_state: 'SF',
      }),
    );
    expect(e.logsource.services).toEqual(['conn', 'netflow']);
    expect(e.get('destination.port')).toBe(3389);
    expect(e.ecs()).toMatchObject({
      event: { duration: 1_500_000_000 },
      source: { bytes: 100 },
      destination: { bytes: 2000 },
    });
  });

  it('SigmaHQ-style Zeek rules match the Zeek field names', () => {
    const rules = `title: dce_rpc atsvc
id: 00000000-0000-4000-8000-00000000e001
logsource:
    product: zeek
    service: dce_rpc
detection:
    selection:
        endpoint: atsvc
        operation: JobAdd
    condition: selection
---
title: txt query to bad domain
id: 00000000-0000-4000-8000-00000000e002
logsource:
    category: dns
detection:
    selection:
        query|endswith: '.bad-example.test'
        record_type: TXT
    condition: selection
`;
    const detector = createDetector(parseRules(rules, 'zeek-rules.yml').rules);
    const rpc = decodeLog(
      tsvLog(
        'dce_rpc',
        [
          'ts',
          'uid',
          'id.orig_h',
          'id.orig_p',
          'id.resp_h',
          'id.resp_p',
          'rtt',
          'named_pipe',
          'endpoint',
          'operation',
        ],
        ['time', 'string', 'addr', 'port', 'addr', 'port', 'interval', 'string', 'string', 'string'],
        [
          [
            '1709625600.0',
            'C1',
            '10.0.0.5',
            '49700',
            '10.0.0.10',
            '445',
            '0.001',
            '\\\\pipe\\\\atsvc',
            'atsvc',
            'JobAdd',
          ],
        ],
      ),
    ).map((r) => decoded(r));
    expect(rpc[0]!.fields.named_pipe).toBe('\\pipe\\atsvc');
    expect(detector.match(rpc[0]!).map((m) => m.rule.title)).toEqual(['dce_rpc atsvc']);
    const dns = decodeLog(tsvLog('dns', DNS_FIELDS, DNS_TYPES, DNS_ROWS)).map((r) => decoded(r));
    expect(dns.map((e) => detector.match(e).map((m) => m.rule.title))).toEqual([
      [],
      ['txt query to bad domain'],
    ]);
  });
});

describe('Zeek JSON: robustness', () => {
  it('JSON never throws: any object gives an event or undefined', () => {
    fc.assert(
      fc.property(
        fc.dictionary(
          fc.constantFrom('_path', 'uid', 'id.orig_h', 'ts', 'query', 'x', '__proto__'),
          fc.jsonValue(),
        ),
        (obj) => isWellFormed(decodeZeekJson(obj)),
      ),
      { numRuns: 2000 },
    );
  });
});
