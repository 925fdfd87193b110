/**
 * Readers of the scalar and list attributes rule documents share (Sigma spec: "Components").
 */
import { ErrorCodes } from '../../errors.js';
import { invalid, isScalar, type Json, RuleProblem } from './rule-problem.js';
import { SIGMA_LEVELS, SIGMA_STATUSES, type SigmaLevel, type SigmaStatus } from './types.js';

/** A string attribute; numbers and booleans as their text. @throws RuleProblem for a map or list */
export function optionalString(doc: Record<string, Json>, key: string): string | undefined {
  const v = doc[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  throw invalid(`"${key}" must be a string`, [key]);
}

/** A string or list of strings. @throws RuleProblem otherwise */
export function stringList(doc: Record<string, Json>, key: string): string[] {
  const v = doc[key];
  if (v === undefined || v === null) return [];
  if (typeof v === 'string') return [v];
  if (Array.isArray(v)) {
    return v.map((item, i) => {
      if (isScalar(item) && item !== null) return String(item);
      throw invalid(`"${key}" must be a list of strings`, [key, i]);
    });
  }
  throw invalid(`"${key}" must be a list of strings`, [key]);
}

/**
 * `status` and `level`, checked against the spec's lists; an unknown value is left out with a
 * warning pushed to `warnings`.
 */
export function statusAndLevel(
  doc: Record<string, Json>,
  warnings: RuleProblem[],
): { status?: SigmaStatus; level?: SigmaLevel } {
  const status = optionalString(doc, 'status');
  const level = optionalString(doc, 'level');
  const out: { status?: SigmaStatus; level?: SigmaLevel } = {};
  if (status !== undefined) {
    if ((SIGMA_STATUSES as readonly string[]).includes(status)) out.status = status as SigmaStatus;
    else
      warnings.push(
        new RuleProblem('warning', ErrorCodes.RULE_WARNING.code, `unknown status "${status}"`, ['status']),
      );
  }
  if (level !== undefined) {
    if ((SIGMA_LEVELS as readonly string[]).includes(level)) out.level = level as SigmaLevel;
    else
      warnings.push(
        new RuleProblem('warning', ErrorCodes.RULE_WARNING.code, `unknown level "${level}"`, ['level']),
      );
  }
  return out;
}
