/**
 * Shapes of the attack-path graph: the event fields it is built from, node and edge attributes,
 * and the lateral-movement signals. See `docs/attack-paths.md`.
 */
import type { EntityType, NodeId } from './entities.js';

/**
 * The fields of one stored event the graph reads, under their ECS names (flat keys). Windows
 * Security fields the decoder keeps outside ECS are under `winlog.event_data.*`, as Winlogbeat
 * names them.
 */
export interface GraphEvent {
  /** The stored event's id (cited as evidence). */
  readonly id: number;
  /** `@timestamp`, epoch ms. */
  readonly time: number;
  readonly 'event.code'?: string | undefined;
  readonly 'event.provider'?: string | undefined;
  readonly 'event.category'?: readonly string[] | undefined;
  readonly 'event.outcome'?: string | undefined;
  readonly 'event.action'?: string | undefined;
  readonly 'winlog.channel'?: string | undefined;
  readonly 'host.name'?: string | undefined;
  readonly 'host.ip'?: readonly string[] | undefined;
  readonly 'user.name'?: string | undefined;
  readonly 'source.ip'?: string | undefined;
  /** A source host name logged instead of an address (sshd with `UseDNS`). */
  readonly 'source.domain'?: string | undefined;
  readonly 'destination.ip'?: string | undefined;
  readonly 'destination.port'?: number | undefined;
  readonly 'network.transport'?: string | undefined;
  readonly 'service.name'?: string | undefined;
  readonly 'process.executable'?: string | undefined;
  readonly 'process.parent.executable'?: string | undefined;
  /** 4624 logon type: 2 interactive, 3 network, 9 new credentials, 10 remote interactive (RDP), … */
  readonly 'winlog.event_data.LogonType'?: number | undefined;
  /** 4624: NetBIOS name of the machine the logon came from. */
  readonly 'winlog.event_data.WorkstationName'?: string | undefined;
  /** 4648: the server the explicit credentials were used for. */
  readonly 'winlog.event_data.TargetServerName'?: string | undefined;
  /** 5156: `%%14592` inbound (the source fields are then the local end), `%%14593` outbound. */
  readonly 'winlog.event_data.Direction'?: string | undefined;
}

/** The window the graph covers, epoch ms (`from` inclusive, `to` exclusive). */
export interface TimeWindow {
  readonly from: number;
  readonly to: number;
}

export type EdgeType = 'auth' | 'logon' | 'flow' | 'address' | 'remote_exec';

export const EDGE_TYPES: readonly EdgeType[] = ['auth', 'logon', 'flow', 'address', 'remote_exec'];

export type NodeAttributes = {
  type: EntityType;
  /** The name as first seen (before normalisation). */
  label: string;
  /** Epoch ms. */
  first_seen: number;
  last_seen: number;
  /** Events that mention the node. */
  events: number;
  /** A Windows computer account (`user:ws6$`). */
  machine: boolean;
};

/** At most this many event ids are kept per edge as samples. */
export const EDGE_SAMPLES = 5;
/** At most this many distinct ports are listed per flow edge. */
export const EDGE_PORTS = 20;

export type EdgeAttributes = {
  type: EdgeType;
  /** Events behind the edge. */
  count: number;
  /** Epoch ms. */
  first_seen: number;
  last_seen: number;
  /** The first {@link EDGE_SAMPLES} event ids. */
  samples: number[];
  /** `logon`/`auth`: Windows logon types seen (empty for other sources). */
  logon_types: number[];
  /** `flow`: destination ports seen (at most {@link EDGE_PORTS}). */
  ports: number[];
  /** `flow`: first time a {@link LATERAL_PORTS} port was seen, epoch ms; null when never. */
  lateral_first_seen: number | null;
  /** `remote_exec`: what ran (service names, WMI child processes). */
  what: string[];
};

/** A successful logon that came from somewhere (the unit of fan-out and chains). */
export interface LogonRecord {
  readonly id: number;
  readonly time: number;
  /** `user:` node; undefined for a logon without an account name. */
  readonly user: NodeId | undefined;
  readonly target: NodeId;
  /** `ip:` or `host:` node the logon came from; undefined for a local logon. */
  readonly source: NodeId | undefined;
  readonly logonType: number | undefined;
  /** True when the account is a person's or service's, not a computer account. */
  readonly person: boolean;
}

/** A flow to a {@link LATERAL_PORTS} port. */
export interface LateralFlow {
  readonly id: number;
  readonly time: number;
  readonly source: NodeId;
  readonly target: NodeId;
  readonly port: number;
}

/** Tunables of the signals, with the defaults in {@link DEFAULT_SIGNAL_PARAMS}. */
export interface SignalParams {
  /** New edges: the last `recentFraction` of the window is "recent", the rest the baseline. */
  readonly recentFraction: number;
  /** Fan-out: distinct logon targets within `fanOutWindowMs` that raise a signal. */
  readonly fanOutMin: number;
  /** Fan-out: distinct hosts contacted on lateral-movement ports within `fanOutWindowMs`. */
  readonly flowFanOutMin: number;
  readonly fanOutWindowMs: number;
  /** Chains: the next hop must start within this many ms of the logon it continues. */
  readonly chainWindowMs: number;
  /** Remote execution: a service install or WMI child is tied to a network logon this close before it. */
  readonly remoteExecWindowMs: number;
  /** At most this many signals of each kind (the strongest first). */
  readonly maxSignals: number;
}

export const DEFAULT_SIGNAL_PARAMS: SignalParams = Object.freeze({
  recentFraction: 0.25,
  fanOutMin: 3,
  flowFanOutMin: 5,
  fanOutWindowMs: 3_600_000,
  chainWindowMs: 3_600_000,
  remoteExecWindowMs: 120_000,
  maxSignals: 200,
});

/** The edge of a `new_edge` signal. */
export interface EdgeRef {
  readonly source: NodeId;
  readonly target: NodeId;
  readonly type: EdgeType;
}

export interface ChainHop {
  readonly source: NodeId;
  readonly user: NodeId | undefined;
  readonly target: NodeId;
  /** Epoch ms. */
  readonly time: number;
  readonly event_id: number;
}

interface SignalBase {
  /** The entity the signal is about (an edge's source, the fanning-out source, the chain's origin). */
  readonly entity: NodeId;
  /** One sentence a person can check against the events. */
  readonly explanation: string;
  /** Epoch ms of the first and last event behind the signal. */
  readonly first_seen: number;
  readonly last_seen: number;
  /** Nodes the signal touches. */
  readonly nodes: NodeId[];
  /** Events behind it (at most 20). */
  readonly event_ids: number[];
}

export interface NewEdgeSignal extends SignalBase {
  readonly kind: 'new_edge';
  readonly edge: EdgeRef;
  /** Start of the recent period, epoch ms: the edge was never seen before it in the window. */
  readonly recent_from: number;
}

export interface FanOutSignal extends SignalBase {
  readonly kind: 'fan_out';
  /** `logon`: distinct hosts logged on to; `flow`: distinct hosts contacted on lateral ports. */
  readonly basis: 'logon' | 'flow';
  readonly distinct: number;
  readonly threshold: number;
  readonly window_ms: number;
  readonly targets: NodeId[];
}

export interface LogonChainSignal extends SignalBase {
  readonly kind: 'logon_chain';
  /** The logons in time order; each starts from the host the previous one reached. */
  readonly hops: ChainHop[];
}

export type Signal = NewEdgeSignal | FanOutSignal | LogonChainSignal;

export type SignalKind = Signal['kind'];
