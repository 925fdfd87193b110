/**
 * API keys for machines (log shippers, scripts): created by admins, scoped to permissions,
 * of the form `id:secret`, shown once. The secret is 256 random bits stored as SHA-256 (a slow
 * hash buys nothing against a secret that cannot be guessed, and ingest checks a key per
 * request). Keys have an optional expiry, a last-used time (written at most once a minute) and
 * revocation, which every instance sees through `Revocations`.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { Kysely, Selectable } from 'kysely';
import { ErrorCodes, VigilError } from '../errors.js';
import { type Actor, writeAudit } from '../store/audit.js';
import type { ApiKeysTable, DatabaseSchema } from '../store/schema.js';
import { isPermission, type Permission } from './permissions.js';
import type { Revocations } from './revocations.js';
import { sha256 } from './sessions.js';

export interface ApiKeyView {
  readonly id: string;
  readonly name: string;
  readonly permissions: readonly string[];
  readonly created_by: string;
  readonly created_at: string;
  readonly expires_at: string | null;
  readonly last_used_at: string | null;
  readonly revoked_at: string | null;
}

/** A key as authenticated: what the auth plugin needs. */
export interface ApiKeyIdentity {
  readonly id: string;
  readonly name: string;
  readonly permissions: ReadonlySet<Permission>;
  /** ms since the epoch, or null. */
  readonly expiresAt: number | null;
}

function view(r: Selectable<ApiKeysTable>): ApiKeyView {
  return {
    id: r.id,
    name: r.name,
    permissions: r.permissions,
    created_by: r.created_by,
    created_at: r.created_at.toISOString(),
    expires_at: r.expires_at?.toISOString() ?? null,
    last_used_at: r.last_used_at?.toISOString() ?? null,
    revoked_at: r.revoked_at?.toISOString() ?? null,
  };
}

/** How long a looked-up key stays cached, ms (revocation is checked on every use regardless). */
const CACHE_MS = 30_000;
const LAST_USED_EVERY_MS = 60_000;

export class ApiKeyService {
  private readonly cache = new Map<string, { at: number; row: Selectable<ApiKeysTable> | undefined }>();
  private readonly lastUsedWritten = new Map<string, number>();

  constructor(
    private readonly db: Kysely<DatabaseSchema>,
    private readonly revocations: Revocations,
    private readonly now: () => Date,
  ) {}

  /**
   * @returns the key's view and its `id:secret` (returned only here)
   * @throws VigilError `VIGIL_ERR_BAD_REQUEST` for an unknown permission, none, or a past expiry
   */
  async create(
    input: { name: string; permissions: readonly string[]; expiresAt?: Date | null },
    actor: Actor,
  ): Promise<{ key: ApiKeyView; secret: string }> {
    const unknown = input.permissions.filter((p) => !isPermission(p));
    if (unknown.length > 0)
      throw new VigilError(ErrorCodes.BAD_REQUEST, `unknown permission ${unknown.join(', ')}`);
    if (input.permissions.length === 0)
      throw new VigilError(ErrorCodes.BAD_REQUEST, 'an API key needs at least one permission');
    const at = this.now();
    if (input.expiresAt && input.expiresAt.getTime() <= at.getTime())
      throw new VigilError(ErrorCodes.BAD_REQUEST, 'expires_at is in the past');
    const id = randomBytes(12).toString('base64url');
    const secret = randomBytes(32).toString('base64url');
    const row: Selectable<ApiKeysTable> = {
      id,
      name: input.name,
      secret_hash: sha256(secret),
      permissions: [...new Set(input.permissions)],
      created_by: actor.name,
      created_at: at,
      expires_at: input.expiresAt ?? null,
      last_used_at: null,
      revoked_at: null,
    };
    await this.db.transaction().execute(async (tx) => {
      await tx
        .insertInto('api_keys')
        .values({ ...row, permissions: JSON.stringify(row.permissions) })
        .execute();
      await writeAudit(tx, { actor, action: 'api_key.create', target: id, after: { ...view(row) } }, at);
    });
    return { key: view(row), secret: `${id}:${secret}` };
  }

  async list(): Promise<ApiKeyView[]> {
    const rows = await this.db.selectFrom('api_keys').selectAll().orderBy('created_at', 'desc').execute();
    return rows.map(view);
  }

  /** @throws VigilError `VIGIL_ERR_NOT_FOUND` */
  async revoke(id: string, actor: Actor): Promise<ApiKeyView> {
    const at = this.now();
    const row = await this.db.selectFrom('api_keys').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) throw new VigilError(ErrorCodes.NOT_FOUND, `API key ${id}`);
    if (row.revoked_at) return view(row);
    await this.db.transaction().execute(async (tx) => {
      await tx.updateTable('api_keys').set({ revoked_at: at }).where('id', '=', id).execute();
      await writeAudit(
        tx,
        {
          actor,
          action: 'api_key.revoke',
          target: id,
          before: { ...view(row) },
          after: { ...view({ ...row, revoked_at: at }) },
        },
        at,
      );
      // A key without expiry stays revoked "for ever": ten years.
      await this.revocations.revoke(
        'key',
        id,
        row.expires_at ?? new Date(at.getTime() + 10 * 365 * 86_400_000),
        tx,
      );
    });
    this.cache.delete(id);
    return view({ ...row, revoked_at: at });
  }

  /**
   * Checks `id` and `secret`.
   * @throws VigilError `VIGIL_ERR_UNAUTHORIZED`: unknown key, wrong secret, expired or revoked
   */
  async authenticate(id: string, secret: string): Promise<ApiKeyIdentity> {
    const t = this.now().getTime();
    let hit = this.cache.get(id);
    if (!hit || t - hit.at > CACHE_MS) {
      const row = await this.db.selectFrom('api_keys').selectAll().where('id', '=', id).executeTakeFirst();
      hit = { at: t, row };
      if (this.cache.size > 10_000) this.cache.clear();
      this.cache.set(id, hit);
    }
    const row = hit.row;
    const given = Buffer.from(sha256(secret), 'hex');
    const stored = Buffer.from(row?.secret_hash ?? '0'.repeat(64), 'hex');
    if (!row || !timingSafeEqual(given, stored))
      throw new VigilError(ErrorCodes.UNAUTHORIZED, 'invalid API key');
    if (row.revoked_at || (await this.revocations.isRevoked('key', id)))
      throw new VigilError(ErrorCodes.UNAUTHORIZED, 'API key revoked');
    if (row.expires_at && row.expires_at.getTime() <= t)
      throw new VigilError(ErrorCodes.UNAUTHORIZED, 'API key expired');
    if (t - (this.lastUsedWritten.get(id) ?? 0) > LAST_USED_EVERY_MS) {
      this.lastUsedWritten.set(id, t);
      void this.db
        .updateTable('api_keys')
        .set({ last_used_at: new Date(t) })
        .where('id', '=', id)
        .execute()
        .catch(() => this.lastUsedWritten.delete(id));
    }
    return {
      id,
      name: row.name,
      permissions: new Set(row.permissions.filter(isPermission)),
      expiresAt: row.expires_at?.getTime() ?? null,
    };
  }
}
