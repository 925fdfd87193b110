import { describe, expect, it } from 'vitest';
import { buildAttackGraph } from '../../../src/detect/graph/build.js';
import { pathGraph, reachable, shortestPaths } from '../../../src/detect/graph/paths.js';
import { topology } from '../../../src/detect/graph/views.js';
import { graphEvents, WINDOW_MS } from './scenario.js';

const { graph } = buildAttackGraph(graphEvents(), WINDOW_MS);
const credentials = pathGraph(graph, false);

describe('shortest paths to critical assets', () => {
  it('go from ws1’s address through bob and srv2 to svc_backup’s logon on dc1', () => {
    const [path] = shortestPaths(credentials, 'ip:10.0.0.11', ['host:dc1'], 'hops', 10);
    expect(path).toMatchObject({
      source: 'ip:10.0.0.11',
      target: 'host:dc1',
      hops: 4,
      cost: 4,
      nodes: ['ip:10.0.0.11', 'user:bob', 'host:srv2', 'ip:10.0.0.22', 'user:svc_backup', 'host:dc1'],
    });
    expect(path!.edges.map((e) => e.type)).toEqual(['auth', 'logon', 'address', 'auth', 'logon']);
  });

  it('do not run through computer accounts (WS1$ → dc1 is the domain working)', () => {
    expect(graph.hasNode('user:ws1$')).toBe(true);
    expect(credentials.hasNode('user:ws1$')).toBe(false);
    // With every edge, the computer account gives the 2-hop route.
    const [all] = shortestPaths(pathGraph(graph, true), 'ip:10.0.0.11', ['host:dc1'], 'hops', 10);
    expect(all!.nodes).toEqual(['ip:10.0.0.11', 'user:ws1$', 'host:dc1']);
  });

  it('weigh by rarity: an edge seen n times costs 1 + log2 n', () => {
    const [path] = shortestPaths(credentials, 'user:alice', ['host:ws1'], 'rarity', 10);
    // alice → ws1 was seen twice.
    expect(path!.cost).toBeCloseTo(2, 10);
  });

  it('skip unreachable, absent and identical targets', () => {
    expect(shortestPaths(credentials, 'host:dc1', ['host:ws1'], 'hops', 10)).toEqual([]);
    expect(shortestPaths(credentials, 'ip:10.0.0.11', ['host:nowhere', 'ip:10.0.0.11'], 'hops', 10)).toEqual(
      [],
    );
    expect(shortestPaths(credentials, 'user:nobody', ['host:dc1'], 'hops', 10)).toEqual([]);
  });
});

describe('reach of an entity', () => {
  it('lists what carol reaches in one hop (an address is not a hop)', () => {
    const r = reachable(credentials, 'user:carol', 1, 100);
    const hops = Object.fromEntries(r.nodes.map((n) => [n.id, n.hops]));
    expect(hops).toMatchObject({
      'user:carol': 0,
      'host:ws1': 1,
      'host:srv1': 1,
      'host:srv2': 1,
      'ip:10.0.0.11': 1,
      'ip:10.0.0.22': 1,
    });
    expect(hops['user:bob']).toBeUndefined();
    expect(r.truncated).toBe(false);
    expect(r.edges).toContain('logon|user:carol|host:ws1');
  });

  it('goes further with more hops and stops at the node cap', () => {
    const far = reachable(credentials, 'user:carol', 3, 100);
    expect(far.nodes.find((n) => n.id === 'host:dc1')?.hops).toBe(3);
    const capped = reachable(credentials, 'user:carol', 3, 2);
    expect(capped.nodes).toHaveLength(2);
    expect(capped.truncated).toBe(true);
  });
});

describe('topology view', () => {
  it('lists critical nodes first and counts the whole graph', () => {
    const t = topology(graph, new Set(['host:dc1']), 3, 100);
    expect(t.nodes[0]).toMatchObject({ id: 'host:dc1', critical: true, type: 'host' });
    expect(t.nodes).toHaveLength(3);
    expect(t.truncated).toBe(true);
    expect(t.summary.nodes.total).toBe(graph.order);
    expect(t.summary.edges.total).toBe(graph.size);
    expect(t.summary.nodes.user + t.summary.nodes.host + t.summary.nodes.ip).toBe(graph.order);
    const all = topology(graph, new Set(), 1000, 1000);
    expect(all.truncated).toBe(false);
    expect(all.edges).toHaveLength(graph.size);
    const flow = all.edges.find((e) => e.id === 'flow|ip:10.0.0.12|ip:10.0.0.5')!;
    expect(flow).toMatchObject({ source: 'ip:10.0.0.12', target: 'ip:10.0.0.5', ports: [445], count: 1 });
    expect(flow.first_seen).toBe('2026-03-01T20:30:00.000Z');
  });
});
