/**
 * Rule selection by status (`--status`): SigmaHQ marks rules `deprecated` or `unsupported` when
 * they should not run; by default those are left out. Rules without a status are kept.
 */
import type { SigmaRule, SigmaStatus } from '../detect/sigma/types.js';

export function selectByStatus<T extends Pick<SigmaRule, 'status'>>(
  rules: readonly T[],
  statuses: ReadonlySet<SigmaStatus>,
): { rules: T[]; excluded: number } {
  const kept = rules.filter((r) => r.status === undefined || statuses.has(r.status));
  return { rules: kept, excluded: rules.length - kept.length };
}
