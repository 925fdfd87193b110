/**
 * The route × role matrix: every route the auth plugin registered (`app.guardedRoutes`), called
 * by an anonymous client, a viewer, an analyst, an admin, an `ingest:write` key and an
 * `alerts:read` key. The expected class follows from the route's declared requirement and the
 * caller's permissions (`BUILTIN_ROLES`): 401 without credentials unless public, 403 without the
 * permission, neither with it (dummy params and bodies may still make it 400/404). Plus the
 * `/metrics` requirement from a non-loopback address, the exact list of public routes, and the
 * refusal to start with a route that declares nothing.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUILTIN_ROLES, PERMISSIONS, type Permission, type RouteAuth } from '../../src/auth/permissions.js';
import type { Principal } from '../../src/auth/principal.js';
import { ErrorCodes } from '../../src/errors.js';
import { buildApi } from '../../src/server/app.js';
import authPlugin, { checkPermission, type GuardedRoute } from '../../src/server/plugins/auth.js';
import type { ServiceContext } from '../../src/service/vigil.js';
import {
  ADMIN_PASSWORD,
  type ApiKeyCredential,
  createKey,
  login,
  seedAccounts,
  USER_PASSWORD,
} from '../helpers/auth.js';
import { callAs, createUser, uniqueName } from '../helpers/auth-attacks.js';
import { closeTestContext, openTestContext, STORE_KINDS } from '../helpers/service.js';

const METRICS_TOKEN = 'metrics-scrape-token-0123456789abcdef';

type Who = 'anonymous' | 'viewer' | 'analyst' | 'admin' | 'ingest key' | 'alerts key';
const WHO: readonly Who[] = ['anonymous', 'viewer', 'analyst', 'admin', 'ingest key', 'alerts key'];

/** What a caller holds: null = anonymous. */
function permissionsOf(who: Who): ReadonlySet<Permission> | null {
  switch (who) {
    case 'anonymous':
      return null;
    case 'ingest key':
      return new Set<Permission>(['ingest:write']);
    case 'alerts key':
      return new Set<Permission>(['alerts:read']);
    default:
      return new Set(BUILTIN_ROLES[who].permissions);
  }
}

type Expected = 'allowed' | 401 | 403;

/** The status class a caller must get on a route, from its declaration alone. */
function expectedFor(auth: RouteAuth, who: Who): Expected {
  const held = permissionsOf(who);
  if (auth === 'public') return 'allowed';
  // inject's remote address is 127.0.0.1: loopback may scrape without credentials.
  if (auth === 'metrics') return 'allowed';
  if (held === null) return 401;
  if (auth === 'authenticated') return 'allowed';
  const need: Permission = auth === 'stream' ? 'alerts:read' : auth;
  return held.has(need) ? 'allowed' : 403;
}

/**
 * Routes declared `authenticated` whose handler refuses API keys on purpose (they act on a
 * user's own account): for a key these answer 403 from the handler, naming API keys.
 */
const USER_ONLY_FOR_KEYS = new Set(['POST /api/v1/auth/mfa/enroll']);

/** A concrete request for a route: dummy path parameters, a dummy body, required query. */
function requestFor(route: GuardedRoute): {
  method: string;
  url: string;
  headers: Record<string, string>;
  payload?: string;
  hasParams: boolean;
} {
  const hasParams = /[:*]/.test(route.url);
  if (route.method === 'OPTIONS') {
    // The CORS preflight route (`OPTIONS *`): what a browser sends, without credentials.
    return {
      method: 'OPTIONS',
      url: '/api/v1/alerts',
      headers: { origin: 'https://elsewhere.example', 'access-control-request-method': 'GET' },
      hasParams: true,
    };
  }
  let url = route.url
    .replace(/:([A-Za-z_]+)/g, (_m, name: string) => (name === 'name' ? 'x' : '1'))
    .replace(/\*$/, 'swagger-ui.css');
  if (url === '/api/v1/stats') url += '?from=2026-01-01T00:00:00Z&to=2026-01-02T00:00:00Z';
  const withBody = ['POST', 'PATCH', 'PUT'].includes(route.method);
  return {
    method: route.method,
    url,
    headers: withBody ? { 'content-type': 'application/json' } : {},
    ...(withBody ? { payload: '{}' } : {}),
    hasParams,
  };
}

/** The routes to call: HEAD twins of a GET are skipped, and the WebSocket (tested in stream-auth). */
function matrixRoutes(app: FastifyInstance): GuardedRoute[] {
  const gets = new Set(app.guardedRoutes.filter((r) => r.method === 'GET').map((r) => r.url));
  return app.guardedRoutes.filter((r) => !(r.method === 'HEAD' && gets.has(r.url)) && r.auth !== 'stream');
}

describe.each(STORE_KINDS)('route × role matrix on %s', (kind) => {
  let ctx: ServiceContext;
  let app: FastifyInstance;
  const headers = new Map<Who, string | undefined>();
  const users: Partial<Record<Who, string>> = {};
  let alertsKey: ApiKeyCredential;

  beforeAll(async () => {
    ctx = await openTestContext(kind, { VIGIL_METRICS_TOKEN: METRICS_TOKEN });
    app = await buildApi(ctx);
    await app.ready();
    const accounts = await seedAccounts(ctx);
    alertsKey = await createKey(ctx, ['alerts:read'], 'alerts reader');
    headers.set('anonymous', undefined);
    headers.set('viewer', accounts.viewer);
    headers.set('analyst', accounts.analyst);
    headers.set('admin', accounts.admin);
    headers.set('ingest key', accounts.ingestKey.bearer);
    headers.set('alerts key', alertsKey.bearer);
    users.viewer = 'viewer';
    users.analyst = 'analyst';
    users.admin = 'admin';
  }, 60_000);

  afterAll(async () => {
    await app?.close();
    if (ctx) await closeTestContext(ctx);
  });

  /** The header to use on one route: logout ends a session, so users log in afresh for it. */
  async function headerFor(who: Who, route: GuardedRoute): Promise<string | undefined> {
    const name = users[who];
    if (route.url === '/api/v1/auth/logout' && name)
      return login(ctx, name, name === 'admin' ? ADMIN_PASSWORD : USER_PASSWORD);
    return headers.get(who);
  }

  it.each(WHO)('%s gets exactly what its permissions allow on every route', async (who) => {
    const failures: string[] = [];
    let checked = 0;
    for (const route of matrixRoutes(app)) {
      const req = requestFor(route);
      const authorization = await headerFor(who, route);
      const r = await app.inject({
        method: req.method as 'GET',
        url: req.url,
        headers: { ...req.headers, ...(authorization ? { authorization } : {}) },
        ...(req.payload !== undefined ? { payload: req.payload } : {}),
      });
      checked++;
      const label = `${route.method} ${route.url} [${route.auth}] as ${who}: got ${r.statusCode}`;
      let body: { code?: string; detail?: string } = {};
      try {
        body = JSON.parse(r.body) as typeof body;
      } catch {
        /* HTML, CSS, YAML, metrics text */
      }
      const exp = expectedFor(route.auth, who);
      const keyCaller = who === 'ingest key' || who === 'alerts key';
      if (keyCaller && exp === 'allowed' && USER_ONLY_FOR_KEYS.has(`${route.method} ${route.url}`)) {
        if (r.statusCode !== 403 || !/API keys/.test(body.detail ?? ''))
          failures.push(`${label}, expected the handler's 403 for API keys`);
        continue;
      }
      if (exp === 401) {
        if (r.statusCode !== 401) failures.push(`${label}, expected 401`);
        else if (body.code !== ErrorCodes.UNAUTHORIZED.code) failures.push(`${label} with code ${body.code}`);
        else if (r.headers['www-authenticate'] !== 'Bearer realm="vigil"')
          failures.push(`${label} without WWW-Authenticate`);
      } else if (exp === 403) {
        if (r.statusCode !== 403) failures.push(`${label}, expected 403`);
        else if (body.code !== ErrorCodes.FORBIDDEN.code) failures.push(`${label} with code ${body.code}`);
      } else {
        if (r.statusCode === 401 || r.statusCode === 403)
          failures.push(`${label}, expected neither 401 nor 403 (${body.detail ?? ''})`);
        else if (r.statusCode >= 500) failures.push(`${label}, a server error (${body.detail ?? ''})`);
        else if (route.method === 'GET' && !req.hasParams) {
          // Swagger UI's static index.html redirects to /docs/ (public, 200 itself).
          const redirectOk = route.url.startsWith('/docs') && r.statusCode >= 300 && r.statusCode < 400;
          if (!(r.statusCode >= 200 && r.statusCode < 300) && !redirectOk)
            failures.push(`${label}, expected 2xx for a GET without parameters (${body.detail ?? ''})`);
        }
      }
    }
    expect(failures).toEqual([]);
    // Vacuity guard: the whole API was walked, not an empty list.
    expect(checked).toBeGreaterThan(50);
  });

  it('GET /docs answers 200 to an anonymous client (Swagger UI), as do /openapi.json and /health', async () => {
    for (const url of ['/docs', '/openapi.json', '/health', '/ready', '/api/v1/auth/jwks']) {
      const r = await app.inject({ method: 'GET', url });
      expect(r.statusCode, url).toBe(200);
    }
    expect((await app.inject({ method: 'GET', url: '/docs' })).body).toMatch(/swagger/i);
    // A CORS preflight carries no credentials and is never refused for it.
    const preflight = await app.inject({
      method: 'OPTIONS',
      url: '/api/v1/users',
      headers: { origin: 'https://elsewhere.example', 'access-control-request-method': 'POST' },
    });
    // (No CORS origin is configured here, so it is not answered with CORS headers: see limits.test.ts.)
    expect([401, 403]).not.toContain(preflight.statusCode);
    expect(preflight.statusCode).toBeLessThan(500);
  });

  it('the public routes are exactly health, ready, docs, openapi.json, token, refresh, jwks and the CORS preflight', () => {
    const pub = app.guardedRoutes.filter((r) => r.auth === 'public');
    const docs = pub.filter((r) => r.url === '/docs' || r.url.startsWith('/docs/'));
    expect(docs.map((r) => r.url)).toContain('/docs');
    // Swagger UI only reads.
    expect(docs.every((r) => r.method === 'GET' || r.method === 'HEAD')).toBe(true);
    const others = new Set(
      pub.filter((r) => !docs.includes(r)).map((r) => `${r.method === 'HEAD' ? 'GET' : r.method} ${r.url}`),
    );
    // The CORS preflight route (`OPTIONS *`, public) is listed only when @fastify/cors registers
    // after the auth plugin; either way it must be the only extra.
    others.add('OPTIONS *');
    const expected = [
      'OPTIONS *',
      'GET /health',
      'GET /ready',
      'GET /openapi.json',
      'POST /api/v1/auth/token',
      'POST /api/v1/auth/refresh',
      'GET /api/v1/auth/jwks',
    ];
    // OpenID Connect login and callback are public only when configured (not here).
    expect(ctx.config.auth.oidc).toBeUndefined();
    expect([...others].sort()).toEqual(expected.sort());
  });

  it('every route declares a known requirement, and the non-public ones carry security in the OpenAPI document', async () => {
    const known = new Set<string>([...PERMISSIONS, 'authenticated', 'public', 'metrics', 'stream']);
    expect(app.guardedRoutes.filter((r) => !known.has(r.auth))).toEqual([]);
    const doc = JSON.parse((await app.inject({ method: 'GET', url: '/openapi.json' })).body) as {
      paths: Record<string, Record<string, { security?: unknown[] }>>;
    };
    const missing: string[] = [];
    let seen = 0;
    for (const r of app.guardedRoutes) {
      if (r.auth === 'public' || r.method === 'HEAD' || r.method === 'OPTIONS') continue;
      const path = r.url.replace(/:([A-Za-z_]+)/g, '{$1}');
      const op = doc.paths[path]?.[r.method.toLowerCase()];
      if (!op) continue; // hidden from the document
      seen++;
      if (!op.security || op.security.length === 0) missing.push(`${r.method} ${r.url}`);
    }
    expect(missing).toEqual([]);
    expect(seen).toBeGreaterThan(30);
  });

  it('a must-change-password user gets 403 everywhere but the authenticated routes, until the change', async () => {
    const name = uniqueName('newbie');
    await createUser(ctx, name, 'viewer', { mustChangePassword: true });
    const h = await login(ctx, name, USER_PASSWORD);
    const refused = await callAs(app, h, 'GET', '/api/v1/alerts');
    expect(refused.status).toBe(403);
    expect(refused.body.code).toBe(ErrorCodes.PASSWORD_CHANGE_REQUIRED.code);
    expect((await callAs(app, h, 'GET', '/api/v1/auth/me')).status).toBe(200);
    const changed = await callAs(app, h, 'POST', '/api/v1/auth/password', {
      current_password: USER_PASSWORD,
      new_password: 'a-brand-new-password-42',
    });
    expect(changed.status).toBe(200);
    expect((await callAs(app, `Bearer ${changed.body.access_token}`, 'GET', '/api/v1/alerts')).status).toBe(
      200,
    );
  });

  it('invalid credentials do not lock anyone out of the public routes', async () => {
    for (const url of ['/health', '/api/v1/auth/jwks', '/openapi.json']) {
      const r = await callAs(app, 'Bearer not-a-token', 'GET', url);
      expect(r.status, url).toBe(200);
    }
    expect((await callAs(app, 'Bearer not-a-token', 'GET', '/api/v1/auth/me')).status).toBe(401);
  });

  describe('/metrics from a non-loopback address (remoteAddress 10.0.0.1)', () => {
    const remote = { remoteAddress: '10.0.0.1' };

    it('401 without credentials, 200 with the scrape token, 401 with a wrong one', async () => {
      const anon = await app.inject({ method: 'GET', url: '/metrics', ...remote });
      expect(anon.statusCode).toBe(401);
      const scrape = await app.inject({
        method: 'GET',
        url: '/metrics',
        headers: { authorization: `Bearer ${METRICS_TOKEN}` },
        ...remote,
      });
      expect(scrape.statusCode).toBe(200);
      expect(scrape.body).toMatch(/# HELP/);
      const wrong = await app.inject({
        method: 'GET',
        url: '/metrics',
        headers: { authorization: `Bearer ${METRICS_TOKEN}x` },
        ...remote,
      });
      expect(wrong.statusCode).toBe(401);
    });

    it('200 for an admin token and a metrics:read key, 403 for a viewer', async () => {
      const metricsKey = await createKey(ctx, ['metrics:read'], 'scraper');
      for (const [h, status] of [
        [headers.get('admin'), 200],
        [metricsKey.bearer, 200],
        [headers.get('viewer'), 403],
        [alertsKey.bearer, 403],
      ] as const) {
        const r = await app.inject({
          method: 'GET',
          url: '/metrics',
          headers: { authorization: h! },
          ...remote,
        });
        expect(r.statusCode).toBe(status);
      }
    });

    it('loopback (127.0.0.1, ::1, ::ffff:127.0.0.1) scrapes without credentials; X-Forwarded-For cannot fake it', async () => {
      for (const remoteAddress of ['127.0.0.1', '127.0.0.53', '::1', '::ffff:127.0.0.1'])
        expect(
          (await app.inject({ method: 'GET', url: '/metrics', remoteAddress })).statusCode,
          remoteAddress,
        ).toBe(200);
      for (const remoteAddress of ['::ffff:10.0.0.1', '192.168.1.2', 'fe80::1'])
        expect(
          (await app.inject({ method: 'GET', url: '/metrics', remoteAddress })).statusCode,
          remoteAddress,
        ).toBe(401);
      const spoofed = await app.inject({
        method: 'GET',
        url: '/metrics',
        remoteAddress: '10.0.0.1',
        headers: { 'x-forwarded-for': '127.0.0.1' },
      });
      expect(spoofed.statusCode).toBe(401);
    });
  });

  it('a route registered without config.auth after the auth plugin stops the app from starting', async () => {
    // In a plugin: the registration error surfaces from ready().
    const inPlugin = Fastify();
    await inPlugin.register(authPlugin, { auth: ctx.auth, metricsToken: undefined });
    void inPlugin.register(async (child) => {
      child.get('/bare', async () => 'unguarded');
    });
    await expect(inPlugin.ready()).rejects.toThrow(/GET \/bare declares no permission/);
    await inPlugin.close().catch(() => undefined);

    // At the top level: route() itself throws.
    const direct = Fastify();
    await direct.register(authPlugin, { auth: ctx.auth, metricsToken: undefined });
    expect(() => direct.post('/bare', async () => 'unguarded')).toThrow(/declares no permission/);
    await direct.close();

    // Control: declared routes start and are enforced.
    const ok = Fastify();
    await ok.register(authPlugin, { auth: ctx.auth, metricsToken: undefined });
    ok.get('/open', { config: { auth: 'public' } }, async () => 'open');
    ok.get('/closed', { config: { auth: 'alerts:read' } }, async () => 'closed');
    await ok.ready();
    expect(ok.guardedRoutes.map((r) => `${r.method} ${r.url} ${r.auth}`)).toEqual(
      expect.arrayContaining(['GET /open public', 'GET /closed alerts:read']),
    );
    expect((await ok.inject({ method: 'GET', url: '/open' })).statusCode).toBe(200);
    expect((await ok.inject({ method: 'GET', url: '/closed' })).statusCode).toBe(401);
    const viewer = await ok.inject({
      method: 'GET',
      url: '/closed',
      headers: { authorization: headers.get('viewer')! },
    });
    expect(viewer.statusCode).toBe(200);
    await ok.close();
  });
});

describe('checkPermission', () => {
  const principal = (permissions: Permission[], mustChangePassword = false): Principal => ({
    kind: 'user',
    id: 'u1',
    name: 'u1',
    role: 'custom',
    permissions: new Set(permissions),
    sessionId: 's1',
    expiresAt: null,
    mustChangePassword,
  });
  const codeOf = (f: () => unknown): string => {
    try {
      f();
      return 'allowed';
    } catch (err) {
      return (err as { code?: string }).code ?? String(err);
    }
  };

  it('anonymous: UNAUTHORIZED for every requirement', () => {
    for (const need of ['authenticated', 'metrics', 'stream', 'alerts:read', 'public'] as RouteAuth[])
      expect(
        codeOf(() => checkPermission(null, need)),
        need,
      ).toBe(ErrorCodes.UNAUTHORIZED.code);
  });

  it('metrics needs metrics:read, stream needs alerts:read, a permission needs itself', () => {
    expect(codeOf(() => checkPermission(principal(['metrics:read']), 'metrics'))).toBe('allowed');
    expect(codeOf(() => checkPermission(principal(['alerts:read']), 'metrics'))).toBe(
      ErrorCodes.FORBIDDEN.code,
    );
    expect(codeOf(() => checkPermission(principal(['alerts:read']), 'stream'))).toBe('allowed');
    expect(codeOf(() => checkPermission(principal(['events:read']), 'stream'))).toBe(
      ErrorCodes.FORBIDDEN.code,
    );
    expect(codeOf(() => checkPermission(principal(['rules:write']), 'rules:write'))).toBe('allowed');
    expect(codeOf(() => checkPermission(principal(['rules:read']), 'rules:write'))).toBe(
      ErrorCodes.FORBIDDEN.code,
    );
    expect(codeOf(() => checkPermission(principal([]), 'authenticated'))).toBe('allowed');
  });

  it('a must-change-password principal: authenticated only', () => {
    const p = principal([...PERMISSIONS], true);
    expect(codeOf(() => checkPermission(p, 'authenticated'))).toBe('allowed');
    for (const need of ['alerts:read', 'metrics', 'stream', 'users:write'] as RouteAuth[])
      expect(
        codeOf(() => checkPermission(p, need)),
        need,
      ).toBe(ErrorCodes.PASSWORD_CHANGE_REQUIRED.code);
  });
});
