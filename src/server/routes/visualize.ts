/**
 * `/api/v1/visualize/attack-paths` and `/api/v1/visualize/network-topology`: the logon and
 * network graph of a time window, lateral-movement signals and paths to critical assets
 * (docs/attack-paths.md).
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { ServiceContext } from '../../service/vigil.js';
import { errors } from '../schemas.js';

const NodeId = Type.String({ description: '`user:<name>`, `host:<name>` or `ip:<address>` (normalised)' });
const EntityType = Type.Union([Type.Literal('user'), Type.Literal('host'), Type.Literal('ip')]);
const EdgeType = Type.Union(
  [
    Type.Literal('auth'),
    Type.Literal('logon'),
    Type.Literal('flow'),
    Type.Literal('address'),
    Type.Literal('remote_exec'),
  ],
  {
    description:
      'auth: source → user (logged on from); logon: user → host; flow: ip → ip; address: host ↔ ip; remote_exec: source → host (service install or WMI after a network logon)',
  },
);

const GraphNode = Type.Object(
  {
    id: NodeId,
    type: EntityType,
    label: Type.String({ description: 'The name as first seen' }),
    critical: Type.Boolean({ description: 'Marked critical in /api/v1/assets' }),
    machine: Type.Boolean({ description: 'A Windows computer account (user ending in $)' }),
    first_seen: Type.String(),
    last_seen: Type.String(),
    events: Type.Integer({ description: 'Events that mention the node' }),
    degree: Type.Integer({ description: 'In- plus out-edges in the whole graph' }),
  },
  { $id: 'GraphNode' },
);

const GraphEdge = Type.Object(
  {
    id: Type.String({ description: '`type|source|target`' }),
    source: NodeId,
    target: NodeId,
    type: EdgeType,
    count: Type.Integer({ description: 'Events behind the edge' }),
    first_seen: Type.String(),
    last_seen: Type.String(),
    sample_event_ids: Type.Array(Type.Integer(), {
      description: 'The first few events (GET /api/v1/events/{id})',
    }),
    logon_types: Type.Optional(Type.Array(Type.Integer(), { description: 'Windows logon types seen' })),
    ports: Type.Optional(Type.Array(Type.Integer(), { description: 'Destination ports seen (at most 20)' })),
    what: Type.Optional(Type.Array(Type.String(), { description: 'remote_exec: what ran' })),
  },
  { $id: 'GraphEdge' },
);

const PathEdge = Type.Object({
  source: NodeId,
  target: NodeId,
  type: EdgeType,
  count: Type.Integer(),
  first_seen: Type.String(),
  last_seen: Type.String(),
});

const Path = Type.Object({
  source: NodeId,
  target: NodeId,
  hops: Type.Integer({ description: 'Edges other than address' }),
  cost: Type.Number({ description: 'hops, or Σ (1 + log2 count) with weight=rarity' }),
  nodes: Type.Array(NodeId),
  edges: Type.Array(PathEdge),
  signals: Type.Array(Type.Integer(), { description: 'Indices into signals of those touching the path' }),
});

const Signal = Type.Object(
  {
    kind: Type.Union([Type.Literal('new_edge'), Type.Literal('fan_out'), Type.Literal('logon_chain')]),
    entity: NodeId,
    explanation: Type.String(),
    first_seen: Type.String(),
    last_seen: Type.String(),
    nodes: Type.Array(NodeId),
    event_ids: Type.Array(Type.Integer(), { description: 'Events behind the signal (at most 20)' }),
    edge: Type.Optional(Type.Object({ source: NodeId, target: NodeId, type: EdgeType })),
    recent_from: Type.Optional(Type.String({ description: 'new_edge: start of the recent period' })),
    basis: Type.Optional(Type.Union([Type.Literal('logon'), Type.Literal('flow')])),
    distinct: Type.Optional(Type.Integer()),
    threshold: Type.Optional(Type.Integer()),
    window_ms: Type.Optional(Type.Integer()),
    targets: Type.Optional(Type.Array(NodeId)),
    hops: Type.Optional(
      Type.Array(
        Type.Object({
          source: NodeId,
          user: Type.Optional(NodeId),
          target: NodeId,
          time: Type.String(),
          event_id: Type.Integer(),
        }),
      ),
    ),
  },
  { $id: 'GraphSignal', description: 'A lateral-movement signal; the fields after event_ids depend on kind' },
);

const Window = Type.Object({ from: Type.String(), to: Type.String() });
const Events = Type.Object({
  read: Type.Integer({ description: 'Events read (at most 200,000)' }),
  used: Type.Integer({ description: 'Events that added a node or an edge' }),
  truncated: Type.Boolean({ description: 'The cap was hit: the oldest events were left out' }),
  complete_from: Type.Optional(Type.String({ description: 'When truncated: the graph covers from here' })),
});

const WindowQuery = {
  from: Type.Optional(
    Type.String({ format: 'date-time', description: 'Start (inclusive); default to − 24 h' }),
  ),
  to: Type.Optional(Type.String({ format: 'date-time', description: 'End (exclusive); default now' })),
};

export const visualizeRoutes: FastifyPluginAsyncTypebox<{ ctx: ServiceContext }> = async (app, { ctx }) => {
  app.get(
    '/api/v1/visualize/attack-paths',
    {
      config: { auth: 'events:read' },
      schema: {
        tags: ['attack-paths'],
        summary:
          'Paths from an entity (what it reaches, shortest paths to critical assets), or from every entity with a lateral-movement signal',
        querystring: Type.Object({
          entity: Type.Optional(
            Type.String({
              minLength: 3,
              maxLength: 1024,
              description:
                '`user:<name>`, `host:<name>` or `ip:<address>`; absent: start from every entity with a signal',
            }),
          ),
          ...WindowQuery,
          max_hops: Type.Optional(Type.Integer({ minimum: 1, maximum: 8, default: 3 })),
          max_nodes: Type.Optional(
            Type.Integer({
              minimum: 1,
              maximum: 5000,
              default: 200,
              description: 'Reachable nodes listed at most',
            }),
          ),
          max_paths: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
          max_signals: Type.Optional(Type.Integer({ minimum: 0, maximum: 1000, default: 100 })),
          weight: Type.Optional(
            Type.Union([Type.Literal('hops'), Type.Literal('rarity')], {
              default: 'hops',
              description: 'hops: fewest hops; rarity: an edge seen n times costs 1 + log2 n',
            }),
          ),
          flows: Type.Optional(
            Type.Boolean({ default: false, description: 'Let paths use network flows, not only logons' }),
          ),
        }),
        response: {
          200: Type.Object({
            window: Window,
            events: Events,
            entity: Type.Optional(Type.Object({ id: NodeId, found: Type.Boolean() })),
            reachable: Type.Optional(
              Type.Object({
                nodes: Type.Array(Type.Intersect([GraphNode, Type.Object({ hops: Type.Integer() })])),
                edges: Type.Array(GraphEdge),
                truncated: Type.Boolean(),
              }),
            ),
            critical_assets: Type.Array(
              Type.Object({ name: Type.String(), node: NodeId, present: Type.Boolean() }),
            ),
            paths: Type.Array(Path, { description: 'Shortest paths to critical assets, cheapest first' }),
            signals: Type.Array(Signal),
            signal_counts: Type.Object({
              new_edge: Type.Integer(),
              fan_out: Type.Integer(),
              logon_chain: Type.Integer(),
            }),
            signals_truncated: Type.Boolean(),
          }),
          ...errors(400),
        },
      },
    },
    async (request) => {
      const q = request.query;
      return ctx.graph.attackPaths({
        entity: q.entity,
        from: q.from,
        to: q.to,
        maxHops: q.max_hops ?? 3,
        maxNodes: q.max_nodes ?? 200,
        maxPaths: q.max_paths ?? 100,
        maxSignals: q.max_signals ?? 100,
        weight: q.weight ?? 'hops',
        flows: q.flows ?? false,
      });
    },
  );

  app.get(
    '/api/v1/visualize/network-topology',
    {
      config: { auth: 'events:read' },
      schema: {
        tags: ['attack-paths'],
        summary: 'The logon and network graph of a window: nodes and edges for a graph UI, with counts',
        querystring: Type.Object({
          ...WindowQuery,
          limit: Type.Optional(
            Type.Integer({
              minimum: 1,
              maximum: 5000,
              default: 500,
              description: 'Nodes listed at most (critical first, then by degree); edges at most 4 ×',
            }),
          ),
        }),
        response: {
          200: Type.Object({
            window: Window,
            events: Events,
            nodes: Type.Array(GraphNode),
            edges: Type.Array(GraphEdge),
            truncated: Type.Boolean({ description: 'Nodes or edges were left out' }),
            summary: Type.Object({
              nodes: Type.Object({
                user: Type.Integer(),
                host: Type.Integer(),
                ip: Type.Integer(),
                total: Type.Integer(),
              }),
              edges: Type.Object({
                auth: Type.Integer(),
                logon: Type.Integer(),
                flow: Type.Integer(),
                address: Type.Integer(),
                remote_exec: Type.Integer(),
                total: Type.Integer(),
              }),
            }),
          }),
          ...errors(400),
        },
      },
    },
    async (request) => {
      const q = request.query;
      return ctx.graph.topology({ from: q.from, to: q.to, limit: q.limit ?? 500 });
    },
  );
};
