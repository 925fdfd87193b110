/**
 * Rule selection by status (`--status`): SigmaHQ marks rules `deprecated` or `unsupported` when
 * they should not run; by default those are left out. Rules without a status are kept.
 */
import type { SigmaRule, SigmaStatus } from '../detect/sigma/types.js';

export function selectByStatus(
  rules: readonly SigmaRule[],
  statuses: ReadonlySet<SigmaStatus>,
): { rules: SigmaRule[]; excluded: number } {
  const kept = rules.filter((r) => r.status === undefined || statuses.has(r.status));
  return { rules: kept, excluded: rules.length - kept.length };
}
