/**
 * Accounts and access, assembled: roles, users, sessions, tokens, API keys, revocations, logins
 * and (when configured) OpenID Connect. `authenticate` turns an `Authorization` header into a
 * `Principal`; `bootstrap` creates the first admin.
 */
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import type { Kysely } from 'kysely';
import type { Config } from '../config/config.js';
import { ErrorCodes, VigilError } from '../errors.js';
import { type AuditEntry, SYSTEM_ACTOR, writeAudit } from '../store/audit.js';
import type { DatabaseSchema } from '../store/schema.js';
import { generatePassword, UserService } from '../users/service.js';
import { ApiKeyService } from './api-keys.js';
import { LoginService } from './login.js';
import { checkPasswordPolicy } from './passwords.js';
import type { Principal } from './principal.js';
import { Revocations } from './revocations.js';
import { RoleStore } from './roles.js';
import { SessionService } from './sessions.js';
import { TokenService } from './tokens.js';

/** Where schemes put the credentials: `Bearer <jwt | id:secret>`, `ApiKey <base64(id:secret)>`, `Basic <base64(id:secret)>`. */
export interface AuthenticateOptions {
  /** Accept Basic auth with an API key's id and secret (ingest routes, the Elasticsearch listener). */
  readonly basic: boolean;
}

/** What the first start did about the admin account. */
export type AdminBootstrap =
  | { readonly created: false }
  | {
      readonly created: true;
      readonly name: string;
      readonly passwordFile: string | null;
      readonly weakPassword: boolean;
    };

export const INITIAL_PASSWORD_FILE = 'initial-admin-password';

/** How often roles are re-read from the database, ms. */
const ROLE_RELOAD_MS = 30_000;

function unauthorized(reason: string): VigilError {
  return new VigilError(ErrorCodes.UNAUTHORIZED, reason);
}

function splitKey(text: string): [string, string] {
  const i = text.indexOf(':');
  if (i <= 0 || i === text.length - 1) throw unauthorized('malformed API key: expected id:secret');
  return [text.slice(0, i), text.slice(i + 1)];
}

export class AuthService {
  readonly revocations: Revocations;
  readonly roles: RoleStore;
  readonly sessions: SessionService;
  readonly tokens: TokenService;
  readonly users: UserService;
  readonly apiKeys: ApiKeyService;
  readonly login: LoginService;
  private reloadTimer: NodeJS.Timeout | undefined;

  private constructor(
    private readonly db: Kysely<DatabaseSchema>,
    private readonly config: Config,
    redis: Redis | undefined,
    private readonly now: () => Date,
  ) {
    const auth = config.auth;
    this.revocations = new Revocations(db, redis, now);
    this.roles = new RoleStore(db, now);
    this.sessions = new SessionService(db, this.revocations, auth.refreshTokenTtl, now);
    this.tokens = new TokenService(db, auth, now);
    this.users = new UserService(db, this.roles, this.sessions, this.revocations, now);
    this.apiKeys = new ApiKeyService(db, this.revocations, now);
    this.login = new LoginService(db, auth, this.users, this.sessions, this.tokens, redis, now);
  }

  /** Loads roles, signing keys and revocations. */
  static async open(
    db: Kysely<DatabaseSchema>,
    config: Config,
    redis: Redis | undefined,
    now: () => Date,
  ): Promise<AuthService> {
    const s = new AuthService(db, config, redis, now);
    await s.roles.init();
    await s.tokens.init();
    await s.revocations.load();
    // Custom roles changed through another instance take effect here within this period.
    s.reloadTimer = setInterval(() => {
      s.roles.load().catch(() => undefined);
    }, ROLE_RELOAD_MS);
    s.reloadTimer.unref();
    return s;
  }

  /** Stops the periodic role reload (before the database closes). */
  close(): void {
    clearInterval(this.reloadTimer);
  }

  /**
   * Creates the first admin when no enabled admin exists: with `VIGIL_ADMIN_PASSWORD` as given,
   * else a generated password written to `<dataDir>/initial-admin-password` (mode 0600) that
   * must be changed at first login.
   */
  async bootstrap(): Promise<AdminBootstrap> {
    if ((await this.users.adminCount()) > 0) return { created: false };
    const { adminUser, adminPassword } = this.config.auth;
    if (await this.users.byName(adminUser)) return { created: false };
    if (adminPassword !== undefined) {
      let weak = false;
      try {
        checkPasswordPolicy(adminPassword, adminUser);
      } catch {
        weak = true;
      }
      // "As given": the policy is the admin's call here; the start-up log says it is weak.
      await this.createAdmin(adminUser, adminPassword, false);
      return { created: true, name: adminUser, passwordFile: null, weakPassword: weak };
    }
    const password = generatePassword();
    await mkdir(this.config.dataDir, { recursive: true });
    const file = join(this.config.dataDir, INITIAL_PASSWORD_FILE);
    await writeFile(file, `${password}\n`, { mode: 0o600 });
    await chmod(file, 0o600);
    await this.createAdmin(adminUser, password, true);
    return { created: true, name: adminUser, passwordFile: file, weakPassword: false };
  }

  private async createAdmin(name: string, password: string, mustChange: boolean): Promise<void> {
    await this.users.createUnchecked(
      { name, password, role: 'admin', mustChangePassword: mustChange },
      SYSTEM_ACTOR,
    );
  }

  /** Writes an audit entry for a change made outside the services (logout, key rotation). */
  async audit(entry: AuditEntry): Promise<void> {
    await writeAudit(this.db, entry, this.now());
  }

  /**
   * @param header - the `Authorization` header
   * @returns the principal, or null without a header
   * @throws VigilError `VIGIL_ERR_UNAUTHORIZED` with the reason
   */
  async authenticate(header: string | undefined, options: AuthenticateOptions): Promise<Principal | null> {
    if (header === undefined || header === '') return null;
    const space = header.indexOf(' ');
    const scheme = (space > 0 ? header.slice(0, space) : header).toLowerCase();
    const value = space > 0 ? header.slice(space + 1).trim() : '';
    if (value === '') throw unauthorized('empty credentials');
    if (scheme === 'bearer') return value.includes(':') ? this.key(...splitKey(value)) : this.bearer(value);
    if (scheme === 'apikey') return this.key(...splitKey(Buffer.from(value, 'base64').toString('utf8')));
    if (scheme === 'basic') {
      if (!options.basic) throw unauthorized('Basic authentication is accepted on the ingest endpoints only');
      return this.key(...splitKey(Buffer.from(value, 'base64').toString('utf8')));
    }
    throw unauthorized(`unsupported authorization scheme ${scheme}`);
  }

  private async bearer(token: string): Promise<Principal> {
    const claims = await this.tokens.verifyAccess(token);
    if (await this.revocations.isRevoked('session', claims.sid)) throw unauthorized('session revoked');
    if (await this.revocations.isRevoked('user', claims.sub)) throw unauthorized('user disabled');
    return {
      kind: 'user',
      id: claims.sub,
      name: claims.name,
      role: claims.role,
      permissions: this.roles.permissions(claims.role),
      sessionId: claims.sid,
      expiresAt: claims.exp * 1000,
      mustChangePassword: claims.pwd_change,
    };
  }

  private async key(id: string, secret: string): Promise<Principal> {
    const k = await this.apiKeys.authenticate(id, secret);
    return {
      kind: 'api_key',
      id: k.id,
      name: k.name,
      role: null,
      permissions: k.permissions,
      sessionId: null,
      expiresAt: k.expiresAt,
      mustChangePassword: false,
    };
  }
}
