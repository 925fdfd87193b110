/**
 * Access tokens: JWTs (RFC 7519) signed with `jose` by one algorithm fixed by configuration
 * (EdDSA by default), typed `at+jwt` (RFC 9068 §2.1). Signing keys live in the database
 * (`signing_keys`, JWK with a `kid`) so every instance shares them; rotation adds a key and
 * retires the old one, which keeps verifying the tokens it signed before retirement until they
 * expire. Short-lived `mfa+jwt` tokens carry a password-verified login to its second factor.
 *
 * Refused, each with its reason: `alg: none` and any algorithm but the configured one (so no
 * HS256-with-the-public-key confusion), an unknown `kid`, a wrong `iss`/`aud`/`typ`, an expired
 * or not-yet-valid token, a token signed by a key retired before the token was issued.
 */
import { randomUUID } from 'node:crypto';
import {
  type CryptoKey,
  errors as joseErrors,
  exportJWK,
  generateKeyPair,
  importJWK,
  type JWK,
  jwtVerify,
  SignJWT,
} from 'jose';
import type { Kysely } from 'kysely';
import type { AuthConfig, JwtAlgorithm } from '../config/auth.js';
import { ErrorCodes, VigilError } from '../errors.js';
import type { DatabaseSchema } from '../store/schema.js';

/** The claims of a verified access token. */
export interface AccessClaims {
  /** User id. */
  readonly sub: string;
  readonly name: string;
  readonly role: string;
  /** Session (refresh-token family) id. */
  readonly sid: string;
  readonly jti: string;
  /** Expiry, s since the epoch. */
  readonly exp: number;
  /** True until the user sets a new password. */
  readonly pwd_change: boolean;
}

interface LoadedKey {
  readonly kid: string;
  readonly alg: string;
  readonly privateKey: CryptoKey | Uint8Array;
  readonly publicKey: CryptoKey | Uint8Array;
  /** ms since the epoch; null = active. */
  readonly retiredAt: number | null;
}

/** Lifetime of an `mfa_token`, s. */
export const MFA_TOKEN_TTL = 300;
const CLOCK_TOLERANCE_S = 5;

function unauthorized(reason: string): VigilError {
  return new VigilError(ErrorCodes.UNAUTHORIZED, reason);
}

function reasonOf(err: unknown): string {
  if (err instanceof VigilError) return err.message;
  if (err instanceof joseErrors.JWTExpired) return 'token expired';
  if (err instanceof joseErrors.JWTClaimValidationFailed)
    return `token claim ${err.claim} refused (${err.reason})`;
  if (err instanceof joseErrors.JOSEAlgNotAllowed) return 'token algorithm not allowed';
  if (err instanceof joseErrors.JWSSignatureVerificationFailed) return 'token signature invalid';
  if (err instanceof joseErrors.JOSEError) return `invalid token (${err.code})`;
  return 'invalid token';
}

export class TokenService {
  private keys = new Map<string, LoadedKey>();
  private active: LoadedKey | undefined;

  constructor(
    private readonly db: Kysely<DatabaseSchema>,
    private readonly config: AuthConfig,
    private readonly now: () => Date,
  ) {}

  /** Loads the signing keys; creates the first one (or one for a newly configured algorithm). */
  async init(): Promise<void> {
    await this.load();
    if (!this.active || this.active.alg !== this.config.jwtAlgorithm) await this.rotate();
  }

  private async load(): Promise<void> {
    const rows = await this.db.selectFrom('signing_keys').selectAll().orderBy('created_at').execute();
    const keys = new Map<string, LoadedKey>();
    let active: LoadedKey | undefined;
    for (const r of rows) {
      const k: LoadedKey = {
        kid: r.kid,
        alg: r.alg,
        privateKey: await importJWK(JSON.parse(r.private_jwk) as JWK, r.alg),
        publicKey: await importJWK(JSON.parse(r.public_jwk) as JWK, r.alg),
        retiredAt: r.retired_at ? r.retired_at.getTime() : null,
      };
      keys.set(k.kid, k);
      if (k.retiredAt === null && k.alg === this.config.jwtAlgorithm) active = k;
    }
    this.keys = keys;
    this.active = active;
  }

  /**
   * Adds a signing key for the configured algorithm and retires the others; drops keys retired
   * longer ago than the longest token lifetime.
   * @returns the new key's `kid` and the retired ones
   */
  async rotate(): Promise<{ kid: string; retired: string[] }> {
    const alg: JwtAlgorithm = this.config.jwtAlgorithm;
    const pair = await generateKeyPair(alg, {
      extractable: true,
      ...(alg.startsWith('RS') || alg.startsWith('PS') ? { modulusLength: 2048 } : {}),
    });
    const kid = randomUUID();
    const at = this.now();
    const privateJwk = { ...(await exportJWK(pair.privateKey)), kid, alg };
    const publicJwk = { ...(await exportJWK(pair.publicKey)), kid, alg };
    const retired = await this.db.transaction().execute(async (tx) => {
      const old = await tx
        .updateTable('signing_keys')
        .set({ retired_at: at })
        .where('retired_at', 'is', null)
        .returning('kid')
        .execute();
      const horizon = new Date(
        at.getTime() - Math.max(this.config.accessTokenTtl, MFA_TOKEN_TTL) * 1000 - 60_000,
      );
      await tx.deleteFrom('signing_keys').where('retired_at', '<', horizon).execute();
      await tx
        .insertInto('signing_keys')
        .values({
          kid,
          alg,
          private_jwk: JSON.stringify(privateJwk),
          public_jwk: JSON.stringify(publicJwk),
          created_at: at,
          retired_at: null,
        })
        .execute();
      return old.map((r) => r.kid);
    });
    await this.load();
    return { kid, retired };
  }

  /** The public keys as a JWK Set (RFC 7517 §5), for other services verifying Vigil's tokens. */
  async jwks(): Promise<{ keys: JWK[] }> {
    const keys: JWK[] = [];
    for (const k of this.keys.values())
      keys.push({ ...(await exportJWK(k.publicKey)), kid: k.kid, alg: k.alg, use: 'sig' });
    return { keys };
  }

  /**
   * The active key. Checked against the database at each issue (logins and refreshes only, which
   * write to it anyway), so an instance never signs with a key another instance retired.
   */
  private async signer(): Promise<LoadedKey> {
    const current = await this.db
      .selectFrom('signing_keys')
      .select('kid')
      .where('retired_at', 'is', null)
      .where('alg', '=', this.config.jwtAlgorithm)
      .orderBy('created_at', 'desc')
      .executeTakeFirst();
    if (current?.kid !== this.active?.kid) await this.load();
    if (!this.active) throw new Error('TokenService.init() was not called');
    return this.active;
  }

  /** @returns a signed access token and its lifetime, s */
  async issueAccess(
    user: {
      readonly id: string;
      readonly name: string;
      readonly role: string;
      readonly mustChangePassword: boolean;
    },
    sessionId: string,
  ): Promise<{ token: string; expiresIn: number }> {
    const key = await this.signer();
    const iat = Math.floor(this.now().getTime() / 1000);
    const token = await new SignJWT({
      name: user.name,
      role: user.role,
      sid: sessionId,
      pwd_change: user.mustChangePassword,
    })
      .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'at+jwt' })
      .setIssuer(this.config.jwtIssuer)
      .setAudience(this.config.jwtAudience)
      .setSubject(user.id)
      .setJti(randomUUID())
      .setIssuedAt(iat)
      .setNotBefore(iat)
      .setExpirationTime(iat + this.config.accessTokenTtl)
      .sign(key.privateKey);
    return { token, expiresIn: this.config.accessTokenTtl };
  }

  /** @returns a 5-minute token naming the user whose password was verified */
  async issueMfa(userId: string): Promise<string> {
    const key = await this.signer();
    const iat = Math.floor(this.now().getTime() / 1000);
    return new SignJWT({})
      .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'mfa+jwt' })
      .setIssuer(this.config.jwtIssuer)
      .setAudience(`${this.config.jwtAudience}/mfa`)
      .setSubject(userId)
      .setJti(randomUUID())
      .setIssuedAt(iat)
      .setExpirationTime(iat + MFA_TOKEN_TTL)
      .sign(key.privateKey);
  }

  private async verify(token: string, typ: string, audience: string): Promise<Record<string, unknown>> {
    let retiredAt: number | null = null;
    try {
      const { payload } = await jwtVerify(
        token,
        async (header) => {
          let key = header.kid ? this.keys.get(header.kid) : undefined;
          if (!key && header.kid) {
            await this.load(); // another instance may have rotated
            key = this.keys.get(header.kid);
          }
          if (!key) throw unauthorized('token signed by an unknown key');
          retiredAt = key.retiredAt;
          return key.publicKey;
        },
        {
          algorithms: [this.config.jwtAlgorithm],
          issuer: this.config.jwtIssuer,
          audience,
          typ,
          requiredClaims: ['sub', 'jti', 'iat', 'exp'],
          clockTolerance: CLOCK_TOLERANCE_S,
          currentDate: this.now(),
        },
      );
      if (retiredAt !== null && (payload.iat ?? 0) * 1000 > retiredAt)
        throw unauthorized('token issued by a retired key');
      return payload as Record<string, unknown>;
    } catch (err) {
      throw unauthorized(reasonOf(err));
    }
  }

  /**
   * @throws VigilError `VIGIL_ERR_UNAUTHORIZED` with the reason (expired, wrong audience, …)
   */
  async verifyAccess(token: string): Promise<AccessClaims> {
    const p = await this.verify(token, 'at+jwt', this.config.jwtAudience);
    if (typeof p.sid !== 'string' || typeof p.role !== 'string' || typeof p.name !== 'string')
      throw unauthorized('token lacks the sid, role or name claim');
    return {
      sub: String(p.sub),
      name: p.name,
      role: p.role,
      sid: p.sid,
      jti: String(p.jti),
      exp: Number(p.exp),
      pwd_change: p.pwd_change === true,
    };
  }

  /** @returns the user id  @throws VigilError `VIGIL_ERR_UNAUTHORIZED` */
  async verifyMfa(token: string): Promise<string> {
    const p = await this.verify(token, 'mfa+jwt', `${this.config.jwtAudience}/mfa`);
    return String(p.sub);
  }
}
