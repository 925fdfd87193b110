/**
 * Logins: the OAuth 2.0 password grant (RFC 6749 §4.3) with lockout, the MFA step, refresh
 * rotation and OpenID Connect sign-in, each ending in the token response (RFC 6749 §5.1).
 *
 * Lockout: after `loginMaxFailures` consecutive failures an account is locked for 30 s, doubling
 * with each further failure up to 15 min; an IP address with `loginIpMaxFailures` failures in
 * 15 min is refused for the rest of the window (in Redis when configured, so every instance
 * counts together). An unknown user name costs a full argon2 verification, like a known one.
 */
import type { Redis } from 'ioredis';
import { type Kysely, sql } from 'kysely';
import type { AuthConfig } from '../config/auth.js';
import { ErrorCodes, VigilError } from '../errors.js';
import { type Actor, writeAudit } from '../store/audit.js';
import type { DatabaseSchema } from '../store/schema.js';
import { type UserRow, type UserService } from '../users/service.js';
import { checkTotp, recoveryCodeHash } from './mfa.js';
import { dummyHash, verifyPassword } from './passwords.js';
import type { SessionService } from './sessions.js';
import type { TokenService } from './tokens.js';

/** The OAuth 2.0 token response. */
export interface TokenResponse {
  readonly access_token: string;
  readonly token_type: 'Bearer';
  /** s */
  readonly expires_in: number;
  readonly refresh_token: string;
}

export interface MfaRequired {
  readonly error: 'mfa_required';
  readonly error_description: string;
  readonly mfa_token: string;
}

/** Who is logging in, for lockout and the audit log. */
export interface LoginClient {
  readonly ip: string | null;
  readonly userAgent: string | null;
}

/** An OAuth 2.0 error (RFC 6749 §5.2) the token endpoint answers with `status`. */
export class OAuthError extends Error {
  constructor(
    readonly error:
      'invalid_request' | 'invalid_grant' | 'invalid_client' | 'unsupported_grant_type' | 'slow_down',
    readonly description: string,
    readonly status = 400,
    readonly retryAfterSeconds?: number,
  ) {
    super(description);
  }
}

const IP_WINDOW_MS = 15 * 60_000;
const LOCK_BASE_MS = 30_000;
const LOCK_MAX_MS = 15 * 60_000;
const INVALID = 'invalid user name or password';

export class LoginService {
  private readonly ipFailures = new Map<string, { count: number; since: number }>();

  constructor(
    private readonly db: Kysely<DatabaseSchema>,
    private readonly config: AuthConfig,
    private readonly users: UserService,
    private readonly sessions: SessionService,
    private readonly tokens: TokenService,
    private readonly redis: Redis | undefined,
    private readonly now: () => Date,
  ) {}

  private actor(name: string, client: LoginClient): Actor {
    return { name: `user:${name}`, ip: client.ip };
  }

  private async ipBlocked(ip: string | null): Promise<number> {
    if (!ip) return 0;
    if (this.redis) {
      const key = `vigil:login-fail:${ip}`;
      const n = Number((await this.redis.get(key)) ?? 0);
      return n >= this.config.loginIpMaxFailures
        ? Math.max(1, Math.ceil((await this.redis.pttl(key)) / 1000))
        : 0;
    }
    const e = this.ipFailures.get(ip);
    const t = this.now().getTime();
    if (!e || t - e.since > IP_WINDOW_MS) return 0;
    return e.count >= this.config.loginIpMaxFailures ? Math.ceil((e.since + IP_WINDOW_MS - t) / 1000) : 0;
  }

  private async countIpFailure(ip: string | null): Promise<void> {
    if (!ip) return;
    if (this.redis) {
      const key = `vigil:login-fail:${ip}`;
      const n = await this.redis.incr(key);
      if (n === 1) await this.redis.pexpire(key, IP_WINDOW_MS);
      return;
    }
    const t = this.now().getTime();
    const e = this.ipFailures.get(ip);
    if (!e || t - e.since > IP_WINDOW_MS) {
      if (this.ipFailures.size > 100_000) this.ipFailures.clear();
      this.ipFailures.set(ip, { count: 1, since: t });
    } else e.count++;
  }

  private async fail(
    user: UserRow | undefined,
    name: string,
    client: LoginClient,
    reason: string,
  ): Promise<never> {
    const at = this.now();
    await this.countIpFailure(client.ip);
    await this.db.transaction().execute(async (tx) => {
      if (user) {
        // Counted in the database, not from the row read before the (slow) password check:
        // parallel guesses each count.
        const row = await tx
          .updateTable('users')
          .set((eb) => ({ failed_logins: eb('failed_logins', '+', 1) }))
          .where('id', '=', user.id)
          .returning('failed_logins')
          .executeTakeFirst();
        const over = (row?.failed_logins ?? 0) - this.config.loginMaxFailures;
        if (over >= 0) {
          const lockedUntil = new Date(at.getTime() + Math.min(LOCK_MAX_MS, LOCK_BASE_MS * 2 ** over));
          await tx
            .updateTable('users')
            .set({ locked_until: lockedUntil })
            .where('id', '=', user.id)
            .execute();
        }
      }
      await writeAudit(
        tx,
        {
          actor: this.actor(name, client),
          action: 'auth.login',
          target: name,
          outcome: 'failure',
          details: { reason },
        },
        at,
      );
    });
    throw new OAuthError('invalid_grant', reason === 'mfa' ? 'invalid one-time code' : INVALID);
  }

  /** Refuses a locked account or IP address (HTTP 429 with Retry-After). */
  private async checkLocks(user: UserRow | undefined, client: LoginClient): Promise<void> {
    const ipWait = await this.ipBlocked(client.ip);
    if (ipWait > 0) {
      const e = new VigilError(ErrorCodes.LOGIN_LOCKED, ipWait);
      e.retryAfterSeconds = ipWait;
      throw e;
    }
    const until = user?.locked_until?.getTime() ?? 0;
    const wait = Math.ceil((until - this.now().getTime()) / 1000);
    if (wait > 0) {
      const e = new VigilError(ErrorCodes.LOGIN_LOCKED, wait);
      e.retryAfterSeconds = wait;
      throw e;
    }
  }

  /**
   * The password grant.
   * @returns tokens, or `mfa_required` with an `mfa_token` for the second step
   * @throws OAuthError `invalid_grant`; VigilError `VIGIL_ERR_LOGIN_LOCKED` (429)
   */
  async password(name: string, password: string, client: LoginClient): Promise<TokenResponse | MfaRequired> {
    const user = await this.users.byName(name);
    await this.checkLocks(user, client);
    const ok = user?.password_hash
      ? await verifyPassword(user.password_hash, password)
      : (await verifyPassword(await dummyHash(), password), false);
    if (!user || !ok) return this.fail(user, name, client, user ? 'wrong password' : 'unknown user');
    if (user.disabled) return this.fail(user, name, client, 'user disabled');
    if (user.mfa_enabled) {
      return {
        error: 'mfa_required',
        error_description: 'multi-factor authentication required: send the mfa_token with a one-time code',
        mfa_token: await this.tokens.issueMfa(user.id),
      };
    }
    return this.succeed(user, 'password', client);
  }

  /**
   * The second step: the `mfa_token` with a TOTP code or a recovery code.
   * @throws OAuthError `invalid_grant`; VigilError `VIGIL_ERR_LOGIN_LOCKED`
   */
  async mfa(
    mfaToken: string,
    code: { otp?: string; recoveryCode?: string },
    client: LoginClient,
  ): Promise<TokenResponse> {
    let userId: string;
    try {
      userId = await this.tokens.verifyMfa(mfaToken);
    } catch (err) {
      throw new OAuthError('invalid_grant', `mfa_token refused: ${(err as Error).message}`);
    }
    const user = await this.users.byId(userId);
    if (!user || user.disabled || !user.mfa_enabled || !user.mfa_secret)
      throw new OAuthError('invalid_grant', 'mfa_token refused');
    await this.checkLocks(user, client);
    const at = this.now();
    // Each code is spent by a conditional UPDATE: of parallel requests with one code, one wins.
    if (code.otp !== undefined) {
      const step = checkTotp(user.mfa_secret, code.otp.trim(), at, user.mfa_last_step);
      if (step === null) return this.fail(user, user.name, client, 'mfa');
      const r = await this.db
        .updateTable('users')
        .set({ mfa_last_step: step })
        .where('id', '=', user.id)
        .where((eb) => eb.or([eb('mfa_last_step', 'is', null), eb('mfa_last_step', '<', step)]))
        .executeTakeFirst();
      if (Number(r.numUpdatedRows) !== 1) return this.fail(user, user.name, client, 'mfa');
      return this.succeed(user, 'mfa', client);
    }
    if (code.recoveryCode !== undefined) {
      const h = recoveryCodeHash(code.recoveryCode);
      if (!user.recovery_codes.includes(h)) return this.fail(user, user.name, client, 'mfa');
      const r = await this.db
        .updateTable('users')
        .set({ recovery_codes: sql`recovery_codes - ${h}::text` })
        .where('id', '=', user.id)
        .where(sql<boolean>`recovery_codes ? ${h}::text`)
        .returning(sql<number>`jsonb_array_length(recovery_codes)`.as('left'))
        .executeTakeFirst();
      if (!r) return this.fail(user, user.name, client, 'mfa');
      return this.succeed(user, 'recovery_code', client, { recovery_codes_left: Number(r.left) });
    }
    throw new OAuthError('invalid_request', 'otp or recovery_code is required');
  }

  /** Signs in a user already authenticated by an OpenID Connect provider. */
  async sso(user: UserRow, client: LoginClient): Promise<TokenResponse> {
    if (user.disabled) return this.fail(user, user.name, client, 'user disabled');
    return this.succeed(user, 'oidc', client);
  }

  private async succeed(
    user: UserRow,
    method: string,
    client: LoginClient,
    details: Record<string, unknown> = {},
  ): Promise<TokenResponse> {
    const at = this.now();
    const session = await this.db.transaction().execute(async (tx) => {
      await tx
        .updateTable('users')
        .set({ failed_logins: 0, locked_until: null, last_login_at: at })
        .where('id', '=', user.id)
        .execute();
      const s = await this.sessions.create(user.id, method, client, tx);
      await writeAudit(
        tx,
        {
          actor: this.actor(user.name, client),
          action: 'auth.login',
          target: user.name,
          details: { method, session: s.sessionId, ...details },
        },
        at,
      );
      return s;
    });
    const access = await this.tokens.issueAccess(
      { id: user.id, name: user.name, role: user.role, mustChangePassword: user.must_change_password },
      session.sessionId,
    );
    return {
      access_token: access.token,
      token_type: 'Bearer',
      expires_in: access.expiresIn,
      refresh_token: session.refreshToken,
    };
  }

  /**
   * Rotates a refresh token.
   * @throws OAuthError `invalid_grant` (unknown, expired, revoked, reused, user disabled)
   */
  async refresh(refreshToken: string, client: LoginClient): Promise<TokenResponse> {
    let rotated;
    try {
      rotated = await this.sessions.rotate(refreshToken, { name: 'anonymous', ip: client.ip });
    } catch (err) {
      throw new OAuthError('invalid_grant', (err as Error).message);
    }
    const user = await this.users.byId(rotated.userId);
    if (!user || user.disabled) {
      await this.sessions.revoke(rotated.session.sessionId, 'user disabled');
      throw new OAuthError('invalid_grant', 'user disabled');
    }
    const access = await this.tokens.issueAccess(
      { id: user.id, name: user.name, role: user.role, mustChangePassword: user.must_change_password },
      rotated.session.sessionId,
    );
    return {
      access_token: access.token,
      token_type: 'Bearer',
      expires_in: access.expiresIn,
      refresh_token: rotated.session.refreshToken,
    };
  }
}
