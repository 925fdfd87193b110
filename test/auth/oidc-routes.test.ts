/**
 * OpenID Connect sign-in through Vigil's routes, against a real provider (oidc-provider on
 * 127.0.0.1): `/api/v1/auth/oidc/login` redirects with PKCE, the browser signs in at the provider
 * (`browserLogin`), and the callback — injected into Vigil with the query the provider sent; the
 * provider never fetches it — answers Vigil's token response. Users are created on first sign-in
 * and take the role mapped from their groups at every sign-in.
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApi } from '../../src/server/app.js';
import type { ServiceContext } from '../../src/service/vigil.js';
import { ADMIN_PASSWORD, login } from '../helpers/auth.js';
import { type Json, jsonCaller, type JsonResponse } from '../helpers/inject.js';
import {
  browserLogin,
  startOidcProvider,
  type TestAccount,
  type TestProvider,
} from '../helpers/oidc-provider.js';
import { closeTestContext, openTestContext, STORE_KINDS } from '../helpers/service.js';

const CLIENT_ID = 'vigil-routes';
const CLIENT_SECRET = 'vigil-routes-secret';
const REDIRECT_URI = 'http://127.0.0.1:8080/api/v1/auth/oidc/callback';

function initialAccounts(): Record<string, TestAccount> {
  return {
    alice: { preferred_username: 'alice', email: 'alice@example.test', groups: ['staff', 'vigil-analysts'] },
    bob: { preferred_username: 'bob', email: 'bob@example.test', groups: ['vigil-admins'] },
    carol: { preferred_username: 'carol', email: 'carol@example.test', groups: ['staff'] },
    // Claims the name of the local admin.
    mallory: { preferred_username: 'admin', email: 'mallory@example.test', groups: ['vigil-admins'] },
  };
}

const accounts: Record<string, TestAccount> = initialAccounts();
let provider: TestProvider;

beforeAll(async () => {
  provider = await startOidcProvider({
    clientId: CLIENT_ID,
    clientSecret: CLIENT_SECRET,
    redirectUris: [REDIRECT_URI],
    accounts,
  });
});
afterAll(() => provider?.stop());

describe.each(STORE_KINDS)('OpenID Connect routes (%s)', (kind) => {
  let ctx: ServiceContext;
  let app: FastifyInstance;
  let adminAuth = '';
  const anon = jsonCaller(() => app);
  const as = (auth: string) =>
    jsonCaller(
      () => app,
      () => auth,
    );
  const admin = jsonCaller(
    () => app,
    () => adminAuth,
  );

  beforeAll(async () => {
    Object.assign(accounts, initialAccounts());
    ctx = await openTestContext(kind, {
      VIGIL_OIDC_ISSUER: provider.issuer,
      VIGIL_OIDC_CLIENT_ID: CLIENT_ID,
      VIGIL_OIDC_CLIENT_SECRET: CLIENT_SECRET,
      VIGIL_OIDC_REDIRECT_URI: REDIRECT_URI,
      VIGIL_OIDC_SCOPES: 'openid profile email groups',
      VIGIL_OIDC_ROLE_MAP: 'vigil-admins=admin,vigil-analysts=analyst',
    });
    app = await buildApi(ctx);
    adminAuth = await login(ctx, 'admin', ADMIN_PASSWORD);
  }, 60_000);
  afterAll(async () => {
    await app?.close();
    if (ctx) await closeTestContext(ctx);
  });

  /** `GET /api/v1/auth/oidc/login`; @returns the provider URL it redirects to */
  async function startLogin(): Promise<URL> {
    const r = await app.inject({ method: 'GET', url: '/api/v1/auth/oidc/login' });
    expect(r.statusCode, r.body).toBe(302);
    return new URL(String(r.headers.location));
  }

  /** The callback, as the browser would request it from Vigil. */
  const callback = (url: URL): Promise<JsonResponse> => anon('GET', `${url.pathname}${url.search}`);

  /** A whole sign-in: login redirect, provider pages, callback. */
  async function signIn(sub: string): Promise<JsonResponse> {
    return callback(await browserLogin((await startLogin()).href, sub));
  }

  const audit = async (query: string): Promise<Json[]> => {
    const r = await admin('GET', `/api/v1/audit?${query}`);
    expect(r.status).toBe(200);
    return r.body.entries as Json[];
  };

  it('login redirects to the provider with an S256 code challenge, state and nonce, kept server-side', async () => {
    const url = await startLogin();
    expect(url.origin).toBe(provider.issuer);
    const q = url.searchParams;
    expect(q.get('client_id')).toBe(CLIENT_ID);
    expect(q.get('response_type')).toBe('code');
    expect(q.get('redirect_uri')).toBe(REDIRECT_URI);
    expect(q.get('scope')).toBe('openid profile email groups');
    expect(q.get('code_challenge_method')).toBe('S256');
    expect(q.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(q.get('state')).toBeTruthy();
    expect(q.get('nonce')).toBeTruthy();
    const row = await ctx.database.db
      .selectFrom('oidc_logins')
      .selectAll()
      .where('state', '=', q.get('state')!)
      .executeTakeFirst();
    expect(row).toBeDefined();
    expect(row!.nonce).toBe(q.get('nonce'));
    // The verifier stays on the server: only its S256 hash went out.
    expect(url.href).not.toContain(row!.code_verifier);
    expect((await startLogin()).searchParams.get('state')).not.toBe(q.get('state'));
  });

  let aliceAuth = '';
  let aliceCallback: URL;

  it('signs in end to end: token response, role analyst from the group, an sso user row', async () => {
    expect((await admin('GET', '/api/v1/users/alice')).status).toBe(404);
    aliceCallback = await browserLogin((await startLogin()).href, 'alice');
    expect(aliceCallback.searchParams.get('code')).toBeTruthy();
    const r = await callback(aliceCallback);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.headers['cache-control']).toBe('no-store');
    expect(r.body).toMatchObject({
      access_token: expect.any(String),
      refresh_token: expect.any(String),
      token_type: 'Bearer',
    });
    aliceAuth = `Bearer ${r.body.access_token as string}`;
    const me = await as(aliceAuth)('GET', '/api/v1/auth/me');
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ kind: 'user', name: 'alice', role: 'analyst' });
    expect(me.body.permissions).toContain('alerts:write');
    expect(me.body.permissions).not.toContain('users:read');
    expect((await as(aliceAuth)('GET', '/api/v1/alerts')).status).toBe(200);
    expect((await as(aliceAuth)('GET', '/api/v1/users')).status).toBe(403);

    const user = await admin('GET', '/api/v1/users/alice');
    expect(user.body).toMatchObject({
      name: 'alice',
      role: 'analyst',
      sso: true,
      email: 'alice@example.test',
    });
    const row = await ctx.auth.users.byName('alice');
    expect(row).toMatchObject({ oidc_issuer: provider.issuer, oidc_subject: 'alice', password_hash: null });
    // An SSO-only user has no password to sign in with.
    const pw = await anon('POST', '/api/v1/auth/token', {
      grant_type: 'password',
      username: 'alice',
      password: 'anything-at-all-123',
    });
    expect(pw.status).toBe(400);
  });

  it('the same callback a second time is refused (state is single use)', async () => {
    const r = await callback(aliceCallback);
    expect(r.status).toBe(401);
    expect(r.body.code).toBe('VIGIL_ERR_OIDC_STATE');
  });

  it('a forged or missing state is refused without spending the pending login', async () => {
    const genuine = await browserLogin((await startLogin()).href, 'alice');
    const forged = new URL(genuine);
    const state = genuine.searchParams.get('state')!;
    forged.searchParams.set('state', `${state.slice(0, -1)}${state.endsWith('A') ? 'B' : 'A'}`);
    const r = await callback(forged);
    expect(r.status).toBe(401);
    expect(r.body.code).toBe('VIGIL_ERR_OIDC_STATE');
    const none = new URL(genuine);
    none.searchParams.delete('state');
    expect((await callback(none)).status).toBe(401);
    expect((await callback(genuine)).status).toBe(200);
  });

  it('a provider error on the callback is refused and ends that login', async () => {
    const state = (await startLogin()).searchParams.get('state')!;
    const url = new URL(REDIRECT_URI);
    url.search = new URLSearchParams({ error: 'access_denied', state, iss: provider.issuer }).toString();
    const r = await callback(url);
    expect(r.status).toBe(401);
    expect(r.body.code).toBe('VIGIL_ERR_OIDC_DENIED');
    expect((await callback(url)).body.code).toBe('VIGIL_ERR_OIDC_STATE');
  });

  it('an admin-group user gets the admin role', async () => {
    const r = await signIn('bob');
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    const me = await as(`Bearer ${r.body.access_token as string}`)('GET', '/api/v1/auth/me');
    expect(me.body).toMatchObject({ name: 'bob', role: 'admin' });
    expect((await as(`Bearer ${r.body.access_token as string}`)('GET', '/api/v1/users')).status).toBe(200);
  });

  it('a user whose groups map to no role gets 403 and no account', async () => {
    const before = (await admin('GET', '/api/v1/users')).body.users as Json[];
    const r = await signIn('carol');
    expect(r.status).toBe(403);
    expect(r.body.code).toBe('VIGIL_ERR_FORBIDDEN');
    expect(r.body.access_token).toBeUndefined();
    expect((await admin('GET', '/api/v1/users/carol')).status).toBe(404);
    expect(((await admin('GET', '/api/v1/users')).body.users as Json[]).length).toBe(before.length);
    expect(await audit('action=user.create&target=carol')).toEqual([]);
  });

  it('a changed group changes the role at the next sign-in, audited as user.update by oidc:<name>', async () => {
    const oldAuth = aliceAuth;
    accounts.alice = { ...accounts.alice!, groups: ['vigil-admins'] };
    const r = await signIn('alice');
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    const me = await as(`Bearer ${r.body.access_token as string}`)('GET', '/api/v1/auth/me');
    expect(me.body).toMatchObject({ name: 'alice', role: 'admin' });
    expect((await admin('GET', '/api/v1/users/alice')).body.role).toBe('admin');
    // Still one alice: found by (issuer, subject), not created again.
    const alices = ((await admin('GET', '/api/v1/users')).body.users as Json[]).filter(
      (u) => u.name === 'alice',
    );
    expect(alices).toHaveLength(1);

    const updates = await audit('action=user.update&target=alice');
    expect(updates).toHaveLength(1);
    expect(updates[0]).toMatchObject({
      actor: 'oidc:alice',
      before: { role: 'analyst' },
      after: { role: 'admin' },
    });
    // A role change ends the sessions signed in with the old role.
    expect((await as(oldAuth)('GET', '/api/v1/auth/me')).status).toBe(401);

    accounts.alice = { ...accounts.alice, groups: ['vigil-analysts'] };
    const back = await signIn('alice');
    expect(back.status).toBe(200);
    expect((await admin('GET', '/api/v1/users/alice')).body.role).toBe('analyst');
  });

  it('an identity named like an existing local user does not sign in as that user', async () => {
    const r = await signIn('mallory');
    expect(r.status).not.toBe(200);
    expect(r.status).toBe(409);
    expect(r.body.access_token).toBeUndefined();
    const adminRow = await ctx.auth.users.byName('admin');
    expect(adminRow).toMatchObject({ oidc_subject: null, role: 'admin' });
  });

  it('audits the sign-ins: user.create by oidc:<name>, auth.login with method oidc', async () => {
    const created = await audit('action=user.create&target=alice');
    expect(created).toHaveLength(1);
    expect(created[0]).toMatchObject({ actor: 'oidc:alice', after: { role: 'analyst', sso: true } });
    const logins = await audit('action=auth.login&target=alice&outcome=success');
    expect(logins.length).toBe(4);
    expect(logins.every((e) => (e.details as Json).method === 'oidc' && e.actor === 'user:alice')).toBe(true);
    // The password attempt of the SSO-only user failed and was audited as such.
    const failed = await audit('action=auth.login&target=alice&outcome=failure');
    expect(failed.map((e) => (e.details as Json).reason)).toEqual(['wrong password']);
    const verify = await admin('GET', '/api/v1/audit/verify');
    expect(verify.body).toMatchObject({ ok: true, breakCount: 0 });
  });
});
