/**
 * Sessions through the HTTP API: the token endpoint (form and JSON), refresh-token rotation and
 * reuse detection (RFC 9700 §4.14.2: the whole family is revoked), logout, disabled users,
 * revocation across a restart and across instances sharing Redis, the password grant's uniform
 * error, account and per-IP lockout (429 with Retry-After) and the audit entries of logins.
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApi } from '../../src/server/app.js';
import type { ServiceContext } from '../../src/service/vigil.js';
import { ADMIN_PASSWORD, seedAccounts, type TestAccounts, USER_PASSWORD } from '../helpers/auth.js';
import {
  callAs,
  createUser,
  durableDatabase,
  openContextOn,
  randomIp,
  REDIS_TEST_URL,
  redisAvailable,
  type TestDatabase,
  tokenRequest,
  uniqueName,
  twoInstances,
  type TwoInstances,
} from '../helpers/auth-attacks.js';
import type { JsonResponse } from '../helpers/inject.js';
import { closeTestContext, openTestContext, STORE_KINDS } from '../helpers/service.js';

const REDIS = await redisAvailable();
const ENV = { VIGIL_LOGIN_MAX_FAILURES: '3', VIGIL_LOGIN_IP_MAX_FAILURES: '4' };

interface Pair {
  readonly access: string;
  readonly refresh: string;
}

function pairOf(r: JsonResponse): Pair {
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return { access: `Bearer ${r.body.access_token as string}`, refresh: r.body.refresh_token as string };
}

async function passwordLogin(
  app: FastifyInstance,
  username: string,
  password: string,
  options: { form?: boolean; ip?: string } = {},
): Promise<JsonResponse> {
  return tokenRequest(app, { grant_type: 'password', username, password }, options);
}

async function refresh(
  app: FastifyInstance,
  token: string,
  via: 'token' | 'refresh' = 'token',
): Promise<JsonResponse> {
  return via === 'token'
    ? tokenRequest(app, { grant_type: 'refresh_token', refresh_token: token }, { form: true })
    : tokenRequest(app, { refresh_token: token }, { path: '/api/v1/auth/refresh' });
}

async function status(app: FastifyInstance, authorization: string): Promise<number> {
  return (await callAs(app, authorization, 'GET', '/api/v1/auth/me')).status;
}

describe.each(STORE_KINDS)('sessions and logins on %s', (kind) => {
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

  it('the password grant answers the RFC 6749 §5.1 response to a form body and to a JSON body', async () => {
    for (const form of [true, false]) {
      const r = await passwordLogin(app, 'viewer', USER_PASSWORD, { form, ip: randomIp() });
      expect(r.status, `form=${form}`).toBe(200);
      expect(r.body).toMatchObject({ token_type: 'Bearer', expires_in: ctx.config.auth.accessTokenTtl });
      expect(r.body.access_token).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
      expect(r.body.refresh_token).toMatch(/^[\w-]{43}$/);
      expect(r.headers['cache-control']).toBe('no-store');
      expect(await status(app, `Bearer ${r.body.access_token as string}`)).toBe(200);
    }
  });

  it('refresh returns a new pair (token endpoint with a form body, /auth/refresh with JSON)', async () => {
    const p1 = pairOf(await passwordLogin(app, 'viewer', USER_PASSWORD));
    const p2 = pairOf(await refresh(app, p1.refresh, 'token'));
    expect(p2.refresh).not.toBe(p1.refresh);
    expect(p2.access).not.toBe(p1.access);
    expect(await status(app, p2.access)).toBe(200);
    const p3 = pairOf(await refresh(app, p2.refresh, 'refresh'));
    expect(p3.refresh).not.toBe(p2.refresh);
    expect(await status(app, p3.access)).toBe(200);
    // The same session throughout.
    const sid = (a: string) =>
      JSON.parse(Buffer.from(a.split('.')[1]!, 'base64url').toString()).sid as string;
    expect(sid(p3.access)).toBe(sid(p1.access));
  });

  it('reusing a rotated refresh token: invalid_grant, and the whole family is revoked (other sessions live on)', async () => {
    const other = pairOf(await passwordLogin(app, 'viewer', USER_PASSWORD));
    const p1 = pairOf(await passwordLogin(app, 'viewer', USER_PASSWORD));
    const p2 = pairOf(await refresh(app, p1.refresh));
    const p3 = pairOf(await refresh(app, p2.refresh, 'refresh'));
    expect(await status(app, p3.access)).toBe(200);

    const reuse = await refresh(app, p1.refresh);
    expect(reuse.status).toBe(400);
    expect(reuse.body.error).toBe('invalid_grant');
    expect(reuse.body.error_description).toMatch(/already used/);

    // The newest refresh token of the family fails too ...
    const newest = await refresh(app, p3.refresh, 'refresh');
    expect(newest.status).toBe(400);
    expect(newest.body.error).toBe('invalid_grant');
    // ... and so do the family's access tokens, at once.
    expect(await status(app, p3.access)).toBe(401);
    expect(await status(app, p1.access)).toBe(401);
    // Another session of the same user is untouched.
    expect(await status(app, other.access)).toBe(200);
    pairOf(await refresh(app, other.refresh));
    const audit = await ctx.database.db
      .selectFrom('audit_log')
      .select(['outcome', 'target'])
      .where('action', '=', 'auth.refresh_reuse')
      .execute();
    expect(audit.length).toBeGreaterThan(0);
    expect(audit.every((a) => a.outcome === 'failure')).toBe(true);
  });

  it('logout: the access token is refused and the refresh token fails; other sessions live on', async () => {
    const other = pairOf(await passwordLogin(app, 'viewer', USER_PASSWORD));
    const p = pairOf(await passwordLogin(app, 'viewer', USER_PASSWORD));
    expect(await status(app, p.access)).toBe(200);
    const out = await callAs(app, p.access, 'POST', '/api/v1/auth/logout');
    expect(out.status).toBe(204);
    expect(await status(app, p.access)).toBe(401);
    expect((await callAs(app, p.access, 'GET', '/api/v1/alerts')).status).toBe(401);
    const r = await refresh(app, p.refresh);
    expect(r.status).toBe(400);
    expect(r.body.error).toBe('invalid_grant');
    expect(await status(app, other.access)).toBe(200);
  });

  it('disabling a user refuses their tokens and refresh; re-enabling lets them sign in again', async () => {
    const name = uniqueName('leaver');
    await createUser(ctx, name, 'analyst');
    const p = pairOf(await passwordLogin(app, name, USER_PASSWORD));
    expect((await callAs(app, p.access, 'GET', '/api/v1/alerts')).status).toBe(200);

    const off = await callAs(app, accounts.admin, 'PATCH', `/api/v1/users/${name}`, { disabled: true });
    expect(off.status).toBe(200);
    expect(off.body.disabled).toBe(true);
    expect((await callAs(app, p.access, 'GET', '/api/v1/alerts')).status).toBe(401);
    expect((await refresh(app, p.refresh)).body.error).toBe('invalid_grant');
    const denied = await passwordLogin(app, name, USER_PASSWORD, { ip: randomIp() });
    expect(denied.status).toBe(400);
    expect(denied.body.error).toBe('invalid_grant');

    const on = await callAs(app, accounts.admin, 'PATCH', `/api/v1/users/${name}`, { disabled: false });
    expect(on.status).toBe(200);
    const again = pairOf(await passwordLogin(app, name, USER_PASSWORD));
    expect((await callAs(app, again.access, 'GET', '/api/v1/alerts')).status).toBe(200);
    pairOf(await refresh(app, again.refresh));
    // The sessions ended by the disabling stay ended.
    expect((await callAs(app, p.access, 'GET', '/api/v1/alerts')).status).toBe(401);
  });

  it('a role change or a password reset by an admin ends the sessions (no stale role claim lives on)', async () => {
    const name = uniqueName('demoted');
    await createUser(ctx, name, 'admin');
    const p = pairOf(await passwordLogin(app, name, USER_PASSWORD));
    expect((await callAs(app, p.access, 'GET', '/api/v1/users')).status).toBe(200);
    const demote = await callAs(app, accounts.admin, 'PATCH', `/api/v1/users/${name}`, { role: 'viewer' });
    expect(demote.status).toBe(200);
    expect((await callAs(app, p.access, 'GET', '/api/v1/users')).status).toBe(401);
    expect((await refresh(app, p.refresh)).body.error).toBe('invalid_grant');
    const q = pairOf(await passwordLogin(app, name, USER_PASSWORD));
    expect((await callAs(app, q.access, 'GET', '/api/v1/users')).status).toBe(403);

    const reset = await callAs(app, accounts.admin, 'POST', `/api/v1/users/${name}/password`, {
      password: 'reset-by-the-admin-77',
    });
    expect(reset.status).toBe(204);
    expect(await status(app, q.access)).toBe(401);
    expect((await refresh(app, q.refresh)).body.error).toBe('invalid_grant');
  });

  it('a wrong password, an unknown user and a disabled user get the same 400 invalid_grant', async () => {
    const disabled = uniqueName('disabled');
    await createUser(ctx, disabled, 'viewer');
    await ctx.auth.users.update(disabled, { disabled: true }, { name: 'test', ip: null });
    const wrong = await passwordLogin(app, 'viewer', 'not-the-password-123', { ip: randomIp() });
    const unknown = await passwordLogin(app, uniqueName('nobody'), 'not-the-password-123', {
      ip: randomIp(),
    });
    const off = await passwordLogin(app, disabled, USER_PASSWORD, { ip: randomIp() });
    for (const r of [wrong, unknown, off]) {
      expect(r.status).toBe(400);
      expect(r.body.error).toBe('invalid_grant');
    }
    expect(unknown.body.error_description).toBe(wrong.body.error_description);
    expect(off.body.error_description).toBe(wrong.body.error_description);
    // Undo the failure counted against the viewer (the lockout test counts its own user).
    pairOf(await passwordLogin(app, 'viewer', USER_PASSWORD));
  });

  it('VIGIL_LOGIN_MAX_FAILURES=3: the 4th attempt, even with the right password, is 429 with Retry-After', async () => {
    const name = uniqueName('locky');
    await createUser(ctx, name, 'viewer');
    for (let i = 0; i < 3; i++) {
      const r = await passwordLogin(app, name, `wrong-password-${i}-xx`, { ip: randomIp() });
      expect(r.status, `failure ${i + 1}`).toBe(400);
    }
    const locked = await passwordLogin(app, name, USER_PASSWORD, { ip: randomIp() });
    expect(locked.status).toBe(429);
    expect(locked.body.error).toBe('slow_down');
    const retry = Number(locked.headers['retry-after']);
    expect(retry).toBeGreaterThanOrEqual(1);
    expect(retry).toBeLessThanOrEqual(30);
    // Other accounts are not affected.
    pairOf(await passwordLogin(app, 'viewer', USER_PASSWORD, { ip: randomIp() }));
  });

  it('parallel wrong guesses count one failure each: the account still locks', async () => {
    const name = uniqueName('raced');
    await createUser(ctx, name, 'viewer');
    const guesses = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        passwordLogin(app, name, `parallel-guess-${i}-xx`, { ip: randomIp() }),
      ),
    );
    expect(guesses.every((r) => r.status === 400 || r.status === 429)).toBe(true);
    const row = (await ctx.auth.users.byName(name))!;
    expect(row.failed_logins).toBeGreaterThanOrEqual(3);
    const after = await passwordLogin(app, name, USER_PASSWORD, { ip: randomIp() });
    expect(after.status).toBe(429);
  });

  it('a successful login resets the consecutive-failure count', async () => {
    const name = uniqueName('forgetful');
    await createUser(ctx, name, 'viewer');
    for (let round = 0; round < 2; round++) {
      for (let i = 0; i < 2; i++)
        expect((await passwordLogin(app, name, 'wrong-password-xx1', { ip: randomIp() })).status).toBe(400);
      pairOf(await passwordLogin(app, name, USER_PASSWORD, { ip: randomIp() }));
    }
  });

  it('VIGIL_LOGIN_IP_MAX_FAILURES=4: a 5th attempt from that address is 429, from another address 200', async () => {
    const ip = randomIp();
    for (let i = 0; i < 4; i++) {
      const r = await passwordLogin(app, uniqueName('ghost'), 'whatever-password-1', { ip });
      expect(r.status, `failure ${i + 1}`).toBe(400);
    }
    const blocked = await passwordLogin(app, 'analyst', USER_PASSWORD, { ip });
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    pairOf(await passwordLogin(app, 'analyst', USER_PASSWORD, { ip: randomIp() }));
  });

  it('audit: auth.login entries for a success and a failure, with the client address', async () => {
    const name = uniqueName('audited');
    await createUser(ctx, name, 'viewer');
    const ip = randomIp();
    expect((await passwordLogin(app, name, 'wrong-password-xx2', { ip })).status).toBe(400);
    pairOf(await passwordLogin(app, name, USER_PASSWORD, { ip }));
    const rows = await ctx.database.db
      .selectFrom('audit_log')
      .select(['actor', 'actor_ip', 'outcome', 'details'])
      .where('action', '=', 'auth.login')
      .where('target', '=', name)
      .orderBy('id')
      .execute();
    expect(rows.map((r) => r.outcome)).toEqual(['failure', 'success']);
    for (const r of rows) {
      expect(r.actor).toBe(`user:${name}`);
      expect(r.actor_ip).toBe(ip);
    }
    expect(rows[0]!.details).toMatchObject({ reason: 'wrong password' });
    expect(rows[1]!.details).toMatchObject({ method: 'password' });
    const verify = await callAs(app, accounts.admin, 'GET', '/api/v1/audit/verify');
    expect(verify.body.ok).toBe(true);
  });

  it('a revoked session stays revoked across a restart (same database)', async () => {
    const db: TestDatabase = await durableDatabase(kind);
    let first: ServiceContext | undefined = await openContextOn(db, ENV);
    let second: ServiceContext | undefined;
    try {
      const appA = await buildApi(first);
      const revoked = pairOf(await passwordLogin(appA, 'admin', ADMIN_PASSWORD));
      const kept = pairOf(await passwordLogin(appA, 'admin', ADMIN_PASSWORD));
      expect((await callAs(appA, revoked.access, 'POST', '/api/v1/auth/logout')).status).toBe(204);
      expect(await status(appA, revoked.access)).toBe(401);
      await appA.close();
      await closeTestContext(first);
      first = undefined;

      second = await openContextOn(db, ENV);
      const appB = await buildApi(second);
      expect(await status(appB, revoked.access)).toBe(401);
      expect((await refresh(appB, revoked.refresh)).body.error).toBe('invalid_grant');
      // Control: the signing key and the other session survived too.
      expect(await status(appB, kept.access)).toBe(200);
      await appB.close();
    } finally {
      if (first) await closeTestContext(first);
      if (second) await closeTestContext(second);
      await db.drop();
    }
  }, 60_000);
});

describe.runIf(REDIS && STORE_KINDS.includes('postgres'))(
  'two instances on one PostgreSQL database sharing Redis',
  () => {
    let two: TwoInstances;
    let a: ServiceContext;
    let b: ServiceContext;
    let appA: FastifyInstance;
    let appB: FastifyInstance;
    let admin: string;

    beforeAll(async () => {
      two = await twoInstances({ ...ENV, REDIS_URL: REDIS_TEST_URL });
      ({ a, b, appA, appB, admin } = two);
    }, 60_000);

    afterAll(async () => {
      await two?.close();
    });

    it('both instances use Redis', () => {
      expect(a.redis).toBeDefined();
      expect(b.redis).toBeDefined();
    });

    it('logout on A: B refuses the access token at once', async () => {
      const p = pairOf(await passwordLogin(appA, 'viewer', USER_PASSWORD));
      expect(await status(appB, p.access)).toBe(200);
      expect((await callAs(appA, p.access, 'POST', '/api/v1/auth/logout')).status).toBe(204);
      expect(await status(appB, p.access)).toBe(401);
      expect((await refresh(appB, p.refresh)).body.error).toBe('invalid_grant');
    });

    it('refresh-token reuse on A: B refuses the family at once', async () => {
      const p1 = pairOf(await passwordLogin(appA, 'viewer', USER_PASSWORD));
      const p2 = pairOf(await refresh(appB, p1.refresh));
      expect(await status(appB, p2.access)).toBe(200);
      expect((await refresh(appA, p1.refresh)).status).toBe(400);
      expect(await status(appB, p2.access)).toBe(401);
    });

    it('disabling on A: B refuses at once; re-enabling on A: B accepts a new login', async () => {
      const name = uniqueName('shared');
      await createUser(a, name, 'viewer');
      const p = pairOf(await passwordLogin(appB, name, USER_PASSWORD));
      expect(await status(appB, p.access)).toBe(200);
      expect((await callAs(appA, admin, 'PATCH', `/api/v1/users/${name}`, { disabled: true })).status).toBe(
        200,
      );
      expect(await status(appB, p.access)).toBe(401);
      expect((await callAs(appA, admin, 'PATCH', `/api/v1/users/${name}`, { disabled: false })).status).toBe(
        200,
      );
      const again = pairOf(await passwordLogin(appA, name, USER_PASSWORD));
      expect(await status(appB, again.access)).toBe(200);
    });

    it('failed logins from one address count on both instances (VIGIL_LOGIN_IP_MAX_FAILURES=4)', async () => {
      const ip = randomIp();
      for (const target of [appA, appB, appA, appB])
        expect((await passwordLogin(target, uniqueName('ghost'), 'whatever-password-1', { ip })).status).toBe(
          400,
        );
      for (const target of [appA, appB]) {
        const r = await passwordLogin(target, 'viewer', USER_PASSWORD, { ip });
        expect(r.status).toBe(429);
        expect(Number(r.headers['retry-after'])).toBeGreaterThan(1);
      }
      pairOf(await passwordLogin(appB, 'viewer', USER_PASSWORD, { ip: randomIp() }));
    });
  },
);
