/**
 * `/api/v1/users`, `/api/v1/roles` and `/api/v1/api-keys`: account administration. Every change
 * goes through the users, roles or API key service, which audits it.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { isPermission, PERMISSIONS } from '../../auth/permissions.js';
import { ErrorCodes, VigilError } from '../../errors.js';
import { actorFor } from '../../auth/principal.js';
import type { ServiceContext } from '../../service/vigil.js';
import { userView } from '../../users/service.js';
import { errors } from '../schemas.js';

const User = Type.Object({
  id: Type.String(),
  name: Type.String(),
  email: Type.Union([Type.String(), Type.Null()]),
  role: Type.String(),
  disabled: Type.Boolean(),
  mfa_enabled: Type.Boolean(),
  must_change_password: Type.Boolean(),
  sso: Type.Boolean(),
  created_at: Type.String(),
  last_login_at: Type.Union([Type.String(), Type.Null()]),
});

const Role = Type.Object({
  name: Type.String(),
  description: Type.String(),
  permissions: Type.Array(Type.String()),
  builtin: Type.Boolean(),
});

const ApiKey = Type.Object({
  id: Type.String(),
  name: Type.String(),
  permissions: Type.Array(Type.String()),
  created_by: Type.String(),
  created_at: Type.String(),
  expires_at: Type.Union([Type.String(), Type.Null()]),
  last_used_at: Type.Union([Type.String(), Type.Null()]),
  revoked_at: Type.Union([Type.String(), Type.Null()]),
});

const NameParams = Type.Object({
  id: Type.String({ minLength: 1, maxLength: 64, description: 'User id or name' }),
});
const PermissionList = Type.Array(Type.String({ description: PERMISSIONS.join(', ') }), { maxItems: 64 });

export const userRoutes: FastifyPluginAsyncTypebox<{ ctx: ServiceContext }> = async (app, { ctx }) => {
  const users = ctx.auth.users;

  app.get(
    '/api/v1/users',
    {
      config: { auth: 'users:read' },
      schema: {
        tags: ['users'],
        summary: 'List users',
        response: { 200: Type.Object({ users: Type.Array(User) }), ...errors(401, 403) },
      },
    },
    async () => ({ users: await users.list() }),
  );

  app.post(
    '/api/v1/users',
    {
      config: { auth: 'users:write' },
      schema: {
        tags: ['users'],
        summary: 'Create a user',
        description:
          'With `must_change_password` (default true) the user sets a new password at first login.',
        body: Type.Object({
          name: Type.String({ maxLength: 64 }),
          password: Type.String({ maxLength: 1024 }),
          role: Type.String({ maxLength: 64 }),
          email: Type.Optional(Type.String({ maxLength: 320 })),
          must_change_password: Type.Optional(Type.Boolean()),
        }),
        response: { 201: User, ...errors(400, 401, 403, 409) },
      },
    },
    async (request, reply) => {
      const b = request.body;
      const u = await users.create(
        {
          name: b.name,
          password: b.password,
          role: b.role,
          email: b.email ?? null,
          mustChangePassword: b.must_change_password ?? true,
        },
        actorFor(request.principal, request.ip),
      );
      return reply.status(201).send(u);
    },
  );

  app.get(
    '/api/v1/users/:id',
    {
      config: { auth: 'users:read' },
      schema: {
        tags: ['users'],
        summary: 'Get a user',
        params: NameParams,
        response: { 200: User, ...errors(401, 403, 404) },
      },
    },
    async (request) => {
      return userView(await users.require(request.params.id));
    },
  );

  app.patch(
    '/api/v1/users/:id',
    {
      config: { auth: 'users:write' },
      schema: {
        tags: ['users'],
        summary: 'Change role, email or disabled state',
        description:
          "Disabling or changing the role revokes the user's sessions. The last enabled admin cannot be disabled or demoted.",
        params: NameParams,
        body: Type.Object({
          role: Type.Optional(Type.String({ maxLength: 64 })),
          disabled: Type.Optional(Type.Boolean()),
          email: Type.Optional(Type.Union([Type.String({ maxLength: 320 }), Type.Null()])),
        }),
        response: { 200: User, ...errors(400, 401, 403, 404, 409) },
      },
    },
    async (request) => users.update(request.params.id, request.body, actorFor(request.principal, request.ip)),
  );

  app.post(
    '/api/v1/users/:id/password',
    {
      config: { auth: 'users:write' },
      schema: {
        tags: ['users'],
        summary: "Reset a user's password",
        description: 'The user must change it at next login; their sessions are revoked.',
        params: NameParams,
        body: Type.Object({ password: Type.String({ maxLength: 1024 }) }),
        response: { 204: Type.Null(), ...errors(400, 401, 403, 404) },
      },
    },
    async (request, reply) => {
      await users.resetPassword(
        request.params.id,
        request.body.password,
        actorFor(request.principal, request.ip),
      );
      return reply.status(204).send(null);
    },
  );

  app.delete(
    '/api/v1/users/:id/mfa',
    {
      config: { auth: 'users:write' },
      schema: {
        tags: ['users'],
        summary: "Reset a user's MFA (lost device)",
        params: NameParams,
        response: { 204: Type.Null(), ...errors(401, 403, 404) },
      },
    },
    async (request, reply) => {
      await users.disableMfa(request.params.id, undefined, actorFor(request.principal, request.ip));
      return reply.status(204).send(null);
    },
  );

  app.get(
    '/api/v1/roles',
    {
      config: { auth: 'users:read' },
      schema: {
        tags: ['users'],
        summary: 'List roles and their permissions',
        response: {
          200: Type.Object({ roles: Type.Array(Role), permissions: Type.Array(Type.String()) }),
          ...errors(401, 403),
        },
      },
    },
    async () => ({
      roles: ctx.auth.roles.list().map((r) => ({ ...r, permissions: [...r.permissions] })),
      permissions: [...PERMISSIONS],
    }),
  );

  app.put(
    '/api/v1/roles/:name',
    {
      config: { auth: 'roles:write' },
      schema: {
        tags: ['users'],
        summary: 'Create or replace a custom role',
        params: Type.Object({ name: Type.String({ maxLength: 64 }) }),
        body: Type.Object({ description: Type.String({ maxLength: 512 }), permissions: PermissionList }),
        response: { 200: Role, ...errors(400, 401, 403, 409) },
      },
    },
    async (request) => {
      const r = await ctx.auth.roles.put(
        request.params.name,
        request.body.description,
        request.body.permissions,
        actorFor(request.principal, request.ip),
      );
      return { ...r, permissions: [...r.permissions] };
    },
  );

  app.get(
    '/api/v1/api-keys',
    {
      config: { auth: 'api-keys:read' },
      schema: {
        tags: ['users'],
        summary: 'List API keys (never their secrets)',
        response: { 200: Type.Object({ api_keys: Type.Array(ApiKey) }), ...errors(401, 403) },
      },
    },
    async () => ({
      api_keys: (await ctx.auth.apiKeys.list()).map((k) => ({ ...k, permissions: [...k.permissions] })),
    }),
  );

  app.post(
    '/api/v1/api-keys',
    {
      config: { auth: 'api-keys:write' },
      schema: {
        tags: ['users'],
        summary: 'Create an API key',
        description:
          'Answers `key` (`id:secret`) and `encoded` (base64 of it, for `Authorization: ApiKey …`) once; only a hash is kept. ' +
          'Use as `Authorization: Bearer id:secret`, `ApiKey base64(id:secret)`, or Basic with id and secret on ingest endpoints.',
        body: Type.Object({
          name: Type.String({ minLength: 1, maxLength: 128 }),
          permissions: PermissionList,
          expires_at: Type.Optional(Type.String({ format: 'date-time' })),
        }),
        response: {
          201: Type.Intersect([ApiKey, Type.Object({ key: Type.String(), encoded: Type.String() })]),
          ...errors(400, 401, 403),
        },
      },
    },
    async (request, reply) => {
      const b = request.body;
      // No one hands out more than they hold (a key with api-keys:write cannot mint an admin key).
      const beyond = b.permissions.filter((p) => isPermission(p) && !request.principal!.permissions.has(p));
      if (beyond.length > 0)
        throw new VigilError(
          ErrorCodes.FORBIDDEN,
          `cannot grant permissions you do not hold: ${beyond.join(', ')}`,
        );
      const { key, secret } = await ctx.auth.apiKeys.create(
        { name: b.name, permissions: b.permissions, expiresAt: b.expires_at ? new Date(b.expires_at) : null },
        actorFor(request.principal, request.ip),
      );
      return reply.status(201).send({
        ...key,
        permissions: [...key.permissions],
        key: secret,
        encoded: Buffer.from(secret).toString('base64'),
      });
    },
  );

  app.delete(
    '/api/v1/api-keys/:id',
    {
      config: { auth: 'api-keys:write' },
      schema: {
        tags: ['users'],
        summary: 'Revoke an API key',
        params: Type.Object({ id: Type.String({ maxLength: 64 }) }),
        response: { 200: ApiKey, ...errors(401, 403, 404) },
      },
    },
    async (request) => {
      const k = await ctx.auth.apiKeys.revoke(request.params.id, actorFor(request.principal, request.ip));
      return { ...k, permissions: [...k.permissions] };
    },
  );
};
