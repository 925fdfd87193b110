/**
 * Named permissions and the built-in roles (sets of them). A custom role is a row in `roles`,
 * so adding one is a data change; every route declares the permission it needs
 * (`config.auth` on the Fastify route, see `server/plugins/auth.ts`).
 */

/** Every permission Vigil checks, `resource:verb`. */
export const PERMISSIONS = [
  'events:read',
  'ingest:write',
  'alerts:read',
  'alerts:write',
  'incidents:read',
  'incidents:write',
  'rules:read',
  'rules:write',
  'dead-letters:read',
  'dead-letters:write',
  'stats:read',
  'reports:read',
  'response:execute',
  'users:read',
  'users:write',
  'roles:write',
  'api-keys:read',
  'api-keys:write',
  'audit:read',
  'settings:write',
  'models:train',
  'metrics:read',
] as const;

export type Permission = (typeof PERMISSIONS)[number];

const KNOWN = new Set<string>(PERMISSIONS);

/** True when `value` names a permission. */
export function isPermission(value: string): value is Permission {
  return KNOWN.has(value);
}

const VIEWER: readonly Permission[] = [
  'events:read',
  'alerts:read',
  'incidents:read',
  'rules:read',
  'dead-letters:read',
  'stats:read',
  'reports:read',
];

const ANALYST: readonly Permission[] = [
  ...VIEWER,
  'alerts:write',
  'incidents:write',
  'rules:write',
  'dead-letters:write',
  'response:execute',
];

/** The built-in roles (seeded at start; their permissions follow the code, not the database). */
export const BUILTIN_ROLES: Readonly<
  Record<
    'admin' | 'analyst' | 'viewer',
    {
      readonly description: string;
      readonly permissions: readonly Permission[];
    }
  >
> = {
  admin: {
    description: 'Everything: users, roles, API keys, settings, model training',
    permissions: PERMISSIONS,
  },
  analyst: {
    description: 'Alerts, incidents, rules, filters, reports and response actions',
    permissions: ANALYST,
  },
  viewer: { description: 'Read-only', permissions: VIEWER },
};

/**
 * What a route requires: a permission; `authenticated` (any signed-in user or key, e.g.
 * `/auth/me`); `public` (no credentials: health, docs, token endpoint); `metrics` (loopback or
 * the scrape token, or `metrics:read`); `stream` (the WebSocket: `alerts:read`, with the token in a
 * header or the first message).
 */
export type RouteAuth = Permission | 'authenticated' | 'public' | 'metrics' | 'stream';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Required on every route; the auth plugin refuses to register a route without it. */
    auth?: RouteAuth;
  }
}
