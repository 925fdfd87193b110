/**
 * Who is calling: a signed-in user (access JWT) or an API key, with the permissions of its role
 * or scope. Set on each request by the auth plugin (`request.principal`, null when anonymous).
 */
import type { Actor } from '../store/audit.js';
import type { Permission } from './permissions.js';

export interface Principal {
  readonly kind: 'user' | 'api_key';
  /** User id or API key id. */
  readonly id: string;
  /** User name or API key name. */
  readonly name: string;
  /** The user's role; null for an API key. */
  readonly role: string | null;
  readonly permissions: ReadonlySet<Permission>;
  /** The session (refresh-token family) an access token belongs to. */
  readonly sessionId: string | null;
  /** When the credential stops being valid, ms since the epoch (access token `exp`); null = no end. */
  readonly expiresAt: number | null;
  /** A user who must change the password before anything but `/auth/*`. */
  readonly mustChangePassword: boolean;
}

/** The audit actor for a principal: `user:<name>` or `key:<id>`, from `ip`. */
export function actorFor(principal: Principal | null, ip: string | null): Actor {
  if (!principal) return { name: 'anonymous', ip };
  return { name: principal.kind === 'user' ? `user:${principal.name}` : `key:${principal.id}`, ip };
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the auth plugin before the handler; null on public routes called anonymously. */
    principal: Principal | null;
  }
}
