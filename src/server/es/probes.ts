/**
 * The requests log shippers make before sending (version, health, license, templates, ILM,
 * pipelines, data streams, index existence), answered so they go on to `_bulk`. Bodies follow the
 * Elasticsearch 8 REST API reference ("Info API", "Cluster health API", "cat health API", "Get
 * license API", "Info API (X-Pack)", "Nodes info API", "Index templates", "ILM", "Ingest").
 */
import { randomBytes } from 'node:crypto';
import type { FastifyBaseLogger, FastifyInstance, FastifyReply, RawServerDefault } from 'fastify';
import type { IncomingMessage, ServerResponse } from 'node:http';

/** The Elasticsearch version Vigil reports (shippers pick their protocol from it). */
export const ES_VERSION = '8.17.0';
const LUCENE_VERSION = '9.12.0';
const CLUSTER_NAME = 'vigil';
const NODE_NAME = 'vigil';

/**
 * An Elasticsearch error response body: `{error: {root_cause, type, reason}, status}`.
 * @param type - exception name (`resource_not_found_exception`, …)
 */
export function esError(status: number, type: string, reason: string): Record<string, unknown> {
  return { error: { root_cause: [{ type, reason }], type, reason }, status };
}

/** Identity of one listener: made once so every answer agrees. */
export interface ClusterIdentity {
  readonly clusterUuid: string;
  readonly nodeId: string;
}

/** A random cluster UUID and node id in Elasticsearch's 22-character base64url form. */
export function newIdentity(): ClusterIdentity {
  return {
    clusterUuid: randomBytes(16).toString('base64url').slice(0, 22),
    nodeId: randomBytes(16).toString('base64url').slice(0, 22),
  };
}

/** `GET /` body ("Info API"). */
export function infoBody(id: ClusterIdentity): Record<string, unknown> {
  return {
    name: NODE_NAME,
    cluster_name: CLUSTER_NAME,
    cluster_uuid: id.clusterUuid,
    version: {
      number: ES_VERSION,
      build_flavor: 'default',
      build_type: 'docker',
      build_hash: '0000000000000000000000000000000000000000',
      build_date: '2024-12-11T12:08:05.663969764Z',
      build_snapshot: false,
      lucene_version: LUCENE_VERSION,
      minimum_wire_compatibility_version: '7.17.0',
      minimum_index_compatibility_version: '7.0.0',
    },
    tagline: 'You Know, for Search',
  };
}

function clusterHealth(): Record<string, unknown> {
  return {
    cluster_name: CLUSTER_NAME,
    status: 'green',
    timed_out: false,
    number_of_nodes: 1,
    number_of_data_nodes: 1,
    active_primary_shards: 0,
    active_shards: 0,
    relocating_shards: 0,
    initializing_shards: 0,
    unassigned_shards: 0,
    unassigned_primary_shards: 0,
    delayed_unassigned_shards: 0,
    number_of_pending_tasks: 0,
    number_of_in_flight_fetch: 0,
    task_max_waiting_in_queue_millis: 0,
    active_shards_percent_as_number: 100.0,
  };
}

function license(id: ClusterIdentity): Record<string, unknown> {
  return {
    license: {
      status: 'active',
      uid: id.clusterUuid,
      type: 'basic',
      issue_date: '2024-01-01T00:00:00.000Z',
      issue_date_in_millis: 1704067200000,
      max_nodes: 1000,
      max_resource_units: null,
      issued_to: CLUSTER_NAME,
      issuer: 'elasticsearch',
      start_date_in_millis: -1,
    },
  };
}

function xpack(id: ClusterIdentity): Record<string, unknown> {
  const on = { available: true, enabled: true };
  const off = { available: false, enabled: false };
  return {
    build: { hash: '0000000000000000000000000000000000000000', date: '2024-12-11T12:08:05.663969764Z' },
    license: { uid: id.clusterUuid, type: 'basic', mode: 'basic', status: 'active' },
    features: { ilm: on, monitoring: off, security: off, ml: off, watcher: off, graph: off },
    tagline: 'You know, for X',
  };
}

function nodes(id: ClusterIdentity, address: () => string): Record<string, unknown> {
  const publish = address();
  return {
    _nodes: { total: 1, successful: 1, failed: 0 },
    cluster_name: CLUSTER_NAME,
    nodes: {
      [id.nodeId]: {
        name: NODE_NAME,
        transport_address: publish,
        host: publish.slice(0, publish.lastIndexOf(':')),
        ip: publish.slice(0, publish.lastIndexOf(':')),
        version: ES_VERSION,
        build_flavor: 'default',
        roles: ['data', 'ingest', 'master'],
        http: { bound_address: [publish], publish_address: publish, max_content_length_in_bytes: 104857600 },
      },
    },
  };
}

const ack = { acknowledged: true };

/** Settings resources a shipper installs: GET/HEAD answer 404 (so it PUTs), PUT is acknowledged. */
const RESOURCES: readonly { readonly path: string; readonly type: string; readonly what: string }[] = [
  { path: '/_template', type: 'resource_not_found_exception', what: 'index template' },
  { path: '/_index_template', type: 'resource_not_found_exception', what: 'index template' },
  { path: '/_component_template', type: 'resource_not_found_exception', what: 'component template' },
  { path: '/_ilm/policy', type: 'resource_not_found_exception', what: 'Lifecycle policy' },
  { path: '/_ingest/pipeline', type: 'resource_not_found_exception', what: 'pipeline' },
  { path: '/_data_stream', type: 'index_not_found_exception', what: 'data stream' },
];

/**
 * Registers the probe routes. `HEAD` comes with every `GET` (Fastify's exposed HEAD routes).
 * @param address - the bound `host:port`, read when asked (known only after listen)
 */
export function registerProbes<L extends FastifyBaseLogger>(
  app: FastifyInstance<RawServerDefault, IncomingMessage, ServerResponse, L>,
  id: ClusterIdentity,
  address: () => string,
): void {
  app.get('/', async () => infoBody(id));
  app.get('/_cluster/health', async () => clusterHealth());
  app.get('/_cluster/health/*', async () => clusterHealth());
  app.get('/_cat/health', async (req, reply) => {
    const now = Date.now();
    const epoch = Math.floor(now / 1000);
    const time = new Date(now).toISOString().slice(11, 19);
    const row = {
      epoch: String(epoch),
      timestamp: time,
      cluster: CLUSTER_NAME,
      status: 'green',
      'node.total': '1',
      'node.data': '1',
      shards: '0',
      pri: '0',
      relo: '0',
      init: '0',
      unassign: '0',
      'unassign.pri': '0',
      pending_tasks: '0',
      max_task_wait_time: '-',
      active_shards_percent: '100.0%',
    };
    if ((req.query as Record<string, unknown>).format === 'json') return [row];
    return reply.type('text/plain; charset=UTF-8').send(`${Object.values(row).join(' ')}\n`);
  });
  app.get('/_license', async () => license(id));
  app.get('/_xpack', async () => xpack(id));
  app.get('/_nodes', async () => nodes(id, address));
  app.get('/_nodes/*', async () => nodes(id, address));
  for (const r of RESOURCES) {
    const missing = (name: string, reply: FastifyReply) =>
      reply.code(404).send(esError(404, r.type, `${r.what} matching [${name}] not found`));
    app.get(r.path, async () => ({}));
    app.get(`${r.path}/*`, async (req, reply) => missing((req.params as { '*': string })['*'], reply));
    app.put(`${r.path}/*`, async () => ack);
    app.post(`${r.path}/*`, async () => ack);
    app.delete(`${r.path}/*`, async () => ack);
  }
  // Index existence and creation (Logstash's rollover alias, older Beats): every index "exists".
  const indexInfo = (index: string) => ({
    [index]: {
      aliases: {},
      mappings: {},
      settings: { index: { number_of_shards: '1', number_of_replicas: '0' } },
    },
  });
  app.get('/:index', async (req, reply) => {
    const { index } = req.params as { index: string };
    if (index.startsWith('_')) return notFound(req.method, req.url, reply);
    return indexInfo(index);
  });
  app.put('/:index', async (req, reply) => {
    const { index } = req.params as { index: string };
    if (index.startsWith('_')) return notFound(req.method, req.url, reply);
    return { acknowledged: true, shards_acknowledged: true, index };
  });
}

/** The 404 of a route Vigil does not serve, in Elasticsearch's error format. */
export function notFound(method: string, url: string, reply: FastifyReply): FastifyReply {
  const path = url.split('?')[0];
  return reply
    .code(404)
    .send(
      esError(
        404,
        'resource_not_found_exception',
        `no handler found for uri [${path}] and method [${method}]`,
      ),
    );
}
