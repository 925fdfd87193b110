/**
 * Attack paths on the real service (PGlite, and PostgreSQL when reachable): the scenario of
 * test/detect/graph/scenario.ts ingested through the ingest path (Windows evtx-JSON, Zeek conn
 * JSON, sshd syslog lines), read back from the store into the graph, the signals and the shortest
 * path to a critical asset; the assets API with permissions and audit; OpenAPI.
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApi } from '../../src/server/app.js';
import type { ServiceContext } from '../../src/service/vigil.js';
import { ndjson } from '../fixtures/service/events.js';
import { rawRecords, ROWS, WINDOW } from '../detect/graph/scenario.js';
import { seedAccounts, type TestAccounts } from '../helpers/auth.js';
import { jsonCaller } from '../helpers/inject.js';
import { closeTestContext, detected, openTestContext, STORE_KINDS } from '../helpers/service.js';

const W = `from=${WINDOW.from}&to=${WINDOW.to}`;

describe.each(STORE_KINDS)('attack paths API on %s', (kind) => {
  let ctx: ServiceContext;
  let app: FastifyInstance;
  let accounts: TestAccounts;
  const viewer = jsonCaller(
    () => app,
    () => accounts.viewer,
  );
  const analyst = jsonCaller(
    () => app,
    () => accounts.analyst,
  );
  /** Event id of each scenario row (1-based row number → stored id). */
  const idOf = new Map<number, number>();

  beforeAll(async () => {
    ctx = await openTestContext(kind, {
      VIGIL_BUILTIN_RULES: 'false',
      VIGIL_CRITICAL_ASSETS: 'DC1.corp.local,10.9.9.9',
    });
    accounts = await seedAccounts(ctx);
    app = await buildApi(ctx);
    const ingest = jsonCaller(
      () => app,
      () => accounts.ingestKey.bearer,
    );
    const { json, lines } = rawRecords();
    const r = await ingest('POST', '/api/v1/events', ndjson(json), {
      'content-type': 'application/x-ndjson',
    });
    expect(r.status).toBe(200);
    expect(r.body.rejected).toBe(0);
    const s = await ctx.ingest.ingestLines(
      lines.map((text, i) => ({ text, line: i + 1 })),
      'syslog',
      'syslog-tcp',
    );
    expect(s.rejected).toBe(0);
    await detected(ctx);
    // Map scenario rows to stored ids (JSON rows first, then the sshd lines, each in row order).
    const jsonRows = ROWS.map((row, i) => ({ row, n: i + 1 })).filter((x) => x.row.kind !== 'ssh');
    const sshRows = ROWS.map((row, i) => ({ row, n: i + 1 })).filter((x) => x.row.kind === 'ssh');
    const stored = [...jsonRows, ...sshRows];
    const ids = [...r.body.ids, ...s.items.flatMap((x) => ('id' in x ? [x.id] : []))];
    stored.forEach((x, i) => idOf.set(x.n, ids[i]));
  }, 120_000);
  afterAll(async () => {
    await app?.close();
    if (ctx) await closeTestContext(ctx);
  });

  it('stored events carry what the graph needs (sshd as ECS authentication success)', async () => {
    const ev = await ctx.events.get(idOf.get(4)!);
    expect(ev?.ecs).toMatchObject({
      event: { category: ['authentication'], outcome: 'success' },
      source: { ip: '10.0.0.11' },
      user: { name: 'deploy' },
      host: { name: 'web' },
    });
  });

  it('finds the logon chain, the fan-out and the new edges in the stored events', async () => {
    const r = await viewer('GET', `/api/v1/visualize/attack-paths?${W}&max_signals=1000`);
    expect(r.status).toBe(200);
    expect(r.body.events).toMatchObject({ read: ROWS.length, truncated: false });
    const chains = r.body.signals.filter((s: { kind: string }) => s.kind === 'logon_chain');
    expect(chains).toHaveLength(1);
    expect(chains[0].hops.map((h: { event_id: number }) => h.event_id)).toEqual([idOf.get(8), idOf.get(9)]);
    expect(chains[0].hops[0]).toMatchObject({
      source: 'ip:10.0.0.11',
      target: 'host:srv1',
      time: '2026-03-01T19:00:00.000Z',
    });
    const fan = r.body.signals.filter((s: { kind: string }) => s.kind === 'fan_out');
    expect(fan.map((s: { entity: string }) => s.entity).sort()).toEqual(['ip:10.0.0.12', 'user:carol']);
    const newEdges = r.body.signals
      .filter((s: { kind: string }) => s.kind === 'new_edge')
      .map(
        (s: { edge: { type: string; source: string; target: string } }) =>
          `${s.edge.type} ${s.edge.source} ${s.edge.target}`,
      );
    expect(newEdges).toEqual(
      expect.arrayContaining([
        'logon user:bob host:srv2',
        'remote_exec ip:10.0.0.21 host:srv2',
        'auth ip:10.0.0.12 user:deploy',
      ]),
    );
    expect(newEdges).not.toContain('logon user:alice host:srv1');
    expect(r.body.signal_counts.logon_chain).toBe(1);
  });

  it('gives the shortest path from the signalling entities to the critical asset', async () => {
    const r = await viewer('GET', `/api/v1/visualize/attack-paths?${W}`);
    expect(r.body.critical_assets).toEqual(
      expect.arrayContaining([
        { name: 'dc1.corp.local', node: 'host:dc1', present: true },
        { name: '10.9.9.9', node: 'ip:10.9.9.9', present: false },
      ]),
    );
    const fromWs1 = r.body.paths.find((p: { source: string }) => p.source === 'ip:10.0.0.11');
    expect(fromWs1).toMatchObject({
      target: 'host:dc1',
      hops: 4,
      nodes: ['ip:10.0.0.11', 'user:bob', 'host:srv2', 'ip:10.0.0.22', 'user:svc_backup', 'host:dc1'],
    });
    // The chain signal touches the path.
    const touching = fromWs1.signals.map((i: number) => r.body.signals[i].kind);
    expect(touching).toContain('logon_chain');
  });

  it('answers for one entity: its reach within max_hops and its paths', async () => {
    const r = await viewer('GET', `/api/v1/visualize/attack-paths?${W}&entity=user:CORP%5Ccarol&max_hops=1`);
    expect(r.status).toBe(200);
    expect(r.body.entity).toEqual({ id: 'user:carol', found: true });
    const reach = Object.fromEntries(
      r.body.reachable.nodes.map((n: { id: string; hops: number }) => [n.id, n.hops]),
    );
    expect(reach).toMatchObject({ 'user:carol': 0, 'host:ws1': 1, 'host:srv1': 1, 'host:srv2': 1 });
    expect(reach['host:dc1']).toBeUndefined();
    // Paths are not bounded by max_hops: carol → srv2 → svc_backup → dc1.
    expect(r.body.paths.map((p: { target: string; hops: number }) => [p.target, p.hops])).toEqual([
      ['host:dc1', 3],
    ]);
    expect(r.body.signals.map((s: { entity: string }) => s.entity)).toContain('user:carol');
    const none = await viewer('GET', `/api/v1/visualize/attack-paths?${W}&entity=host:nowhere`);
    expect(none.body).toMatchObject({ entity: { id: 'host:nowhere', found: false }, paths: [] });
  });

  it('refuses a bad entity or window with 400', async () => {
    expect((await viewer('GET', `/api/v1/visualize/attack-paths?entity=mac:1`)).body.code).toBe(
      'VIGIL_ERR_BAD_REQUEST',
    );
    const reversed = await viewer(
      'GET',
      `/api/v1/visualize/attack-paths?from=${WINDOW.to}&to=${WINDOW.from}`,
    );
    expect(reversed.status).toBe(400);
    const long = await viewer(
      'GET',
      `/api/v1/visualize/network-topology?from=2026-01-01T00:00:00Z&to=${WINDOW.to}`,
    );
    expect(long.status).toBe(400);
  });

  it('serves the network topology for a graph UI, bounded', async () => {
    const r = await viewer('GET', `/api/v1/visualize/network-topology?${W}`);
    expect(r.status).toBe(200);
    expect(r.body.truncated).toBe(false);
    expect(r.body.summary.nodes.total).toBe(r.body.nodes.length);
    expect(r.body.summary.edges.total).toBe(r.body.edges.length);
    expect(r.body.nodes[0]).toMatchObject({ id: 'host:dc1', critical: true });
    const flow = r.body.edges.find((e: { id: string }) => e.id === 'flow|ip:10.0.0.12|ip:10.0.0.5');
    expect(flow).toMatchObject({ type: 'flow', ports: [445], sample_event_ids: [idOf.get(16)] });
    const logon = r.body.edges.find((e: { id: string }) => e.id === 'logon|user:bob|host:srv2');
    expect(logon.logon_types).toEqual([10]);
    const small = await viewer('GET', `/api/v1/visualize/network-topology?${W}&limit=2`);
    expect(small.body.nodes).toHaveLength(2);
    expect(small.body.truncated).toBe(true);
  });

  it('needs events:read', async () => {
    const anon = await viewer('GET', `/api/v1/visualize/network-topology?${W}`, undefined, {
      authorization: '',
    });
    expect(anon.status).toBe(401);
    const key = jsonCaller(
      () => app,
      () => accounts.ingestKey.bearer,
    );
    expect((await key('GET', `/api/v1/visualize/attack-paths?${W}`)).status).toBe(403);
  });

  it('assets: seeded from VIGIL_CRITICAL_ASSETS, audited as system', async () => {
    const r = await viewer('GET', '/api/v1/assets');
    expect(r.body.assets.map((a: { name: string; marked_by: string }) => [a.name, a.marked_by])).toEqual([
      ['10.9.9.9', 'system'],
      ['dc1.corp.local', 'system'],
    ]);
    const audit = await ctx.database.db
      .selectFrom('audit_log')
      .select(['actor', 'target'])
      .where('action', '=', 'asset.seed')
      .orderBy('id')
      .execute();
    expect(audit).toEqual([
      { actor: 'system', target: 'dc1.corp.local' },
      { actor: 'system', target: '10.9.9.9' },
    ]);
  });

  it('assets: an analyst marks, changes and deletes; a viewer may not; each change is audited', async () => {
    expect((await viewer('PUT', '/api/v1/assets/srv1', { critical: true })).status).toBe(403);
    const created = await analyst('PUT', '/api/v1/assets/SRV1.corp.local', {
      critical: true,
      note: 'file server',
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      name: 'srv1.corp.local',
      kind: 'host',
      critical: true,
      marked_by: 'user:analyst',
    });
    const paths = await viewer('GET', `/api/v1/visualize/attack-paths?${W}&entity=ip:10.0.0.11`);
    expect(paths.body.paths.map((p: { target: string }) => p.target).sort()).toEqual([
      'host:dc1',
      'host:srv1',
    ]);
    const updated = await analyst('PUT', '/api/v1/assets/srv1.corp.local', { critical: false });
    expect(updated.status).toBe(200);
    expect(updated.body).toMatchObject({ critical: false, note: null });
    const mapped = await analyst('PUT', '/api/v1/assets/::ffff:10.0.0.5', { critical: true });
    expect(mapped.body).toMatchObject({ name: '10.0.0.5', kind: 'ip' });
    expect((await analyst('PUT', '/api/v1/assets/bad%20name', { critical: true })).status).toBe(400);
    expect((await viewer('DELETE', '/api/v1/assets/10.0.0.5')).status).toBe(403);
    expect((await analyst('DELETE', '/api/v1/assets/10.0.0.5')).status).toBe(204);
    expect((await analyst('DELETE', '/api/v1/assets/10.0.0.5')).status).toBe(404);
    const audit = await ctx.database.db
      .selectFrom('audit_log')
      .select(['actor', 'action', 'target', 'before', 'after'])
      .where('action', 'in', ['asset.create', 'asset.update', 'asset.delete'])
      .orderBy('id')
      .execute();
    expect(audit.map((a) => [a.actor, a.action, a.target])).toEqual([
      ['user:analyst', 'asset.create', 'srv1.corp.local'],
      ['user:analyst', 'asset.update', 'srv1.corp.local'],
      ['user:analyst', 'asset.create', '10.0.0.5'],
      ['user:analyst', 'asset.delete', '10.0.0.5'],
    ]);
    expect(audit[1]).toMatchObject({
      before: { critical: true, note: 'file server' },
      after: { critical: false, note: null },
    });
    const critical = await viewer('GET', '/api/v1/assets?critical=true');
    expect(critical.body.assets.map((a: { name: string }) => a.name)).toEqual(['10.9.9.9', 'dc1.corp.local']);
  });

  it('lists the routes in the OpenAPI document', async () => {
    const doc = (await viewer('GET', '/openapi.json')).body;
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/api/v1/visualize/attack-paths',
        '/api/v1/visualize/network-topology',
        '/api/v1/assets',
        '/api/v1/assets/{name}',
      ]),
    );
    const params = doc.paths['/api/v1/visualize/attack-paths'].get.parameters.map(
      (p: { name: string }) => p.name,
    );
    expect(params).toEqual(expect.arrayContaining(['entity', 'from', 'to', 'max_hops', 'weight']));
  });
});
