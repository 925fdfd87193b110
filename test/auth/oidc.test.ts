import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { OidcClient, mapRole, readClaim, type OidcSettings } from '../../src/auth/oidc.js';
import { ErrorCodes } from '../../src/errors.js';
import { browserLogin, startOidcProvider, type TestProvider } from '../helpers/oidc-provider.js';

const REDIRECT_URI = 'http://127.0.0.1:1/auth/oidc/callback';
const ROLE_MAP = { 'vigil-admins': 'admin', 'vigil-analysts': 'analyst', 'vigil-viewers': 'viewer' };

const accounts = {
  alice: { preferred_username: 'alice', email: 'alice@example.test', groups: ['staff', 'vigil-admins'] },
  bob: { preferred_username: 'bob', email: 'bob@example.test', groups: ['vigil-analysts', 'x'] },
  carol: { preferred_username: 'carol', email: 'carol@example.test', groups: ['staff'] },
};

function settings(issuer: string, overrides: Partial<OidcSettings> = {}): OidcSettings {
  return {
    issuer,
    clientId: 'vigil',
    clientSecret: 'vigil-test-secret',
    redirectUri: REDIRECT_URI,
    scopes: 'openid profile email groups',
    roleClaim: 'groups',
    roleMap: ROLE_MAP,
    defaultRole: null,
    ...overrides,
  };
}

/** Resolves to the error code the promise rejects with. */
async function codeOf(promise: Promise<unknown>): Promise<string> {
  return promise.then(
    () => 'resolved',
    (error: unknown) => (error as { code?: string }).code ?? String(error),
  );
}

describe('OpenID Connect sign-in against oidc-provider (code flow + PKCE, OIDC Core §3.1, RFC 7636)', () => {
  let provider: TestProvider;
  let oidc: OidcClient;

  beforeAll(async () => {
    provider = await startOidcProvider({
      clientId: 'vigil',
      clientSecret: 'vigil-test-secret',
      redirectUris: [REDIRECT_URI],
      accounts,
    });
    oidc = await OidcClient.discover(settings(provider.issuer));
  });
  afterAll(() => provider?.stop());

  it('builds an authorization request with an S256 code challenge, state and nonce', async () => {
    const start = await oidc.start();
    const url = new URL(start.url);
    expect(url.origin).toBe(provider.issuer);
    expect(url.searchParams.get('response_type')).toBe('code');
    expect(url.searchParams.get('code_challenge_method')).toBe('S256');
    expect(url.searchParams.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(url.searchParams.get('code_challenge')).not.toBe(start.codeVerifier);
    expect(url.searchParams.get('state')).toBe(start.state);
    expect(url.searchParams.get('nonce')).toBe(start.nonce);
    expect(url.searchParams.get('redirect_uri')).toBe(REDIRECT_URI);
    expect(url.searchParams.get('scope')).toBe('openid profile email groups');
    expect((await oidc.start()).state).not.toBe(start.state);
  });

  it('signs in and maps groups [staff, vigil-admins] to admin (claims from UserInfo)', async () => {
    const start = await oidc.start();
    const callback = await browserLogin(start.url, 'alice');
    expect(callback.searchParams.get('code')).toBeTruthy();
    const identity = await oidc.finish(callback, start);
    expect(identity).toMatchObject({
      issuer: provider.issuer,
      subject: 'alice',
      name: 'alice',
      email: 'alice@example.test',
      role: 'admin',
    });
    expect(identity.claims.groups).toEqual(['staff', 'vigil-admins']);
  });

  it('maps [vigil-analysts, x] to analyst', async () => {
    const start = await oidc.start();
    const identity = await oidc.finish(await browserLogin(start.url, 'bob'), start);
    expect(identity.role).toBe('analyst');
  });

  it('gives role null when no group maps and there is no default, and the default when there is', async () => {
    let start = await oidc.start();
    expect((await oidc.finish(await browserLogin(start.url, 'carol'), start)).role).toBeNull();

    const withDefault = await OidcClient.discover(settings(provider.issuer, { defaultRole: 'viewer' }));
    start = await withDefault.start();
    expect((await withDefault.finish(await browserLogin(start.url, 'carol'), start)).role).toBe('viewer');
  });

  it('rejects a tampered state before spending the code', async () => {
    const start = await oidc.start();
    const callback = await browserLogin(start.url, 'alice');
    const tampered = new URL(callback);
    // Change the last character (to one it is not: a state ending in 'A' made this test pass by luck 1 in 64).
    const last = start.state.endsWith('A') ? 'B' : 'A';
    tampered.searchParams.set('state', `${start.state.slice(0, -1)}${last}`);
    expect(await codeOf(oidc.finish(tampered, start))).toBe(ErrorCodes.OIDC_STATE.code);
    expect(await codeOf(oidc.finish(callback, { ...start, state: 'other-login' }))).toBe(
      ErrorCodes.OIDC_STATE.code,
    );
    expect((await oidc.finish(callback, start)).subject).toBe('alice');
  });

  it('rejects a reused authorization code', async () => {
    const start = await oidc.start();
    const callback = await browserLogin(start.url, 'bob');
    expect((await oidc.finish(callback, start)).subject).toBe('bob');
    expect(await codeOf(oidc.finish(callback, start))).toBe(ErrorCodes.OIDC_EXCHANGE.code);
  });

  it('rejects a wrong code_verifier (the right one then still works)', async () => {
    const start = await oidc.start();
    const callback = await browserLogin(start.url, 'alice');
    const other = await oidc.start();
    expect(await codeOf(oidc.finish(callback, { ...start, codeVerifier: other.codeVerifier }))).toBe(
      ErrorCodes.OIDC_EXCHANGE.code,
    );
    expect((await oidc.finish(callback, start)).role).toBe('admin');
  });

  it('rejects an ID token whose nonce is not the pending one', async () => {
    const start = await oidc.start();
    const callback = await browserLogin(start.url, 'alice');
    expect(await codeOf(oidc.finish(callback, { ...start, nonce: 'other-nonce' }))).toBe(
      ErrorCodes.OIDC_RESPONSE.code,
    );
  });

  it('reports an error returned by the provider', async () => {
    const start = await oidc.start();
    const callback = new URL(REDIRECT_URI);
    callback.search = new URLSearchParams({ error: 'access_denied', state: start.state }).toString();
    expect(await codeOf(oidc.finish(callback, start))).toBe(ErrorCodes.OIDC_DENIED.code);
  });

  it('rejects a wrong client secret at the token endpoint', async () => {
    const wrong = await OidcClient.discover(settings(provider.issuer, { clientSecret: 'not-the-secret' }));
    const start = await wrong.start();
    expect(await codeOf(wrong.finish(await browserLogin(start.url, 'alice'), start))).toBe(
      ErrorCodes.OIDC_EXCHANGE.code,
    );
  });
});

describe('OpenID Connect sign-in with claims in the ID token (no UserInfo endpoint)', () => {
  let provider: TestProvider;

  beforeAll(async () => {
    provider = await startOidcProvider({
      clientId: 'vigil',
      clientSecret: 'vigil-test-secret',
      redirectUris: [REDIRECT_URI],
      accounts,
      userinfo: false,
    });
  });
  afterAll(() => provider?.stop());

  it('reads groups from the ID token', async () => {
    const oidc = await OidcClient.discover(settings(provider.issuer));
    const start = await oidc.start();
    const identity = await oidc.finish(await browserLogin(start.url, 'bob'), start);
    expect(identity).toMatchObject({ subject: 'bob', email: 'bob@example.test', role: 'analyst' });
    expect(identity.claims.groups).toEqual(['vigil-analysts', 'x']);
  });
});

describe('OidcClient.discover settings', () => {
  it('refuses an http issuer that is not on loopback', async () => {
    expect(await codeOf(OidcClient.discover(settings('http://idp.example.test')))).toBe(
      ErrorCodes.CONFIG.code,
    );
  });

  it('refuses scopes without openid', async () => {
    const bad = settings('http://127.0.0.1:1', { scopes: 'profile email' });
    expect(await codeOf(OidcClient.discover(bad))).toBe(ErrorCodes.CONFIG.code);
  });

  it('reports an unreachable provider as unavailable', async () => {
    expect(await codeOf(OidcClient.discover(settings('http://127.0.0.1:1')))).toBe(
      ErrorCodes.UNAVAILABLE.code,
    );
  });
});

describe('mapRole', () => {
  const map = {
    ops: 'responder',
    'vigil-viewers': 'viewer',
    admins: 'admin',
    sec: 'analyst',
    triage: 'triager',
  };

  it('takes the most privileged role: admin > analyst > viewer > custom roles in map order', () => {
    expect(mapRole(['vigil-viewers', 'sec', 'admins'], map, null)).toBe('admin');
    expect(mapRole(['ops', 'vigil-viewers', 'sec'], map, null)).toBe('analyst');
    expect(mapRole(['triage', 'ops', 'vigil-viewers'], map, null)).toBe('viewer');
    expect(mapRole(['triage', 'ops'], map, null)).toBe('responder');
  });

  it('accepts a single string as well as an array', () => {
    expect(mapRole('sec', map, null)).toBe('analyst');
    expect(mapRole(['sec'], map, null)).toBe('analyst');
  });

  it('falls back to the default role when nothing maps', () => {
    expect(mapRole(['unknown'], map, 'viewer')).toBe('viewer');
    expect(mapRole(undefined, map, 'viewer')).toBe('viewer');
    expect(mapRole([], map, null)).toBeNull();
    expect(mapRole(['unknown'], map, undefined)).toBeNull();
  });

  it('ignores non-string values and inherited keys such as constructor', () => {
    expect(
      mapRole([42, null, { admins: true }, 'constructor', '__proto__', 'toString'], map, null),
    ).toBeNull();
    expect(mapRole(42, map, null)).toBeNull();
  });

  it('reads a dotted claim path, and a claim whose name contains dots by exact name', () => {
    const claims = {
      realm_access: { roles: ['offline_access', 'admins'] },
      'https://vigil.example/roles': ['sec'],
      resource_access: null,
    };
    expect(mapRole(readClaim(claims, 'realm_access.roles'), map, null)).toBe('admin');
    expect(mapRole(readClaim(claims, 'https://vigil.example/roles'), map, null)).toBe('analyst');
    expect(readClaim(claims, 'realm_access.missing')).toBeUndefined();
    expect(readClaim(claims, 'resource_access.vigil.roles')).toBeUndefined();
  });
});
