/**
 * The audit log's hash chain: each entry carries `hash = SHA-256(prev_hash ‖ "\n" ‖ JCS(entry))`,
 * hex, where JCS is the JSON Canonicalization Scheme (RFC 8785) of the entry's fields, so a row
 * edited, inserted or deleted behind the API's back breaks every hash after it.
 */
import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';

/** The hash before the first entry (64 zeros). */
export const GENESIS_HASH = '0'.repeat(64);

/** The fields an audit hash covers (everything but `prev_hash` and `hash` themselves). */
export interface AuditHashInput {
  readonly id: number;
  /** ISO 8601 with milliseconds, UTC. */
  readonly at: string;
  readonly actor: string;
  readonly actor_ip: string | null;
  readonly action: string;
  readonly target: string;
  readonly outcome: string;
  readonly before: unknown;
  readonly after: unknown;
  readonly details: unknown;
}

/** @returns the entry's hash (64 hex characters) chained to `prevHash` */
export function auditHash(prevHash: string, entry: AuditHashInput): string {
  const body = canonicalize({
    id: entry.id,
    at: entry.at,
    actor: entry.actor,
    actor_ip: entry.actor_ip,
    action: entry.action,
    target: entry.target,
    outcome: entry.outcome,
    before: entry.before ?? null,
    after: entry.after ?? null,
    details: entry.details ?? {},
  });
  return createHash('sha256')
    .update(prevHash)
    .update('\n')
    .update(body ?? '')
    .digest('hex');
}
