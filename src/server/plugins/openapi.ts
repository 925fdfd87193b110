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
        {
          name: 'incidents',
          description: 'Case management: incidents, timeline, comments, tasks, observables',
        },
        { name: 'risk', description: 'Entity risk scores explained by their alerts' },
        { name: 'attack', description: 'MITRE ATT&CK catalog, coverage, Navigator layers' },
        { name: 'ml', description: 'Model registry, training jobs, drift and ML metrics' },
        { name: 'templates', description: 'Log templates mined from unknown syslog lines' },
        {
          name: 'attack-paths',
          description: 'Logon and network graph, lateral-movement signals, critical assets',
        },
        { name: 'stats', description: 'Counts over time' },
        { name: 'health', description: 'Liveness, readiness, metrics' },
        { name: 'auth', description: 'Tokens, sessions, MFA, single sign-on' },
        { name: 'users', description: 'Users, roles, API keys' },
        { name: 'audit', description: 'The hash-chained audit log' },
      ],
      components: {
        securitySchemes: {
          bearerAuth: {
            type: 'http',
            scheme: 'bearer',
            bearerFormat: 'JWT',
            description: 'Access token from /api/v1/auth/token, or an API key as id:secret',
          },
          apiKey: {
            type: 'apiKey',
            in: 'header',
            name: 'Authorization',
            description: 'ApiKey base64(id:secret)',
          },
        },
      },
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  app.get('/openapi.json', { config: { auth: 'public' }, schema: { hide: true } }, async () => app.swagger());
}

export default fp(openapiPlugin, { name: 'vigil-openapi' });
