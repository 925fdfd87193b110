/**
 * Alert state changes, each with its audit entry in the same transaction.
 */
import { ErrorCodes, VigilError } from '../errors.js';
import { type Alert, type AlertStatus, setAlertStatus } from '../store/alerts.js';
import { writeAudit } from '../store/audit.js';
import type { Database } from '../store/database.js';

/**
 * Sets an alert's status, with an optional comment, recorded in its history and the audit log.
 * @param actor - who (`local` until accounts exist)
 * @throws VigilError `VIGIL_ERR_NOT_FOUND`
 */
export async function updateAlertStatus(
  database: Database,
  id: number,
  status: AlertStatus,
  comment: string | null,
  actor: string,
  now: Date,
): Promise<Alert> {
  return database.db.transaction().execute(async (trx) => {
    const alert = await setAlertStatus(trx, id, status, comment, actor, now);
    if (!alert) throw new VigilError(ErrorCodes.NOT_FOUND, `alert ${id}`);
    await writeAudit(
      trx,
      { actor, action: 'alert.update', target: String(id), details: { status, comment } },
      now,
    );
    return alert;
  });
}
