import { describe, expect, it } from 'vitest';
import { buildAttackGraph } from '../../../src/detect/graph/build.js';
import {
  fanOutSignals,
  lateralMovementSignals,
  logonChainSignals,
  newEdgeSignals,
  recentFrom,
} from '../../../src/detect/graph/signals.js';
import { DEFAULT_SIGNAL_PARAMS } from '../../../src/detect/graph/types.js';
import { signalView } from '../../../src/detect/graph/views.js';
import { graphEvents, ROWS, WINDOW_MS } from './scenario.js';

const built = buildAttackGraph(graphEvents(), WINDOW_MS);
const p = DEFAULT_SIGNAL_PARAMS;

describe('new edges', () => {
  const signals = newEdgeSignals(built, p);
  const edges = signals.map((s) => `${s.edge.type} ${s.edge.source} ${s.edge.target}`);

  it('split the window: the last quarter is recent', () => {
    expect(recentFrom(built, p)).toBe(Date.parse('2026-03-01T18:00:00Z'));
  });

  it('report credential, remote-execution and lateral-port edges first seen in the recent period', () => {
    expect(edges).toEqual(
      expect.arrayContaining([
        'logon user:bob host:srv1',
        'auth ip:10.0.0.11 user:bob',
        'logon user:bob host:srv2',
        'remote_exec ip:10.0.0.21 host:srv2',
        'logon user:carol host:ws1',
        'auth ip:10.0.0.12 user:deploy',
        'flow ip:10.0.0.12 ip:10.0.0.5',
      ]),
    );
  });

  it('leave out baseline edges, address edges and computer accounts', () => {
    expect(edges).not.toContain('logon user:alice host:srv1');
    expect(edges).not.toContain('flow ip:10.0.0.11 ip:10.0.0.21');
    expect(edges.filter((e) => e.startsWith('address'))).toEqual([]);
    expect(edges.filter((e) => e.includes('$'))).toEqual([]);
  });

  it('name the events behind each edge and explain it', () => {
    const bob = signals.find(
      (s) => s.edge.type === 'logon' && s.edge.source === 'user:bob' && s.edge.target === 'host:srv1',
    )!;
    expect(bob).toMatchObject({ entity: 'user:bob', event_ids: [8] });
    expect(bob.explanation).toContain('user:bob logged on to host:srv1 first at 2026-03-01T19:00:00.000Z');
  });

  it('are none when the baseline holds nothing (everything would be new)', () => {
    const recentOnly = graphEvents().filter((e) => e.time >= Date.parse('2026-03-01T18:00:00Z'));
    expect(newEdgeSignals(buildAttackGraph(recentOnly, WINDOW_MS), p)).toEqual([]);
  });
});

describe('fan-out', () => {
  it('flags a source and a user that log on to 3 distinct hosts within an hour', () => {
    const signals = fanOutSignals(built, p);
    expect(signals.map((s) => [s.entity, s.basis, s.distinct])).toEqual([
      ['ip:10.0.0.12', 'logon', 3],
      ['user:carol', 'logon', 3],
    ]);
    expect(signals[0]).toMatchObject({
      targets: ['host:ws1', 'host:srv1', 'host:srv2'],
      event_ids: [13, 14, 15],
      threshold: 3,
      window_ms: 3_600_000,
    });
  });

  it('follows its threshold and window', () => {
    expect(fanOutSignals(built, { ...p, fanOutMin: 4 })).toEqual([]);
    // carol's three logons span 10 minutes.
    expect(fanOutSignals(built, { ...p, fanOutWindowMs: 5 * 60_000 })).toEqual([]);
  });

  it('counts hosts contacted on lateral-movement ports for flows', () => {
    const flows = fanOutSignals(built, { ...p, flowFanOutMin: 1 }).filter((s) => s.basis === 'flow');
    expect(flows.map((s) => [s.entity, s.targets])).toEqual(
      expect.arrayContaining([
        ['ip:10.0.0.11', ['ip:10.0.0.21']],
        ['ip:10.0.0.12', ['ip:10.0.0.5']],
      ]),
    );
    expect(flows).toHaveLength(2); // port 53 is not a lateral-movement port
  });
});

describe('logon chains', () => {
  it('find bob hopping ws1 → srv1 → srv2 (the second logon comes from srv1’s address)', () => {
    const chains = logonChainSignals(built, p);
    expect(chains).toHaveLength(1);
    expect(chains[0]!.hops).toEqual([
      {
        source: 'ip:10.0.0.11',
        user: 'user:bob',
        target: 'host:srv1',
        time: Date.parse('2026-03-01T19:00:00Z'),
        event_id: 8,
      },
      {
        source: 'ip:10.0.0.21',
        user: 'user:bob',
        target: 'host:srv2',
        time: Date.parse('2026-03-01T19:20:00Z'),
        event_id: 9,
      },
    ]);
    expect(chains[0]).toMatchObject({ entity: 'ip:10.0.0.11', event_ids: [8, 9] });
    expect(chains[0]!.explanation).toContain('ip:10.0.0.11 → (user:bob) host:srv1 → (user:bob) host:srv2');
  });

  it('need the next hop within the chain window', () => {
    expect(logonChainSignals(built, { ...p, chainWindowMs: 10 * 60_000 })).toEqual([]);
  });

  it('do not revisit a host, and report a repeated path once', () => {
    const e = graphEvents();
    const back = {
      ...e[8]!,
      id: 100,
      time: e[8]!.time + 60_000,
      'host.name': 'WS1',
      'source.ip': '10.0.0.21',
    };
    const again = e.slice(7, 9).map((x) => ({ ...x, id: x.id + 200, time: x.time + 30 * 60_000 }));
    const chains = logonChainSignals(buildAttackGraph([...e, back, ...again], WINDOW_MS), p);
    expect(chains.map((c) => c.hops.map((h) => h.target))).toEqual([['host:srv1', 'host:srv2']]);
  });
});

describe('all signals', () => {
  it('cite only events of the input and carry ISO times in their views', () => {
    const all = lateralMovementSignals(built, p);
    expect(all.map((s) => s.kind)).toEqual(expect.arrayContaining(['logon_chain', 'fan_out', 'new_edge']));
    for (const s of all) {
      for (const id of s.event_ids) expect(id).toBeGreaterThanOrEqual(1);
      for (const id of s.event_ids) expect(id).toBeLessThanOrEqual(ROWS.length);
      expect(s.explanation.length).toBeGreaterThan(20);
      const v = signalView(s);
      expect(v.first_seen).toMatch(/^2026-03-01T/);
    }
  });
});
