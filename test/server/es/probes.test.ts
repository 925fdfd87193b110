/**
 * The probes shippers make before sending, over real HTTP (fetch): version, health, license,
 * templates, index existence, unknown routes; each with an ingest key, as Elasticsearch with
 * security on asks credentials for every one of them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEsListener } from '../../../src/server/es/listener.js';
import type { RunningListener } from '../../../src/service/listener.js';
import type { ServiceContext } from '../../../src/service/vigil.js';
import { type ApiKeyCredential, createKey } from '../../helpers/auth.js';
import { closeTestContext, listenerContext, openTestContext } from '../../helpers/service.js';

async function start(ctx: ServiceContext): Promise<{ listener: RunningListener; url: string }> {
  const listener = await startEsListener(listenerContext(ctx), 0, '127.0.0.1');
  return { listener, url: `http://127.0.0.1:${listener.ports.http}` };
}

describe('Elasticsearch listener probes', () => {
  let ctx: ServiceContext;
  let listener: RunningListener;
  let url: string;
  let key: ApiKeyCredential;
  /** fetch with the ingest key (`ApiKey base64(id:secret)`, as Beats send it). */
  let es: (path: string, init?: RequestInit) => Promise<Response>;
  beforeAll(async () => {
    ctx = await openTestContext('pglite');
    key = await createKey(ctx, ['ingest:write'], 'shipper');
    ({ listener, url } = await start(ctx));
    es = (path, init = {}) =>
      fetch(`${url}${path}`, {
        ...init,
        headers: { ...(init.headers as Record<string, string>), authorization: key.apiKey },
      });
  }, 60_000);
  afterAll(async () => {
    await listener?.close();
    if (ctx) await closeTestContext(ctx);
  });

  it('GET / and HEAD / answer like Elasticsearch 8', async () => {
    const res = await es(`/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('x-elastic-product')).toBe('Elasticsearch');
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const info = (await res.json()) as Record<string, unknown>;
    expect(info).toMatchObject({
      name: expect.any(String),
      cluster_name: expect.any(String),
      cluster_uuid: expect.stringMatching(/^[\w-]{22}$/),
      version: {
        number: '8.17.0',
        build_flavor: 'default',
        lucene_version: expect.any(String),
        minimum_wire_compatibility_version: expect.any(String),
        minimum_index_compatibility_version: expect.any(String),
      },
      tagline: 'You Know, for Search',
    });
    const head = await es(`/`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('x-elastic-product')).toBe('Elasticsearch');
    expect(await head.text()).toBe('');
  });

  it('answers with the vendored type when Accept asks for it', async () => {
    const res = await es(`/_cluster/health`, {
      headers: { accept: 'application/vnd.elasticsearch+json; compatible-with=7' },
    });
    expect(res.headers.get('content-type')).toBe('application/vnd.elasticsearch+json; compatible-with=7');
    expect(await res.json()).toMatchObject({ status: 'green', number_of_nodes: 1 });
  });

  it('HEAD /_cat/health, license, xpack and nodes', async () => {
    const cat = await es(`/_cat/health`, { method: 'HEAD' });
    expect(cat.status).toBe(200);
    expect(cat.headers.get('x-elastic-product')).toBe('Elasticsearch');
    expect(await (await es(`/_cat/health`)).text()).toMatch(/ vigil green 1 1 /);
    expect(await (await es(`/_cat/health?format=json`)).json()).toEqual([
      expect.objectContaining({ status: 'green' }),
    ]);
    expect(await (await es(`/_license`)).json()).toMatchObject({
      license: { type: 'basic', status: 'active' },
    });
    expect(await (await es(`/_xpack`)).json()).toMatchObject({
      features: { ilm: { available: true } },
    });
    const nodes = (await (await es(`/_nodes/http`)).json()) as {
      nodes: Record<string, { http: unknown }>;
    };
    expect(Object.values(nodes.nodes)[0]!.http).toMatchObject({
      publish_address: `127.0.0.1:${listener.ports.http}`,
    });
  });

  it('templates, ILM policies, pipelines, data streams: GET 404 so clients PUT, PUT acknowledged', async () => {
    for (const path of [
      '/_template/winlogbeat',
      '/_index_template/winlogbeat-8.17.0',
      '/_ilm/policy/winlogbeat',
      '/_ingest/pipeline/p1',
      '/_data_stream/logs-x-default',
    ]) {
      const missing = await es(path);
      expect(missing.status).toBe(404);
      expect(missing.headers.get('x-elastic-product')).toBe('Elasticsearch');
      expect(await missing.json()).toMatchObject({
        status: 404,
        error: { type: expect.stringMatching(/_exception$/), reason: expect.any(String) },
      });
      expect((await es(path, { method: 'HEAD' })).status).toBe(404);
      const put = await es(path, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: '{"index_patterns":["x-*"]}',
      });
      expect(put.status).toBe(200);
      expect(await put.json()).toEqual({ acknowledged: true });
    }
  });

  it('every index exists and can be created', async () => {
    expect((await es(`/logstash-2026.03.14`, { method: 'HEAD' })).status).toBe(200);
    const put = await es(`/my-index`, { method: 'PUT' });
    expect(await put.json()).toMatchObject({ acknowledged: true, index: 'my-index' });
  });

  it('unknown routes answer an ES-style 404', async () => {
    for (const [method, path] of [
      ['GET', '/_security/_authenticate'],
      ['POST', '/a/b/c'],
      ['GET', '/_unknown'],
    ] as const) {
      const res = await es(path, { method });
      expect(res.status).toBe(404);
      expect(res.headers.get('x-elastic-product')).toBe('Elasticsearch');
      expect(await res.json()).toEqual({
        error: {
          root_cause: [expect.objectContaining({ type: 'resource_not_found_exception' })],
          type: 'resource_not_found_exception',
          reason: `no handler found for uri [${path}] and method [${method}]`,
        },
        status: 404,
      });
    }
  });

  it('every probe, and every unknown route, wants credentials: 401 security_exception without', async () => {
    const probes: [string, string][] = [
      ['GET', '/'],
      ['HEAD', '/'],
      ['GET', '/_cluster/health'],
      ['HEAD', '/_cat/health'],
      ['GET', '/_license'],
      ['GET', '/_xpack'],
      ['GET', '/_nodes/http'],
      ['GET', '/_index_template/winlogbeat-8.17.0'],
      ['PUT', '/_index_template/winlogbeat-8.17.0'],
      ['HEAD', '/logstash-2026.03.14'],
      ['PUT', '/my-index'],
      ['GET', '/_unknown'],
    ];
    for (const [method, path] of probes) {
      const res = await fetch(`${url}${path}`, { method });
      expect(res.status, `${method} ${path}`).toBe(401);
      expect(res.headers.get('x-elastic-product')).toBe('Elasticsearch');
      expect(res.headers.get('www-authenticate')).toBe('Basic realm="vigil", ApiKey');
      if (method !== 'HEAD')
        expect(await res.json()).toMatchObject({
          status: 401,
          error: { type: 'security_exception', root_cause: [{ type: 'security_exception' }] },
        });
    }
    const reader = await createKey(ctx, ['events:read'], 'reader');
    const forbidden = await fetch(`${url}/`, { headers: { authorization: reader.basic } });
    expect(forbidden.status).toBe(403);
    expect(await forbidden.json()).toMatchObject({ status: 403, error: { type: 'security_exception' } });
  });
});
