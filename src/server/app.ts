/**
 * The API server: a Fastify app built from plugins (errors, metrics, OpenAPI, WebSocket) and one
 * route file per resource; every route delegates to a service or repository.
 */
import { readFileSync } from 'node:fs';
import websocket from '@fastify/websocket';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyInstance, LogController } from 'fastify';
import type { ServiceContext } from '../service/vigil.js';
import errors from './plugins/errors.js';
import metrics from './plugins/metrics.js';
import openapi from './plugins/openapi.js';
import { alertRoutes } from './routes/alerts.js';
import { deadLetterRoutes } from './routes/dead-letters.js';
import { eventRoutes } from './routes/events.js';
import { healthRoutes } from './routes/health.js';
import { ruleRoutes } from './routes/rules.js';
import { statsRoutes } from './routes/stats.js';
import { streamRoutes } from './routes/stream.js';

/** Builds the app (not listening): tests use `app.inject`, `startApi` listens. */
export async function buildApi(ctx: ServiceContext): Promise<FastifyInstance> {
  const tls = ctx.config.tls;
  const app = Fastify({
    loggerInstance: ctx.log.child({ component: 'api' }),
    bodyLimit: ctx.config.maxBodyBytes,
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
  await app.register(errors);
  await app.register(metrics, { metrics: ctx.metrics });
  await app.register(openapi);
  await app.register(websocket, { options: { maxPayload: 64 * 1024 } });
  await app.register(healthRoutes, { ctx });
  await app.register(eventRoutes, { ctx });
  await app.register(alertRoutes, { ctx });
  await app.register(ruleRoutes, { ctx });
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
