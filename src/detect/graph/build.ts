/**
 * Builds the attack-path graph from events: who logged on where (`source → user → host`), what
 * talked to what (`ip → ip` flows), which address is which host, and remote execution tied to the
 * logon that caused it. Pure: events in, a graphology graph and the logon/flow records out.
 *
 * Edge sources (docs/attack-paths.md, "Edge sources"):
 * - Windows Security 4624 (successful logon): `source.ip` (`IpAddress`), else `WorkstationName`
 *   → `user.name` (`TargetUserName`) → `host.name` (`Computer`), with `LogonType`.
 * - Windows Security 4648 (logon with explicit credentials, logged on the source): `host.name` →
 *   `user.name` (`TargetUserName`) → `TargetServerName`.
 * - Any ECS `event.category: authentication` with `event.outcome: success` (sshd "Accepted
 *   password/publickey"): `source.ip` (or `source.domain`) → `user.name` → `host.name`.
 * - Flows: any other event with `source.ip` and `destination.ip` (Zeek conn, Suricata flow,
 *   Sysmon 3, Windows 5156): `ip → ip` with `destination.port`.
 * - Addresses: 4624 `WorkstationName` + `IpAddress`, 4648 `TargetServerName` + `IpAddress`, ECS
 *   `host.ip`: `host ↔ ip`, both directions.
 * - Remote execution: a service install (System 7045, PsExec's `PSEXESVC`) or a process started
 *   by `WmiPrvSE.exe`, tied to the latest network logon to the same host at most
 *   `remoteExecWindowMs` before it: `source → host`.
 */
import { MultiDirectedGraph } from 'graphology';
import {
  hostNode,
  ipNode,
  isMachineAccount,
  isSystemAccount,
  LATERAL_PORTS,
  type NodeId,
  nodeType,
  normalizeUser,
} from './entities.js';
import {
  DEFAULT_SIGNAL_PARAMS,
  EDGE_PORTS,
  EDGE_SAMPLES,
  type EdgeAttributes,
  type EdgeType,
  type GraphEvent,
  type LateralFlow,
  type LogonRecord,
  type NodeAttributes,
  type SignalParams,
  type TimeWindow,
} from './types.js';

export type AttackGraphStore = MultiDirectedGraph<NodeAttributes, EdgeAttributes>;

/** The graph of a window and the records the signals read. */
export interface AttackGraph {
  readonly graph: AttackGraphStore;
  readonly window: TimeWindow;
  /** Logons with a user and a target, in time order. */
  readonly logons: readonly LogonRecord[];
  /** Flows to lateral-movement ports, in time order. */
  readonly flows: readonly LateralFlow[];
  /** Events read, and how many became part of the graph. */
  readonly events: number;
  readonly used: number;
}

const SECURITY_PROVIDER = 'microsoft-windows-security-auditing';

function isWindowsSecurity(e: GraphEvent): boolean {
  return (
    e['winlog.channel']?.toLowerCase() === 'security' ||
    e['event.provider']?.toLowerCase() === SECURITY_PROVIDER
  );
}

/** The key of a typed edge: one edge per (type, source, target). */
export function edgeKey(type: EdgeType, source: NodeId, target: NodeId): string {
  return `${type}|${source}|${target}`;
}

interface RemoteExec {
  readonly id: number;
  readonly time: number;
  readonly host: NodeId;
  readonly what: string;
}

class Builder {
  /** Aggregated here in Maps (one lookup per event), copied into graphology once at the end. */
  readonly nodes = new Map<NodeId, NodeAttributes>();
  readonly edges = new Map<string, { source: NodeId; target: NodeId; a: EdgeAttributes }>();
  readonly logons: LogonRecord[] = [];
  readonly flows: LateralFlow[] = [];
  readonly execs: RemoteExec[] = [];
  used = 0;

  node(id: NodeId, label: string, time: number): void {
    const n = this.nodes.get(id);
    if (n === undefined) {
      const type = nodeType(id);
      this.nodes.set(id, {
        type,
        label,
        first_seen: time,
        last_seen: time,
        events: 1,
        machine: type === 'user' && isMachineAccount(id),
      });
      return;
    }
    n.events++;
    if (time < n.first_seen) n.first_seen = time;
    if (time > n.last_seen) n.last_seen = time;
  }

  edge(
    type: EdgeType,
    source: NodeId,
    target: NodeId,
    e: { readonly id: number; readonly time: number },
  ): EdgeAttributes {
    const key = edgeKey(type, source, target);
    const found = this.edges.get(key);
    if (found === undefined) {
      const a: EdgeAttributes = {
        type,
        count: 1,
        first_seen: e.time,
        last_seen: e.time,
        samples: [e.id],
        logon_types: [],
        ports: [],
        lateral_first_seen: null,
        what: [],
      };
      this.edges.set(key, { source, target, a });
      return a;
    }
    const a = found.a;
    a.count++;
    if (e.time < a.first_seen) a.first_seen = e.time;
    if (e.time > a.last_seen) a.last_seen = e.time;
    if (a.samples.length < EDGE_SAMPLES && !a.samples.includes(e.id)) a.samples.push(e.id);
    return a;
  }

  graph(): AttackGraphStore {
    const g = new MultiDirectedGraph<NodeAttributes, EdgeAttributes>();
    for (const [id, a] of this.nodes) g.addNode(id, a);
    for (const [key, { source, target, a }] of this.edges) g.addDirectedEdgeWithKey(key, source, target, a);
    return g;
  }

  address(
    host: NodeId | undefined,
    ip: NodeId | undefined,
    hostLabel: string,
    ipLabel: string,
    e: GraphEvent,
  ): void {
    if (host === undefined || ip === undefined || !host.startsWith('host:')) return;
    this.node(host, hostLabel, e.time);
    this.node(ip, ipLabel, e.time);
    this.edge('address', host, ip, e);
    this.edge('address', ip, host, e);
  }

  /**
   * One successful logon: `source → user → target`. A system account's logon adds nothing; a
   * computer account logging on to its own host neither.
   */
  logon(
    e: GraphEvent,
    target: NodeId | undefined,
    targetLabel: string,
    userName: string | undefined,
    source: NodeId | undefined,
    sourceLabel: string,
  ): void {
    if (target === undefined || userName === undefined) return;
    const bare = normalizeUser(userName);
    if (bare === undefined || isSystemAccount(bare)) return;
    if (isMachineAccount(bare) && `host:${bare.slice(0, -1)}` === target) return;
    const user = `user:${bare}`;
    const from = source === target ? undefined : source;
    const logonType = e['winlog.event_data.LogonType'];
    this.used++;
    this.node(target, targetLabel, e.time);
    this.node(user, userName, e.time);
    const logon = this.edge('logon', user, target, e);
    if (logonType !== undefined && !logon.logon_types.includes(logonType)) logon.logon_types.push(logonType);
    if (from !== undefined) {
      this.node(from, sourceLabel, e.time);
      const auth = this.edge('auth', from, user, e);
      if (logonType !== undefined && !auth.logon_types.includes(logonType)) auth.logon_types.push(logonType);
    }
    this.logons.push({
      id: e.id,
      time: e.time,
      user,
      target,
      source: from,
      logonType,
      person: !isMachineAccount(bare),
    });
  }

  flow(e: GraphEvent): void {
    let src = e['source.ip'];
    let dst = e['destination.ip'];
    // WFP 5156 inbound: the source fields are the local end.
    if (e['winlog.event_data.Direction'] === '%%14592') [src, dst] = [dst, src];
    const s = ipNode(src);
    const d = ipNode(dst);
    if (s === undefined || d === undefined || s === d) return;
    this.used++;
    this.node(s, src!, e.time);
    this.node(d, dst!, e.time);
    const a = this.edge('flow', s, d, e);
    const port = e['destination.port'];
    if (port === undefined || !Number.isInteger(port)) return;
    if (a.ports.length < EDGE_PORTS && !a.ports.includes(port)) a.ports.push(port);
    if (LATERAL_PORTS.has(port)) {
      if (a.lateral_first_seen === null || e.time < a.lateral_first_seen) a.lateral_first_seen = e.time;
      this.flows.push({ id: e.id, time: e.time, source: s, target: d, port });
    }
  }

  add(e: GraphEvent): void {
    const hostName = e['host.name'];
    const host = hostNode(hostName);
    for (const ip of e['host.ip'] ?? []) this.address(host, ipNode(ip), hostName ?? '', ip, e);
    const code = e['event.code'];
    const security = isWindowsSecurity(e);
    if (security && code === '4624') {
      const ip = e['source.ip'];
      const workstation = e['winlog.event_data.WorkstationName'];
      const ipId = ipNode(ip);
      const wsId = hostNode(workstation);
      this.address(wsId, ipId, workstation ?? '', ip ?? '', e);
      const source = ipId ?? wsId;
      this.logon(e, host, hostName ?? '', e['user.name'], source, (ipId ? ip : workstation) ?? '');
      return;
    }
    if (security && code === '4648') {
      const server = e['winlog.event_data.TargetServerName'];
      const target = hostNode(server);
      // Here `source.ip` (IpAddress) is the server's address.
      this.address(target, ipNode(e['source.ip']), server ?? '', e['source.ip'] ?? '', e);
      if (target !== host) this.logon(e, target, server ?? '', e['user.name'], host, hostName ?? '');
      return;
    }
    if (security && (code === '4625' || code === '4771' || code === '4776')) return;
    const categories = e['event.category'] ?? [];
    if (categories.includes('authentication')) {
      if (e['event.outcome'] !== 'success') return;
      const ip = e['source.ip'];
      const ipId = ipNode(ip);
      const domain = e['source.domain'];
      const source = ipId ?? hostNode(domain);
      this.logon(e, host, hostName ?? '', e['user.name'], source, (ipId ? ip : domain) ?? '');
      return;
    }
    if (host !== undefined && code === '7045' && e['service.name'] !== undefined) {
      this.execs.push({ id: e.id, time: e.time, host, what: `service ${e['service.name']}` });
      return;
    }
    const parent = e['process.parent.executable'];
    if (host !== undefined && parent !== undefined && /(?:^|[\\/])wmiprvse\.exe$/i.test(parent)) {
      const exe = e['process.executable'] ?? '';
      this.execs.push({ id: e.id, time: e.time, host, what: `wmi ${exe.slice(exe.lastIndexOf('\\') + 1)}` });
      return;
    }
    if (e['source.ip'] !== undefined && e['destination.ip'] !== undefined) this.flow(e);
  }

  /** Ties each remote execution to the latest network logon to its host within `windowMs` before it. */
  remoteExecs(windowMs: number): void {
    const byTarget = new Map<NodeId, LogonRecord[]>();
    for (const l of this.logons) {
      if (l.source === undefined) continue;
      const list = byTarget.get(l.target);
      if (list) list.push(l);
      else byTarget.set(l.target, [l]);
    }
    for (const x of this.execs) {
      const list = byTarget.get(x.host);
      if (list === undefined) continue;
      // The latest logon at or before it (binary search: a linear scan per execution took 9.5 s
      // for 50k logons and 50k WMI children on one server, on the event loop).
      let lo = 0;
      let hi = list.length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (list[mid]!.time <= x.time) lo = mid + 1;
        else hi = mid;
      }
      const cause = lo > 0 ? list[lo - 1]! : undefined;
      if (cause === undefined || x.time - cause.time > windowMs) continue;
      this.used++;
      const a = this.edge('remote_exec', cause.source!, x.host, x);
      if (a.samples.length < EDGE_SAMPLES && !a.samples.includes(cause.id)) a.samples.push(cause.id);
      if (a.what.length < EDGE_PORTS && !a.what.includes(x.what)) a.what.push(x.what);
    }
  }
}

/**
 * Builds the graph of `events` (any order; sorted here by time, then id).
 * @param events - events of the window, fields as {@link GraphEvent}
 * @param window - the window they were read from (kept for the signals' baseline split)
 * @param params - only `remoteExecWindowMs` is read here
 */
export function buildAttackGraph(
  events: readonly GraphEvent[],
  window: TimeWindow,
  params: Pick<SignalParams, 'remoteExecWindowMs'> = DEFAULT_SIGNAL_PARAMS,
): AttackGraph {
  const sorted = [...events].sort((a, b) => a.time - b.time || a.id - b.id);
  const b = new Builder();
  for (const e of sorted) b.add(e);
  b.remoteExecs(params.remoteExecWindowMs);
  return { graph: b.graph(), window, logons: b.logons, flows: b.flows, events: events.length, used: b.used };
}
