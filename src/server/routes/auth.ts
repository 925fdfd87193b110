/**
 * `/api/v1/auth`: the token endpoint (OAuth 2.0 password grant, refresh, MFA step; RFC 6749
 * §4.3, §6; form or JSON bodies), logout, the caller's identity, own password, MFA enrolment,
 * registration, signing-key rotation and the JWK Set. OpenID Connect routes are in `oidc.ts`.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { type LoginClient, OAuthError } from '../../auth/login.js';
import { actorFor } from '../../auth/principal.js';
import { ErrorCodes, VigilError } from '../../errors.js';
import type { ServiceContext } from '../../service/vigil.js';
import { errors } from '../schemas.js';

/** Grant types of the token endpoint (the MFA ones are Vigil's extension URNs). */
export const GRANT_MFA_OTP = 'urn:vigil:params:oauth:grant-type:mfa-otp';
export const GRANT_MFA_RECOVERY = 'urn:vigil:params:oauth:grant-type:mfa-recovery-code';

const TokenRequest = Type.Object({
  grant_type: Type.String({
    description: `password, refresh_token, ${GRANT_MFA_OTP} or ${GRANT_MFA_RECOVERY}`,
  }),
  username: Type.Optional(Type.String({ maxLength: 256 })),
  password: Type.Optional(Type.String({ maxLength: 1024 })),
  refresh_token: Type.Optional(Type.String({ maxLength: 256 })),
  mfa_token: Type.Optional(Type.String({ maxLength: 4096 })),
  otp: Type.Optional(Type.String({ maxLength: 16 })),
  recovery_code: Type.Optional(Type.String({ maxLength: 64 })),
  scope: Type.Optional(Type.String()),
  client_id: Type.Optional(Type.String()),
});

export const TokenResponse = Type.Object({
  access_token: Type.String(),
  token_type: Type.Literal('Bearer'),
  expires_in: Type.Integer({ description: 's' }),
  refresh_token: Type.String(),
});

const OAuthErrorBody = Type.Object({
  error: Type.String(),
  error_description: Type.String(),
  mfa_token: Type.Optional(Type.String()),
});

const Me = Type.Object({
  kind: Type.Union([Type.Literal('user'), Type.Literal('api_key')]),
  id: Type.String(),
  name: Type.String(),
  role: Type.Union([Type.String(), Type.Null()]),
  permissions: Type.Array(Type.String()),
  must_change_password: Type.Boolean(),
  mfa_enabled: Type.Optional(Type.Boolean()),
  expires_at: Type.Union([Type.String(), Type.Null()]),
});

export function loginClient(request: FastifyRequest): LoginClient {
  return { ip: request.ip, userAgent: request.headers['user-agent'] ?? null };
}

/** OAuth errors and lockouts in the RFC 6749 §5.2 shape; anything else goes to the error handler. */
export function sendOAuthError(reply: FastifyReply, err: unknown): FastifyReply {
  void reply.header('cache-control', 'no-store');
  if (err instanceof OAuthError)
    return reply.status(err.status).send({ error: err.error, error_description: err.description });
  if (err instanceof VigilError && err.code === ErrorCodes.LOGIN_LOCKED.code)
    return reply
      .status(429)
      .header('retry-after', String(err.retryAfterSeconds ?? 1))
      .send({ error: 'slow_down', error_description: err.message });
  throw err;
}

function need(value: string | undefined, name: string): string {
  if (value === undefined || value === '') throw new OAuthError('invalid_request', `${name} is required`);
  return value;
}

export const authRoutes: FastifyPluginAsyncTypebox<{ ctx: ServiceContext }> = async (app, { ctx }) => {
  const auth = ctx.auth;
  const cfg = ctx.config.auth;

  app.post(
    '/api/v1/auth/token',
    {
      config: {
        auth: 'public',
        rateLimit: {
          max: cfg.loginRateLimit,
          timeWindow: 60_000,
          keyGenerator: (r: FastifyRequest) => `login:${r.ip}`,
        },
      },
      schema: {
        tags: ['auth'],
        summary: 'Get tokens (OAuth 2.0 token endpoint)',
        description:
          '`grant_type=password` with `username` and `password`; with MFA enrolled the answer is 403 ' +
          '`{error:"mfa_required", mfa_token}`, then `grant_type=' +
          GRANT_MFA_OTP +
          '` with `mfa_token` ' +
          'and `otp` (or `' +
          GRANT_MFA_RECOVERY +
          '` with `recovery_code`). `grant_type=refresh_token` ' +
          'rotates the refresh token. Form (`application/x-www-form-urlencoded`) or JSON.',
        body: TokenRequest,
        response: { 200: TokenResponse, 400: OAuthErrorBody, 403: OAuthErrorBody, 429: OAuthErrorBody },
      },
    },
    async (request, reply) => {
      const b = request.body;
      const client = loginClient(request);
      void reply.header('cache-control', 'no-store');
      try {
        switch (b.grant_type) {
          case 'password': {
            const r = await auth.login.password(
              need(b.username, 'username'),
              need(b.password, 'password'),
              client,
            );
            return 'mfa_token' in r ? reply.status(403).send(r) : reply.send(r);
          }
          case 'refresh_token':
            return reply.send(await auth.login.refresh(need(b.refresh_token, 'refresh_token'), client));
          case GRANT_MFA_OTP:
            return reply.send(
              await auth.login.mfa(need(b.mfa_token, 'mfa_token'), { otp: need(b.otp, 'otp') }, client),
            );
          case GRANT_MFA_RECOVERY:
            return reply.send(
              await auth.login.mfa(
                need(b.mfa_token, 'mfa_token'),
                { recoveryCode: need(b.recovery_code, 'recovery_code') },
                client,
              ),
            );
          default:
            throw new OAuthError('unsupported_grant_type', `grant_type ${b.grant_type} is not supported`);
        }
      } catch (err) {
        return sendOAuthError(reply, err);
      }
    },
  );

  app.post(
    '/api/v1/auth/refresh',
    {
      config: {
        auth: 'public',
        rateLimit: {
          max: cfg.loginRateLimit * 6,
          timeWindow: 60_000,
          keyGenerator: (r: FastifyRequest) => `refresh:${r.ip}`,
        },
      },
      schema: {
        tags: ['auth'],
        summary: 'Rotate a refresh token',
        description: 'Reusing a rotated refresh token revokes its whole session.',
        body: Type.Object({ refresh_token: Type.String({ maxLength: 256 }) }),
        response: { 200: TokenResponse, 400: OAuthErrorBody },
      },
    },
    async (request, reply) => {
      try {
        void reply.header('cache-control', 'no-store');
        return reply.send(await auth.login.refresh(request.body.refresh_token, loginClient(request)));
      } catch (err) {
        return sendOAuthError(reply, err);
      }
    },
  );

  app.post(
    '/api/v1/auth/logout',
    {
      config: { auth: 'authenticated' },
      schema: {
        tags: ['auth'],
        summary: 'Revoke the current session',
        response: { 204: Type.Null(), ...errors(401) },
      },
    },
    async (request, reply) => {
      const p = request.principal!;
      if (p.sessionId) {
        await auth.sessions.revoke(p.sessionId, 'logout');
        await auth.audit({
          actor: actorFor(p, request.ip),
          action: 'auth.logout',
          target: p.name,
          details: { session: p.sessionId },
        });
      }
      return reply.status(204).send(null);
    },
  );

  app.get(
    '/api/v1/auth/me',
    {
      config: { auth: 'authenticated' },
      schema: { tags: ['auth'], summary: 'Who am I', response: { 200: Me, ...errors(401) } },
    },
    async (request) => {
      const p = request.principal!;
      const user = p.kind === 'user' ? await auth.users.byId(p.id) : undefined;
      return {
        kind: p.kind,
        id: p.id,
        name: p.name,
        role: p.role,
        permissions: [...p.permissions].sort(),
        must_change_password: user?.must_change_password ?? false,
        ...(user ? { mfa_enabled: user.mfa_enabled } : {}),
        expires_at: p.expiresAt !== null ? new Date(p.expiresAt).toISOString() : null,
      };
    },
  );

  app.post(
    '/api/v1/auth/password',
    {
      config: { auth: 'authenticated' },
      schema: {
        tags: ['auth'],
        summary: 'Change my password',
        description: 'Answers a new access token (the old one may still say a change is required).',
        body: Type.Object({
          current_password: Type.String({ maxLength: 1024 }),
          new_password: Type.String({ maxLength: 1024 }),
        }),
        response: {
          200: Type.Object({
            access_token: Type.String(),
            token_type: Type.Literal('Bearer'),
            expires_in: Type.Integer(),
          }),
          ...errors(400, 401, 403),
        },
      },
    },
    async (request) => {
      const p = request.principal!;
      if (p.kind !== 'user' || !p.sessionId)
        throw new VigilError(ErrorCodes.FORBIDDEN, 'API keys have no password');
      await auth.users.changePassword(
        p.id,
        request.body.current_password,
        request.body.new_password,
        actorFor(p, request.ip),
      );
      const user = (await auth.users.byId(p.id))!;
      const t = await auth.tokens.issueAccess(
        { id: user.id, name: user.name, role: user.role, mustChangePassword: false },
        p.sessionId,
      );
      return { access_token: t.token, token_type: 'Bearer' as const, expires_in: t.expiresIn };
    },
  );

  app.post(
    '/api/v1/auth/mfa/enroll',
    {
      config: { auth: 'authenticated' },
      schema: {
        tags: ['auth'],
        summary: 'Start TOTP enrolment',
        description: 'Answers the secret and its otpauth:// URI; confirm with /auth/mfa/activate.',
        response: {
          200: Type.Object({ secret: Type.String(), otpauth_uri: Type.String() }),
          ...errors(401, 403, 409),
        },
      },
    },
    async (request) => {
      const p = request.principal!;
      if (p.kind !== 'user') throw new VigilError(ErrorCodes.FORBIDDEN, 'API keys cannot enrol MFA');
      return auth.users.enrollMfa(p.id, actorFor(p, request.ip));
    },
  );

  app.post(
    '/api/v1/auth/mfa/activate',
    {
      config: { auth: 'authenticated' },
      schema: {
        tags: ['auth'],
        summary: 'Confirm TOTP enrolment with a code',
        description: 'Answers ten single-use recovery codes, shown only here.',
        body: Type.Object({ code: Type.String({ maxLength: 16 }) }),
        response: {
          200: Type.Object({ recovery_codes: Type.Array(Type.String()) }),
          ...errors(400, 401, 403),
        },
      },
    },
    async (request) => {
      const p = request.principal!;
      if (p.kind !== 'user') throw new VigilError(ErrorCodes.FORBIDDEN, 'API keys cannot enrol MFA');
      return {
        recovery_codes: await auth.users.activateMfa(p.id, request.body.code, actorFor(p, request.ip)),
      };
    },
  );

  app.post(
    '/api/v1/auth/mfa/disable',
    {
      config: { auth: 'authenticated' },
      schema: {
        tags: ['auth'],
        summary: 'Turn my MFA off (password required)',
        body: Type.Object({ password: Type.String({ maxLength: 1024 }) }),
        response: { 204: Type.Null(), ...errors(401, 403) },
      },
    },
    async (request, reply) => {
      const p = request.principal!;
      if (p.kind !== 'user') throw new VigilError(ErrorCodes.FORBIDDEN, 'API keys have no MFA');
      await auth.users.disableMfa(p.id, request.body.password, actorFor(p, request.ip));
      return reply.status(204).send(null);
    },
  );

  app.post(
    '/api/v1/auth/register',
    {
      config: { auth: cfg.openRegistration ? 'public' : 'users:write' },
      schema: {
        tags: ['auth'],
        summary: 'Register a user',
        description: cfg.openRegistration
          ? 'Open registration is on: anyone may register and gets the viewer role.'
          : 'Admins only (open registration is off); the new user gets `role` (default viewer).',
        body: Type.Object({
          username: Type.String({ maxLength: 64 }),
          password: Type.String({ maxLength: 1024 }),
          email: Type.Optional(Type.String({ maxLength: 320 })),
          role: Type.Optional(Type.String({ maxLength: 64 })),
        }),
        response: {
          201: Type.Object({ id: Type.String(), name: Type.String(), role: Type.String() }),
          ...errors(400, 401, 403, 409),
        },
      },
    },
    async (request, reply) => {
      const b = request.body;
      const byAdmin = request.principal?.permissions.has('users:write') === true;
      const role = byAdmin ? (b.role ?? 'viewer') : 'viewer';
      const u = await auth.users.create(
        { name: b.username, password: b.password, role, email: b.email ?? null },
        actorFor(request.principal, request.ip),
      );
      return reply.status(201).send({ id: u.id, name: u.name, role: u.role });
    },
  );

  app.post(
    '/api/v1/auth/signing-keys/rotate',
    {
      config: { auth: 'settings:write' },
      schema: {
        tags: ['auth'],
        summary: 'Rotate the JWT signing key',
        description: 'Tokens signed by the old key stay valid until they expire.',
        response: {
          200: Type.Object({ kid: Type.String(), retired: Type.Array(Type.String()) }),
          ...errors(401, 403),
        },
      },
    },
    async (request) => {
      const r = await auth.tokens.rotate();
      await auth.audit({
        actor: actorFor(request.principal, request.ip),
        action: 'signing_key.rotate',
        target: r.kid,
        details: { retired: r.retired },
      });
      return r;
    },
  );

  app.get(
    '/api/v1/auth/jwks',
    {
      config: { auth: 'public' },
      schema: { tags: ['auth'], summary: 'Public keys of access tokens (JWK Set, RFC 7517)' },
    },
    async () => auth.tokens.jwks(),
  );
};
