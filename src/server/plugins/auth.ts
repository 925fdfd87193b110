/**
 * Authentication and authorization for every route. Each route declares what it needs in
 * `config.auth` (a permission, `authenticated`, `public`, `metrics` or `stream`); registering a
 * route without it throws, so the app does not start with an unguarded route. Before the
 * handler, the caller is authenticated (`Authorization: Bearer <access JWT | id:secret>`,
 * `ApiKey <base64(id:secret)>`, and Basic with an API key on `ingest:write` routes) and checked:
 * 401 without valid credentials, 403 without the permission, 403 for a user who must change the
 * password first. The OpenAPI document gets the security schemes and each route's permission.
 */
import { timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { RouteAuth } from '../../auth/permissions.js';
import '../../auth/principal.js';
import type { Principal } from '../../auth/principal.js';
import type { AuthService } from '../../auth/service.js';
import { isLoopback } from '../../config/config.js';
import { ErrorCodes, VigilError } from '../../errors.js';

/** A registered route and what it requires (the route × role matrix test reads these). */
export interface GuardedRoute {
  readonly method: string;
  readonly url: string;
  readonly auth: RouteAuth;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** Every route registered after the auth plugin, with its declared requirement. */
    readonly guardedRoutes: GuardedRoute[];
  }
}

export interface AuthPluginOptions {
  readonly auth: AuthService;
  /** Token accepted on `/metrics` from non-loopback addresses. */
  readonly metricsToken: string | undefined;
}

/** Paths registered by plugins (Swagger UI) that are public by design. */
const PUBLIC_PREFIXES = ['/docs'];

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** The client address for audit and rate limits (`X-Forwarded-For` only with `trustProxy`). */
export function clientIp(request: FastifyRequest): string {
  return request.ip;
}

/**
 * Authenticates a request and checks `need`.
 * @throws VigilError `VIGIL_ERR_UNAUTHORIZED`, `VIGIL_ERR_FORBIDDEN`, `VIGIL_ERR_PASSWORD_CHANGE_REQUIRED`
 */
export async function authorize(
  auth: AuthService,
  request: FastifyRequest,
  need: RouteAuth,
): Promise<Principal | null> {
  const principal = await auth.authenticate(request.headers.authorization, {
    basic: need === 'ingest:write',
  });
  return checkPermission(principal, need);
}

/** Checks an already authenticated principal against a requirement. */
export function checkPermission(principal: Principal | null, need: RouteAuth): Principal {
  if (!principal) throw new VigilError(ErrorCodes.UNAUTHORIZED, 'authentication required');
  if (need === 'authenticated') return principal;
  if (principal.mustChangePassword) throw new VigilError(ErrorCodes.PASSWORD_CHANGE_REQUIRED);
  const permission = need === 'stream' ? 'alerts:read' : need === 'metrics' ? 'metrics:read' : need;
  if (permission === 'public') return principal;
  if (!principal.permissions.has(permission))
    throw new VigilError(ErrorCodes.FORBIDDEN, `requires the ${permission} permission`);
  return principal;
}

async function authPlugin(app: FastifyInstance, options: AuthPluginOptions): Promise<void> {
  const routes: GuardedRoute[] = [];
  app.decorate('guardedRoutes', routes);
  app.decorateRequest('principal', null);
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    let auth = route.config?.auth as RouteAuth | undefined;
    if (auth === undefined && PUBLIC_PREFIXES.some((p) => route.url.startsWith(p))) auth = 'public';
    // CORS preflight (`@fastify/cors`): browsers send it without credentials.
    if (auth === undefined && methods.length === 1 && methods[0] === 'OPTIONS') auth = 'public';
    if (auth === undefined)
      throw new Error(`route ${methods.join(',')} ${route.url} declares no permission (config.auth)`);
    route.config = { ...route.config, auth };
    for (const method of methods) routes.push({ method: String(method), url: route.url, auth });
    if (auth !== 'public' && route.schema) {
      const what =
        auth === 'authenticated'
          ? 'any signed-in user or API key'
          : auth === 'metrics'
            ? 'loopback, the scrape token, or metrics:read'
            : auth === 'stream'
              ? 'alerts:read (token in a header or the first message)'
              : `the \`${auth}\` permission`;
      route.schema = {
        ...route.schema,
        security: [{ bearerAuth: [] }, { apiKey: [] }],
        description: `${route.schema.description ?? ''}\n\nRequires ${what}.`.trim(),
      };
    }
  });
  app.addHook('onRequest', async (request) => {
    const need = request.routeOptions.config?.auth as RouteAuth | undefined;
    if (need === undefined || need === 'public') return;
    if (need === 'stream' && request.headers.authorization === undefined) return; // first message
    if (need === 'metrics') {
      const remote = request.socket.remoteAddress ?? '';
      if (isLoopback(remote.replace(/^::ffff:/, ''))) return;
      const header = request.headers.authorization ?? '';
      if (
        options.metricsToken &&
        header.startsWith('Bearer ') &&
        safeEqual(header.slice(7), options.metricsToken)
      )
        return;
    }
    request.principal = await authorize(options.auth, request, need);
  });
}

export default fp(authPlugin, { name: 'vigil-auth' });
