/**
 * The Elasticsearch listener over real HTTP (fetch) on a real store: Beats-style bulk, per-item
 * errors, limits, and its credentials (API keys with `ingest:write`, as Elasticsearch's security
 * layer asks). No mocks.
 */
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEsListener } from '../../../src/server/es/listener.js';
import type { RunningListener } from '../../../src/service/listener.js';
import type { ServiceContext } from '../../../src/service/vigil.js';
import { listAlerts } from '../../../src/store/alerts.js';
import {
  ADMIN_PASSWORD,
  type ApiKeyCredential,
  createKey,
  login,
  USER_PASSWORD,
  seedAccounts,
} from '../../helpers/auth.js';
import {
  closeTestContext,
  detected,
  listenerContext,
  openTestContext,
  STORE_KINDS,
} from '../../helpers/service.js';

const ENCODED_POWERSHELL_RULE = '2d0b67a4-e672-4f47-80d6-ea4886b6c27f';
const FIXTURE = new URL('../../fixtures/winlogbeat/sysmon-process-create.ndjson', import.meta.url);
const BEATS_TYPE = 'application/vnd.elasticsearch+x-ndjson; compatible-with=8';
const BEATS_ACCEPT = 'application/vnd.elasticsearch+json; compatible-with=8';

async function start(ctx: ServiceContext): Promise<{ listener: RunningListener; url: string }> {
  const listener = await startEsListener(listenerContext(ctx), 0, '127.0.0.1');
  return { listener, url: `http://127.0.0.1:${listener.ports.http}` };
}

const ndjson = (values: readonly unknown[]) => values.map((v) => JSON.stringify(v)).join('\n') + '\n';

/** What Elasticsearch's security layer answers without valid credentials. */
const ES_CHALLENGE = 'Basic realm="vigil", ApiKey';

describe.each(STORE_KINDS)('Elasticsearch listener on %s', (kind) => {
  let ctx: ServiceContext;
  let listener: RunningListener;
  let url: string;
  let key: ApiKeyCredential;
  beforeAll(async () => {
    ctx = await openTestContext(kind);
    key = (await seedAccounts(ctx)).ingestKey;
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
      // Beats' `output.elasticsearch.api_key: id:secret` sends `ApiKey base64(id:secret)`.
      headers: {
        'content-type': BEATS_TYPE,
        accept: BEATS_ACCEPT,
        'content-encoding': 'gzip',
        authorization: key.apiKey,
      },
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
      headers: { 'content-type': 'application/x-ndjson', authorization: key.bearer },
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
      headers: { 'content-type': 'application/json', authorization: key.basic },
      body: '{\n  "message": "single",\n  "host": {"name": "h2"}\n}',
    });
    expect(res.status).toBe(201);
    expect(await res.json()).toMatchObject({ _index: 'rsyslog', result: 'created', _version: 1 });
    const bad = await fetch(`${url}/rsyslog/_doc/x1`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', authorization: key.basic },
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
      headers: { 'content-type': 'application/x-ndjson', authorization: key.apiKey },
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
    // Fluent Bit's `HTTP_User` and `HTTP_Passwd` (Basic) carry the key's id and secret.
    const ok = await fetch(`${url}/_bulk`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-ndjson', authorization: key.basic },
      body,
    });
    expect(await ok.json()).toMatchObject({
      errors: false,
      items: [{ index: { _index: 'fluent-bit', status: 201 } }],
    });
    const bad = await fetch(`${url}/_bulk`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-ndjson',
        'content-encoding': 'gzip',
        authorization: key.basic,
      },
      body: 'not gzip at all',
    });
    expect(bad.status).toBe(400);
    expect(bad.headers.get('x-elastic-product')).toBe('Elasticsearch');
    expect(await bad.json()).toMatchObject({ status: 400, error: { type: 'parse_exception' } });
  });

  it('answers an empty bulk with 400 and an ES error body', async () => {
    const res = await fetch(`${url}/_bulk`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: key.bearer },
      body: '\n',
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({
      error: { type: 'action_request_validation_exception' },
      status: 400,
    });
  });

  describe('credentials', () => {
    const bulkBody = (marker: string) => ndjson([{ create: {} }, { message: marker }]);
    const stored = async (marker: string) =>
      (await ctx.events.search({ text: marker, limit: 100 })).events.length;
    const bulk = (marker: string, authorization?: string) =>
      fetch(`${url}/_bulk`, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-ndjson',
          ...(authorization !== undefined ? { authorization } : {}),
        },
        body: bulkBody(marker),
      });

    async function expectSecurityException(res: Response, status: 401 | 403, reason: RegExp) {
      expect(res.status).toBe(status);
      expect(res.headers.get('x-elastic-product')).toBe('Elasticsearch');
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      if (status === 401) expect(res.headers.get('www-authenticate')).toBe(ES_CHALLENGE);
      else expect(res.headers.get('www-authenticate')).toBeNull();
      expect(await res.json()).toEqual({
        error: {
          root_cause: [{ type: 'security_exception', reason: expect.stringMatching(reason) }],
          type: 'security_exception',
          reason: expect.stringMatching(reason),
        },
        status,
      });
    }

    it('answers 401 security_exception with WWW-Authenticate without credentials, storing nothing', async () => {
      await expectSecurityException(await bulk('no-credentials'), 401, /authentication required/);
      const single = await fetch(`${url}/app/_doc`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"message":"no-credentials"}',
      });
      await expectSecurityException(single, 401, /authentication required/);
      await expectSecurityException(await fetch(`${url}/`), 401, /authentication required/);
      expect(await stored('no-credentials')).toBe(0);
    });

    it('answers 401 for a wrong secret, an unknown key, a malformed or unsupported header', async () => {
      const wrong = Buffer.from(`${key.id}:${'x'.repeat(key.secret.length)}`).toString('base64');
      await expectSecurityException(await bulk('bad-credentials', `ApiKey ${wrong}`), 401, /invalid API key/);
      await expectSecurityException(
        await bulk('bad-credentials', `Basic ${Buffer.from(`nokey:${key.secret}`).toString('base64')}`),
        401,
        /invalid API key/,
      );
      await expectSecurityException(
        await bulk('bad-credentials', `ApiKey ${Buffer.from(key.id).toString('base64')}`),
        401,
        /malformed API key/,
      );
      await expectSecurityException(await bulk('bad-credentials', 'Digest x=1'), 401, /unsupported/);
      // A user's name and password are not an API key, even the admin's.
      const admin = Buffer.from(`admin:${ADMIN_PASSWORD}`).toString('base64');
      await expectSecurityException(await bulk('bad-credentials', `Basic ${admin}`), 401, /invalid API key/);
      expect(await stored('bad-credentials')).toBe(0);
    });

    it('answers 403 security_exception for a key or user without ingest:write', async () => {
      const reader = await createKey(ctx, ['events:read', 'alerts:read'], 'reader');
      for (const authorization of [reader.apiKey, reader.basic, reader.bearer])
        await expectSecurityException(await bulk('no-permission', authorization), 403, /ingest:write/);
      // The probes want it too.
      await expectSecurityException(
        await fetch(`${url}/`, { headers: { authorization: reader.apiKey } }),
        403,
        /ingest:write/,
      );
      // An analyst's access token: a valid credential, without the permission.
      const analyst = await login(ctx, 'analyst', USER_PASSWORD);
      await expectSecurityException(await bulk('no-permission', analyst), 403, /ingest:write/);
      expect(await stored('no-permission')).toBe(0);
    });

    it('accepts the key in each form, and answers 401 once it is revoked', async () => {
      const k = await createKey(ctx, ['ingest:write'], 'to revoke');
      for (const [n, authorization] of [k.apiKey, k.basic, k.bearer].entries())
        expect((await bulk(`before-revoke-${n}`, authorization)).status).toBe(200);
      expect(await stored('before-revoke-')).toBe(3);
      await ctx.auth.apiKeys.revoke(k.id, { name: 'user:admin', ip: null });
      for (const authorization of [k.apiKey, k.basic, k.bearer])
        await expectSecurityException(await bulk('after-revoke', authorization), 401, /revoked/);
      await expectSecurityException(
        await fetch(`${url}/`, { method: 'GET', headers: { authorization: k.apiKey } }),
        401,
        /revoked/,
      );
      expect(await stored('after-revoke')).toBe(0);
      // Other keys are unaffected.
      expect((await bulk('other-key', key.apiKey)).status).toBe(200);
    });
  });
});

describe('Elasticsearch listener body limit', () => {
  let ctx: ServiceContext;
  let listener: RunningListener;
  let url: string;
  let key: ApiKeyCredential;
  beforeAll(async () => {
    ctx = await openTestContext('pglite', { VIGIL_MAX_BODY_BYTES: '2048' });
    key = await createKey(ctx, ['ingest:write']);
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
    const plain: RequestInit = {
      body: big,
      headers: { 'content-type': 'application/x-ndjson', authorization: key.apiKey },
    };
    const zipped: RequestInit = {
      body: gz,
      headers: {
        'content-type': 'application/x-ndjson',
        'content-encoding': 'gzip',
        authorization: key.apiKey,
      },
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
      headers: { 'content-type': 'application/x-ndjson', authorization: key.apiKey },
      body: ndjson([{ index: {} }, { message: 'ok' }]),
    });
    expect(small.status).toBe(200);
  });
});

describe('Elasticsearch listener ingest rate limit (VIGIL_INGEST_RATE_LIMIT)', () => {
  let ctx: ServiceContext;
  let listener: RunningListener;
  let url: string;
  beforeAll(async () => {
    ctx = await openTestContext('pglite', { VIGIL_INGEST_RATE_LIMIT: '5' });
    ({ listener, url } = await start(ctx));
  }, 60_000);
  afterAll(async () => {
    await listener?.close();
    if (ctx) await closeTestContext(ctx);
  });

  const docs = (n: number, tag: string) =>
    ndjson(Array.from({ length: 2 * n }, (_, i) => (i % 2 === 0 ? { create: {} } : { message: tag })));

  it("answers 429 es_rejected_execution_exception with Retry-After past the key's events/s", async () => {
    const a = await createKey(ctx, ['ingest:write'], 'a');
    const b = await createKey(ctx, ['ingest:write'], 'b');
    const post = (body: string, authorization: string) =>
      fetch(`${url}/_bulk`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-ndjson', authorization },
        body,
      });
    expect((await post(docs(5, 'within'), a.apiKey)).status).toBe(200);
    const over = await post(docs(1, 'over'), a.apiKey);
    expect(over.status).toBe(429);
    expect(Number(over.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(over.headers.get('x-elastic-product')).toBe('Elasticsearch');
    expect(await over.json()).toMatchObject({
      status: 429,
      error: { type: 'es_rejected_execution_exception', reason: expect.stringMatching(/5 events\/s/) },
    });
    // The budget is per key.
    expect((await post(docs(5, 'other key'), b.apiKey)).status).toBe(200);
    const stored = await ctx.events.readAfter(0, 100);
    expect(stored.filter((e) => e.original.includes('"over"'))).toHaveLength(0);
    expect(stored).toHaveLength(10);
  });
});
