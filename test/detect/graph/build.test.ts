import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildAttackGraph, edgeKey } from '../../../src/detect/graph/build.js';
import {
  assetNode,
  hostNode,
  normalizeIp,
  parseEntity,
  userNode,
} from '../../../src/detect/graph/entities.js';
import { graphEventFromEcs } from '../../../src/detect/graph/event.js';
import type { GraphEvent } from '../../../src/detect/graph/types.js';
import { graphEvents, WINDOW_MS } from './scenario.js';

describe('entity normalisation', () => {
  it('reads IPv4-mapped IPv6 as IPv4 and prints IPv6 compressed', () => {
    expect(normalizeIp('::ffff:10.0.0.1')).toBe('10.0.0.1');
    expect(normalizeIp('fe80:0:0:0:90e:17af:263c:5209')).toBe('fe80::90e:17af:263c:5209');
    expect(normalizeIp('fe80::1%12')).toBe('fe80::1');
  });

  it('refuses what is not dotted-quad IPv4 or IPv6 text', () => {
    expect(normalizeIp('167772161')).toBeUndefined();
    expect(normalizeIp('WS1')).toBeUndefined();
    expect(normalizeIp('-')).toBeUndefined();
  });

  it('names a host by its first DNS label in lower case; an address host is an ip node', () => {
    expect(hostNode('WORKSTATION6.theshire.local')).toBe('host:workstation6');
    expect(hostNode('WORKSTATION6')).toBe('host:workstation6');
    expect(hostNode('10.0.0.5')).toBe('ip:10.0.0.5');
    expect(hostNode('-')).toBeUndefined();
    expect(hostNode('127.0.0.1')).toBeUndefined();
  });

  it('names a user without domain, in lower case', () => {
    expect(userNode('CORP\\Alice')).toBe('user:alice');
    expect(userNode('alice@corp.local')).toBe('user:alice');
    expect(userNode('-')).toBeUndefined();
  });

  it('parses type:value entities and asset names', () => {
    expect(parseEntity('ip:::ffff:10.0.0.1')).toBe('ip:10.0.0.1');
    expect(parseEntity('host:DC1.corp.local')).toBe('host:dc1');
    expect(parseEntity('user:CORP\\Bob')).toBe('user:bob');
    expect(parseEntity('mac:00:11')).toBeUndefined();
    expect(parseEntity('ip:nope')).toBeUndefined();
    expect(parseEntity('bob')).toBeUndefined();
    expect(assetNode('DC1.corp.local')).toBe('host:dc1');
    expect(assetNode('::ffff:10.0.0.5')).toBe('ip:10.0.0.5');
  });

  it('never throws, and normalising twice changes nothing', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.ipV4(), fc.ipV6()), (s) => {
        const ip = normalizeIp(s);
        if (ip !== undefined) expect(normalizeIp(ip)).toBe(ip);
        const e = parseEntity(`host:${s}`);
        if (e !== undefined) expect(parseEntity(e)).toBe(e);
        parseEntity(`user:${s}`);
      }),
    );
  });
});

describe('graph building', () => {
  const g = buildAttackGraph(graphEvents(), WINDOW_MS).graph;
  const edge = (type: Parameters<typeof edgeKey>[0], s: string, t: string) =>
    g.hasEdge(edgeKey(type, s, t)) ? g.getEdgeAttributes(edgeKey(type, s, t)) : undefined;

  it('turns a 4624 into source → user → host with the logon type', () => {
    expect(edge('auth', 'ip:10.0.0.11', 'user:bob')).toMatchObject({
      count: 1,
      logon_types: [3],
      samples: [8],
    });
    expect(edge('logon', 'user:bob', 'host:srv2')).toMatchObject({
      count: 1,
      logon_types: [10],
      samples: [9],
    });
  });

  it('learns addresses from WorkstationName + IpAddress, both directions', () => {
    expect(edge('address', 'host:ws1', 'ip:10.0.0.11')).toBeDefined();
    expect(edge('address', 'ip:10.0.0.11', 'host:ws1')).toBeDefined();
    expect(edge('address', 'ip:10.0.0.21', 'host:srv1')).toBeDefined();
  });

  it('keeps local logons as user → host without a source, and leaves system accounts out', () => {
    expect(edge('logon', 'user:alice', 'host:ws1')).toMatchObject({ count: 2, logon_types: [2, 3] });
    expect(g.inDegree('user:alice')).toBe(1); // only from ip:10.0.0.11 (the ::1 logon is local)
    expect(g.hasNode('user:system')).toBe(false);
    expect(g.hasNode('ip:::1')).toBe(false);
  });

  it('reads sshd logons (ECS authentication success) and normalises ::ffff: sources', () => {
    expect(edge('auth', 'ip:10.0.0.12', 'user:deploy')).toMatchObject({ count: 1 });
    expect(edge('logon', 'user:deploy', 'host:web')).toMatchObject({ count: 2 });
  });

  it('draws flows ip → ip with ports and the first lateral-port time', () => {
    expect(edge('flow', 'ip:10.0.0.12', 'ip:10.0.0.5')).toMatchObject({
      ports: [445],
      lateral_first_seen: Date.parse('2026-03-01T20:30:00Z'),
    });
    expect(edge('flow', 'ip:10.0.0.11', 'ip:10.0.0.5')).toMatchObject({
      ports: [53],
      lateral_first_seen: null,
    });
  });

  it('ties a service install to the network logon just before it on the host', () => {
    expect(edge('remote_exec', 'ip:10.0.0.21', 'host:srv2')).toMatchObject({
      what: ['service PSEXESVC'],
      samples: [10, 9],
    });
  });

  it('marks computer accounts', () => {
    expect(g.getNodeAttributes('user:ws1$')).toMatchObject({ type: 'user', machine: true, label: 'WS1$' });
    expect(g.getNodeAttributes('user:bob').machine).toBe(false);
  });

  it('uses 4648 as host → credentials → TargetServerName, and the address as the server’s', () => {
    const e: GraphEvent = {
      id: 1,
      time: 0,
      'event.code': '4648',
      'event.provider': 'Microsoft-Windows-Security-Auditing',
      'host.name': 'WS6.corp',
      'user.name': 'admin',
      'source.ip': '10.1.1.9',
      'winlog.event_data.TargetServerName': 'FILES.corp',
    };
    const h = buildAttackGraph([e], { from: 0, to: 1 }).graph;
    expect(h.hasEdge(edgeKey('auth', 'host:ws6', 'user:admin'))).toBe(true);
    expect(h.hasEdge(edgeKey('logon', 'user:admin', 'host:files'))).toBe(true);
    expect(h.hasEdge(edgeKey('address', 'ip:10.1.1.9', 'host:files'))).toBe(true);
  });

  it('swaps the ends of an inbound WFP 5156 connection', () => {
    const e: GraphEvent = {
      id: 1,
      time: 0,
      'event.code': '5156',
      'winlog.channel': 'Security',
      'source.ip': '10.0.0.5',
      'destination.ip': '10.0.0.9',
      'destination.port': 445,
      'winlog.event_data.Direction': '%%14592',
    };
    const h = buildAttackGraph([e], { from: 0, to: 1 }).graph;
    expect(h.hasEdge(edgeKey('flow', 'ip:10.0.0.9', 'ip:10.0.0.5'))).toBe(true);
  });

  it('reads the same fields from a nested ECS document', () => {
    const e = graphEventFromEcs(7, 1000, {
      event: { code: 4624, category: 'authentication' },
      winlog: { channel: 'Security', event_data: { LogonType: '3', WorkstationName: 'WS2' } },
      host: { name: 'SRV1', ip: ['10.0.0.21', '::1'] },
      destination: { port: '445' },
    });
    expect(e).toMatchObject({
      'event.code': '4624',
      'event.category': ['authentication'],
      'winlog.event_data.LogonType': 3,
      'host.ip': ['10.0.0.21', '::1'],
      'destination.port': 445,
    });
  });

  it('builds from any events without throwing', () => {
    const text = fc.option(fc.oneof(fc.string(), fc.ipV4(), fc.constant('::ffff:10.0.0.1')), {
      nil: undefined,
    });
    const event = fc.record({
      id: fc.nat(),
      time: fc.integer({ min: 0, max: 1e12 }),
      'event.code': fc.option(fc.constantFrom('4624', '4648', '7045', '5156'), { nil: undefined }),
      'winlog.channel': fc.option(fc.constantFrom('Security', 'System'), { nil: undefined }),
      'event.category': fc.option(fc.constant(['authentication']), { nil: undefined }),
      'event.outcome': fc.option(fc.constantFrom('success', 'failure'), { nil: undefined }),
      'host.name': text,
      'user.name': text,
      'source.ip': text,
      'destination.ip': text,
      'destination.port': fc.option(fc.integer({ min: 0, max: 65535 }), { nil: undefined }),
      'service.name': text,
      'winlog.event_data.WorkstationName': text,
      'winlog.event_data.TargetServerName': text,
    });
    fc.assert(
      fc.property(fc.array(event, { maxLength: 30 }), (events) => {
        const built = buildAttackGraph(events, { from: 0, to: 1e12 });
        expect(built.used).toBeLessThanOrEqual(events.length);
      }),
    );
  });
});
