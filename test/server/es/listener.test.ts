/**
 * The Elasticsearch listener over real HTTP (fetch) on a real store: probes, Beats-style bulk,
 * per-item errors, limits. No mocks.
 */
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEsListener } from '../../../src/server/es/listener.js';
import type { RunningListener } from '../../../src/service/listener.js';
import type { ServiceContext } from '../../../src/service/vigil.js';
import { listAlerts } from '../../../src/store/alerts.js';
import { closeTestContext, detected, openTestContext, STORE_KINDS } from '../../helpers/service.js';

const ENCODED_POWERSHELL_RULE = '2d0b67a4-e672-4f47-80d6-ea4886b6c27f';
const FIXTURE = new URL('../../fixtures/winlogbeat/sysmon-process-create.ndjson', import.meta.url);
const BEATS_TYPE = 'application/vnd.elasticsearch+x-ndjson; compatible-with=8';
const BEATS_ACCEPT = 'application/vnd.elasticsearch+json; compatible-with=8';

async function start(ctx: ServiceContext): Promise<{ listener: RunningListener; url: string }> {
  const listener = await startEsListener(
    { ingest: ctx.ingest, config: ctx.config, log: ctx.log, metrics: ctx.metrics },
    0,
    '127.0.0.1',
  );
  return { listener, url: `http://127.0.0.1:${listener.ports.http}` };
}

const ndjson = (values: readonly unknown[]) => values.map((v) => JSON.stringify(v)).join('\n') + '\n';

describe.each(STORE_KINDS)('Elasticsearch listener on %s', (kind) => {
  let ctx: ServiceContext;
  let listener: RunningListener;
  let url: string;
  beforeAll(async () => {
    ctx = await openTestContext(kind);
    ({ listener, url } = await start(ctx));
  }, 60_000);
  afterAll(async () => {
    await listener?.close();
    if (ctx) await closeTestContext(ctx);
  });

  it('takes a Winlogbeat bulk (vendored type, gzip, filter_path) and raises the alert', async () => {
    const docs = readFileSync(FIXTURE, 'utf8').trim().split('\n');
    const body = docs.map((d) => `{"create":{"_index":"winlogbeat-8.17.0"}}\n${d}\n`).join('');
    const res = await fetch(`${url}/_bulk?filter_path=errors,items.*.error,items.*.status`, {
      method: 'POST',
      headers: { 'content-type': BEATS_TYPE, accept: BEATS_ACCEPT, 'content-encoding': 'gzip' },
      body: gzipSync(body),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-elastic-product')).toBe('Elasticsearch');
    expect(res.headers.get('content-type')).toBe(BEATS_ACCEPT);
    expect(await res.json()).toEqual({
      errors: false,
      items: [{ create: { status: 201 } }, { create: { status: 201 } }],
    });
    await detected(ctx);
    const events = await ctx.events.readAfter(0, 1000);
    const stored = events.filter((e) => e.source === 'es-bulk' && e.decoder === 'windows-winlogbeat');
    expect(stored.map((e) => e.original)).toEqual(docs);
    expect(stored[1]!.timestamp).toBe('2026-03-14T09:12:03.114Z');
    const { alerts } = await listAlerts(ctx.database.db, { sort: 'created_at', order: 'desc', limit: 100 });
    const hit = alerts.find((a) => (a.rule as { id: string }).id === ENCODED_POWERSHELL_RULE);
    expect(hit).toBeDefined();
    expect(hit).toMatchObject({ host: { name: 'WS-FIN-07.corp.example' } });
  });

  it('answers per-item errors: one malformed source fails alone and is dead-lettered', async () => {
    const before = (await ctx.events.readAfter(0, 1000)).length;
    const body =
      '{"index":{"_index":"app","_id":"a-1"}}\n{"message":"first","host":{"name":"h1"}}\n' +
      '{"index":{"_index":"app"}}\n{"message": "broken\n' +
      '{"create":{}}\n{"message":"third"}\n' +
      '{"delete":{"_index":"app","_id":"a-1"}}\n';
    const res = await fetch(`${url}/app/_bulk`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-ndjson' },
      body,
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const r = (await res.json()) as { errors: boolean; items: Record<string, Record<string, unknown>>[] };
    expect(r.errors).toBe(true);
    expect(r.items.map((i) => Object.keys(i)[0])).toEqual(['index', 'index', 'create', 'delete']);
    expect(r.items.map((i) => Object.values(i)[0]!.status)).toEqual([201, 400, 201, 400]);
    expect(r.items[0]!.index).toMatchObject({ _index: 'app', _id: 'a-1', result: 'created', _version: 1 });
    expect(r.items[1]!.index).toMatchObject({ _index: 'app', error: { type: 'mapper_parsing_exception' } });
    expect(r.items[2]!.create).toMatchObject({ _index: 'app', _id: String(r.items[2]!.create!._seq_no) });
    expect(r.items[3]!.delete).toMatchObject({ error: { type: 'action_request_validation_exception' } });
    expect((await ctx.events.readAfter(0, 1000)).length).toBe(before + 2);
    const dead = await ctx.deadLetters.list(100);
    expect(dead[0]).toMatchObject({ source: 'es-bulk', line: 4, raw: '{"message": "broken' });
  });

  it('accepts single documents (index API)', async () => {
    const res = await fetch(`${url}/rsyslog/_doc`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{\n  "message": "single",\n  "host": {"name": "h2"}\n}',
    });
    expect(res.status).toBe(201);
    expect(await res.json()).toMatchObject({ _index: 'rsyslog', result: 'created', _version: 1 });
    const bad = await fetch(`${url}/rsyslog/_doc/x1`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: '[1]',
    });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ status: 400, error: { type: 'mapper_parsing_exception' } });
  });

  // PGlite runs a COPY synchronously on this thread, so no request can arrive while the queue is
  // full; with PostgreSQL the COPY is network I/O and the request finds the queue busy.
  it.skipIf(kind === 'pglite')('answers 429 with Retry-After when the ingest queue is full', async () => {
    const value = { message: 'filler' };
    const filler = Array.from({ length: 60_000 }, (_, n) => ({
      line: n + 1,
      text: '{"message":"filler"}',
      value,
    }));
    const pending = ctx.ingest.ingestJson(filler, 'http'); // queued synchronously; the writer is now busy
    const res = await fetch(`${url}/_bulk`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-ndjson' },
      body: ndjson([{ index: {} }, { a: 1 }]),
    });
    await pending;
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('1');
    expect(res.headers.get('x-elastic-product')).toBe('Elasticsearch');
    expect(await res.json()).toMatchObject({
      status: 429,
      error: { type: 'es_rejected_execution_exception', reason: expect.stringMatching(/queue full/) },
    });
  });
  it("ignores Fluent Bit's _type, and answers a corrupt gzip body with an ES 400", async () => {
    const body = ndjson([{ index: { _index: 'fluent-bit', _type: '_doc' } }, { log: 'from fluent bit' }]);
    const ok = await fetch(`${url}/_bulk`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-ndjson' },
      body,
    });
    expect(await ok.json()).toMatchObject({
      errors: false,
      items: [{ index: { _index: 'fluent-bit', status: 201 } }],
    });
    const bad = await fetch(`${url}/_bulk`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-ndjson', 'content-encoding': 'gzip' },
      body: 'not gzip at all',
    });
    expect(bad.status).toBe(400);
    expect(bad.headers.get('x-elastic-product')).toBe('Elasticsearch');
    expect(await bad.json()).toMatchObject({ status: 400, error: { type: 'parse_exception' } });
  });

  it('answers an empty bulk with 400 and an ES error body', async () => {
    const res = await fetch(`${url}/_bulk`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '\n',
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({
      error: { type: 'action_request_validation_exception' },
      status: 400,
    });
  });
});

describe('Elasticsearch listener body limit', () => {
  let ctx: ServiceContext;
  let listener: RunningListener;
  let url: string;
  beforeAll(async () => {
    ctx = await openTestContext('pglite', { VIGIL_MAX_BODY_BYTES: '2048' });
    ({ listener, url } = await start(ctx));
  }, 60_000);
  afterAll(async () => {
    await listener?.close();
    if (ctx) await closeTestContext(ctx);
  });

  const big = ndjson(
    Array.from({ length: 40 }, (_, n) => (n % 2 === 0 ? { index: {} } : { message: 'x'.repeat(100) })),
  );

  it('answers 413 with an ES error body beyond VIGIL_MAX_BODY_BYTES, also once decompressed', async () => {
    const gz = gzipSync(big);
    expect(big.length).toBeGreaterThan(2048);
    expect(gz.length).toBeLessThan(2048);
    const plain: RequestInit = { body: big, headers: { 'content-type': 'application/x-ndjson' } };
    const zipped: RequestInit = {
      body: gz,
      headers: { 'content-type': 'application/x-ndjson', 'content-encoding': 'gzip' },
    };
    for (const init of [plain, zipped]) {
      const res = await fetch(`${url}/_bulk`, { method: 'POST', ...init });
      expect(res.status).toBe(413);
      expect(res.headers.get('x-elastic-product')).toBe('Elasticsearch');
      expect(await res.json()).toMatchObject({
        status: 413,
        error: { type: 'content_too_long_exception', reason: expect.stringMatching(/2048/) },
      });
    }
    expect(await ctx.events.lastId()).toBe(0);
    const small = await fetch(`${url}/_bulk`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-ndjson' },
      body: ndjson([{ index: {} }, { message: 'ok' }]),
    });
    expect(small.status).toBe(200);
  });
});
