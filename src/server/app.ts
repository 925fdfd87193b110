/**
 * The API server: a Fastify app built from plugins (errors, metrics, OpenAPI, WebSocket) and one
 * route file per resource; every route delegates to a service or repository.
 */
import { readFileSync } from 'node:fs';
import cors from '@fastify/cors';
import formbody from '@fastify/formbody';
import helmet from '@fastify/helmet';
import rateLimit from '@fastify/rate-limit';
import websocket from '@fastify/websocket';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyInstance, LogController } from 'fastify';
import { ErrorCodes, VigilError } from '../errors.js';
import type { ServiceContext } from '../service/vigil.js';
import auth from './plugins/auth.js';
import errors from './plugins/errors.js';
import metrics from './plugins/metrics.js';
import openapi from './plugins/openapi.js';
import { alertRoutes } from './routes/alerts.js';
import { assetRoutes } from './routes/assets.js';
import { attackRoutes } from './routes/attack.js';
import { auditRoutes } from './routes/audit.js';
import { authRoutes } from './routes/auth.js';
import { deadLetterRoutes } from './routes/dead-letters.js';
import { eventRoutes } from './routes/events.js';
import { healthRoutes } from './routes/health.js';
import { incidentItemRoutes } from './routes/incidents-items.js';
import { incidentRoutes } from './routes/incidents.js';
import { mlMetricsRoutes } from './routes/ml-metrics.js';
import { mlRoutes } from './routes/ml.js';
import { oidcRoutes } from './routes/oidc.js';
import { riskRoutes } from './routes/risk.js';
import { ruleRoutes } from './routes/rules.js';
import { statsRoutes } from './routes/stats.js';
import { streamRoutes } from './routes/stream.js';
import { templateRoutes } from './routes/templates.js';
import { userRoutes } from './routes/users.js';
import { visualizeRoutes } from './routes/visualize.js';

/** Builds the app (not listening): tests use `app.inject`, `startApi` listens. */
export async function buildApi(ctx: ServiceContext): Promise<FastifyInstance> {
  const tls = ctx.config.tls;
  const app = Fastify({
    loggerInstance: ctx.log.child({ component: 'api' }),
    bodyLimit: ctx.config.maxBodyBytes,
    trustProxy: ctx.config.auth.trustProxy,
    // Per-request lines only at debug/trace: ingest traffic would drown everything else.
    logController: new LogController({
      disableRequestLogging: ctx.config.logLevel !== 'debug' && ctx.config.logLevel !== 'trace',
    }),
    ...(tls ? { https: { cert: readFileSync(tls.cert), key: readFileSync(tls.key) } } : {}),
  }).withTypeProvider<TypeBoxTypeProvider>();
  // Response schemas document the API; bodies are built explicitly by the routes, so they are
  // serialized with the native JSON.stringify (several times faster on large ECS documents than
  // the schema-compiled serializer, and it never drops an ECS field the schema does not list).
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));
  const a = ctx.config.auth;
  await app.register(errors);
  // Headers first, so refusals (401, 403, 429) carry them too.
  await app.register(helmet, {
    // Swagger UI at /docs runs inline scripts and styles; everything else is JSON.
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'", "'unsafe-inline'"],
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", 'data:'],
      },
    },
    hsts: tls !== undefined,
  });
  await app.register(cors, {
    origin: a.corsOrigins.length > 0 ? [...a.corsOrigins] : false,
    credentials: false,
  });
  // Before auth: a refused upgrade must still reach @fastify/websocket's hooks, which destroy
  // the raw socket (else it leaks and the server cannot close).
  await app.register(websocket, { options: { maxPayload: 64 * 1024 } });
  // Before every route (and the OpenAPI plugin): routes registered from here on must declare
  // their permission.
  await app.register(auth, { auth: ctx.auth, metricsToken: a.metricsToken });
  await app.register(rateLimit, {
    max: a.rateLimit,
    timeWindow: 60_000,
    // Runs after authentication (route-level hook): per user or key, else per address.
    keyGenerator: (request) =>
      request.principal ? `${request.principal.kind}:${request.principal.id}` : `ip:${request.ip}`,
    ...(ctx.redis ? { redis: ctx.redis, nameSpace: 'vigil:rate:' } : {}),
    errorResponseBuilder: (_request, context) => {
      const e = new VigilError(
        ErrorCodes.RATE_LIMITED,
        `${context.max} requests per minute`,
        context.ttl > 0 ? Math.ceil(context.ttl / 1000) : 1,
      );
      e.retryAfterSeconds = Math.max(1, Math.ceil(context.ttl / 1000));
      return e;
    },
    // Probes and scrapes are not users: orchestrators and Prometheus poll them all day.
    allowList: (request) => {
      const url = request.routeOptions.url;
      return url === '/health' || url === '/ready' || url === '/metrics';
    },
  });
  await app.register(formbody, { bodyLimit: Math.min(64 * 1024, ctx.config.maxBodyBytes) });
  await app.register(metrics, { metrics: ctx.metrics });
  await app.register(openapi);
  await app.register(healthRoutes, { ctx });
  await app.register(authRoutes, { ctx });
  if (a.oidc) await app.register(oidcRoutes, { ctx, oidc: a.oidc });
  await app.register(userRoutes, { ctx });
  await app.register(auditRoutes, { ctx });
  await app.register(eventRoutes, { ctx });
  await app.register(alertRoutes, { ctx });
  await app.register(incidentRoutes, { ctx });
  await app.register(incidentItemRoutes, { ctx });
  await app.register(riskRoutes, { ctx });
  await app.register(mlRoutes, { ctx });
  await app.register(mlMetricsRoutes, { ctx });
  await app.register(assetRoutes, { ctx });
  await app.register(visualizeRoutes, { ctx });
  await app.register(templateRoutes, { ctx });
  await app.register(ruleRoutes, { ctx });
  await app.register(attackRoutes, { ctx });
  await app.register(deadLetterRoutes, { ctx });
  await app.register(statsRoutes, { ctx });
  await app.register(streamRoutes, { ctx });
  return app as unknown as FastifyInstance;
}

/** Builds and listens on `config.port` at `config.host`. */
export async function startApi(ctx: ServiceContext): Promise<{ port: number; close(): Promise<void> }> {
  const app = await buildApi(ctx);
  await app.listen({ port: ctx.config.port, host: ctx.config.host });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : ctx.config.port;
  return {
    port,
    close: async () => {
      for (const client of app.websocketServer?.clients ?? []) client.close(1001, 'server stopping');
      await app.close();
    },
  };
}
