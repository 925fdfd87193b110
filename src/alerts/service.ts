/**
 * Alert state changes, each with its audit entry in the same transaction.
 */
import { ErrorCodes, VigilError } from '../errors.js';
import type { Kysely } from 'kysely';
import { type Alert, type AlertStatus, setAlertStatus, setAlertsStatus } from '../store/alerts.js';
import { type Actor, writeAudit } from '../store/audit.js';
import type { Database } from '../store/database.js';
import type { DatabaseSchema } from '../store/schema.js';

/**
 * Sets an alert's status, with an optional comment, recorded in its history and the audit log.
 * @param actor - who, from where
 * @throws VigilError `VIGIL_ERR_NOT_FOUND`
 */
export async function updateAlertStatus(
  database: Database,
  id: number,
  status: AlertStatus,
  comment: string | null,
  actor: Actor,
  now: Date,
): Promise<Alert> {
  return database.db.transaction().execute(async (trx) => {
    const before = await trx.selectFrom('alerts').select('status').where('id', '=', id).executeTakeFirst();
    const alert = await setAlertStatus(trx, id, status, comment, actor.name, now);
    if (!alert || !before) throw new VigilError(ErrorCodes.NOT_FOUND, `alert ${id}`);
    await writeAudit(
      trx,
      {
        actor,
        action: 'alert.update',
        target: String(id),
        before: { status: before.status },
        after: { status },
        details: { comment },
      },
      now,
    );
    return alert;
  });
}

/** A bulk action on alerts. */
export interface BulkAlertUpdate {
  readonly ids: readonly number[];
  /** New status for every alert (each change in its history). */
  readonly status?: AlertStatus | undefined;
  readonly comment?: string | null | undefined;
}

/**
 * Applies a bulk action in one transaction: runs `also` (e.g. linking the alerts to an incident;
 * its callback runs after the commit), then sets the alerts' status (history rows and one
 * `alert.bulk_update` audit entry with each alert's status before).
 * @returns the distinct ids, in order
 * @throws VigilError `VIGIL_ERR_NOT_FOUND` naming the ids that do not exist (nothing changes)
 */
export async function bulkUpdateAlerts(
  database: Database,
  input: BulkAlertUpdate,
  actor: Actor,
  now: Date,
  also?: (trx: Kysely<DatabaseSchema>) => Promise<(() => void) | void>,
): Promise<number[]> {
  const ids = [...new Set(input.ids)].sort((a, b) => a - b);
  const after = await database.db.transaction().execute(async (trx) => {
    const rows =
      ids.length > 0
        ? // Row locks first (in id order), as the detection transaction takes them: alerts, then incidents.
          await trx
            .selectFrom('alerts')
            .select(['id', 'status'])
            .where('id', 'in', ids)
            .orderBy('id')
            .forUpdate()
            .execute()
        : [];
    const missing = ids.filter((id) => !rows.some((r) => r.id === id));
    if (missing.length > 0) throw new VigilError(ErrorCodes.NOT_FOUND, `alert ${missing.join(', ')}`);
    // `also` first: it may take the incident lock, which is always taken before the audit lock.
    const done = also ? await also(trx) : undefined;
    if (input.status !== undefined) {
      await setAlertsStatus(trx, ids, input.status, input.comment ?? null, actor.name, now);
      await writeAudit(
        trx,
        {
          actor,
          action: 'alert.bulk_update',
          target: 'alerts',
          before: { status: Object.fromEntries(rows.map((r) => [r.id, r.status])) },
          after: { status: input.status },
          details: { ids, comment: input.comment ?? null },
        },
        now,
      );
    }
    return done;
  });
  after?.();
  return ids;
}
