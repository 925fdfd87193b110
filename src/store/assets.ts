/**
 * Assets marked critical (hosts and IP addresses): the `assets` table. Every change is audited
 * in its transaction (`asset.create`, `asset.update`, `asset.delete`, `asset.seed`).
 */
import type { Kysely } from 'kysely';
import { normalizeIp } from '../detect/graph/entities.js';
import { ErrorCodes, VigilError } from '../errors.js';
import { type Actor, writeAudit } from './audit.js';
import type { DatabaseSchema } from './schema.js';

export interface Asset {
  /** Lower-case host name as given, or the canonical IP address. */
  readonly name: string;
  readonly kind: 'host' | 'ip';
  readonly critical: boolean;
  readonly note: string | null;
  readonly marked_by: string;
  /** ISO 8601. */
  readonly marked_at: string;
}

/** At most this many assets are listed (the table is a short, hand-kept list). */
export const MAX_ASSETS = 10_000;

const HOST_NAME = /^[a-z0-9_$][a-z0-9_$.-]{0,252}$/;

/**
 * The stored form of an asset name: a canonical IP address (`::ffff:10.0.0.1` → `10.0.0.1`), or
 * a lower-case host name (letters, digits, `.`, `-`, `_`, `$`; at most 253 characters).
 * @throws VigilError `VIGIL_ERR_BAD_REQUEST` for anything else
 */
export function assetName(raw: string): { name: string; kind: 'host' | 'ip' } {
  const t = raw.trim();
  const ip = normalizeIp(t);
  if (ip !== undefined) return { name: ip, kind: 'ip' };
  const host = t.toLowerCase();
  if (!HOST_NAME.test(host))
    throw new VigilError(
      ErrorCodes.BAD_REQUEST,
      `asset name ${JSON.stringify(raw)}: a host name or an IP address`,
    );
  return { name: host, kind: 'host' };
}

type Row = {
  name: string;
  kind: 'host' | 'ip';
  critical: boolean;
  note: string | null;
  marked_by: string;
  marked_at: Date;
};

function toAsset(r: Row): Asset {
  return { ...r, marked_at: r.marked_at.toISOString() };
}

function auditView(a: Asset): Record<string, unknown> {
  return { critical: a.critical, note: a.note, kind: a.kind };
}

export class AssetStore {
  constructor(
    private readonly db: Kysely<DatabaseSchema>,
    private readonly now: () => Date,
  ) {}

  /** Assets by name (at most {@link MAX_ASSETS}); only the critical ones with `criticalOnly`. */
  async list(criticalOnly = false): Promise<Asset[]> {
    let q = this.db.selectFrom('assets').selectAll();
    if (criticalOnly) q = q.where('critical', '=', true);
    const rows = await q.orderBy('name').limit(MAX_ASSETS).execute();
    return rows.map(toAsset);
  }

  /** @throws VigilError `VIGIL_ERR_BAD_REQUEST` for a name {@link assetName} refuses */
  async get(raw: string): Promise<Asset | undefined> {
    const { name } = assetName(raw);
    const row = await this.db.selectFrom('assets').selectAll().where('name', '=', name).executeTakeFirst();
    return row ? toAsset(row) : undefined;
  }

  /**
   * Creates or replaces an asset's marking, audited as `asset.create` or `asset.update`.
   * @throws VigilError `VIGIL_ERR_BAD_REQUEST` for a name {@link assetName} refuses
   */
  async put(
    raw: string,
    change: { readonly critical: boolean; readonly note?: string | null | undefined },
    actor: Actor,
  ): Promise<{ asset: Asset; created: boolean }> {
    const { name, kind } = assetName(raw);
    const at = this.now();
    return this.db.transaction().execute(async (tx) => {
      const before = await tx
        .selectFrom('assets')
        .selectAll()
        .where('name', '=', name)
        .forUpdate()
        .executeTakeFirst();
      const values = {
        kind,
        critical: change.critical,
        note: change.note ?? null,
        marked_by: actor.name,
        marked_at: at,
      };
      await tx
        .insertInto('assets')
        .values({ name, ...values })
        .onConflict((oc) => oc.column('name').doUpdateSet(values))
        .execute();
      const asset = toAsset({ name, ...values });
      await writeAudit(
        tx,
        {
          actor,
          action: before ? 'asset.update' : 'asset.create',
          target: name,
          before: before ? auditView(toAsset(before)) : null,
          after: auditView(asset),
        },
        at,
      );
      return { asset, created: !before };
    });
  }

  /**
   * Deletes an asset, audited as `asset.delete`.
   * @returns false when there was none
   * @throws VigilError `VIGIL_ERR_BAD_REQUEST` for a name {@link assetName} refuses
   */
  async delete(raw: string, actor: Actor): Promise<boolean> {
    const { name } = assetName(raw);
    const at = this.now();
    return this.db.transaction().execute(async (tx) => {
      const before = await tx.deleteFrom('assets').where('name', '=', name).returningAll().executeTakeFirst();
      if (!before) return false;
      await writeAudit(
        tx,
        { actor, action: 'asset.delete', target: name, before: auditView(toAsset(before)) },
        at,
      );
      return true;
    });
  }

  /**
   * Marks the configured names critical when they are not in the table yet (an analyst's later
   * change or deletion wins until the name is configured again after a deletion). Each insert is
   * audited as `asset.seed`.
   * @returns the names inserted
   * @throws VigilError `VIGIL_ERR_BAD_REQUEST` for a configured name {@link assetName} refuses
   */
  async seed(names: readonly string[], actor: Actor): Promise<string[]> {
    const parsed = names.map(assetName);
    if (parsed.length === 0) return [];
    const at = this.now();
    return this.db.transaction().execute(async (tx) => {
      const inserted: string[] = [];
      for (const { name, kind } of parsed) {
        const row = await tx
          .insertInto('assets')
          .values({
            name,
            kind,
            critical: true,
            note: 'VIGIL_CRITICAL_ASSETS',
            marked_by: actor.name,
            marked_at: at,
          })
          .onConflict((oc) => oc.column('name').doNothing())
          .returning('name')
          .executeTakeFirst();
        if (!row) continue;
        inserted.push(name);
        await writeAudit(
          tx,
          {
            actor,
            action: 'asset.seed',
            target: name,
            after: { critical: true, kind, note: 'VIGIL_CRITICAL_ASSETS' },
          },
          at,
        );
      }
      return inserted;
    });
  }
}
