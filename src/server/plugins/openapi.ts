/**
 * OpenAPI 3 document generated from the routes' typebox schemas (`@fastify/swagger`), served at
 * `/openapi.json`, with the interactive UI at `/docs` (`@fastify/swagger-ui`).
 */
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { VERSION } from '../../version.js';

async function openapiPlugin(app: FastifyInstance): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'Vigil API',
        version: VERSION,
        description: 'Threat detection: ingest events, Sigma rules, alerts, live stream.',
      },
      tags: [
        { name: 'events', description: 'Ingest and search events' },
        { name: 'alerts', description: 'Rule matches' },
        { name: 'rules', description: 'Sigma rules, filters, retro-hunts' },
        { name: 'dead-letters', description: 'Input that could not be decoded' },
        { name: 'stats', description: 'Counts over time' },
        { name: 'health', description: 'Liveness, readiness, metrics' },
      ],
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
}

export default fp(openapiPlugin, { name: 'vigil-openapi' });
