/**
 * Tools for the access-control tests (test/auth/{matrix,tokens,sessions,api-keys,limits}): Redis
 * availability (under `CI=true` its absence fails, like PostgreSQL's), databases several service
 * contexts can open (one after the other, or at once on PostgreSQL), a clock tests can move,
 * and JWTs forged by hand or with Vigil's own signing keys read from `signing_keys`. No mocks.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import type { IncomingHttpHeaders } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import { type CryptoKey, importJWK, type JWK, type JWTPayload, SignJWT } from 'jose';
import pino from 'pino';
import { buildApi } from '../../src/server/app.js';
import { createServiceContext, type ServiceContext } from '../../src/service/vigil.js';
import { type DatabaseTarget, openDatabase } from '../../src/store/database.js';
import { seedAccounts, USER_PASSWORD } from './auth.js';
import type { Json, JsonResponse } from './inject.js';
import { closeTestContext, freshPostgres, type StoreKind, testConfig } from './service.js';

/** A Redis database of its own (7) so the tests never touch another user's keys. */
export const REDIS_TEST_URL = process.env.VIGIL_TEST_REDIS ?? 'redis://127.0.0.1:6379/7';

/** True when Redis answers a PING; under `CI=true` throws instead of returning false. */
export async function redisAvailable(): Promise<boolean> {
  const r = new Redis(REDIS_TEST_URL, {
    lazyConnect: true,
    connectTimeout: 2000,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
  });
  r.on('error', () => undefined);
  try {
    await r.connect();
    return (await r.ping()) === 'PONG';
  } catch (err) {
    if (process.env.CI === 'true')
      throw new Error(`Redis is required under CI=true: ${(err as Error).message}`, { cause: err });
    return false;
  } finally {
    r.disconnect();
  }
}

/** A clock a test can move forward (given to `createServiceContext` as `now`). */
export interface TestClock {
  now(): Date;
  advance(ms: number): void;
  reset(): void;
}

export function testClock(): TestClock {
  let offset = 0;
  return {
    now: () => new Date(Date.now() + offset),
    advance: (ms) => {
      offset += ms;
    },
    reset: () => {
      offset = 0;
    },
  };
}

/** A database service contexts open by target; `drop` removes it once every context is closed. */
export interface TestDatabase {
  readonly target: DatabaseTarget;
  /** True when several contexts may have it open at once (PostgreSQL). */
  readonly shared: boolean;
  drop(): Promise<void>;
}

/** The file's main database: in-memory PGlite, or a fresh PostgreSQL database other contexts may share. */
export async function mainDatabase(kind: StoreKind): Promise<TestDatabase> {
  if (kind === 'pglite') return { target: { kind: 'pglite-memory' }, shared: false, drop: async () => {} };
  const pg = await freshPostgres();
  return { target: { kind: 'postgres', url: pg.url }, shared: true, drop: () => pg.drop() };
}

/** A database that outlives a context (restart tests): PGlite in a data directory, or PostgreSQL. */
export async function durableDatabase(kind: StoreKind): Promise<TestDatabase> {
  if (kind === 'postgres') return mainDatabase(kind);
  const dataDir = mkdtempSync(join(tmpdir(), 'vigil-auth-'));
  return { target: { kind: 'pglite', dataDir }, shared: false, drop: async () => {} };
}

/** Opens a service context on `db` (close it with `closeTestContext`: that leaves the database). */
export async function openContextOn(
  db: TestDatabase,
  env: Record<string, string> = {},
  now?: () => Date,
): Promise<ServiceContext> {
  return createServiceContext(testConfig(env), {
    database: await openDatabase(db.target),
    log: pino({ level: 'silent' }),
    ...(now ? { now } : {}),
  });
}

/** A random address in 10/8, so per-IP counters never meet another test's (or run's). */
export function randomIp(): string {
  const b = randomBytes(3);
  return `10.${b[0]}.${b[1]}.${b[2]! | 1}`;
}

/** A name no other run used. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}

/** Creates a user through the service (the password policy applies); @returns its id */
export async function createUser(
  ctx: ServiceContext,
  name: string,
  role: string,
  options: { password?: string; mustChangePassword?: boolean } = {},
): Promise<string> {
  const u = await ctx.auth.users.create(
    {
      name,
      password: options.password ?? USER_PASSWORD,
      role,
      mustChangePassword: options.mustChangePassword ?? false,
    },
    { name: 'test', ip: null },
  );
  return u.id;
}

/** `app.inject` with one `Authorization` value (undefined = anonymous) and an optional client address. */
export async function callAs(
  app: FastifyInstance,
  authorization: string | undefined,
  method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE',
  url: string,
  payload?: unknown,
  options: { remoteAddress?: string; headers?: Record<string, string> } = {},
): Promise<JsonResponse> {
  const headers: Record<string, string> = { ...(options.headers ?? {}) };
  if (authorization !== undefined) headers.authorization = authorization;
  if (payload !== undefined) headers['content-type'] ??= 'application/json';
  const r = await app.inject({
    method,
    url,
    headers,
    ...(options.remoteAddress ? { remoteAddress: options.remoteAddress } : {}),
    ...(payload === undefined
      ? {}
      : { payload: typeof payload === 'string' ? payload : JSON.stringify(payload) }),
  });
  let body: Json;
  try {
    body = r.body ? (JSON.parse(r.body) as Json) : {};
  } catch {
    body = { raw: r.body };
  }
  return { status: r.statusCode, body, headers: r.headers as IncomingHttpHeaders };
}

/** POST /api/v1/auth/token as a form (`form: true`) or JSON body, from `ip`. */
export async function tokenRequest(
  app: FastifyInstance,
  fields: Record<string, string>,
  options: { form?: boolean; ip?: string; path?: string } = {},
): Promise<JsonResponse> {
  const form = options.form ?? false;
  return callAs(
    app,
    undefined,
    'POST',
    options.path ?? '/api/v1/auth/token',
    form ? new URLSearchParams(fields).toString() : JSON.stringify(fields),
    {
      ...(options.ip ? { remoteAddress: options.ip } : {}),
      headers: {
        'content-type': form ? 'application/x-www-form-urlencoded' : 'application/json',
      },
    },
  );
}

// ---------------------------------------------------------------------------------------------
// JWTs

/** One row of `signing_keys`, imported. */
export interface RealKey {
  readonly kid: string;
  readonly alg: string;
  readonly privateKey: CryptoKey | Uint8Array;
  readonly publicJwk: JWK;
  readonly createdAt: Date;
  readonly retiredAt: Date | null;
}

/** Vigil's signing keys as stored (what an attacker who read the database would hold). */
export async function signingKeys(ctx: ServiceContext): Promise<RealKey[]> {
  const rows = await ctx.database.db.selectFrom('signing_keys').selectAll().orderBy('created_at').execute();
  const out: RealKey[] = [];
  for (const r of rows) {
    out.push({
      kid: r.kid,
      alg: r.alg,
      privateKey: await importJWK(JSON.parse(r.private_jwk) as JWK, r.alg),
      publicJwk: JSON.parse(r.public_jwk) as JWK,
      createdAt: r.created_at,
      retiredAt: r.retired_at,
    });
  }
  return out;
}

/** The key new tokens are signed with. */
export async function activeKey(ctx: ServiceContext): Promise<RealKey> {
  const k = (await signingKeys(ctx)).filter(
    (x) => x.retiredAt === null && x.alg === ctx.config.auth.jwtAlgorithm,
  );
  if (k.length !== 1) throw new Error(`expected one active signing key, found ${k.length}`);
  return k[0]!;
}

export function b64url(value: unknown): string {
  return Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
}

/** The decoded header (0) or payload (1) of a compact JWS. */
export function jwtPart(token: string, part: 0 | 1): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[part]!, 'base64url').toString('utf8')) as Record<
    string,
    unknown
  >;
}

/** Seconds since the epoch. */
export function epoch(at: Date = new Date()): number {
  return Math.floor(at.getTime() / 1000);
}

/** Claims exactly like an access token Vigil issues, for `user` (override any of them). */
export function accessClaims(
  ctx: ServiceContext,
  user: { id: string; name: string; role: string },
  overrides: Record<string, unknown> = {},
): JWTPayload & Record<string, unknown> {
  const iat = epoch();
  return {
    iss: ctx.config.auth.jwtIssuer,
    aud: ctx.config.auth.jwtAudience,
    sub: user.id,
    name: user.name,
    role: user.role,
    sid: `forged-${randomBytes(6).toString('hex')}`,
    pwd_change: false,
    jti: randomBytes(8).toString('hex'),
    iat,
    nbf: iat,
    exp: iat + 600,
    ...overrides,
  };
}

/**
 * Signs `claims` (taken as they are: undefined values are dropped) with `key` under a header
 * `{alg, kid, typ: 'at+jwt'}` that `header` extends or overrides (undefined removes an entry).
 */
export async function forge(
  key: { privateKey: CryptoKey | Uint8Array; alg: string; kid?: string },
  claims: Record<string, unknown>,
  header: Record<string, unknown> = {},
): Promise<string> {
  const h: Record<string, unknown> = { alg: key.alg, typ: 'at+jwt', ...(key.kid ? { kid: key.kid } : {}) };
  for (const [k, v] of Object.entries(header)) {
    if (v === undefined) delete h[k];
    else h[k] = v;
  }
  const body = Object.fromEntries(Object.entries(claims).filter(([, v]) => v !== undefined));
  return new SignJWT(body as JWTPayload).setProtectedHeader(h as { alg: string }).sign(key.privateKey);
}

/** An unsecured JWS (`alg: none`, RFC 7519 §6) with the given signature part (default empty). */
export function unsecuredJwt(
  header: Record<string, unknown>,
  claims: Record<string, unknown>,
  sig = '',
): string {
  return `${b64url(header)}.${b64url(claims)}.${sig}`;
}

/**
 * Deletes from Redis the revocations `ctx` mirrored there (API key revocations live ten years),
 * leaving every other key of the Redis database alone.
 */
export async function forgetRedisRevocations(ctx: ServiceContext): Promise<void> {
  if (!ctx.redis) return;
  const rows = await ctx.database.db.selectFrom('revocations').select(['kind', 'id']).execute();
  for (const r of rows) await ctx.redis.del(`vigil:revoked:${r.kind}:${r.id}`);
}

/** Two service instances (contexts and apps) on one fresh PostgreSQL database, as in production. */
export interface TwoInstances {
  readonly a: ServiceContext;
  readonly b: ServiceContext;
  readonly appA: FastifyInstance;
  readonly appB: FastifyInstance;
  /** `Bearer <admin access token>`, from instance A. */
  readonly admin: string;
  /** Forgets Vigil's Redis revocations, closes both instances and drops the database. */
  close(): Promise<void>;
}

/**
 * Opens two instances sharing one PostgreSQL database (and Redis when `env.REDIS_URL` is set),
 * with the test accounts seeded through A.
 * @param nowB - B's clock (to move its caches' time)
 */
export async function twoInstances(
  env: Record<string, string> = {},
  nowB?: () => Date,
): Promise<TwoInstances> {
  const db = await mainDatabase('postgres');
  const a = await openContextOn(db, env);
  const b = await openContextOn(db, env, nowB);
  const appA = await buildApi(a);
  const appB = await buildApi(b);
  const admin = (await seedAccounts(a)).admin;
  return {
    a,
    b,
    appA,
    appB,
    admin,
    async close() {
      await forgetRedisRevocations(a);
      await appA.close();
      await appB.close();
      await closeTestContext(a);
      await closeTestContext(b);
      await db.drop();
    },
  };
}
