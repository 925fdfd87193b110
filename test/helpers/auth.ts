/**
 * Accounts for service tests: the admin created from `VIGIL_ADMIN_PASSWORD` (set by `testConfig`),
 * plus an analyst, a viewer and API keys, with ready `Authorization` header values. Created
 * through the real services (argon2id, JWTs, the database), no shortcuts.
 */
import type { ServiceContext } from '../../src/service/vigil.js';

export const ADMIN_PASSWORD = 'test-root-password-0001';
export const USER_PASSWORD = 'test-user-password-0002';

/** Settings every test config gets unless it overrides them. */
export const TEST_AUTH_ENV: Readonly<Record<string, string>> = {
  VIGIL_ADMIN_PASSWORD: ADMIN_PASSWORD,
  VIGIL_RATE_LIMIT: '1000000',
  VIGIL_LOGIN_RATE_LIMIT: '1000000',
};

export interface ApiKeyCredential {
  readonly id: string;
  readonly secret: string;
  /** `Bearer id:secret` */
  readonly bearer: string;
  /** `ApiKey base64(id:secret)` */
  readonly apiKey: string;
  /** `Basic base64(id:secret)` */
  readonly basic: string;
}

export interface TestAccounts {
  /** `Authorization` values (`Bearer <access token>`). */
  readonly admin: string;
  readonly analyst: string;
  readonly viewer: string;
  /** A key with `ingest:write` only. */
  readonly ingestKey: ApiKeyCredential;
}

/** Logs a user in with the password grant; @returns `Bearer <access token>` */
export async function login(ctx: ServiceContext, name: string, password: string): Promise<string> {
  const r = await ctx.auth.login.password(name, password, { ip: '127.0.0.1', userAgent: 'vitest' });
  if (!('access_token' in r)) throw new Error(`login of ${name} asked for MFA`);
  return `Bearer ${r.access_token}`;
}

/** Creates an API key; @returns its credential in every accepted form */
export async function createKey(
  ctx: ServiceContext,
  permissions: readonly string[],
  name = 'test key',
): Promise<ApiKeyCredential> {
  const { secret } = await ctx.auth.apiKeys.create({ name, permissions }, { name: 'test', ip: null });
  const [id, s] = [secret.slice(0, secret.indexOf(':')), secret.slice(secret.indexOf(':') + 1)];
  const b64 = Buffer.from(secret).toString('base64');
  return { id, secret: s, bearer: `Bearer ${secret}`, apiKey: `ApiKey ${b64}`, basic: `Basic ${b64}` };
}

/** Creates (once per context) an analyst, a viewer and an ingest key; logs everyone in. */
export async function seedAccounts(ctx: ServiceContext): Promise<TestAccounts> {
  const actor = { name: 'test', ip: null };
  for (const role of ['analyst', 'viewer'] as const) {
    if (!(await ctx.auth.users.byName(role)))
      await ctx.auth.users.create(
        { name: role, password: USER_PASSWORD, role, mustChangePassword: false },
        actor,
      );
  }
  return {
    admin: await login(ctx, 'admin', ADMIN_PASSWORD),
    analyst: await login(ctx, 'analyst', USER_PASSWORD),
    viewer: await login(ctx, 'viewer', USER_PASSWORD),
    ingestKey: await createKey(ctx, ['ingest:write'], 'ingest'),
  };
}
