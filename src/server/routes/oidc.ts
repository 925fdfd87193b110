/**
 * OpenID Connect sign-in (authorization code + PKCE), present when an issuer is configured:
 * `GET /api/v1/auth/oidc/login` redirects to the provider; the provider redirects back to
 * `GET /api/v1/auth/oidc/callback`, which answers Vigil's token response. The login's secrets
 * (state, PKCE verifier, nonce) wait in the database for 10 minutes, single use, so any instance
 * can take the callback. The user is found by (issuer, subject), created on first sign-in, and
 * takes the role mapped from the configured claim at every sign-in.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { OidcClient } from '../../auth/oidc.js';
import type { OidcConfig } from '../../config/auth.js';
import { ErrorCodes, VigilError } from '../../errors.js';
import type { ServiceContext } from '../../service/vigil.js';
import { errors } from '../schemas.js';
import { loginClient, sendOAuthError, TokenResponse } from './auth.js';

const PENDING_MS = 10 * 60_000;

export const oidcRoutes: FastifyPluginAsyncTypebox<{ ctx: ServiceContext; oidc: OidcConfig }> = async (
  app,
  { ctx, oidc },
) => {
  let client: Promise<OidcClient> | undefined;
  const provider = (): Promise<OidcClient> => {
    client ??= OidcClient.discover(oidc).catch((err: unknown) => {
      client = undefined; // try discovery again next time
      throw err;
    });
    return client;
  };
  const db = ctx.database.db;

  app.get(
    '/api/v1/auth/oidc/login',
    {
      config: { auth: 'public' },
      schema: {
        tags: ['auth'],
        summary: 'Sign in with the OpenID Connect provider (redirect)',
        response: { 302: Type.Null(), ...errors(503) },
      },
    },
    async (_request, reply) => {
      const start = await (await provider()).start();
      const at = ctx.now();
      await db.deleteFrom('oidc_logins').where('expires_at', '<', at).execute();
      await db
        .insertInto('oidc_logins')
        .values({
          state: start.state,
          code_verifier: start.codeVerifier,
          nonce: start.nonce,
          created_at: at,
          expires_at: new Date(at.getTime() + PENDING_MS),
        })
        .execute();
      return reply.redirect(start.url, 302);
    },
  );

  app.get(
    '/api/v1/auth/oidc/callback',
    {
      config: { auth: 'public' },
      schema: {
        tags: ['auth'],
        summary: 'OpenID Connect redirect target: answers the token response',
        querystring: Type.Object(
          { state: Type.Optional(Type.String({ maxLength: 512 })) },
          { additionalProperties: true },
        ),
        response: { 200: TokenResponse, ...errors(401, 403, 409, 503) },
      },
    },
    async (request, reply) => {
      const state = request.query.state ?? '';
      const at = ctx.now();
      const pending = await db
        .deleteFrom('oidc_logins')
        .where('state', '=', state)
        .returning(['state', 'code_verifier', 'nonce', 'expires_at'])
        .executeTakeFirst();
      if (!pending || pending.expires_at.getTime() <= at.getTime())
        throw new VigilError(ErrorCodes.OIDC_STATE, 'unknown or expired login; start again');
      const callback = new URL(request.url, 'http://callback.invalid');
      const identity = await (
        await provider()
      ).finish(callback, {
        state: pending.state,
        codeVerifier: pending.code_verifier,
        nonce: pending.nonce,
      });
      if (identity.role === null || !ctx.auth.roles.has(identity.role))
        throw new VigilError(
          ErrorCodes.FORBIDDEN,
          `no Vigil role for this identity (claim ${oidc.roleClaim})`,
        );
      const actor = { name: `oidc:${identity.name}`, ip: request.ip };
      let user = await db
        .selectFrom('users')
        .selectAll()
        .where('oidc_issuer', '=', identity.issuer)
        .where('oidc_subject', '=', identity.subject)
        .executeTakeFirst();
      if (!user) {
        await ctx.auth.users.create(
          {
            name: identity.name,
            role: identity.role,
            email: identity.email,
            oidc: { issuer: identity.issuer, subject: identity.subject },
          },
          actor,
        );
        user = (await ctx.auth.users.byName(identity.name))!;
      } else if (user.role !== identity.role) {
        await ctx.auth.users.update(user.id, { role: identity.role }, actor);
        user = (await ctx.auth.users.byId(user.id))!;
      }
      try {
        void reply.header('cache-control', 'no-store');
        return reply.send(await ctx.auth.login.sso(user, loginClient(request)));
      } catch (err) {
        return sendOAuthError(reply, err);
      }
    },
  );
};
