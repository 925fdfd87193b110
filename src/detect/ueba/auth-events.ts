/**
 * Which events are authentication attempts, and their outcome (data, not code). Pure.
 *
 * - ECS events (the Linux auth decoder, shippers that set ECS): `event.category` contains
 *   `authentication` and `event.outcome` is `success` or `failure` (ECS 8, "event.category:
 *   authentication" and "event.outcome"); without an outcome the event is an attempt.
 * - Windows Security events (the Windows decoders set `event.code` and `winlog.channel` but no
 *   category): the event ids below, from Microsoft's "Audit Logon", "Audit Kerberos
 *   Authentication Service" and "Audit Credential Validation" documentation. Where the outcome is
 *   in the `Status` field (0x0 = success), the field is read from the decoded event.
 */

/** `success`, `failure`, or `attempt` (an authentication whose outcome is not logged). */
export type AuthOutcome = 'success' | 'failure' | 'attempt';

/** How a Windows Security event id's outcome is read. */
export type WindowsAuthRule = AuthOutcome | 'status';

/** Windows Security authentication events by `event.code`. */
export const WINDOWS_AUTH_EVENTS: ReadonlyMap<string, WindowsAuthRule> = new Map<string, WindowsAuthRule>([
  ['4624', 'success'], // An account was successfully logged on
  ['4625', 'failure'], // An account failed to log on
  ['4648', 'attempt'], // A logon was attempted using explicit credentials
  ['4768', 'status'], // A Kerberos authentication ticket (TGT) was requested
  ['4771', 'failure'], // Kerberos pre-authentication failed
  ['4776', 'status'], // The computer attempted to validate the credentials for an account (NTLM)
]);

/** The Sigma field holding a Windows authentication event's result code. */
export const WINDOWS_STATUS_FIELD = 'Status';

/** The outcome a Windows `Status` value means: `0x0` (or 0) success, any other code failure. */
export function statusOutcome(status: unknown): AuthOutcome {
  if (status === undefined || status === null || status === '') return 'attempt';
  if (typeof status === 'number') return status === 0 ? 'success' : 'failure';
  const s = String(status).trim().toLowerCase();
  return s === '0x0' || s === '0' || s === '0x00000000' ? 'success' : 'failure';
}
