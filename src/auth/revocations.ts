/**
 * Revoked sessions, API keys and users: persisted in the database (they survive restarts) and,
 * when `REDIS_URL` is set, mirrored in Redis with a TTL so every instance sees a revocation at
 * its next request. Checked on every authenticated request: one map lookup, or one Redis
 * `EXISTS` when Redis is configured (so a revocation or a lift on any instance counts at once).
 */
import type { Redis } from 'ioredis';
import type { Kysely } from 'kysely';
import type { DatabaseSchema } from '../store/schema.js';

/** What can be revoked: a session (`sid`), an API key (id), or every token of a user (id). */
export type RevocationKind = 'session' | 'key' | 'user';

const PREFIX = 'vigil:revoked:';

export class Revocations {
  private readonly memory = new Map<string, number>();

  constructor(
    private readonly db: Kysely<DatabaseSchema>,
    private readonly redis: Redis | undefined,
    private readonly now: () => Date,
  ) {}

  /** Loads the unexpired revocations (at start) and prunes expired rows. */
  async load(): Promise<void> {
    const at = this.now();
    await this.db.deleteFrom('revocations').where('expires_at', '<', at).execute();
    const rows = await this.db.selectFrom('revocations').selectAll().execute();
    for (const r of rows) {
      this.memory.set(`${r.kind}:${r.id}`, r.expires_at.getTime());
      // Redis may have restarted empty: the database is the record.
      const ttl = r.expires_at.getTime() - at.getTime();
      if (this.redis && ttl > 0) await this.redis.set(`${PREFIX}${r.kind}:${r.id}`, '1', 'PX', ttl);
    }
  }

  /**
   * Revokes until `expiresAt` (when the revoked credential would have expired anyway), inside
   * the caller's transaction when `db` is one; Redis and memory are updated after.
   */
  async revoke(
    kind: RevocationKind,
    id: string,
    expiresAt: Date,
    db: Kysely<DatabaseSchema> = this.db,
  ): Promise<void> {
    await db
      .insertInto('revocations')
      .values({ kind, id, expires_at: expiresAt })
      .onConflict((oc) => oc.columns(['kind', 'id']).doUpdateSet({ expires_at: expiresAt }))
      .execute();
    this.memory.set(`${kind}:${id}`, expiresAt.getTime());
    const ttl = expiresAt.getTime() - this.now().getTime();
    if (this.redis && ttl > 0) await this.redis.set(`${PREFIX}${kind}:${id}`, '1', 'PX', ttl);
  }

  /** Lifts a revocation (a user enabled again). */
  async lift(kind: RevocationKind, id: string, db: Kysely<DatabaseSchema> = this.db): Promise<void> {
    await db.deleteFrom('revocations').where('kind', '=', kind).where('id', '=', id).execute();
    this.memory.delete(`${kind}:${id}`);
    if (this.redis) await this.redis.del(`${PREFIX}${kind}:${id}`);
  }

  /** True when revoked: with Redis, as every instance sees it (a lift anywhere counts too); else here. */
  async isRevoked(kind: RevocationKind, id: string): Promise<boolean> {
    const key = `${kind}:${id}`;
    if (this.redis) return (await this.redis.exists(`${PREFIX}${key}`)) === 1;
    const until = this.memory.get(key);
    if (until === undefined) return false;
    if (until > this.now().getTime()) return true;
    this.memory.delete(key);
    return false;
  }
}
