/**
 * Incident severity: the worst level among the linked alerts (Sigma levels, spec v2.1 "Level"),
 * raised by the risk score of the incident's entities. Automatic changes only ever raise it; a
 * person may set any severity.
 */
import { INCIDENT_SEVERITIES, type IncidentSeverity } from './types.js';

/** Entity risk, as a multiple of the risk threshold, from which an incident is `critical`. */
export const RISK_CRITICAL_FACTOR = 2.5;

/** The Sigma default level, for an alert whose level is unknown. */
const DEFAULT_SEVERITY: IncidentSeverity = 'medium';

/** Narrows a level text to a severity (an unknown level counts as Sigma's default, medium). */
export function asSeverity(level: string): IncidentSeverity {
  return INCIDENT_SEVERITIES.find((s) => s === level) ?? DEFAULT_SEVERITY;
}

/** 0 (informational) to 4 (critical). */
export function severityRank(level: string): number {
  return INCIDENT_SEVERITIES.indexOf(asSeverity(level));
}

/** The worst of the given levels (`informational` for none). */
export function worstSeverity(levels: Iterable<string>): IncidentSeverity {
  let worst = 0;
  for (const l of levels) worst = Math.max(worst, severityRank(l));
  return INCIDENT_SEVERITIES[worst]!;
}

/**
 * The severity an entity risk score calls for, relative to the risk threshold (docs/risk.md,
 * "Levels"): `high` from the threshold, `critical` from {@link RISK_CRITICAL_FACTOR} × it, else
 * none.
 * @param threshold - `VIGIL_RISK_THRESHOLD` (points)
 */
export function riskSeverity(
  score: number | null | undefined,
  threshold: number,
): IncidentSeverity | undefined {
  if (score === null || score === undefined) return undefined;
  if (score >= RISK_CRITICAL_FACTOR * threshold) return 'critical';
  if (score >= threshold) return 'high';
  return undefined;
}
