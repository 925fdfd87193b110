/**
 * Limits and HTTP hardening: the per-principal API rate limit (`VIGIL_RATE_LIMIT` per minute),
 * the token endpoint's per-address limit (`VIGIL_LOGIN_RATE_LIMIT`), the ingest limit in
 * events/s per key (`VIGIL_INGEST_RATE_LIMIT`), each answering 429 with Retry-After, shared by
 * two instances through Redis; security headers (helmet), CORS, and the body size limit (413).
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCodes } from '../../src/errors.js';
import { buildApi } from '../../src/server/app.js';
import type { ServiceContext } from '../../src/service/vigil.js';
import { createKey, login, seedAccounts, type TestAccounts, USER_PASSWORD } from '../helpers/auth.js';
import {
  callAs,
  createUser,
  randomIp,
  REDIS_TEST_URL,
  redisAvailable,
  tokenRequest,
  uniqueName,
  twoInstances,
  type TwoInstances,
} from '../helpers/auth-attacks.js';
import type { JsonResponse } from '../helpers/inject.js';
import { closeTestContext, openTestContext, STORE_KINDS } from '../helpers/service.js';

const REDIS = await redisAvailable();
const CONSOLE = 'https://console.example';
const ENV = {
  VIGIL_RATE_LIMIT: '5',
  VIGIL_LOGIN_RATE_LIMIT: '3',
  VIGIL_INGEST_RATE_LIMIT: '10',
  VIGIL_CORS_ORIGINS: CONSOLE,
  VIGIL_MAX_BODY_BYTES: '4096',
};

function events(n: number): Record<string, unknown>[] {
  return Array.from({ length: n }, (_, i) => ({
    '@timestamp': '2026-11-20T10:00:00Z',
    message: `limit test ${i}`,
    host: { name: 'L1' },
  }));
}

function expect429(r: JsonResponse): void {
  expect(r.status, JSON.stringify(r.body)).toBe(429);
  const retry = Number(r.headers['retry-after']);
  expect(Number.isInteger(retry) && retry >= 1, `retry-after ${r.headers['retry-after']}`).toBe(true);
}

/** A fresh viewer (its own rate-limit budget); @returns `Bearer <token>` (logged in without HTTP) */
async function freshUser(ctx: ServiceContext): Promise<string> {
  const name = uniqueName('limited');
  await createUser(ctx, name, 'viewer');
  return login(ctx, name, USER_PASSWORD);
}

describe.each(STORE_KINDS)('limits and HTTP hardening on %s', (kind) => {
  let ctx: ServiceContext;
  let app: FastifyInstance;
  let accounts: TestAccounts;

  beforeAll(async () => {
    ctx = await openTestContext(kind, ENV);
    app = await buildApi(ctx);
    accounts = await seedAccounts(ctx);
  }, 60_000);

  afterAll(async () => {
    await app?.close();
    if (ctx) await closeTestContext(ctx);
  });

  it('VIGIL_RATE_LIMIT=5: the 6th request of a user within a minute is 429 with Retry-After; another user is unaffected', async () => {
    const u1 = await freshUser(ctx);
    const u2 = await freshUser(ctx);
    for (let i = 0; i < 5; i++) {
      const r = await callAs(app, u1, 'GET', '/api/v1/alerts');
      expect(r.status, `request ${i + 1}`).toBe(200);
      expect(r.headers['x-ratelimit-limit']).toBe('5');
    }
    const sixth = await callAs(app, u1, 'GET', '/api/v1/alerts');
    expect429(sixth);
    expect(Number(sixth.headers['retry-after'])).toBeLessThanOrEqual(60);
    expect(sixth.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(sixth.body.status).toBe(429);
    // The budget is per principal across routes, not per route.
    expect429(await callAs(app, u1, 'GET', '/api/v1/rules'));
    expect((await callAs(app, u2, 'GET', '/api/v1/alerts')).status).toBe(200);
  });

  it('the API rate limit answers with the RATE_LIMITED code of the error catalogue', async () => {
    const u = await freshUser(ctx);
    for (let i = 0; i < 5; i++) await callAs(app, u, 'GET', '/api/v1/alerts');
    const r = await callAs(app, u, 'GET', '/api/v1/alerts');
    expect(r.status).toBe(429);
    expect(r.body.code).toBe(ErrorCodes.RATE_LIMITED.code);
  });

  it('an API key counts on its own; the ingest route is limited in events/s, not in requests/min', async () => {
    const key = await createKey(ctx, ['ingest:write', 'alerts:read'], 'busy');
    for (let i = 0; i < 5; i++)
      expect((await callAs(app, key.bearer, 'GET', '/api/v1/alerts')).status).toBe(200);
    expect429(await callAs(app, key.bearer, 'GET', '/api/v1/alerts'));
    // Past its per-minute budget, it still ingests (1 event per request, under 10/s).
    for (let i = 0; i < 3; i++)
      expect((await callAs(app, key.bearer, 'POST', '/api/v1/events', events(1))).status).toBe(200);
  });

  it('VIGIL_LOGIN_RATE_LIMIT=3: the 4th token request from one address in a minute is 429; another address is not', async () => {
    const ip = randomIp();
    for (let i = 0; i < 3; i++) {
      const r = await tokenRequest(app, { grant_type: 'unsupported' }, { ip });
      expect(r.status, `request ${i + 1}`).toBe(400);
    }
    expect429(
      await tokenRequest(
        app,
        { grant_type: 'password', username: 'viewer', password: USER_PASSWORD },
        { ip },
      ),
    );
    const elsewhere = await tokenRequest(
      app,
      { grant_type: 'password', username: 'viewer', password: USER_PASSWORD },
      { ip: randomIp() },
    );
    expect(elsewhere.status).toBe(200);
  });

  it('VIGIL_INGEST_RATE_LIMIT=10: 10 events are accepted, more within the second are 429 with Retry-After', async () => {
    const key = await createKey(ctx, ['ingest:write'], 'ingest-limited');
    const other = await createKey(ctx, ['ingest:write'], 'ingest-other');
    let limited: JsonResponse | undefined;
    // A fixed one-second window: retry if the two requests straddled a window boundary.
    for (let attempt = 0; attempt < 3 && !limited; attempt++) {
      await new Promise((r) => setTimeout(r, 1100));
      const ten = await callAs(app, key.bearer, 'POST', '/api/v1/events', events(10));
      expect(ten.status, JSON.stringify(ten.body)).toBe(200);
      expect(ten.body.accepted).toBe(10);
      const more = await callAs(app, key.bearer, 'POST', '/api/v1/events', events(1));
      if (more.status !== 200) limited = more;
    }
    expect(limited).toBeDefined();
    expect429(limited!);
    expect(limited!.body.code).toBe(ErrorCodes.RATE_LIMITED.code);
    // Another key has its own budget.
    expect((await callAs(app, other.bearer, 'POST', '/api/v1/events', events(10))).status).toBe(200);
  });

  it('a request larger than one second of budget takes the whole budget instead of failing for ever', async () => {
    const key = await createKey(ctx, ['ingest:write'], 'bulk');
    const big = await callAs(app, key.bearer, 'POST', '/api/v1/events', events(25));
    expect(big.status).toBe(200);
    expect(big.body.accepted).toBe(25);
    expect429(await callAs(app, key.bearer, 'POST', '/api/v1/events', events(1)));
  });

  it('security headers: nosniff, a CSP with frame-ancestors, X-Frame-Options, no X-Powered-By, no HSTS without TLS', async () => {
    for (const r of [
      await callAs(app, undefined, 'GET', '/health'),
      await callAs(app, accounts.admin, 'GET', '/api/v1/users'),
    ]) {
      expect(r.headers['x-content-type-options']).toBe('nosniff');
      expect(String(r.headers['content-security-policy'])).toMatch(/frame-ancestors 'self'/);
      expect(String(r.headers['content-security-policy'])).toMatch(/default-src 'self'/);
      expect(r.headers['x-frame-options']).toBe('SAMEORIGIN');
      expect(r.headers['x-powered-by']).toBeUndefined();
      expect(r.headers['strict-transport-security']).toBeUndefined();
    }
  });

  it('security headers are on 401 and 403 answers too', async () => {
    for (const r of [
      await callAs(app, undefined, 'GET', '/api/v1/alerts'),
      await callAs(app, 'Bearer forged.token.here', 'GET', '/api/v1/alerts'),
      await callAs(app, accounts.viewer, 'GET', '/api/v1/users'),
    ]) {
      expect(r.status === 401 || r.status === 403).toBe(true);
      expect(r.headers['x-content-type-options'], `${r.status}`).toBe('nosniff');
      expect(r.headers['content-security-policy'], `${r.status}`).toBeDefined();
    }
  });

  it('CORS: a preflight from the configured origin is allowed, from another origin it is not', async () => {
    const preflight = (origin: string) =>
      app.inject({
        method: 'OPTIONS',
        url: '/api/v1/alerts',
        headers: {
          origin,
          'access-control-request-method': 'GET',
          'access-control-request-headers': 'authorization',
        },
        remoteAddress: randomIp(),
      });
    const ok = await preflight(CONSOLE);
    expect(ok.statusCode).toBeLessThan(300);
    expect(ok.headers['access-control-allow-origin']).toBe(CONSOLE);
    expect(String(ok.headers['access-control-allow-methods'])).toMatch(/GET/);
    expect(ok.headers['access-control-allow-credentials']).toBeUndefined();
    const evil = await preflight('https://evil.example');
    expect(evil.headers['access-control-allow-origin']).toBeUndefined();
    // The actual request from the console gets the header; from elsewhere it does not.
    const real = await callAs(app, accounts.viewer, 'GET', '/api/v1/alerts', undefined, {
      headers: { origin: CONSOLE },
    });
    expect(real.headers['access-control-allow-origin']).toBe(CONSOLE);
    const foreign = await callAs(app, accounts.viewer, 'GET', '/api/v1/alerts', undefined, {
      headers: { origin: 'https://evil.example' },
    });
    expect(foreign.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('CORS: a 401 to the console carries Access-Control-Allow-Origin (so it can see the 401 and refresh)', async () => {
    const r = await callAs(app, 'Bearer expired.or.forged', 'GET', '/api/v1/alerts', undefined, {
      headers: { origin: CONSOLE },
    });
    expect(r.status).toBe(401);
    expect(r.headers['access-control-allow-origin']).toBe(CONSOLE);
  });

  it('a body over VIGIL_MAX_BODY_BYTES=4096 is 413 (ingest and JSON routes); anonymous ones are 401 before the body is read', async () => {
    const big = JSON.stringify({ message: 'x'.repeat(5000) });
    const ingestR = await callAs(app, accounts.ingestKey.bearer, 'POST', '/api/v1/events', big);
    expect(ingestR.status).toBe(413);
    expect(ingestR.body.code).toBe(ErrorCodes.PAYLOAD_TOO_LARGE.code);
    const ndjson = await callAs(app, accounts.ingestKey.basic, 'POST', '/api/v1/events', `${big}\n${big}\n`, {
      headers: { 'content-type': 'application/x-ndjson' },
    });
    expect(ndjson.status).toBe(413);
    const admin = await freshAdmin();
    const rules = await callAs(app, admin, 'POST', '/api/v1/rules', big);
    expect(rules.status).toBe(413);
    expect((await callAs(app, undefined, 'POST', '/api/v1/events', big)).status).toBe(401);
    // Control: just under the limit is not 413.
    const small = await callAs(app, accounts.ingestKey.bearer, 'POST', '/api/v1/events', {
      message: 'x'.repeat(3000),
    });
    expect(small.status).toBe(200);
  });

  it('a form body over VIGIL_MAX_BODY_BYTES=4096 on the token endpoint is 413 as well', async () => {
    const r = await tokenRequest(
      app,
      { grant_type: 'password', username: 'viewer', password: USER_PASSWORD, scope: 'x'.repeat(10_000) },
      { form: true, ip: randomIp() },
    );
    expect(r.status).toBe(413);
  });

  /** An admin with an untouched rate-limit budget. */
  async function freshAdmin(): Promise<string> {
    const name = uniqueName('admin');
    await createUser(ctx, name, 'admin');
    return login(ctx, name, USER_PASSWORD);
  }
});

describe.runIf(REDIS && STORE_KINDS.includes('postgres'))(
  'limits shared by two instances through Redis',
  () => {
    let two: TwoInstances;
    let a: ServiceContext;
    let b: ServiceContext;
    let appA: FastifyInstance;
    let appB: FastifyInstance;

    beforeAll(async () => {
      two = await twoInstances({ ...ENV, REDIS_URL: REDIS_TEST_URL });
      ({ a, b, appA, appB } = two);
    }, 60_000);

    afterAll(async () => {
      await two?.close();
    });

    it('the API limit: 3 requests on A and 2 on B use the budget of 5; the next is 429 on both', async () => {
      const u = await freshUser(a);
      for (const target of [appA, appB, appA, appB, appA])
        expect((await callAs(target, u, 'GET', '/api/v1/alerts')).status).toBe(200);
      expect429(await callAs(appB, u, 'GET', '/api/v1/alerts'));
      expect429(await callAs(appA, u, 'GET', '/api/v1/alerts'));
      // Another user still has a budget on both.
      const v = await freshUser(b);
      expect((await callAs(appA, v, 'GET', '/api/v1/alerts')).status).toBe(200);
      expect((await callAs(appB, v, 'GET', '/api/v1/alerts')).status).toBe(200);
    });

    it('the login limit: 2 token requests on A and 1 on B from one address; the 4th is 429', async () => {
      const ip = randomIp();
      for (const target of [appA, appB, appA])
        expect((await tokenRequest(target, { grant_type: 'unsupported' }, { ip })).status).toBe(400);
      expect429(await tokenRequest(appB, { grant_type: 'unsupported' }, { ip }));
    });

    it('the ingest limit: 6 events through A and 4 taken on B fill the second; one more on A is 429', async () => {
      // One writer per database (EventStore): B takes from the shared budget without storing,
      // as its Elasticsearch listener would for the same key.
      const key = await createKey(a, ['ingest:write'], 'shared-ingest');
      let limited: JsonResponse | undefined;
      for (let attempt = 0; attempt < 3 && !limited; attempt++) {
        await new Promise((r) => setTimeout(r, 1100));
        expect((await callAs(appA, key.bearer, 'POST', '/api/v1/events', events(6))).status).toBe(200);
        await b.ingestLimiter.take(`api_key:${key.id}`, 4);
        const more = await callAs(appA, key.bearer, 'POST', '/api/v1/events', events(1));
        if (more.status !== 200) limited = more;
      }
      expect(limited).toBeDefined();
      expect429(limited!);
      await expect(b.ingestLimiter.take(`api_key:${key.id}`, 1)).rejects.toMatchObject({
        code: ErrorCodes.RATE_LIMITED.code,
      });
    });
  },
);
