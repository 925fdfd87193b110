/**
 * Lateral-movement signals on an {@link AttackGraph}: new edges, fan-out, logon chains. Each
 * signal names its entity, the events behind it and one sentence that explains it. Pure.
 *
 * The three are the graph forms of classic lateral-movement analytics: an authentication edge
 * never seen before (Kent et al., "Authentication graphs: analyzing user behavior within an
 * enterprise network", Computers & Security 48, 2015: new user→host edges), one source reaching
 * many hosts (fan-out, the "one-to-many" pattern of remote service use, ATT&CK T1021), and a
 * logon into a host followed by a logon out of it (a time-respecting path, the "logon chain"
 * of pass-the-hash and PsExec hopping, ATT&CK TA0008). Parameters: {@link SignalParams}.
 */
import type { AttackGraph } from './build.js';
import type { NodeId } from './entities.js';
import {
  type ChainHop,
  DEFAULT_SIGNAL_PARAMS,
  type FanOutSignal,
  type LogonChainSignal,
  type NewEdgeSignal,
  type Signal,
  type SignalParams,
} from './types.js';

const MAX_EVENT_IDS = 20;

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

function duration(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000} h`;
  if (ms % 60_000 === 0) return `${ms / 60_000} min`;
  return `${ms / 1000} s`;
}

/** Start of the recent period: the last `recentFraction` of the window. */
export function recentFrom(g: AttackGraph, params: SignalParams): number {
  const { from, to } = g.window;
  return Math.floor(to - (to - from) * params.recentFraction);
}

/**
 * Edges first seen in the recent period: `logon` (user → host), `auth` (source → user),
 * `remote_exec`, and `flow` edges whose first lateral-movement port falls in it. Nothing is
 * new when the baseline holds no edge at all (an empty baseline would make everything new).
 * Computer accounts' edges are left out.
 */
export function newEdgeSignals(
  g: AttackGraph,
  params: SignalParams = DEFAULT_SIGNAL_PARAMS,
): NewEdgeSignal[] {
  const split = recentFrom(g, params);
  let baseline = false;
  g.graph.forEachEdge((_k, a) => {
    if (a.first_seen < split) baseline = true;
  });
  if (!baseline) return [];
  // Rank first (cheap), explain only what is kept.
  const found: { key: string; first: number }[] = [];
  g.graph.forEachEdge((key, a, _s, _t, sa, ta) => {
    if (sa.machine || ta.machine || a.type === 'address') return;
    const first = a.type === 'flow' ? a.lateral_first_seen : a.first_seen;
    if (first !== null && first >= split) found.push({ key, first });
  });
  found.sort((x, y) => y.first - x.first || (x.key < y.key ? -1 : 1));
  return found.slice(0, params.maxSignals).map(({ key, first }): NewEdgeSignal => {
    const a = g.graph.getEdgeAttributes(key);
    const source = g.graph.source(key);
    const target = g.graph.target(key);
    let explanation: string;
    if (a.type === 'logon') explanation = `${source} logged on to ${target}`;
    else if (a.type === 'auth') explanation = `${target} logged on from ${source}`;
    else if (a.type === 'remote_exec')
      explanation = `${source} executed remotely on ${target} (${a.what.join(', ')})`;
    else explanation = `${source} connected to ${target} on a remote-service port (${a.ports.join(', ')})`;
    return {
      kind: 'new_edge',
      entity: a.type === 'auth' ? target : source,
      explanation: `${explanation} first at ${iso(first)}, ${a.count} event(s); never before in the window since ${iso(
        g.window.from,
      )} (recent period from ${iso(split)})`,
      first_seen: first,
      last_seen: a.last_seen,
      nodes: [source, target],
      event_ids: a.samples.slice(0, MAX_EVENT_IDS),
      edge: { source, target, type: a.type },
      recent_from: split,
    };
  });
}

interface Touch {
  readonly id: number;
  readonly time: number;
  readonly key: NodeId;
  readonly target: NodeId;
}

interface FanOutCandidate {
  readonly key: NodeId;
  readonly basis: 'logon' | 'flow';
  readonly list: readonly Touch[];
  readonly distinct: number;
  readonly threshold: number;
  readonly range: readonly [number, number];
}

/**
 * For each key, the sliding window (`windowMs`) in which it reaches the most distinct targets;
 * the keys that reach at least `min`. `touches` are in time order.
 */
function fanOutCandidates(
  touches: readonly Touch[],
  basis: 'logon' | 'flow',
  min: number,
  windowMs: number,
): FanOutCandidate[] {
  const byKey = new Map<NodeId, Touch[]>();
  for (const t of touches) {
    const list = byKey.get(t.key);
    if (list) list.push(t);
    else byKey.set(t.key, [t]);
  }
  const out: FanOutCandidate[] = [];
  for (const [key, list] of byKey) {
    if (list.length < min) continue;
    const inWindow = new Map<NodeId, number>();
    let left = 0;
    let best = 0;
    let range: [number, number] = [0, 0];
    for (let right = 0; right < list.length; right++) {
      const r = list[right]!;
      inWindow.set(r.target, (inWindow.get(r.target) ?? 0) + 1);
      while (r.time - list[left]!.time > windowMs) {
        const l = list[left++]!;
        const n = inWindow.get(l.target)! - 1;
        if (n === 0) inWindow.delete(l.target);
        else inWindow.set(l.target, n);
      }
      if (inWindow.size > best) {
        best = inWindow.size;
        range = [left, right];
      }
    }
    if (best >= min) out.push({ key, basis, list, distinct: best, threshold: min, range });
  }
  return out;
}

function fanOutSignal(c: FanOutCandidate, windowMs: number): FanOutSignal {
  const seen = new Set<NodeId>();
  const ids: number[] = [];
  for (let i = c.range[0]; i <= c.range[1]; i++) {
    const t = c.list[i]!;
    if (seen.has(t.target)) continue;
    seen.add(t.target);
    if (ids.length < MAX_EVENT_IDS) ids.push(t.id);
  }
  const targets = [...seen];
  const first = c.list[c.range[0]]!.time;
  const last = c.list[c.range[1]]!.time;
  const verb = c.basis === 'logon' ? 'logged on to' : 'connected on remote-service ports to';
  return {
    kind: 'fan_out',
    entity: c.key,
    explanation: `${c.key} ${verb} ${c.distinct} distinct hosts within ${duration(windowMs)} (threshold ${
      c.threshold
    }), from ${iso(first)} to ${iso(last)}: ${targets.join(', ')}`,
    first_seen: first,
    last_seen: last,
    nodes: [c.key, ...targets],
    event_ids: ids,
    basis: c.basis,
    distinct: c.distinct,
    threshold: c.threshold,
    window_ms: windowMs,
    targets,
  };
}

/**
 * Fan-out: a source (`ip:`/`host:`) or a user that logs on to at least `fanOutMin` distinct
 * hosts, or an `ip:` that connects to at least `flowFanOutMin` distinct addresses on
 * lateral-movement ports, within `fanOutWindowMs` (sliding). Computer accounts are left out.
 * The strongest (distinct ÷ threshold) first.
 */
export function fanOutSignals(g: AttackGraph, params: SignalParams = DEFAULT_SIGNAL_PARAMS): FanOutSignal[] {
  const bySource: Touch[] = [];
  const byUser: Touch[] = [];
  for (const l of g.logons) {
    if (!l.person) continue;
    if (l.source !== undefined) bySource.push({ id: l.id, time: l.time, key: l.source, target: l.target });
    if (l.user !== undefined) byUser.push({ id: l.id, time: l.time, key: l.user, target: l.target });
  }
  const flows: Touch[] = g.flows.map((f) => ({ id: f.id, time: f.time, key: f.source, target: f.target }));
  const w = params.fanOutWindowMs;
  const all = [
    ...fanOutCandidates(bySource, 'logon', params.fanOutMin, w),
    ...fanOutCandidates(byUser, 'logon', params.fanOutMin, w),
    ...fanOutCandidates(flows, 'flow', params.flowFanOutMin, w),
  ];
  all.sort((x, y) => y.distinct / y.threshold - x.distinct / x.threshold || (x.key < y.key ? -1 : 1));
  return all.slice(0, params.maxSignals).map((c) => fanOutSignal(c, w));
}

/** `ip:` node → the `host:` nodes it is an address of (from `address` edges). */
function hostsOfAddresses(g: AttackGraph): Map<NodeId, NodeId[]> {
  const out = new Map<NodeId, NodeId[]>();
  g.graph.forEachEdge((_k, a, source, target) => {
    if (a.type !== 'address' || !source.startsWith('ip:')) return;
    const list = out.get(source);
    if (list) list.push(target);
    else out.set(source, [target]);
  });
  return out;
}

/** Incoming logons kept per host while looking for the next hop (the latest). */
export const MAX_PENDING_PER_HOST = 100;
/** Chains stop growing at this many hops (a longer one is reported at this length). */
export const MAX_CHAIN_HOPS = 10;

/**
 * Logon chains: a person's remote logon into host A, then a remote logon whose source is A
 * (A itself, or an address of A) into B, at most `chainWindowMs` later, and so on; chains of at
 * least two hops that no later hop extends, without revisiting a host, at most
 * {@link MAX_CHAIN_HOPS} long. Each hop continues the longest chain it can (the latest on a tie)
 * among the last {@link MAX_PENDING_PER_HOST} logons into its source host. Repeats of the same
 * path are reported once (the earliest).
 */
export function logonChainSignals(
  g: AttackGraph,
  params: SignalParams = DEFAULT_SIGNAL_PARAMS,
): LogonChainSignal[] {
  const hostsOf = hostsOfAddresses(g);
  const hops = g.logons.filter((l) => l.person && l.source !== undefined);
  const prev = new Int32Array(hops.length).fill(-1);
  const length = new Int32Array(hops.length).fill(1);
  const extended = new Uint8Array(hops.length);
  const pending = new Map<NodeId, number[]>();
  /** The hosts chain `i` has been on: its origin (and the origin's hosts) and every target. */
  const visits = (i: number, host: NodeId): boolean => {
    for (let k = i; k >= 0; k = prev[k]!) {
      const l = hops[k]!;
      if (l.target === host) return true;
      if (prev[k]! < 0 && (l.source === host || (hostsOf.get(l.source!)?.includes(host) ?? false)))
        return true;
    }
    return false;
  };
  for (let j = 0; j < hops.length; j++) {
    const h = hops[j]!;
    const src = h.source!;
    const from = src.startsWith('ip:') ? [src, ...(hostsOf.get(src) ?? [])] : [src];
    let best = -1;
    for (const f of from) {
      const list = pending.get(f);
      if (!list) continue;
      let stale = 0;
      while (stale < list.length && h.time - hops[list[stale]!]!.time > params.chainWindowMs) stale++;
      if (stale > 0) list.splice(0, stale);
      for (let k = list.length - 1; k >= 0; k--) {
        const i = list[k]!;
        if (length[i]! >= MAX_CHAIN_HOPS || (best >= 0 && length[i]! <= length[best]!)) continue;
        if (!visits(i, h.target)) best = i;
      }
    }
    if (best >= 0) {
      prev[j] = best;
      length[j] = length[best]! + 1;
      extended[best] = 1;
    }
    const list = pending.get(h.target);
    if (list) {
      list.push(j);
      if (list.length > MAX_PENDING_PER_HOST) list.shift();
    } else pending.set(h.target, [j]);
  }
  // Maximal chains, longest first (then earliest end); explained until maxSignals distinct paths.
  const ends: number[] = [];
  for (let j = 0; j < hops.length; j++) if (length[j]! >= 2 && !extended[j]) ends.push(j);
  ends.sort((x, y) => length[y]! - length[x]! || x - y);
  const out: LogonChainSignal[] = [];
  const paths = new Set<string>();
  for (const j of ends) {
    if (out.length >= params.maxSignals) break;
    const chain: ChainHop[] = [];
    for (let i = j; i >= 0; i = prev[i]!) {
      const l = hops[i]!;
      chain.unshift({ source: l.source!, user: l.user, target: l.target, time: l.time, event_id: l.id });
    }
    const path = chain.map((c) => `${c.source}>${c.user ?? ''}>${c.target}`).join(' ');
    if (paths.has(path)) continue;
    paths.add(path);
    const nodes: NodeId[] = [];
    for (const c of chain)
      for (const n of [c.source, c.user, c.target]) if (n !== undefined && !nodes.includes(n)) nodes.push(n);
    const text = chain.map((c) => `→ (${c.user ?? '?'}) ${c.target}`).join(' ');
    out.push({
      kind: 'logon_chain',
      entity: chain[0]!.source,
      explanation: `logon chain of ${chain.length} hops, each within ${duration(
        params.chainWindowMs,
      )} of the previous, from ${iso(chain[0]!.time)} to ${iso(chain[chain.length - 1]!.time)}: ${
        chain[0]!.source
      } ${text}`,
      first_seen: chain[0]!.time,
      last_seen: chain[chain.length - 1]!.time,
      nodes,
      event_ids: chain.map((c) => c.event_id).slice(0, MAX_EVENT_IDS),
      hops: chain,
    });
  }
  return out;
}

/** All three kinds: new edges, fan-out, logon chains. */
export function lateralMovementSignals(
  g: AttackGraph,
  params: SignalParams = DEFAULT_SIGNAL_PARAMS,
): Signal[] {
  return [...logonChainSignals(g, params), ...fanOutSignals(g, params), ...newEdgeSignals(g, params)];
}
