/**
 * The accounts-and-access journey end to end, through `vigil serve` (the built CLI as a child
 * process) with its API and Elasticsearch-compatible listener on real ports, on each store: an
 * admin creates an analyst who must change the password; the analyst changes it, enrols and
 * activates TOTP, and signs in again through `mfa_required`; the admin creates an ingest API key;
 * logs shipped with it through `POST /api/v1/events` and the listener's `_bulk` (Basic and ApiKey)
 * raise alerts the analyst sees and triages; the audit log shows who did what, and its hash chain
 * verifies.
 */
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { totpCode } from '../../src/auth/mfa.js';
import { GRANT_MFA_OTP } from '../../src/server/routes/auth.js';
import { encodedPowerShell, ENCODED_PS_RULE, ndjson } from '../fixtures/service/events.js';
import { ADMIN_PASSWORD } from '../helpers/auth.js';
import { type ServerProcess, startServer } from '../helpers/server-process.js';
import { freshPostgres, STORE_KINDS } from '../helpers/service.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const INITIAL_PASSWORD = 'first-day-password-2026';
const DANA_PASSWORD = 'my-own-chosen-passphrase-42';

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const port = (s.address() as { port: number }).port;
  await new Promise((resolve) => s.close(resolve));
  return port;
}

describe.each(STORE_KINDS)('accounts and access journey through vigil serve (%s)', (kind) => {
  let server: ServerProcess | undefined;
  let dropDatabase: (() => Promise<void>) | undefined;
  let adminAuth = '';
  let danaAuth = '';
  let danaId = '';
  let secret = '';
  let key: { id: string; key: string; encoded: string } = { id: '', key: '', encoded: '' };
  const started = new Date().toISOString().slice(0, 19) + 'Z';
  const hosts = {
    rest: `JOURNEY-REST-${kind}`,
    basic: `JOURNEY-BASIC-${kind}`,
    apikey: `JOURNEY-APIKEY-${kind}`,
  };

  beforeAll(async () => {
    const env: Record<string, string> = {
      VIGIL_DATA_DIR: mkdtempSync(join(tmpdir(), 'vigil-journey-')),
      VIGIL_ADMIN_PASSWORD: ADMIN_PASSWORD,
      VIGIL_ES_PORT: String(await freePort()),
    };
    if (kind === 'postgres') {
      const pg = await freshPostgres();
      env.DATABASE_URL = pg.url;
      dropDatabase = pg.drop;
    }
    server = await startServer(env);
  }, 90_000);
  afterAll(async () => {
    await server?.stop();
    await dropDatabase?.();
  }, 60_000);

  async function call(
    method: string,
    path: string,
    auth?: string,
    body?: unknown,
  ): Promise<{ status: number; body: Json }> {
    const r = await fetch(`${server!.url}${path}`, {
      method,
      headers: {
        ...(auth ? { authorization: auth } : {}),
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await r.text();
    return { status: r.status, body: text ? (JSON.parse(text) as Json) : {} };
  }

  const token = (body: Json) =>
    call('POST', '/api/v1/auth/token', undefined, body) as Promise<{ status: number; body: Json }>;

  async function bulk(authorization: string | undefined, host: string): Promise<Response> {
    const body = ndjson([
      { index: { _index: 'winlogbeat-journey' } },
      encodedPowerShell(host, new Date().toISOString()),
    ]);
    return fetch(`http://127.0.0.1:${server!.ports.es}/_bulk`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-ndjson',
        ...(authorization ? { authorization } : {}),
      },
      body,
    });
  }

  it('the admin signs in and creates an analyst, who must change the password', async () => {
    expect(server!.ports.es).toBeGreaterThan(0);
    const r = await token({ grant_type: 'password', username: 'admin', password: ADMIN_PASSWORD });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    adminAuth = `Bearer ${r.body.access_token as string}`;
    const created = await call('POST', '/api/v1/users', adminAuth, {
      name: 'dana',
      password: INITIAL_PASSWORD,
      role: 'analyst',
      email: 'dana@example.test',
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body).toMatchObject({
      name: 'dana',
      role: 'analyst',
      must_change_password: true,
      mfa_enabled: false,
      sso: false,
    });
    expect(created.body.password).toBeUndefined();
    expect(JSON.stringify(created.body)).not.toContain('argon2');
    danaId = created.body.id as string;
  });

  it('the analyst signs in, is held at the password change, and changes it', async () => {
    const r = await token({ grant_type: 'password', username: 'dana', password: INITIAL_PASSWORD });
    expect(r.status).toBe(200);
    const first = `Bearer ${r.body.access_token as string}`;
    const held = await call('GET', '/api/v1/alerts', first);
    expect(held.status).toBe(403);
    expect(held.body.code).toBe('VIGIL_ERR_PASSWORD_CHANGE_REQUIRED');
    const changed = await call('POST', '/api/v1/auth/password', first, {
      current_password: INITIAL_PASSWORD,
      new_password: DANA_PASSWORD,
    });
    expect(changed.status, JSON.stringify(changed.body)).toBe(200);
    danaAuth = `Bearer ${changed.body.access_token as string}`;
    expect((await call('GET', '/api/v1/alerts', danaAuth)).status).toBe(200);
  });

  it('the analyst enrols TOTP and activates it with a code', async () => {
    const enroll = await call('POST', '/api/v1/auth/mfa/enroll', danaAuth);
    expect(enroll.status).toBe(200);
    secret = enroll.body.secret as string;
    expect(enroll.body.otpauth_uri).toContain(`secret=${secret}`);
    const activate = await call('POST', '/api/v1/auth/mfa/activate', danaAuth, {
      code: totpCode(secret, new Date()),
    });
    expect(activate.status, JSON.stringify(activate.body)).toBe(200);
    expect(activate.body.recovery_codes).toHaveLength(10);
    expect((await call('GET', '/api/v1/auth/me', danaAuth)).body.mfa_enabled).toBe(true);
  });

  it('signing in again goes through mfa_required and a one-time code', async () => {
    const step1 = await token({ grant_type: 'password', username: 'dana', password: DANA_PASSWORD });
    expect(step1.status).toBe(403);
    expect(step1.body.error).toBe('mfa_required');
    // The code of the next 30 s step: inside the ±1 step window, and newer than the step the
    // activation used (so no waiting for the clock).
    const otp = totpCode(secret, new Date(Date.now() + 30_000));
    const step2 = await token({ grant_type: GRANT_MFA_OTP, mfa_token: step1.body.mfa_token, otp });
    expect(step2.status, JSON.stringify(step2.body)).toBe(200);
    danaAuth = `Bearer ${step2.body.access_token as string}`;
    expect((await call('GET', '/api/v1/auth/me', danaAuth)).body).toMatchObject({
      name: 'dana',
      role: 'analyst',
      must_change_password: false,
      mfa_enabled: true,
    });
  });

  it('only the admin may create API keys; the admin creates an ingest key', async () => {
    const denied = await call('POST', '/api/v1/api-keys', danaAuth, {
      name: 'dana key',
      permissions: ['ingest:write'],
    });
    expect(denied.status).toBe(403);
    const r = await call('POST', '/api/v1/api-keys', adminAuth, {
      name: 'journey shipper',
      permissions: ['ingest:write'],
    });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    key = { id: r.body.id, key: r.body.key, encoded: r.body.encoded };
    expect(key.key.startsWith(`${key.id}:`)).toBe(true);
    expect(Buffer.from(key.encoded, 'base64').toString()).toBe(key.key);
    // Only a hash is kept: the listing never shows the secret.
    const list = await call('GET', '/api/v1/api-keys', adminAuth);
    expect(JSON.stringify(list.body)).not.toContain(key.key.slice(key.id.length + 1));
    // An ingest key reads nothing.
    expect((await call('GET', '/api/v1/alerts', `Bearer ${key.key}`)).status).toBe(403);
  });

  it('logs shipped with the key through POST /api/v1/events (Bearer id:secret) are stored', async () => {
    const r = await fetch(`${server!.url}/api/v1/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-ndjson', authorization: `Bearer ${key.key}` },
      body: ndjson([encodedPowerShell(hosts.rest, new Date().toISOString())]),
    });
    expect(r.status).toBe(200);
    expect(await r.json()).toMatchObject({ accepted: 1, rejected: 0 });
    const anonymous = await fetch(`${server!.url}/api/v1/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-ndjson' },
      body: ndjson([encodedPowerShell('JOURNEY-NOBODY', new Date().toISOString())]),
    });
    expect(anonymous.status).toBe(401);
  });

  it('and through the Elasticsearch listener _bulk, with Basic id:secret and with ApiKey', async () => {
    const basic = `Basic ${Buffer.from(key.key).toString('base64')}`;
    for (const [auth, host] of [
      [basic, hosts.basic],
      [`ApiKey ${key.encoded}`, hosts.apikey],
    ] as const) {
      const r = await bulk(auth, host);
      expect(r.status, auth).toBe(200);
      expect(r.headers.get('x-elastic-product')).toBe('Elasticsearch');
      const body = (await r.json()) as Json;
      expect(body.errors).toBe(false);
      expect(body.items[0].index.status).toBe(201);
    }
    const none = await bulk(undefined, 'JOURNEY-NOBODY');
    expect(none.status).toBe(401);
    const wrong = await bulk(
      `Basic ${Buffer.from(`${key.id}:wrong-secret`).toString('base64')}`,
      'JOURNEY-NOBODY',
    );
    expect(wrong.status).toBe(401);
    // The analyst's access token authenticates, but analysts have no ingest:write.
    expect((await bulk(danaAuth, 'JOURNEY-NOBODY')).status).toBe(403);
  });

  it('the analyst sees the alerts raised from each path, and triages one', async () => {
    const seen = new Map<string, Json>();
    const until = Date.now() + 30_000;
    while (seen.size < 3 && Date.now() < until) {
      for (const host of Object.values(hosts)) {
        if (seen.has(host)) continue;
        const r = await call('GET', `/api/v1/alerts?host=${host}&rule=${ENCODED_PS_RULE}`, danaAuth);
        expect(r.status).toBe(200);
        const alert = (r.body.alerts as Json[])[0];
        if (alert) seen.set(host, alert);
      }
      if (seen.size < 3) await new Promise((r) => setTimeout(r, 200));
    }
    expect([...seen.keys()].sort()).toEqual(Object.values(hosts).sort());
    const alert = seen.get(hosts.basic)!;
    expect(alert.status).toBe('new');
    const triaged = await call('PATCH', `/api/v1/alerts/${alert.id}`, danaAuth, {
      status: 'acknowledged',
      comment: 'looking into it',
    });
    expect(triaged.status, JSON.stringify(triaged.body)).toBe(200);
    expect(triaged.body.status).toBe('acknowledged');
    // No unauthenticated event got through.
    const none = await call('GET', '/api/v1/alerts?host=JOURNEY-NOBODY', danaAuth);
    expect(none.body.alerts).toEqual([]);
  });

  it('the audit log shows who did what, and its hash chain verifies', async () => {
    expect((await call('GET', '/api/v1/audit', danaAuth)).status).toBe(403);
    const entries = async (query: string): Promise<Json[]> => {
      const r = await call('GET', `/api/v1/audit?from=${started}&${query}`, adminAuth);
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      return r.body.entries as Json[];
    };
    const one = async (query: string, expected: Json): Promise<void> => {
      const found = await entries(query);
      expect(found, query).toHaveLength(1);
      expect(found[0], query).toMatchObject({ outcome: 'success', actor_ip: '127.0.0.1', ...expected });
    };
    await one('action=user.create&target=dana', {
      actor: 'user:admin',
      after: { name: 'dana', role: 'analyst', must_change_password: true },
    });
    await one('action=user.password_change&target=dana', { actor: 'user:dana' });
    await one('action=user.mfa_enroll&target=dana', { actor: 'user:dana' });
    await one('action=user.mfa_enable&target=dana', {
      actor: 'user:dana',
      after: { mfa_enabled: true },
    });
    await one(`action=api_key.create&target=${key.id}`, {
      actor: 'user:admin',
      after: { name: 'journey shipper', permissions: ['ingest:write'] },
    });
    await one('action=alert.update', {
      actor: 'user:dana',
      before: { status: 'new' },
      after: { status: 'acknowledged' },
      details: { comment: 'looking into it' },
    });
    const logins = await entries('action=auth.login&target=dana');
    expect(logins.map((e) => (e.details as Json).method).sort()).toEqual(['mfa', 'password']);
    expect(logins.every((e) => e.actor === 'user:dana' && e.actor_ip === '127.0.0.1')).toBe(true);
    const adminLogins = await entries('action=auth.login&target=admin');
    expect(adminLogins.map((e) => e.actor)).toEqual(['user:admin']);
    // No secret in the whole log.
    const all = await fetch(`${server!.url}/api/v1/audit/export`, { headers: { authorization: adminAuth } });
    expect(all.status).toBe(200);
    const text = await all.text();
    expect(text.split('\n').filter(Boolean).length).toBeGreaterThanOrEqual(9);
    for (const s of [secret, DANA_PASSWORD, INITIAL_PASSWORD, ADMIN_PASSWORD, key.key])
      expect(text).not.toContain(s);

    const verify = await call('GET', '/api/v1/audit/verify', adminAuth);
    expect(verify.status).toBe(200);
    expect(verify.body).toMatchObject({ ok: true, breakCount: 0, breaks: [] });
    expect(verify.body.entries).toBeGreaterThanOrEqual(9);
  });

  it('the analyst id is stable across the journey', async () => {
    expect((await call('GET', '/api/v1/users/dana', adminAuth)).body).toMatchObject({
      id: danaId,
      mfa_enabled: true,
      must_change_password: false,
      last_login_at: expect.any(String),
    });
  });
});
