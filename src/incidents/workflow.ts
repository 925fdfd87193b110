/**
 * The incident status workflow (open → investigating → contained → resolved, plus false_positive
 * and duplicate), the timestamp each transition sets, what closing does to the linked alerts, and
 * the response times derived from those timestamps (MTTD, MTTA, MTTC, MTTR as used in SOC
 * reporting, e.g. NIST SP 800-61r2 §3.4 "lessons learned" metrics).
 */
import { ErrorCodes, VigilError } from '../errors.js';
import type { AlertStatus } from '../store/alerts.js';
import type { IncidentRow } from '../store/incidents.js';
import type { IncidentStatus } from './types.js';

/**
 * Allowed moves. Steps may be skipped forwards; `contained` may go back to `investigating`;
 * closed incidents (`resolved`, `false_positive`) reopen to `investigating`; `duplicate` is set
 * only by a merge and is final.
 */
export const INCIDENT_TRANSITIONS: Readonly<Record<IncidentStatus, readonly IncidentStatus[]>> = {
  open: ['investigating', 'contained', 'resolved', 'false_positive'],
  investigating: ['contained', 'resolved', 'false_positive'],
  contained: ['investigating', 'resolved', 'false_positive'],
  resolved: ['investigating'],
  false_positive: ['investigating'],
  duplicate: [],
};

/** Statuses that close an incident. */
export const CLOSED_STATUSES: readonly IncidentStatus[] = ['resolved', 'false_positive', 'duplicate'];

/** @throws VigilError `VIGIL_ERR_INCIDENT_TRANSITION` (409) for a move the workflow does not allow */
export function checkTransition(id: number, from: IncidentStatus, to: IncidentStatus): void {
  if (!INCIDENT_TRANSITIONS[from].includes(to))
    throw new VigilError(ErrorCodes.INCIDENT_TRANSITION, id, from, to);
}

type Times = Pick<IncidentRow, 'acknowledged_at' | 'contained_at' | 'resolved_at'>;

/**
 * The timestamps a move sets: `acknowledged_at` on the first move out of `open`, `contained_at`
 * on the first move to `contained`, `resolved_at` on closing (cleared on reopening).
 */
export function transitionTimes(row: Times, to: IncidentStatus, now: Date): Partial<Times> {
  const out: Partial<Times> = {};
  if (to !== 'duplicate' && row.acknowledged_at === null) out.acknowledged_at = now;
  if (to === 'contained' && row.contained_at === null) out.contained_at = now;
  if (CLOSED_STATUSES.includes(to)) out.resolved_at = now;
  else if (row.resolved_at !== null) out.resolved_at = null;
  return out;
}

/** What closing an incident does to its open alerts: resolved → resolved, false_positive → false_positive. */
export function alertStatusOnClose(to: IncidentStatus): AlertStatus | undefined {
  if (to === 'resolved') return 'resolved';
  if (to === 'false_positive') return 'false_positive';
  return undefined;
}

/** Alert statuses that count as open (repeats fold into them; closing an incident closes them). */
export const OPEN_ALERT_STATUSES: readonly AlertStatus[] = ['new', 'acknowledged', 'in_progress'];

/** An incident's response times, ms; null when the step has not happened. */
export interface ResponseTimes {
  /** Time to detect: first linked alert raised − first matched event (event time). */
  readonly mttd_ms: number | null;
  /** Time to acknowledge: `acknowledged_at` − start. */
  readonly mtta_ms: number | null;
  /** Time to contain: `contained_at` − start. */
  readonly mttc_ms: number | null;
  /** Time to resolve: `resolved_at` − start, for resolved incidents (not false positives). */
  readonly mttr_ms: number | null;
}

/**
 * The start is the earlier of the first linked alert and the incident's creation (a manual
 * incident may be opened before alerts are linked). The means over many incidents are these
 * values averaged (`GET /api/v1/incidents/metrics`).
 */
export function responseTimes(
  row: Pick<
    IncidentRow,
    | 'status'
    | 'first_seen'
    | 'first_alert_at'
    | 'created_at'
    | 'acknowledged_at'
    | 'contained_at'
    | 'resolved_at'
  >,
): ResponseTimes {
  const t = (d: Date | null) => (d === null ? null : d.getTime());
  const start = Math.min(row.created_at.getTime(), t(row.first_alert_at) ?? Infinity);
  const since = (d: Date | null) => (d === null ? null : d.getTime() - start);
  const firstAlert = t(row.first_alert_at);
  const firstSeen = t(row.first_seen);
  return {
    mttd_ms: firstAlert !== null && firstSeen !== null ? firstAlert - firstSeen : null,
    mtta_ms: since(row.acknowledged_at),
    mttc_ms: since(row.contained_at),
    mttr_ms: row.status === 'resolved' ? since(row.resolved_at) : null,
  };
}
