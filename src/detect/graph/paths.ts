/**
 * Paths in the attack-path graph: what an entity reaches within a number of hops, and the
 * shortest paths from entities to critical assets (Dijkstra, graphology-shortest-path). Pure.
 *
 * Which edges a path may use: by default the credential edges (`auth`, `logon`, `remote_exec`)
 * and `address` (an address and its host are one machine), without computer accounts; with
 * flows, every edge. An `address` edge costs nothing and is not a hop. Weighting: `hops` (each
 * other edge costs 1) or `rarity` (an edge seen n times costs 1 + log2 n, so paths through
 * rarely used edges win: the unusual route an intruder took rather than the daily one).
 */
import { MultiDirectedGraph } from 'graphology';
import { dijkstra } from 'graphology-shortest-path';
import type { AttackGraphStore } from './build.js';
import type { NodeId } from './entities.js';
import type { EdgeAttributes, EdgeType, NodeAttributes } from './types.js';

export type Weighting = 'hops' | 'rarity';

/** One edge of a path, times in epoch ms. */
export interface PathEdge {
  readonly source: NodeId;
  readonly target: NodeId;
  readonly type: EdgeType;
  readonly count: number;
  readonly first_seen: number;
  readonly last_seen: number;
}

export interface GraphPath {
  readonly source: NodeId;
  readonly target: NodeId;
  /** Edges other than `address`. */
  readonly hops: number;
  /** Sum of the edge weights under the weighting used. */
  readonly cost: number;
  readonly nodes: NodeId[];
  readonly edges: PathEdge[];
}

const CREDENTIAL_EDGES: ReadonlySet<EdgeType> = new Set(['auth', 'logon', 'remote_exec', 'address']);

/**
 * The graph paths run on: `graph` itself with flows, else a copy with only credential and
 * address edges and without computer accounts (every domain member authenticates to its domain
 * controllers with its computer account: a path through `user:ws1$` is the domain working, not
 * a route an intruder gains). Build it once per graph; it is read-only afterwards.
 */
export function pathGraph(graph: AttackGraphStore, flows: boolean): AttackGraphStore {
  if (flows) return graph;
  const out = new MultiDirectedGraph<NodeAttributes, EdgeAttributes>();
  graph.forEachNode((n, a) => {
    if (!a.machine) out.addNode(n, a);
  });
  graph.forEachEdge((k, a, s, t) => {
    if (CREDENTIAL_EDGES.has(a.type) && out.hasNode(s) && out.hasNode(t))
      out.addDirectedEdgeWithKey(k, s, t, a);
  });
  return out;
}

/** The weight of an edge under a weighting. */
export function edgeWeight(a: Pick<EdgeAttributes, 'type' | 'count'>, weighting: Weighting): number {
  if (a.type === 'address') return 0;
  return weighting === 'hops' ? 1 : 1 + Math.log2(Math.max(1, a.count));
}

/** The cheapest edge from `s` to `t` (parallel edges of several types may join two nodes). */
function bestEdge(graph: AttackGraphStore, s: NodeId, t: NodeId, weighting: Weighting): PathEdge {
  let best: PathEdge | undefined;
  let bestWeight = Infinity;
  for (const k of graph.outEdges(s, t)) {
    const a = graph.getEdgeAttributes(k);
    const w = edgeWeight(a, weighting);
    if (w < bestWeight) {
      bestWeight = w;
      best = {
        source: s,
        target: t,
        type: a.type,
        count: a.count,
        first_seen: a.first_seen,
        last_seen: a.last_seen,
      };
    }
  }
  return best!;
}

function toPath(graph: AttackGraphStore, nodes: readonly NodeId[], weighting: Weighting): GraphPath {
  const edges: PathEdge[] = [];
  for (let i = 1; i < nodes.length; i++) edges.push(bestEdge(graph, nodes[i - 1]!, nodes[i]!, weighting));
  let cost = 0;
  let hops = 0;
  for (const e of edges) {
    if (e.type !== 'address') hops++;
    cost += edgeWeight(e, weighting);
  }
  return { source: nodes[0]!, target: nodes[nodes.length - 1]!, hops, cost, nodes: [...nodes], edges };
}

/**
 * Distances from `start` along out-edges, level by level: an `address` edge costs 0 (its target
 * joins the current level), any other 1 (the next level). Stops after level `maxHops`; a node
 * that would exceed `maxNodes` is left out.
 */
function levels(
  graph: AttackGraphStore,
  start: NodeId,
  maxHops: number,
  maxNodes: number,
): { dist: Map<NodeId, number>; truncated: boolean } {
  const dist = new Map<NodeId, number>([[start, 0]]);
  const done = new Set<NodeId>();
  let truncated = false;
  let level: NodeId[] = [start];
  for (let d = 0; level.length > 0 && d <= maxHops; d++) {
    const next: NodeId[] = [];
    for (let i = 0; i < level.length; i++) {
      const v = level[i]!;
      if (done.has(v) || dist.get(v) !== d) continue;
      done.add(v);
      graph.forEachOutEdge(v, (_k, a, _s, u) => {
        const du = d + (a.type === 'address' ? 0 : 1);
        const old = dist.get(u);
        if (du > maxHops || (old !== undefined && old <= du)) return;
        if (old === undefined && dist.size >= maxNodes) {
          truncated = true;
          return;
        }
        dist.set(u, du);
        if (du === d) level.push(u);
        else next.push(u);
      });
    }
    level = next;
  }
  return { dist, truncated };
}

/**
 * Shortest paths from `source` to each of `targets` it reaches, cheapest first, at most
 * `maxPaths`: a bidirectional Dijkstra per target (graphology-shortest-path), which stops where
 * the two searches meet instead of settling the whole graph. A target equal to the source or
 * absent is skipped.
 */
export function shortestPaths(
  graph: AttackGraphStore,
  source: NodeId,
  targets: readonly NodeId[],
  weighting: Weighting,
  maxPaths: number,
): GraphPath[] {
  if (!graph.hasNode(source)) return [];
  const out: GraphPath[] = [];
  for (const t of targets) {
    if (t === source || !graph.hasNode(t)) continue;
    const nodes = dijkstra.bidirectional(graph, source, t, (_e, a) => edgeWeight(a, weighting));
    if (nodes && nodes.length > 1) out.push(toPath(graph, nodes, weighting));
  }
  out.sort((x, y) => x.cost - y.cost || x.hops - y.hops || (x.target < y.target ? -1 : 1));
  return out.slice(0, maxPaths);
}

export interface Reach {
  /** Reached nodes with their hop distance (`address` edges do not count), nearest first. */
  readonly nodes: readonly { readonly id: NodeId; readonly hops: number }[];
  /** Edge keys from a reached node to one a hop (or an address) further. */
  readonly edges: readonly string[];
  /** Nodes were left out to keep `maxNodes`. */
  readonly truncated: boolean;
}

/**
 * What `start` reaches along out-edges within `maxHops` hops (breadth first, level by level; an
 * `address` edge keeps the distance), at most `maxNodes` nodes.
 */
export function reachable(graph: AttackGraphStore, start: NodeId, maxHops: number, maxNodes: number): Reach {
  if (!graph.hasNode(start)) return { nodes: [], edges: [], truncated: false };
  const { dist, truncated } = levels(graph, start, maxHops, maxNodes);
  const nodes = [...dist].map(([id, hops]) => ({ id, hops }));
  nodes.sort((x, y) => x.hops - y.hops || (x.id < y.id ? -1 : 1));
  const edges: string[] = [];
  for (const { id, hops } of nodes)
    graph.forEachOutEdge(id, (k, a, _s, u) => {
      const du = dist.get(u);
      if (du !== undefined && du === hops + (a.type === 'address' ? 0 : 1)) edges.push(k);
    });
  return { nodes, edges, truncated };
}
