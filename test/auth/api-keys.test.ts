/**
 * API keys through the HTTP API: created by admins and shown once, never listed with their
 * secrets; accepted as `Bearer id:secret`, `ApiKey base64(id:secret)` and (on ingest only)
 * Basic; scoped; refused once expired (a moved clock), revoked (at once, and on another instance
 * through Redis), or with a wrong secret; `last_used_at` kept.
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApi } from '../../src/server/app.js';
import type { ServiceContext } from '../../src/service/vigil.js';
import { seedAccounts, type TestAccounts } from '../helpers/auth.js';
import {
  callAs,
  mainDatabase,
  openContextOn,
  REDIS_TEST_URL,
  redisAvailable,
  type TestClock,
  testClock,
  type TestDatabase,
  twoInstances,
  type TwoInstances,
} from '../helpers/auth-attacks.js';
import type { JsonResponse } from '../helpers/inject.js';
import { closeTestContext, STORE_KINDS } from '../helpers/service.js';

const REDIS = await redisAvailable();
const EVENT = { '@timestamp': '2026-11-20T10:00:00Z', message: 'api key test', host: { name: 'K1' } };

/** The ways a key is presented. */
function schemes(key: string): { bearer: string; apiKey: string; basic: string } {
  const b64 = Buffer.from(key).toString('base64');
  return { bearer: `Bearer ${key}`, apiKey: `ApiKey ${b64}`, basic: `Basic ${b64}` };
}

async function createViaApi(
  app: FastifyInstance,
  admin: string,
  permissions: string[],
  extra: Record<string, unknown> = {},
): Promise<{ id: string; key: string; response: JsonResponse }> {
  const r = await callAs(app, admin, 'POST', '/api/v1/api-keys', { name: 'test key', permissions, ...extra });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return { id: r.body.id as string, key: r.body.key as string, response: r };
}

async function ingest(app: FastifyInstance, authorization: string): Promise<number> {
  return (await callAs(app, authorization, 'POST', '/api/v1/events', EVENT)).status;
}

describe.each(STORE_KINDS)('API keys on %s', (kind) => {
  let db: TestDatabase;
  let clock: TestClock;
  let ctx: ServiceContext;
  let app: FastifyInstance;
  let accounts: TestAccounts;

  beforeAll(async () => {
    db = await mainDatabase(kind);
    clock = testClock();
    ctx = await openContextOn(db, {}, clock.now);
    app = await buildApi(ctx);
    accounts = await seedAccounts(ctx);
  }, 60_000);

  afterAll(async () => {
    await app?.close();
    if (ctx) await closeTestContext(ctx);
    await db?.drop();
  });

  it('an admin creates a key: id:secret and its base64 are shown once; the list never shows a secret', async () => {
    const { id, key, response } = await createViaApi(app, accounts.admin, ['ingest:write', 'alerts:read']);
    expect(key).toMatch(/^[\w-]+:[\w-]{43}$/);
    expect(key.startsWith(`${id}:`)).toBe(true);
    expect(response.body.encoded).toBe(Buffer.from(key).toString('base64'));
    expect(response.body.permissions).toEqual(['ingest:write', 'alerts:read']);
    expect(response.body.created_by).toBe('user:admin');
    const secret = key.slice(key.indexOf(':') + 1);

    const list = await callAs(app, accounts.admin, 'GET', '/api/v1/api-keys');
    expect(list.status).toBe(200);
    const mine = (list.body.api_keys as Record<string, unknown>[]).find((k) => k.id === id);
    expect(mine).toBeDefined();
    expect(Object.keys(mine!).sort()).toEqual(
      [
        'created_at',
        'created_by',
        'expires_at',
        'id',
        'last_used_at',
        'name',
        'permissions',
        'revoked_at',
      ].sort(),
    );
    const text = JSON.stringify(list.body);
    expect(text).not.toContain(secret);
    expect(text).not.toContain(response.body.encoded as string);
    expect(text).not.toMatch(/secret|hash/i);
    // The audit entry of the creation does not hold it either.
    const audit = await ctx.database.db
      .selectFrom('audit_log')
      .selectAll()
      .where('action', '=', 'api_key.create')
      .where('target', '=', id)
      .execute();
    expect(audit).toHaveLength(1);
    expect(JSON.stringify(audit)).not.toContain(secret);
  });

  it('Bearer id:secret, ApiKey base64 and Basic are accepted on POST /api/v1/events', async () => {
    const { key } = await createViaApi(app, accounts.admin, ['ingest:write']);
    const s = schemes(key);
    for (const h of [s.bearer, s.apiKey, s.basic, `bearer ${key}`]) expect(await ingest(app, h), h).toBe(200);
  });

  it('Basic is refused (401) off the ingest routes, where Bearer and ApiKey work', async () => {
    const { key } = await createViaApi(app, accounts.admin, ['alerts:read', 'ingest:write']);
    const s = schemes(key);
    const basic = await callAs(app, s.basic, 'GET', '/api/v1/alerts');
    expect(basic.status).toBe(401);
    expect(basic.body.detail).toMatch(/Basic/);
    expect((await callAs(app, s.bearer, 'GET', '/api/v1/alerts')).status).toBe(200);
    expect((await callAs(app, s.apiKey, 'GET', '/api/v1/alerts')).status).toBe(200);
  });

  it('the scope is enforced: an ingest-only key gets 403 on GET /api/v1/alerts; /auth/me names the key', async () => {
    const r = await callAs(app, accounts.ingestKey.bearer, 'GET', '/api/v1/alerts');
    expect(r.status).toBe(403);
    expect(r.body.detail).toMatch(/alerts:read/);
    const me = await callAs(app, accounts.ingestKey.apiKey, 'GET', '/api/v1/auth/me');
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ kind: 'api_key', id: accounts.ingestKey.id, role: null });
    expect(me.body.permissions).toEqual(['ingest:write']);
  });

  it('an expired key is refused (clock moved past expires_at); a past expires_at is refused at creation', async () => {
    const expiresAt = new Date(clock.now().getTime() + 5_000).toISOString();
    const { key, response } = await createViaApi(app, accounts.admin, ['ingest:write'], {
      expires_at: expiresAt,
    });
    expect(response.body.expires_at).toBe(expiresAt);
    const s = schemes(key);
    expect(await ingest(app, s.bearer)).toBe(200);
    clock.advance(10_000);
    try {
      for (const h of [s.bearer, s.apiKey, s.basic]) {
        const r = await callAs(app, h, 'POST', '/api/v1/events', EVENT);
        expect(r.status, h).toBe(401);
        expect(r.body.detail).toMatch(/expired/);
      }
    } finally {
      clock.reset();
    }
    const past = await callAs(app, accounts.admin, 'POST', '/api/v1/api-keys', {
      name: 'stale',
      permissions: ['ingest:write'],
      expires_at: new Date(Date.now() - 60_000).toISOString(),
    });
    expect(past.status).toBe(400);
  });

  it('a revoked key is refused at once, in every scheme; revoking again is harmless; unknown id 404', async () => {
    const { id, key } = await createViaApi(app, accounts.admin, ['ingest:write']);
    const s = schemes(key);
    expect(await ingest(app, s.bearer)).toBe(200); // now cached
    const del = await callAs(app, accounts.admin, 'DELETE', `/api/v1/api-keys/${id}`);
    expect(del.status).toBe(200);
    expect(del.body.revoked_at).toBeTruthy();
    for (const h of [s.bearer, s.apiKey, s.basic]) {
      const r = await callAs(app, h, 'POST', '/api/v1/events', EVENT);
      expect(r.status, h).toBe(401);
      expect(r.body.detail).toMatch(/revoked/);
    }
    expect((await callAs(app, accounts.admin, 'DELETE', `/api/v1/api-keys/${id}`)).status).toBe(200);
    expect((await callAs(app, accounts.admin, 'DELETE', '/api/v1/api-keys/no-such-key')).status).toBe(404);
    const list = await callAs(app, accounts.admin, 'GET', '/api/v1/api-keys');
    const row = (list.body.api_keys as { id: string; revoked_at: string | null }[]).find((k) => k.id === id)!;
    expect(row.revoked_at).toBeTruthy();
  });

  it('last_used_at is set after a use', async () => {
    const { id, key } = await createViaApi(app, accounts.admin, ['ingest:write']);
    const lastUsed = async (): Promise<string | null> => {
      const list = await callAs(app, accounts.admin, 'GET', '/api/v1/api-keys');
      return (list.body.api_keys as { id: string; last_used_at: string | null }[]).find((k) => k.id === id)!
        .last_used_at;
    };
    expect(await lastUsed()).toBeNull();
    const before = Date.now();
    expect(await ingest(app, schemes(key).bearer)).toBe(200);
    let seen: string | null = null;
    for (let i = 0; i < 50 && seen === null; i++) {
      seen = await lastUsed();
      if (seen === null) await new Promise((r) => setTimeout(r, 50));
    }
    expect(seen).not.toBeNull();
    expect(new Date(seen!).getTime()).toBeGreaterThanOrEqual(before - 1000);
  });

  it('a wrong secret, an unknown id, a swapped secret or a malformed key: 401', async () => {
    const a = await createViaApi(app, accounts.admin, ['ingest:write']);
    const b = await createViaApi(app, accounts.admin, ['ingest:write']);
    const [idA, secretA] = a.key.split(':') as [string, string];
    const [idB, secretB] = b.key.split(':') as [string, string];
    const flipped = secretA.slice(0, -1) + (secretA.endsWith('A') ? 'B' : 'A');
    for (const key of [
      `${idA}:${flipped}`,
      `unknown-id:${secretA}`,
      `${idA}:${secretB}`,
      `${idB}:${secretA}`,
    ]) {
      for (const h of Object.values(schemes(key))) {
        const r = await callAs(app, h, 'POST', '/api/v1/events', EVENT);
        expect(r.status, h).toBe(401);
      }
    }
    for (const h of [
      `Bearer ${idA}:`,
      `ApiKey ${Buffer.from(idA).toString('base64')}`,
      'ApiKey !!!',
      'Basic',
      'Digest x',
    ])
      expect((await callAs(app, h, 'POST', '/api/v1/events', EVENT)).status, h).toBe(401);
  });

  it('only api-keys:write may create, list needs api-keys:read: analysts, viewers and keys get 403', async () => {
    for (const h of [accounts.analyst, accounts.viewer, accounts.ingestKey.bearer]) {
      const r = await callAs(app, h, 'POST', '/api/v1/api-keys', {
        name: 'nope',
        permissions: ['ingest:write'],
      });
      expect(r.status).toBe(403);
      expect((await callAs(app, h, 'GET', '/api/v1/api-keys')).status).toBe(403);
      expect((await callAs(app, h, 'DELETE', `/api/v1/api-keys/${accounts.ingestKey.id}`)).status).toBe(403);
    }
    // The ingest key still works: the refused DELETE did nothing.
    expect(await ingest(app, accounts.ingestKey.bearer)).toBe(200);
  });

  it('unknown or no permissions are refused at creation (400)', async () => {
    for (const permissions of [['alerts:read', 'root:everything'], []]) {
      const r = await callAs(app, accounts.admin, 'POST', '/api/v1/api-keys', { name: 'bad', permissions });
      expect(r.status, JSON.stringify(permissions)).toBe(400);
    }
  });

  it('a key holding only api-keys:write cannot mint a key with permissions it does not hold', async () => {
    const minter = await createViaApi(app, accounts.admin, ['api-keys:write']);
    const h = schemes(minter.key).bearer;
    // Control: within its own permissions it may.
    const same = await callAs(app, h, 'POST', '/api/v1/api-keys', {
      name: 'same',
      permissions: ['api-keys:write'],
    });
    expect(same.status).toBe(201);
    // Escalation: users:write, settings:write, everything.
    const wider = await callAs(app, h, 'POST', '/api/v1/api-keys', {
      name: 'wider',
      permissions: ['users:write', 'roles:write', 'settings:write'],
    });
    expect(wider.status, JSON.stringify(wider.body)).toBe(403);
  });
});

describe.runIf(STORE_KINDS.includes('postgres'))('API key revocation across instances on PostgreSQL', () => {
  let two: TwoInstances;
  let clockB: TestClock;
  let appA: FastifyInstance;
  let appB: FastifyInstance;
  let admin: string;

  beforeAll(async () => {
    clockB = testClock();
    two = await twoInstances({}, clockB.now);
    ({ appA, appB, admin } = two);
  }, 60_000);

  afterAll(async () => {
    await two?.close();
  });

  it('without Redis, B refuses a key revoked on A once its 30 s key cache expires', async () => {
    const { id, key } = await createViaApi(appA, admin, ['ingest:write']);
    expect(await ingest(appB, schemes(key).bearer)).toBe(200); // cached on B
    expect((await callAs(appA, admin, 'DELETE', `/api/v1/api-keys/${id}`)).status).toBe(200);
    expect(await ingest(appA, schemes(key).bearer)).toBe(401);
    clockB.advance(31_000);
    try {
      expect(await ingest(appB, schemes(key).bearer)).toBe(401);
    } finally {
      clockB.reset();
    }
  });
});

describe.runIf(REDIS && STORE_KINDS.includes('postgres'))(
  'API key revocation across instances with Redis',
  () => {
    let two: TwoInstances;
    let appA: FastifyInstance;
    let appB: FastifyInstance;
    let admin: string;

    beforeAll(async () => {
      two = await twoInstances({ REDIS_URL: REDIS_TEST_URL });
      ({ appA, appB, admin } = two);
    }, 60_000);

    afterAll(async () => {
      await two?.close();
    });

    it('a key revoked on A is refused by B at once (B had it cached)', async () => {
      const { id, key } = await createViaApi(appA, admin, ['ingest:write']);
      expect(await ingest(appB, schemes(key).bearer)).toBe(200);
      expect((await callAs(appA, admin, 'DELETE', `/api/v1/api-keys/${id}`)).status).toBe(200);
      const r = await callAs(appB, schemes(key).bearer, 'POST', '/api/v1/events', EVENT);
      expect(r.status).toBe(401);
      expect(r.body.detail).toMatch(/revoked/);
    });
  },
);
