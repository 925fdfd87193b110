/**
 * TOTP second factor through the API, on each store: enrolment, activation, the two-step token
 * grant (`mfa_required` → `mfa_token` + OTP or recovery code), replay and tampering, the admin
 * reset, and the audit trail. The service clock is controlled (`createServiceContext`'s `now`),
 * advanced in 30 s TOTP steps, so codes and token lifetimes are deterministic.
 */
import type { FastifyInstance } from 'fastify';
import { TOTP, URI } from 'otpauth';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { totpCode } from '../../src/auth/mfa.js';
import { MFA_TOKEN_TTL } from '../../src/auth/tokens.js';
import { buildApi } from '../../src/server/app.js';
import { GRANT_MFA_OTP, GRANT_MFA_RECOVERY } from '../../src/server/routes/auth.js';
import { createServiceContext, type ServiceContext } from '../../src/service/vigil.js';
import { ADMIN_PASSWORD, createKey, login, USER_PASSWORD } from '../helpers/auth.js';
import { type Json, jsonCaller, type JsonResponse } from '../helpers/inject.js';
import { closeTestContext, openTestDatabase, STORE_KINDS, testConfig } from '../helpers/service.js';

const USER = 'mfa-user';
const STEP_MS = 30_000;

/** A code that is valid at none of the steps `at - 30 s`, `at`, `at + 30 s`. */
function wrongCode(secret: string, at: Date): string {
  const valid = new Set([-1, 0, 1].map((d) => totpCode(secret, new Date(at.getTime() + d * STEP_MS))));
  let n = Number(totpCode(secret, at));
  let code: string;
  do {
    n = (n + 1) % 1_000_000;
    code = String(n).padStart(6, '0');
  } while (valid.has(code));
  return code;
}

/** Replaces one character in the middle of a JWT part (0 header, 1 payload, 2 signature). */
function tamper(jwt: string, part: number): string {
  const parts = jwt.split('.');
  const s = parts[part]!;
  const i = Math.floor(s.length / 2);
  parts[part] = s.slice(0, i) + (s[i] === 'A' ? 'B' : 'A') + s.slice(i + 1);
  return parts.join('.');
}

function b64url(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

describe.each(STORE_KINDS)('TOTP MFA through the API (%s)', (kind) => {
  let ctx: ServiceContext;
  let app: FastifyInstance;
  // Start on a step boundary (+1 s) so a step is never crossed by accident.
  let clock = Math.floor(Date.now() / STEP_MS) * STEP_MS + 1000;
  const now = (): Date => new Date(clock);
  const tick = (seconds = 30): void => {
    clock += seconds * 1000;
  };

  let userAuth = '';
  let userId = '';
  let secret = '';
  let recoveryCodes: string[] = [];
  const as = (auth: string) =>
    jsonCaller(
      () => app,
      () => auth,
    );
  const anon = jsonCaller(() => app);
  const admin = async () => as(await login(ctx, 'admin', ADMIN_PASSWORD));

  const passwordGrant = (password = USER_PASSWORD): Promise<JsonResponse> =>
    anon('POST', '/api/v1/auth/token', { grant_type: 'password', username: USER, password });
  const mfaToken = async (): Promise<string> => {
    const r = await passwordGrant();
    expect(r.status, JSON.stringify(r.body)).toBe(403);
    return r.body.mfa_token as string;
  };
  const otpGrant = (token: string, otp: string): Promise<JsonResponse> =>
    anon('POST', '/api/v1/auth/token', { grant_type: GRANT_MFA_OTP, mfa_token: token, otp });
  const recoveryGrant = (token: string, code: string): Promise<JsonResponse> =>
    anon('POST', '/api/v1/auth/token', {
      grant_type: GRANT_MFA_RECOVERY,
      mfa_token: token,
      recovery_code: code,
    });
  const me = (auth: string) => as(auth)('GET', '/api/v1/auth/me');
  const audit = async (query: string): Promise<Json[]> => {
    const r = await (await admin())('GET', `/api/v1/audit?${query}`);
    expect(r.status).toBe(200);
    return r.body.entries as Json[];
  };

  beforeAll(async () => {
    // Lockout is not under test here: the parallel-request tests below fail up to 7 times in a row.
    ctx = await createServiceContext(
      testConfig({ VIGIL_LOGIN_MAX_FAILURES: '100', VIGIL_LOGIN_IP_MAX_FAILURES: '1000' }),
      {
        database: await openTestDatabase(kind),
        log: pino({ level: 'silent' }),
        now,
      },
    );
    app = await buildApi(ctx);
    await ctx.auth.users.create(
      { name: USER, password: USER_PASSWORD, role: 'analyst', mustChangePassword: false },
      { name: 'test', ip: null },
    );
    userId = (await ctx.auth.users.byName(USER))!.id;
    userAuth = await login(ctx, USER, USER_PASSWORD);
  }, 60_000);
  afterAll(async () => {
    await app?.close();
    if (ctx) await closeTestContext(ctx);
  });

  it('enrolment answers a base32 secret and its otpauth:// URI; MFA stays off until activated', async () => {
    const r = await as(userAuth)('POST', '/api/v1/auth/mfa/enroll');
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    secret = r.body.secret as string;
    expect(secret).toMatch(/^[A-Z2-7]{32}$/); // 160 bits, RFC 4648 base32
    const uri = r.body.otpauth_uri as string;
    expect(uri.startsWith('otpauth://totp/')).toBe(true);
    const parsed = URI.parse(uri);
    expect(parsed).toBeInstanceOf(TOTP);
    const totp = parsed as TOTP;
    expect(totp).toMatchObject({ issuer: 'Vigil', label: USER, algorithm: 'SHA1', digits: 6, period: 30 });
    expect(totp.secret.base32).toBe(secret);
    // The URI and totpCode agree (what an authenticator app shows is what the server expects).
    expect(totp.generate({ timestamp: clock })).toBe(totpCode(secret, now()));

    expect((await me(userAuth)).body.mfa_enabled).toBe(false);
    const grant = await passwordGrant();
    expect(grant.status).toBe(200);
    expect(grant.body.access_token).toEqual(expect.any(String));
  });

  it('an API key cannot enrol', async () => {
    const key = await createKey(ctx, ['ingest:write', 'alerts:read'], 'mfa-test key');
    const r = await as(key.bearer)('POST', '/api/v1/auth/mfa/enroll');
    expect(r.status).toBe(403);
    expect(r.body.code).toBe('VIGIL_ERR_FORBIDDEN');
  });

  it('activation with a wrong code answers 400 and leaves MFA off', async () => {
    const r = await as(userAuth)('POST', '/api/v1/auth/mfa/activate', { code: wrongCode(secret, now()) });
    expect(r.status).toBe(400);
    expect(r.body.code).toBe('VIGIL_ERR_BAD_REQUEST');
    expect((await me(userAuth)).body.mfa_enabled).toBe(false);
    expect((await passwordGrant()).status).toBe(200);
  });

  it('activation with the current code answers ten single-use recovery codes and turns MFA on', async () => {
    const r = await as(userAuth)('POST', '/api/v1/auth/mfa/activate', { code: totpCode(secret, now()) });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    recoveryCodes = r.body.recovery_codes as string[];
    expect(recoveryCodes).toHaveLength(10);
    expect(new Set(recoveryCodes).size).toBe(10);
    for (const c of recoveryCodes) expect(c).toMatch(/^[a-z2-9]{4}(-[a-z2-9]{4}){3}$/);
    expect((await me(userAuth)).body.mfa_enabled).toBe(true);

    // Enrolling again (which would replace the secret) needs MFA off first.
    const again = await as(userAuth)('POST', '/api/v1/auth/mfa/enroll');
    expect(again.status).toBe(409);
    const reactivate = await as(userAuth)('POST', '/api/v1/auth/mfa/activate', {
      code: totpCode(secret, now()),
    });
    expect(reactivate.status).toBe(400);
  });

  it('the password grant now answers 403 mfa_required with an mfa_token and no tokens', async () => {
    const r = await passwordGrant();
    expect(r.status).toBe(403);
    expect(r.headers['cache-control']).toBe('no-store');
    expect(r.body).toMatchObject({ error: 'mfa_required', mfa_token: expect.any(String) });
    expect(r.body.access_token).toBeUndefined();
    expect(r.body.refresh_token).toBeUndefined();
    expect((r.body.mfa_token as string).split('.')).toHaveLength(3);
    // A wrong password still answers invalid_grant, never an mfa_token.
    const wrong = await passwordGrant('not-the-password-0000');
    expect(wrong.status).toBe(400);
    expect(wrong.body.error).toBe('invalid_grant');
    expect(wrong.body.mfa_token).toBeUndefined();
  });

  it('an mfa_token is not an access token (401 on the API)', async () => {
    const token = await mfaToken();
    const alerts = await as(`Bearer ${token}`)('GET', '/api/v1/alerts');
    expect(alerts.status).toBe(401);
    expect(alerts.body.code).toBe('VIGIL_ERR_UNAUTHORIZED');
    expect((await me(`Bearer ${token}`)).status).toBe(401);
  });

  it('a wrong OTP answers 400 invalid_grant; the right one (form-encoded) answers tokens', async () => {
    tick();
    const token = await mfaToken();
    const wrong = await otpGrant(token, wrongCode(secret, now()));
    expect(wrong.status).toBe(400);
    expect(wrong.body).toMatchObject({ error: 'invalid_grant', error_description: 'invalid one-time code' });
    const notDigits = await otpGrant(token, 'abcdef');
    expect(notDigits.status).toBe(400);

    const r = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/token',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({
        grant_type: GRANT_MFA_OTP,
        mfa_token: token,
        otp: totpCode(secret, now()),
      }).toString(),
    });
    expect(r.statusCode, r.body).toBe(200);
    const body = JSON.parse(r.body) as Json;
    expect(body).toMatchObject({ token_type: 'Bearer', expires_in: 900 });
    const who = await me(`Bearer ${body.access_token as string}`);
    expect(who.status).toBe(200);
    expect(who.body).toMatchObject({ name: USER, role: 'analyst', mfa_enabled: true });
    expect((await as(`Bearer ${body.access_token as string}`)('GET', '/api/v1/alerts')).status).toBe(200);
    const refreshed = await anon('POST', '/api/v1/auth/token', {
      grant_type: 'refresh_token',
      refresh_token: body.refresh_token,
    });
    expect(refreshed.status).toBe(200);
  });

  it('the same OTP is refused a second time (replay), even with a new mfa_token', async () => {
    tick();
    const code = totpCode(secret, now());
    expect((await otpGrant(await mfaToken(), code)).status).toBe(200);
    const replay = await otpGrant(await mfaToken(), code);
    expect(replay.status).toBe(400);
    expect(replay.body.error).toBe('invalid_grant');
    // The previous step's code is inside the ±1 drift window but older than the one used.
    const older = await otpGrant(await mfaToken(), totpCode(secret, new Date(clock - STEP_MS)));
    expect(older.status).toBe(400);
    tick();
    expect((await otpGrant(await mfaToken(), totpCode(secret, now()))).status).toBe(200);
  });

  it('an expired mfa_token is refused; the same OTP with a fresh mfa_token then works', async () => {
    const token = await mfaToken();
    tick(MFA_TOKEN_TTL + 30); // past the lifetime and the 5 s clock tolerance, on a new step
    const code = totpCode(secret, now());
    const r = await otpGrant(token, code);
    expect(r.status).toBe(400);
    expect(r.body.error).toBe('invalid_grant');
    expect(r.body.error_description).toMatch(/expired/);
    expect((await otpGrant(await mfaToken(), code)).status).toBe(200);
  });

  it('a tampered or foreign mfa_token is refused; the genuine one then works', async () => {
    tick();
    const token = await mfaToken();
    const code = totpCode(secret, now());
    const [header, payload, signature] = token.split('.') as [string, string, string];
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Json;
    const adminId = (await ctx.auth.users.byName('admin'))!.id;
    const forged = [
      tamper(token, 2), // signature
      tamper(token, 1), // payload
      `${header}.${b64url({ ...claims, sub: adminId })}.${signature}`, // another user, old signature
      `${header}.${b64url({ ...claims, exp: claims.exp + 3600 })}.${signature}`, // longer life
      `${b64url({ alg: 'none', typ: 'mfa+jwt' })}.${payload}.`, // alg none
      'not-a-jwt',
    ];
    for (const f of forged) {
      const r = await otpGrant(f, code);
      expect(r.status, f).toBe(400);
      expect(r.body.error).toBe('invalid_grant');
    }
    // An access token is not an mfa_token either (typ at+jwt, audience vigil-api).
    const tokens = await otpGrant(token, code);
    expect(tokens.status).toBe(200);
    tick();
    const asMfa = await otpGrant(tokens.body.access_token as string, totpCode(secret, now()));
    expect(asMfa.status).toBe(400);
    expect(asMfa.body.error).toBe('invalid_grant');
  });

  // Requests at once (the context's lockout threshold is raised so the failures lock nothing).
  const PARALLEL = 8;

  it('one OTP sent in parallel requests is accepted once', async () => {
    tick();
    const code = totpCode(secret, now());
    const tokens = [];
    for (let i = 0; i < PARALLEL; i++) tokens.push(await mfaToken());
    const results = await Promise.all(tokens.map((t) => otpGrant(t, code)));
    expect(results.filter((r) => r.status === 200)).toHaveLength(1);
  });

  it('a recovery code answers tokens once; the same code again is refused', async () => {
    const code = recoveryCodes[0]!;
    const r = await recoveryGrant(await mfaToken(), code);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect((await me(`Bearer ${r.body.access_token as string}`)).body.name).toBe(USER);
    const again = await recoveryGrant(await mfaToken(), code);
    expect(again.status).toBe(400);
    expect(again.body.error).toBe('invalid_grant');
    // Typed loosely (upper case, no dashes) another code still works.
    const loose = recoveryCodes[1]!.replace(/-/g, '').toUpperCase();
    expect((await recoveryGrant(await mfaToken(), loose)).status).toBe(200);
    expect((await recoveryGrant(await mfaToken(), 'aaaa-bbbb-cccc-dddd')).status).toBe(400);
    const row = await ctx.auth.users.byName(USER);
    expect(row!.recovery_codes).toHaveLength(8);
  });

  it('one recovery code sent in parallel requests is accepted once', async () => {
    const code = recoveryCodes[2]!;
    const tokens = [];
    for (let i = 0; i < PARALLEL; i++) tokens.push(await mfaToken());
    const results = await Promise.all(tokens.map((t) => recoveryGrant(t, code)));
    expect(results.filter((r) => r.status === 200)).toHaveLength(1);
  });

  it('only users:write may reset MFA', async () => {
    tick();
    const analyst = await otpGrant(await mfaToken(), totpCode(secret, now()));
    expect(analyst.status).toBe(200);
    const r = await as(`Bearer ${analyst.body.access_token as string}`)(
      'DELETE',
      `/api/v1/users/${userId}/mfa`,
    );
    expect(r.status).toBe(403);
    expect((await ctx.auth.users.byId(userId))!.mfa_enabled).toBe(true);
  });

  it("an admin reset turns MFA off and revokes the user's sessions; the password grant answers tokens", async () => {
    tick();
    const before = await otpGrant(await mfaToken(), totpCode(secret, now()));
    expect(before.status).toBe(200);
    const oldAccess = `Bearer ${before.body.access_token as string}`;
    expect((await me(oldAccess)).status).toBe(200);

    const adm = await admin();
    const r = await adm('DELETE', `/api/v1/users/${userId}/mfa`);
    expect(r.status, JSON.stringify(r.body)).toBe(204);
    expect((await adm('GET', `/api/v1/users/${USER}`)).body.mfa_enabled).toBe(false);

    expect((await me(oldAccess)).status).toBe(401);
    expect((await me(userAuth)).status).toBe(401);
    const refresh = await anon('POST', '/api/v1/auth/token', {
      grant_type: 'refresh_token',
      refresh_token: before.body.refresh_token,
    });
    expect(refresh.status).toBe(400);
    expect(refresh.body.error).toBe('invalid_grant');

    const grant = await passwordGrant();
    expect(grant.status).toBe(200);
    expect(grant.body.access_token).toEqual(expect.any(String));
    expect((await me(`Bearer ${grant.body.access_token as string}`)).body.mfa_enabled).toBe(false);
    // The old secret and recovery codes are gone: enrolment starts over with a new secret.
    const enroll = await as(`Bearer ${grant.body.access_token as string}`)('POST', '/api/v1/auth/mfa/enroll');
    expect(enroll.status).toBe(200);
    expect(enroll.body.secret).not.toBe(secret);
  });

  it('the audit log records enrolment, activation, MFA logins, failures and the reset', async () => {
    const actor = `user:${USER}`;
    const enroll = await audit(`action=user.mfa_enroll&target=${USER}`);
    expect(enroll.length).toBe(2);
    expect(enroll.every((e) => e.actor === actor && e.outcome === 'success')).toBe(true);
    expect(JSON.stringify(enroll)).not.toContain(secret); // the secret is never audited

    const enable = await audit(`action=user.mfa_enable&target=${USER}`);
    expect(enable).toHaveLength(1);
    expect(enable[0]).toMatchObject({
      actor,
      before: { mfa_enabled: false },
      after: { mfa_enabled: true },
    });

    const logins = await audit(`action=auth.login&target=${USER}&outcome=success`);
    const methods = logins.map((e) => (e.details as Json).method as string);
    expect(methods.filter((m) => m === 'mfa').length).toBeGreaterThanOrEqual(7);
    const recovery = logins.filter((e) => (e.details as Json).method === 'recovery_code');
    expect(recovery.length).toBeGreaterThanOrEqual(2);
    expect(recovery.map((e) => (e.details as Json).recovery_codes_left)).toContain(8);
    expect(logins.every((e) => e.actor === actor && e.actor_ip === '127.0.0.1')).toBe(true);

    const failures = await audit(`action=auth.login&target=${USER}&outcome=failure`);
    expect(failures.filter((e) => (e.details as Json).reason === 'mfa').length).toBeGreaterThanOrEqual(4);

    const reset = await audit(`action=user.mfa_reset&target=${USER}`);
    expect(reset).toHaveLength(1);
    expect(reset[0]).toMatchObject({
      actor: 'user:admin',
      before: { mfa_enabled: true },
      after: { mfa_enabled: false },
    });

    const verify = await (await admin())('GET', '/api/v1/audit/verify');
    expect(verify.body).toMatchObject({ ok: true, breakCount: 0 });
  });
});
