/**
 * Real stores for service tests: an in-memory PGlite (always) and a fresh PostgreSQL database on
 * 127.0.0.1:5432 (when reachable; under `CI=true` its absence fails). No mocks.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import pino from 'pino';
import { type Config, loadConfig } from '../../src/config/config.js';
import { TEST_AUTH_ENV } from './auth.js';
import type { ListenerContext } from '../../src/service/listener.js';
import { createServiceContext, type ServiceContext } from '../../src/service/vigil.js';
import { type Database, openDatabase } from '../../src/store/database.js';

export const POSTGRES_ADMIN_URL =
  process.env.VIGIL_TEST_POSTGRES ?? 'postgres://postgres@127.0.0.1:5432/test';

/** True when PostgreSQL answers; under `CI=true` throws instead of returning false. */
export async function postgresAvailable(): Promise<boolean> {
  const client = new pg.Client({ connectionString: POSTGRES_ADMIN_URL, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.end();
    return true;
  } catch (err) {
    if (process.env.CI === 'true')
      throw new Error(`PostgreSQL is required under CI=true: ${(err as Error).message}`, { cause: err });
    return false;
  }
}

/** Creates an empty database; returns its URL and a function that drops it. */
export async function freshPostgres(): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `vigil_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(POSTGRES_ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

export type StoreKind = 'pglite' | 'postgres';

/** The store kinds this machine can test: PGlite always, PostgreSQL when reachable. */
export const STORE_KINDS: StoreKind[] = (await postgresAvailable()) ? ['pglite', 'postgres'] : ['pglite'];

/** Opens an empty database of the kind; `close` also drops a PostgreSQL database. */
export async function openTestDatabase(kind: StoreKind): Promise<Database> {
  if (kind === 'pglite') return openDatabase({ kind: 'pglite-memory' });
  const pgdb = await freshPostgres();
  const db = await openDatabase({ kind: 'postgres', url: pgdb.url });
  return {
    ...db,
    async close() {
      await db.close();
      await pgdb.drop();
    },
  };
}

/** A config for tests: a temporary data dir, listeners off, settings overridable through `env`. */
export function testConfig(env: Record<string, string> = {}): Config {
  return loadConfig(
    {},
    {
      VIGIL_DATA_DIR: mkdtempSync(join(tmpdir(), 'vigil-test-')),
      VIGIL_PORT: '0',
      VIGIL_SYSLOG_PORT: '0',
      VIGIL_ES_PORT: '0',
      VIGIL_LOG_LEVEL: 'silent',
      ...TEST_AUTH_ENV,
      ...env,
    },
  );
}

/** A service context (store, rules, pipeline; no network) on a fresh database of the kind. */
export async function openTestContext(
  kind: StoreKind,
  env: Record<string, string> = {},
): Promise<ServiceContext> {
  const config = testConfig(env);
  return createServiceContext(config, {
    database: await openTestDatabase(kind),
    log: pino({ level: 'silent' }),
  });
}

/** What `startVigil` gives an ingest listener, from a test context. */
export function listenerContext(ctx: ServiceContext): ListenerContext {
  return {
    ingest: ctx.ingest,
    config: ctx.config,
    log: ctx.log,
    metrics: ctx.metrics,
    auth: ctx.auth,
    ingestLimiter: ctx.ingestLimiter,
  };
}

/** Stops a context made by {@link openTestContext}: drains ingest and detection, closes the store. */
export async function closeTestContext(ctx: ServiceContext): Promise<void> {
  await ctx.ingest.close();
  await ctx.detection.stop();
  ctx.auth.close();
  ctx.redis?.disconnect();
  await ctx.database.close();
}

/** Waits until detection has caught up with everything stored (or throws after `ms`). */
export async function detected(ctx: ServiceContext, ms = 20_000): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    const last = await ctx.events.lastId();
    if (ctx.detection.position >= last && ctx.ingest.queueDepth === 0) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`detection did not catch up in ${ms} ms (position ${ctx.detection.position})`);
}
