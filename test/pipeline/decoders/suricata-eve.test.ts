import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createDetector } from '../../../src/detect/sigma/detector.js';
import { parseRules } from '../../../src/detect/sigma/parse.js';
import { decodeSuricataEve } from '../../../src/pipeline/decoders/network/suricata-eve.js';
import { decoded, isWellFormed } from './decoded.js';

const ALERT = {
  timestamp: '2024-03-05T09:12:44.518204+0100',
  flow_id: 1184213458716290,
  in_iface: 'eth1',
  event_type: 'alert',
  src_ip: '10.20.0.14',
  src_port: 49822,
  dest_ip: '203.0.113.66',
  dest_port: 80,
  proto: 'TCP',
  community_id: '1:x6Yh0s3OxXW2SZb0gZ1j3vC1k5Q=',
  tx_id: 0,
  alert: {
    action: 'allowed',
    gid: 1,
    signature_id: 2024897,
    rev: 3,
    signature: 'ET USER_AGENTS Go HTTP Client User-Agent',
    category: 'A Network Trojan was detected',
    severity: 1,
  },
  http: {
    hostname: 'dl.example-cdn.test',
    url: '/payload/stage2.bin',
    http_user_agent: 'Go-http-client/1.1',
    http_method: 'GET',
    protocol: 'HTTP/1.1',
    status: 200,
    length: 48213,
  },
  app_proto: 'http',
};

const DNS_QUERY = {
  timestamp: '2024-03-05T09:12:40.001000+0100',
  flow_id: 556,
  event_type: 'dns',
  src_ip: '10.20.0.14',
  src_port: 53000,
  dest_ip: '10.20.0.2',
  dest_port: 53,
  proto: 'UDP',
  dns: { type: 'query', id: 7001, rrname: 'dl.example-cdn.test', rrtype: 'A', tx_id: 0 },
};

const DNS_ANSWER_V1 = {
  timestamp: '2024-03-05T09:12:40.020000+0100',
  flow_id: 556,
  event_type: 'dns',
  src_ip: '10.20.0.2',
  src_port: 53,
  dest_ip: '10.20.0.14',
  dest_port: 53000,
  proto: 'UDP',
  dns: {
    type: 'answer',
    id: 7001,
    rcode: 'NOERROR',
    rrname: 'dl.example-cdn.test',
    rrtype: 'A',
    ttl: 60,
    rdata: '203.0.113.66',
  },
};

const DNS_V2 = {
  timestamp: '2024-03-05T09:12:40.030000+0100',
  flow_id: 557,
  event_type: 'dns',
  src_ip: '10.20.0.2',
  src_port: 53,
  dest_ip: '10.20.0.14',
  dest_port: 53001,
  proto: 'UDP',
  dns: {
    version: 2,
    type: 'answer',
    id: 7002,
    rrname: 'mail.example.org',
    rrtype: 'MX',
    rcode: 'NOERROR',
    answers: [
      { rrname: 'mail.example.org', rrtype: 'CNAME', ttl: 300, rdata: 'mx1.example.org' },
      { rrname: 'mx1.example.org', rrtype: 'A', ttl: 300, rdata: '192.0.2.25' },
    ],
  },
};

const FLOW = {
  timestamp: '2024-03-05T09:13:40.000000+0100',
  flow_id: 1184213458716290,
  event_type: 'flow',
  src_ip: '10.20.0.14',
  src_port: 49822,
  dest_ip: '203.0.113.66',
  dest_port: 80,
  proto: 'TCP',
  app_proto: 'http',
  flow: {
    pkts_toserver: 12,
    pkts_toclient: 40,
    bytes_toserver: 1450,
    bytes_toclient: 51000,
    start: '2024-03-05T09:12:44.400000+0100',
    end: '2024-03-05T09:12:46.900000+0100',
    age: 2,
    state: 'closed',
    reason: 'timeout',
  },
};

describe('Suricata EVE: recognition and fields', () => {
  it('flattens the record with dots', () => {
    const e = decoded(decodeSuricataEve(ALERT));
    expect(e.decoder).toBe('suricata-eve');
    expect(e.original).toBe(ALERT);
    expect(e.fields).toMatchObject({
      event_type: 'alert',
      src_ip: '10.20.0.14',
      'alert.signature': 'ET USER_AGENTS Go HTTP Client User-Agent',
      'alert.signature_id': 2024897,
      'http.hostname': 'dl.example-cdn.test',
      'http.http_user_agent': 'Go-http-client/1.1',
    });
  });

  it('turns arrays of objects into one array per key', () => {
    expect(decoded(decodeSuricataEve(DNS_V2)).fields).toMatchObject({
      'dns.answers.rrname': ['mail.example.org', 'mx1.example.org'],
      'dns.answers.rdata': ['mx1.example.org', '192.0.2.25'],
      'dns.answers.ttl': [300, 300],
    });
  });

  it('is not EVE without event_type, or without src_ip/flow_id (except stats)', () => {
    expect(decodeSuricataEve({ src_ip: '10.0.0.1' })).toBeUndefined();
    expect(decodeSuricataEve({ event_type: 'dns', timestamp: 'x' })).toBeUndefined();
    expect(
      decoded(
        decodeSuricataEve({
          timestamp: '2024-03-05T09:00:00.000000+0100',
          event_type: 'stats',
          stats: { uptime: 60 },
        }),
      ).logsource.services,
    ).toEqual(['stats']);
  });
});

describe('Suricata EVE: logsource', () => {
  it('product suricata, service = event_type; dns is category dns, http category proxy, flow service netflow', () => {
    expect(decoded(decodeSuricataEve(ALERT)).logsource).toMatchObject({
      product: 'suricata',
      services: ['alert'],
      categories: [],
    });
    expect(decoded(decodeSuricataEve(DNS_QUERY)).logsource).toMatchObject({
      services: ['dns'],
      categories: ['dns'],
    });
    expect(decoded(decodeSuricataEve({ ...ALERT, event_type: 'http' })).logsource.categories).toEqual([
      'proxy',
    ]);
    expect(decoded(decodeSuricataEve(FLOW)).logsource.services).toEqual(['flow', 'netflow']);
  });

  it('Sigma dns, proxy and netflow field names read EVE fields through aliases', () => {
    const q = decoded(decodeSuricataEve(DNS_QUERY));
    expect(q.get('query')).toBe('dl.example-cdn.test');
    expect(q.get('record_type')).toBe('A');
    expect(decoded(decodeSuricataEve(DNS_V2)).get('answer')).toEqual(['mx1.example.org', '192.0.2.25']);
    const http = decoded(decodeSuricataEve({ ...ALERT, event_type: 'http' }));
    expect(http.get('c-useragent')).toBe('Go-http-client/1.1');
    expect(http.get('cs-host')).toBe('dl.example-cdn.test');
    expect(decoded(decodeSuricataEve(FLOW)).get('destination.port')).toBe(80);
  });
});

describe('Suricata EVE: ECS', () => {
  it('alerts: kind alert, intrusion_detection, rule.*, severity, 5-tuple, http', () => {
    expect(decoded(decodeSuricataEve(ALERT)).ecs()).toEqual({
      '@timestamp': '2024-03-05T08:12:44.518Z',
      event: {
        kind: 'alert',
        module: 'suricata',
        dataset: 'suricata.eve',
        category: ['network', 'intrusion_detection'],
        type: ['allowed'],
        severity: 1,
      },
      source: { ip: '10.20.0.14', port: 49822 },
      destination: { ip: '203.0.113.66', port: 80 },
      network: { community_id: '1:x6Yh0s3OxXW2SZb0gZ1j3vC1k5Q=', transport: 'tcp', protocol: 'http' },
      observer: { ingress: { interface: { name: 'eth1' } } },
      rule: {
        name: 'ET USER_AGENTS Go HTTP Client User-Agent',
        category: 'A Network Trojan was detected',
        id: '2024897',
      },
      http: {
        request: { method: 'GET' },
        response: { status_code: 200, body: { bytes: 48213 } },
        version: '1.1',
      },
      url: { original: '/payload/stage2.bin', domain: 'dl.example-cdn.test' },
      user_agent: { original: 'Go-http-client/1.1' },
    });
  });

  it('dns: question, type, response code and answers (v1 and v2)', () => {
    expect(decoded(decodeSuricataEve(DNS_QUERY)).ecs()).toMatchObject({
      event: { kind: 'event', category: ['network'], type: ['protocol'] },
      dns: { id: 7001, type: 'query', question: { name: 'dl.example-cdn.test', type: 'A' } },
      network: { transport: 'udp' },
    });
    expect(decoded(decodeSuricataEve(DNS_ANSWER_V1)).ecs()).toMatchObject({
      dns: {
        type: 'answer',
        response_code: 'NOERROR',
        answers: [{ name: 'dl.example-cdn.test', type: 'A', data: '203.0.113.66', ttl: 60 }],
      },
    });
    expect(decoded(decodeSuricataEve(DNS_V2)).ecs()).toMatchObject({
      dns: {
        answers: [
          { type: 'CNAME', data: 'mx1.example.org' },
          { type: 'A', data: '192.0.2.25' },
        ],
      },
    });
  });

  it('flow: bytes and packets per direction, start and end', () => {
    expect(decoded(decodeSuricataEve(FLOW)).ecs()).toMatchObject({
      event: { type: ['connection'], start: '2024-03-05T08:12:44.400Z', end: '2024-03-05T08:12:46.900Z' },
      source: { bytes: 1450, packets: 12 },
      destination: { bytes: 51000, packets: 40 },
    });
  });

  it('tls and fileinfo', () => {
    const tls = decoded(
      decodeSuricataEve({
        ...DNS_QUERY,
        event_type: 'tls',
        tls: {
          sni: 'login.example.net',
          version: 'TLS 1.2',
          subject: 'CN=login.example.net',
          ja3: { hash: 'e7d705a3286e19ea42f587b344ee6865' },
        },
      }),
    ).ecs();
    expect(tls).toMatchObject({
      tls: {
        client: { server_name: 'login.example.net', ja3: 'e7d705a3286e19ea42f587b344ee6865' },
        version: '1.2',
        version_protocol: 'tls',
      },
    });
    const { alert: _alert, ...rest } = ALERT;
    const file = decoded(
      decodeSuricataEve({
        ...rest,
        event_type: 'fileinfo',
        fileinfo: { filename: '/payload/stage2.bin', size: 48213, state: 'CLOSED' },
      }),
    ).ecs();
    expect(file).toMatchObject({
      file: { name: '/payload/stage2.bin', size: 48213 },
      event: { kind: 'event', type: ['info'] },
    });
  });
});

describe('Suricata EVE: Sigma rules', () => {
  it('match flattened names and generic categories', () => {
    const rules = `title: suricata go client
id: 00000000-0000-4000-8000-00000000f001
logsource:
    product: suricata
    service: alert
detection:
    selection:
        alert.signature|contains: 'Go HTTP Client'
    condition: selection
---
title: generic dns
id: 00000000-0000-4000-8000-00000000f002
logsource:
    category: dns
detection:
    selection:
        query|endswith: '.example-cdn.test'
    condition: selection
`;
    const detector = createDetector(parseRules(rules, 'eve-rules.yml').rules);
    expect(detector.match(decoded(decodeSuricataEve(ALERT))).map((m) => m.rule.title)).toEqual([
      'suricata go client',
    ]);
    expect(detector.match(decoded(decodeSuricataEve(DNS_QUERY))).map((m) => m.rule.title)).toEqual([
      'generic dns',
    ]);
  });
});

describe('Suricata EVE: robustness', () => {
  it('never throws: any object gives an event or undefined, and ECS builds', () => {
    const key = fc.constantFrom(
      'event_type',
      'src_ip',
      'flow_id',
      'timestamp',
      'alert',
      'dns',
      'flow',
      'stats',
      'proto',
      'constructor',
    );
    fc.assert(
      fc.property(fc.dictionary(key, fc.jsonValue({ maxDepth: 3 })), (obj) =>
        isWellFormed(decodeSuricataEve(obj)),
      ),
      { numRuns: 2000 },
    );
  });
});
