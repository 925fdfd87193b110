/**
 * Sessions and refresh tokens. A session is a refresh-token family (OAuth 2.0 Security BCP,
 * RFC 9700 §4.14.2): each refresh rotates the token; presenting a rotated token again is taken
 * as theft and revokes the whole family, so the thief's and the victim's tokens both stop.
 * Refresh tokens are 256 random bits, stored as SHA-256; access tokens carry the session id
 * (`sid`), so a revoked session's access tokens are refused too.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { type Kysely, sql } from 'kysely';
import { ErrorCodes, VigilError } from '../errors.js';
import { type Actor, writeAudit } from '../store/audit.js';
import type { DatabaseSchema } from '../store/schema.js';
import type { Revocations } from './revocations.js';

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

export interface NewSession {
  readonly sessionId: string;
  readonly refreshToken: string;
  readonly expiresAt: Date;
}

export class SessionService {
  constructor(
    private readonly db: Kysely<DatabaseSchema>,
    private readonly revocations: Revocations,
    private readonly refreshTtlSeconds: number,
    private readonly now: () => Date,
  ) {}

  /** Starts a session for a user who just authenticated. */
  async create(
    userId: string,
    method: string,
    client: { ip: string | null; userAgent: string | null },
    db: Kysely<DatabaseSchema> = this.db,
  ): Promise<NewSession> {
    const at = this.now();
    const expiresAt = new Date(at.getTime() + this.refreshTtlSeconds * 1000);
    const sessionId = randomUUID();
    const refreshToken = randomBytes(32).toString('base64url');
    await db
      .insertInto('sessions')
      .values({
        id: sessionId,
        user_id: userId,
        method,
        source_ip: client.ip,
        user_agent: client.userAgent?.slice(0, 512) ?? null,
        created_at: at,
        expires_at: expiresAt,
        revoked_at: null,
        revoke_reason: null,
      })
      .execute();
    await db
      .insertInto('refresh_tokens')
      .values({
        hash: sha256(refreshToken),
        session_id: sessionId,
        created_at: at,
        expires_at: expiresAt,
        used_at: null,
      })
      .execute();
    return { sessionId, refreshToken, expiresAt };
  }

  /**
   * Rotates a refresh token: marks it used and issues the next one of the family.
   * @returns the session's user id and the new token
   * @throws VigilError `VIGIL_ERR_UNAUTHORIZED`: unknown, expired or revoked token, or reuse of a
   *   rotated one (which revokes the family and is audited)
   */
  async rotate(refreshToken: string, actor: Actor): Promise<{ userId: string; session: NewSession }> {
    const at = this.now();
    const hash = sha256(refreshToken);
    const outcome = await this.db.transaction().execute(async (tx) => {
      const row = await tx
        .selectFrom('refresh_tokens as t')
        .innerJoin('sessions as s', 's.id', 't.session_id')
        .select([
          't.hash',
          't.used_at',
          't.expires_at',
          's.id as session_id',
          's.user_id',
          's.revoked_at',
          's.expires_at as session_expires',
        ])
        .where('t.hash', '=', hash)
        .forUpdate()
        .executeTakeFirst();
      if (!row) return { error: 'unknown refresh token' } as const;
      if (row.revoked_at) return { error: 'session revoked' } as const;
      if (row.used_at) {
        await this.revokeIn(tx, row.session_id, 'refresh token reuse', row.session_expires);
        await writeAudit(
          tx,
          {
            actor,
            action: 'auth.refresh_reuse',
            target: `session:${row.session_id}`,
            outcome: 'failure',
            details: { user_id: row.user_id },
          },
          at,
        );
        return {
          error: 'refresh token already used: the session is revoked',
          reused: row.session_id,
        } as const;
      }
      if (row.expires_at.getTime() <= at.getTime()) return { error: 'refresh token expired' } as const;
      await tx.updateTable('refresh_tokens').set({ used_at: at }).where('hash', '=', hash).execute();
      const next = randomBytes(32).toString('base64url');
      await tx
        .insertInto('refresh_tokens')
        .values({
          hash: sha256(next),
          session_id: row.session_id,
          created_at: at,
          expires_at: row.session_expires,
          used_at: null,
        })
        .execute();
      return {
        userId: row.user_id,
        session: { sessionId: row.session_id, refreshToken: next, expiresAt: row.session_expires },
      } as const;
    });
    if ('error' in outcome) {
      if ('reused' in outcome && outcome.reused)
        await this.revocations.revoke('session', outcome.reused, this.accessHorizon());
      throw new VigilError(ErrorCodes.UNAUTHORIZED, outcome.error);
    }
    return outcome;
  }

  private accessHorizon(): Date {
    // Access tokens never outlive a day (the configuration's upper bound).
    return new Date(this.now().getTime() + 86_400_000);
  }

  private async revokeIn(
    tx: Kysely<DatabaseSchema>,
    sessionId: string,
    reason: string,
    _expires: Date,
  ): Promise<void> {
    await tx
      .updateTable('sessions')
      .set({ revoked_at: this.now(), revoke_reason: reason })
      .where('id', '=', sessionId)
      .where('revoked_at', 'is', null)
      .execute();
  }

  /** Revokes one session (logout): its refresh tokens and its access tokens. */
  async revoke(sessionId: string, reason: string): Promise<void> {
    await this.revokeIn(this.db, sessionId, reason, this.now());
    await this.revocations.revoke('session', sessionId, this.accessHorizon());
  }

  /** Revokes every open session of a user (disabled, password reset, MFA reset). @returns how many */
  async revokeAll(userId: string, reason: string): Promise<number> {
    const open = await this.db
      .selectFrom('sessions')
      .select('id')
      .where('user_id', '=', userId)
      .where('revoked_at', 'is', null)
      .where('expires_at', '>', this.now())
      .execute();
    for (const s of open) await this.revoke(s.id, reason);
    return open.length;
  }

  /** Deletes sessions that ended more than a day ago. */
  async prune(): Promise<void> {
    await sql`DELETE FROM sessions WHERE expires_at < ${new Date(this.now().getTime() - 86_400_000)}`.execute(
      this.db,
    );
  }
}
