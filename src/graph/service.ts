/**
 * Attack paths in the service: builds the graph of a time window from stored events (bounded,
 * cached briefly per window), computes the lateral-movement signals, and answers the
 * `/api/v1/visualize/*` questions with the critical assets of the `assets` table. See
 * `docs/attack-paths.md`.
 */
import type { Kysely } from 'kysely';
import { type AttackGraph, type AttackGraphStore, buildAttackGraph } from '../detect/graph/build.js';
import { assetNode, type NodeId, parseEntity } from '../detect/graph/entities.js';
import {
  type GraphPath,
  pathGraph,
  reachable,
  shortestPaths,
  type Weighting,
} from '../detect/graph/paths.js';
import { lateralMovementSignals } from '../detect/graph/signals.js';
import { DEFAULT_SIGNAL_PARAMS, type Signal, type SignalParams } from '../detect/graph/types.js';
import {
  edgeView,
  type EdgeView,
  nodeView,
  type NodeView,
  type PathView,
  pathView,
  type SignalView,
  signalView,
  topology,
  type TopologyView,
} from '../detect/graph/views.js';
import { ErrorCodes, VigilError } from '../errors.js';
import { type Asset, assetName, AssetStore } from '../store/assets.js';
import { SYSTEM_ACTOR } from '../store/audit.js';
import type { DatabaseSchema } from '../store/schema.js';
import { DEFAULT_MAX_EVENTS, readGraphEvents } from './read.js';

/** Default window: the last 24 h. */
export const DEFAULT_WINDOW_MS = 86_400_000;
/** Longest window a request may ask for: 31 days. */
export const MAX_WINDOW_MS = 31 * 86_400_000;
/** How long a built graph is reused for the same window. */
export const DEFAULT_CACHE_MS = 60_000;
/** Graphs kept in the cache (distinct windows). */
const CACHE_ENTRIES = 4;
/** Without an entity: paths from at most this many signalling entities. */
const MAX_PATH_SOURCES = 50;

export interface GraphServiceOptions {
  readonly now: () => Date;
  /** Events one graph reads at most (default {@link DEFAULT_MAX_EVENTS}). */
  readonly maxEvents?: number;
  readonly cacheMs?: number;
  readonly params?: Partial<SignalParams>;
}

/** A window as the API gives it: ISO 8601 bounds, both optional. */
export interface WindowQuery {
  readonly from?: string | undefined;
  readonly to?: string | undefined;
}

/** The built graph of one window, with its signals. */
export interface GraphSnapshot {
  readonly graph: AttackGraph;
  /** The graph paths run on without flows (credential and address edges), built on first use. */
  credentials(): AttackGraphStore;
  readonly signals: readonly Signal[];
  readonly truncated: boolean;
  /** When truncated, the oldest event kept, epoch ms. */
  readonly oldest: number | undefined;
}

export interface WindowView {
  readonly from: string;
  readonly to: string;
}

export interface EventsView {
  /** Events read from the store (at most the cap). */
  readonly read: number;
  /** Of those, events that added a node or an edge. */
  readonly used: number;
  /** The cap was hit: only events from `complete_from` on are in the graph. */
  readonly truncated: boolean;
  readonly complete_from?: string;
}

export interface AttackPathsQuery extends WindowQuery {
  /** `type:value` (`user:alice`, `host:ws6`, `ip:10.0.0.5`). */
  readonly entity?: string | undefined;
  readonly maxHops: number;
  readonly maxNodes: number;
  readonly maxPaths: number;
  readonly weight: Weighting;
  readonly flows: boolean;
  readonly maxSignals: number;
}

export interface PathWithSignals extends PathView {
  /** Indices into `signals` of the signals touching the path's nodes. */
  readonly signals: number[];
}

export interface AttackPathsView {
  readonly window: WindowView;
  readonly events: EventsView;
  readonly entity?: { readonly id: NodeId; readonly found: boolean };
  readonly reachable?: {
    readonly nodes: (NodeView & { readonly hops: number })[];
    readonly edges: EdgeView[];
    readonly truncated: boolean;
  };
  readonly critical_assets: { readonly name: string; readonly node: NodeId; readonly present: boolean }[];
  readonly paths: PathWithSignals[];
  readonly signals: SignalView[];
  readonly signal_counts: Readonly<Record<Signal['kind'], number>>;
  readonly signals_truncated: boolean;
}

export interface TopologyQuery extends WindowQuery {
  readonly limit: number;
}

export interface TopologyResponse extends TopologyView {
  readonly window: WindowView;
  readonly events: EventsView;
}

interface Resolved {
  readonly from: number;
  readonly to: number;
  readonly key: string;
}

export class GraphService {
  readonly assets: AssetStore;
  private readonly cache = new Map<string, { at: number; snapshot: Promise<GraphSnapshot> }>();
  private readonly params: SignalParams;

  private constructor(
    private readonly db: Kysely<DatabaseSchema>,
    private readonly options: GraphServiceOptions,
  ) {
    this.assets = new AssetStore(db, options.now);
    this.params = { ...DEFAULT_SIGNAL_PARAMS, ...options.params };
  }

  /**
   * @param criticalAssets - names marked critical when not in the table yet (`VIGIL_CRITICAL_ASSETS`)
   * @throws VigilError `VIGIL_ERR_CONFIG` for a configured name that is not a host or address
   */
  static async open(
    db: Kysely<DatabaseSchema>,
    criticalAssets: readonly string[],
    options: GraphServiceOptions,
  ): Promise<GraphService> {
    const s = new GraphService(db, options);
    for (const name of criticalAssets) {
      try {
        assetName(name);
      } catch (err) {
        throw new VigilError(ErrorCodes.CONFIG, `VIGIL_CRITICAL_ASSETS: ${(err as Error).message}`);
      }
    }
    await s.assets.seed(criticalAssets, SYSTEM_ACTOR);
    return s;
  }

  /** @throws VigilError `VIGIL_ERR_BAD_REQUEST` for bad or reversed bounds or a window over 31 days */
  private resolve(q: WindowQuery): Resolved {
    const parse = (v: string, name: string): number => {
      const ms = Date.parse(v);
      if (!Number.isFinite(ms)) throw new VigilError(ErrorCodes.BAD_REQUEST, `${name}: not an ISO 8601 time`);
      return ms;
    };
    const now = this.options.now().getTime();
    const to = q.to !== undefined ? parse(q.to, 'to') : now;
    const from = q.from !== undefined ? parse(q.from, 'from') : to - DEFAULT_WINDOW_MS;
    if (from >= to) throw new VigilError(ErrorCodes.BAD_REQUEST, 'from must be before to');
    if (to - from > MAX_WINDOW_MS)
      throw new VigilError(ErrorCodes.BAD_REQUEST, `window longer than ${MAX_WINDOW_MS / 86_400_000} days`);
    // A window ending now moves every millisecond: cache it as "now" for the cache lifetime.
    const key = q.to !== undefined ? `${from}|${to}` : `now|${q.from ?? ''}`;
    return { from, to, key };
  }

  /** The graph and signals of a window, from the cache when built less than `cacheMs` ago. */
  async snapshot(q: WindowQuery): Promise<{ window: Resolved; snapshot: GraphSnapshot }> {
    const w = this.resolve(q);
    const now = this.options.now().getTime();
    const ttl = this.options.cacheMs ?? DEFAULT_CACHE_MS;
    const hit = this.cache.get(w.key);
    if (hit && now - hit.at < ttl) return { window: w, snapshot: await hit.snapshot };
    const snapshot = this.build(w);
    this.cache.delete(w.key);
    this.cache.set(w.key, { at: now, snapshot });
    while (this.cache.size > CACHE_ENTRIES) this.cache.delete(this.cache.keys().next().value!);
    snapshot.catch(() => this.cache.delete(w.key));
    return { window: w, snapshot: await snapshot };
  }

  private async build(w: Resolved): Promise<GraphSnapshot> {
    const read = await readGraphEvents(
      this.db,
      { from: new Date(w.from), to: new Date(w.to) },
      this.options.maxEvents ?? DEFAULT_MAX_EVENTS,
    );
    // Truncated: the graph covers only from the oldest event kept (new edges are judged there).
    const from = read.truncated && read.oldest !== undefined ? read.oldest : w.from;
    const graph = buildAttackGraph(read.events, { from, to: w.to }, this.params);
    let credentials: AttackGraphStore | undefined;
    return {
      graph,
      credentials: () => (credentials ??= pathGraph(graph.graph, false)),
      signals: lateralMovementSignals(graph, this.params),
      truncated: read.truncated,
      oldest: read.oldest,
    };
  }

  private async critical(): Promise<{ assets: Asset[]; nodes: Map<NodeId, string> }> {
    const assets = await this.assets.list(true);
    const nodes = new Map<NodeId, string>();
    for (const a of assets) {
      const n = assetNode(a.name);
      if (n !== undefined && !nodes.has(n)) nodes.set(n, a.name);
    }
    return { assets, nodes };
  }

  /**
   * Paths from an entity (what it reaches within `maxHops`, and its shortest paths to the
   * critical assets), or without an entity the shortest paths from every entity with a signal
   * to the critical assets; with the signals touching them.
   * @throws VigilError `VIGIL_ERR_BAD_REQUEST` for a bad window or entity
   */
  async attackPaths(q: AttackPathsQuery): Promise<AttackPathsView> {
    let entity: NodeId | undefined;
    if (q.entity !== undefined) {
      entity = parseEntity(q.entity);
      if (entity === undefined)
        throw new VigilError(ErrorCodes.BAD_REQUEST, 'entity: user:<name>, host:<name> or ip:<address>');
    }
    const { window: w, snapshot: s } = await this.snapshot(q);
    const g = s.graph.graph;
    const on = q.flows ? g : s.credentials();
    const { nodes: criticalNodes } = await this.critical();
    const critical = new Set(criticalNodes.keys());
    const targets = [...criticalNodes.keys()].filter((n) => g.hasNode(n));
    const paths: GraphPath[] = [];
    let reach: AttackPathsView['reachable'];
    let relevant: (sig: Signal) => boolean;
    if (entity !== undefined) {
      const r = reachable(on, entity, q.maxHops, q.maxNodes);
      const hops = new Map(r.nodes.map((n) => [n.id, n.hops]));
      reach = {
        nodes: r.nodes.map((n) => ({ ...nodeView(g, n.id, critical), hops: n.hops })),
        edges: r.edges.map((k) => edgeView(g, k)),
        truncated: r.truncated,
      };
      paths.push(...shortestPaths(on, entity, targets, q.weight, q.maxPaths));
      relevant = (sig) => sig.nodes.some((n) => hops.has(n));
    } else {
      const sources: NodeId[] = [];
      for (const sig of s.signals) {
        if (!sources.includes(sig.entity)) sources.push(sig.entity);
        if (sources.length >= MAX_PATH_SOURCES) break;
      }
      for (const src of sources) paths.push(...shortestPaths(on, src, targets, q.weight, q.maxPaths));
      paths.sort((x, y) => x.cost - y.cost || x.hops - y.hops || (x.source < y.source ? -1 : 1));
      paths.splice(q.maxPaths);
      relevant = () => true;
    }
    const onPaths = new Set(paths.flatMap((p) => p.nodes));
    const chosen = s.signals.filter((sig) => relevant(sig) || sig.nodes.some((n) => onPaths.has(n)));
    const listed = chosen.slice(0, q.maxSignals);
    const counts = { new_edge: 0, fan_out: 0, logon_chain: 0 };
    for (const sig of s.signals) counts[sig.kind]++;
    return {
      window: { from: new Date(w.from).toISOString(), to: new Date(w.to).toISOString() },
      events: eventsView(s),
      ...(entity !== undefined ? { entity: { id: entity, found: g.hasNode(entity) } } : {}),
      ...(reach !== undefined ? { reachable: reach } : {}),
      critical_assets: [...criticalNodes].map(([node, name]) => ({ name, node, present: g.hasNode(node) })),
      paths: paths.map((p) => {
        const nodes = new Set(p.nodes);
        const refs: number[] = [];
        listed.forEach((sig, i) => {
          if (sig.nodes.some((n) => nodes.has(n))) refs.push(i);
        });
        return { ...pathView(p), signals: refs };
      }),
      signals: listed.map(signalView),
      signal_counts: counts,
      signals_truncated: listed.length < chosen.length,
    };
  }

  /** @throws VigilError `VIGIL_ERR_BAD_REQUEST` for a bad window */
  async topology(q: TopologyQuery): Promise<TopologyResponse> {
    const { window: w, snapshot: s } = await this.snapshot(q);
    const { nodes } = await this.critical();
    const view = topology(s.graph.graph, new Set(nodes.keys()), q.limit, q.limit * 4);
    return {
      window: { from: new Date(w.from).toISOString(), to: new Date(w.to).toISOString() },
      events: eventsView(s),
      ...view,
    };
  }
}

function eventsView(s: GraphSnapshot): EventsView {
  return {
    read: s.graph.events,
    used: s.graph.used,
    truncated: s.truncated,
    ...(s.oldest !== undefined ? { complete_from: new Date(s.oldest).toISOString() } : {}),
  };
}
