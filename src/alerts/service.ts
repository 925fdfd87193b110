/**
 * Alert state changes, each with its audit entry in the same transaction.
 */
import { ErrorCodes, VigilError } from '../errors.js';
import { type Alert, type AlertStatus, setAlertStatus } from '../store/alerts.js';
import { type Actor, writeAudit } from '../store/audit.js';
import type { Database } from '../store/database.js';

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
