/**
 * JSON views of the attack-path graph for a graph UI: nodes `{id, type, label, critical, …}`,
 * edges `{id, source, target, type, count, …}`, times as ISO 8601. Pure.
 */
import type { AttackGraphStore } from './build.js';
import type { EntityType, NodeId } from './entities.js';
import type { GraphPath } from './paths.js';
import type { ChainHop, EdgeType, FanOutSignal, LogonChainSignal, NewEdgeSignal, Signal } from './types.js';

export interface NodeView {
  readonly id: NodeId;
  readonly type: EntityType;
  readonly label: string;
  readonly critical: boolean;
  readonly machine: boolean;
  readonly first_seen: string;
  readonly last_seen: string;
  readonly events: number;
  /** In- plus out-edges in the whole graph. */
  readonly degree: number;
}

export interface EdgeView {
  readonly id: string;
  readonly source: NodeId;
  readonly target: NodeId;
  readonly type: EdgeType;
  readonly count: number;
  readonly first_seen: string;
  readonly last_seen: string;
  readonly sample_event_ids: number[];
  readonly logon_types?: number[];
  readonly ports?: number[];
  readonly what?: string[];
}

export interface GraphSummary {
  readonly nodes: Readonly<Record<EntityType | 'total', number>>;
  readonly edges: Readonly<Record<EdgeType | 'total', number>>;
}

export interface TopologyView {
  readonly nodes: NodeView[];
  readonly edges: EdgeView[];
  /** Nodes or edges were left out to keep the limits. */
  readonly truncated: boolean;
  /** Counts over the whole graph (not only what is listed). */
  readonly summary: GraphSummary;
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

export function nodeView(graph: AttackGraphStore, id: NodeId, critical: ReadonlySet<NodeId>): NodeView {
  const a = graph.getNodeAttributes(id);
  return {
    id,
    type: a.type,
    label: a.label,
    critical: critical.has(id),
    machine: a.machine,
    first_seen: iso(a.first_seen),
    last_seen: iso(a.last_seen),
    events: a.events,
    degree: graph.degree(id),
  };
}

export function edgeView(graph: AttackGraphStore, key: string): EdgeView {
  const a = graph.getEdgeAttributes(key);
  return {
    id: key,
    source: graph.source(key),
    target: graph.target(key),
    type: a.type,
    count: a.count,
    first_seen: iso(a.first_seen),
    last_seen: iso(a.last_seen),
    sample_event_ids: a.samples,
    ...(a.logon_types.length > 0 ? { logon_types: a.logon_types } : {}),
    ...(a.type === 'flow' ? { ports: a.ports } : {}),
    ...(a.what.length > 0 ? { what: a.what } : {}),
  };
}

export function summarize(graph: AttackGraphStore): GraphSummary {
  const nodes: Record<EntityType | 'total', number> = { user: 0, host: 0, ip: 0, total: graph.order };
  const edges: Record<EdgeType | 'total', number> = {
    auth: 0,
    logon: 0,
    flow: 0,
    address: 0,
    remote_exec: 0,
    total: graph.size,
  };
  graph.forEachNode((_n, a) => {
    nodes[a.type]++;
  });
  graph.forEachEdge((_k, a) => {
    edges[a.type]++;
  });
  return { nodes, edges };
}

/**
 * The topology: critical nodes first, then the best-connected nodes (degree, then id), at most
 * `maxNodes`; the edges among them, the most frequent first, at most `maxEdges`.
 */
export function topology(
  graph: AttackGraphStore,
  critical: ReadonlySet<NodeId>,
  maxNodes: number,
  maxEdges: number,
): TopologyView {
  const ids = graph.nodes();
  ids.sort((x, y) => {
    const cx = critical.has(x) ? 1 : 0;
    const cy = critical.has(y) ? 1 : 0;
    return cy - cx || graph.degree(y) - graph.degree(x) || (x < y ? -1 : 1);
  });
  const kept = ids.slice(0, maxNodes);
  const keep = new Set(kept);
  const keys: string[] = [];
  graph.forEachEdge((k, _a, s, t) => {
    if (keep.has(s) && keep.has(t)) keys.push(k);
  });
  keys.sort(
    (x, y) => graph.getEdgeAttribute(y, 'count') - graph.getEdgeAttribute(x, 'count') || (x < y ? -1 : 1),
  );
  const edgeKeys = keys.slice(0, maxEdges);
  return {
    nodes: kept.map((id) => nodeView(graph, id, critical)),
    edges: edgeKeys.map((k) => edgeView(graph, k)),
    truncated: kept.length < ids.length || edgeKeys.length < keys.length,
    summary: summarize(graph),
  };
}

/** A path with ISO times and its nodes' critical flags. */
export interface PathView {
  readonly source: NodeId;
  readonly target: NodeId;
  readonly hops: number;
  readonly cost: number;
  readonly nodes: NodeId[];
  readonly edges: {
    readonly source: NodeId;
    readonly target: NodeId;
    readonly type: EdgeType;
    readonly count: number;
    readonly first_seen: string;
    readonly last_seen: string;
  }[];
}

export function pathView(p: GraphPath): PathView {
  return {
    source: p.source,
    target: p.target,
    hops: p.hops,
    cost: Math.round(p.cost * 1000) / 1000,
    nodes: p.nodes,
    edges: p.edges.map((e) => ({ ...e, first_seen: iso(e.first_seen), last_seen: iso(e.last_seen) })),
  };
}

type WithIso<T, K extends keyof T> = Omit<T, K> & { readonly [P in K]: string };

/** A signal with ISO times (`recent_from` and `hops[].time` too). */
export type SignalView =
  | WithIso<NewEdgeSignal, 'first_seen' | 'last_seen' | 'recent_from'>
  | WithIso<FanOutSignal, 'first_seen' | 'last_seen'>
  | (WithIso<Omit<LogonChainSignal, 'hops'>, 'first_seen' | 'last_seen'> & {
      readonly hops: WithIso<ChainHop, 'time'>[];
    });

export function signalView(s: Signal): SignalView {
  const times = { first_seen: iso(s.first_seen), last_seen: iso(s.last_seen) };
  switch (s.kind) {
    case 'new_edge':
      return { ...s, ...times, recent_from: iso(s.recent_from) };
    case 'fan_out':
      return { ...s, ...times };
    case 'logon_chain':
      return { ...s, ...times, hops: s.hops.map((h) => ({ ...h, time: iso(h.time) })) };
  }
}
