/**
 * `GET /api/v1/stream` (WebSocket): live alerts, plus events matching a filter the client sends
 * as `{"type":"subscribe","filter":{"fields":{"host.name":"WS-01"},"text":"powershell"}}` (the
 * event search's filter). Each client has a bounded buffer (drop-oldest, with a `dropped`
 * message saying how many), so a slow client never slows the pipeline.
 */
import type { FastifyPluginAsync } from 'fastify';
import { Type } from 'typebox';
import { Compile } from 'typebox/compile';
import type { Principal } from '../../auth/principal.js';
import { ErrorCodes, VigilError } from '../../errors.js';
import type { ServiceContext } from '../../service/vigil.js';
import type { Subscriber } from '../../stream/hub.js';
import { checkPermission } from '../plugins/auth.js';

/** A socket is "ready" while less than this is queued in its send buffer, bytes. */
const HIGH_WATER_BYTES = 1 << 20;

const Filter = Type.Object({
  fields: Type.Optional(Type.Record(Type.String(), Type.String())),
  text: Type.Optional(Type.String({ maxLength: 1024 })),
});

const ClientMessage = Compile(
  Type.Union([
    Type.Object({ type: Type.Literal('subscribe'), filter: Type.Optional(Filter) }),
    Type.Object({ type: Type.Literal('auth'), token: Type.String({ maxLength: 8192 }) }),
  ]),
);

/** Time a client has to send its `auth` message, ms. */
const AUTH_TIMEOUT_MS = 10_000;
/** WebSocket close codes (4000-4999 are the application's, RFC 6455 §7.4.2). */
const CLOSE_UNAUTHORIZED = 4401;
const CLOSE_FORBIDDEN = 4403;

export const streamRoutes: FastifyPluginAsync<{ ctx: ServiceContext }> = async (app, { ctx }) => {
  app.get(
    '/api/v1/stream',
    {
      config: { auth: 'stream' },
      websocket: true,
      schema: {
        tags: ['alerts'],
        summary: 'Live alerts and filtered events (WebSocket)',
        description:
          'Server → client messages: `{type:"alert", change:"created"|"suppressed", alert}`, ' +
          '`{type:"event", event}` (after a subscribe with a filter), ' +
          '`{type:"incident", change:"created"|"updated", incident}` (with incidents:read), `{type:"dropped", count}`. ' +
          'Client → server: `{type:"auth", token}` (first, unless an Authorization header was sent; again ' +
          'before expiry to extend), `{type:"subscribe", filter?:{fields?, text?}}`; no filter = alerts only, ' +
          'a filter needs events:read. Without auth within 10 s, or at token expiry (`{type:"token_expired"}`), ' +
          'the socket closes with 4401.',
      },
    },
    (socket, request) => {
      const send = (m: unknown): void => socket.send(JSON.stringify(m));
      const fail = (code: string, detail: string): void => send({ type: 'error', code, detail });
      let principal: Principal | null = request.principal;
      let sub: Subscriber | undefined;
      let expiry: NodeJS.Timeout | undefined;
      const closeWith = (code: number, reason: string): void => {
        clearTimeout(expiry);
        socket.close(code, reason);
      };
      const start = (p: Principal): void => {
        principal = p;
        clearTimeout(expiry);
        if (p.expiresAt !== null) {
          // Ask for a fresh token at expiry; close if none came (a new `auth` message re-arms this).
          expiry = setTimeout(
            () => {
              send({ type: 'token_expired' });
              closeWith(CLOSE_UNAUTHORIZED, 'token expired');
            },
            Math.max(0, p.expiresAt - Date.now()),
          );
        }
        sub ??= ctx.hub.subscribe({
          ready: () => socket.readyState === socket.OPEN && socket.bufferedAmount < HIGH_WATER_BYTES,
          send: (text) => socket.send(text, () => sub?.flush()),
        });
        sub.incidents = p.permissions.has('incidents:read');
      };
      const pending = principal
        ? undefined
        : setTimeout(() => closeWith(CLOSE_UNAUTHORIZED, 'no auth message'), AUTH_TIMEOUT_MS);
      socket.on('message', (data) => {
        let msg: unknown;
        try {
          msg = JSON.parse(String(data));
        } catch {
          fail('VIGIL_ERR_BAD_REQUEST', 'not JSON');
          return;
        }
        if (!ClientMessage.Check(msg)) {
          fail('VIGIL_ERR_BAD_REQUEST', 'expected {type:"auth", token} or {type:"subscribe", filter?}');
          return;
        }
        if (msg.type === 'auth') {
          ctx.auth
            .authenticate(`Bearer ${msg.token}`, { basic: false })
            .then((p) => {
              const checked = checkPermission(p, 'stream');
              if (principal && checked.id !== principal.id)
                throw new VigilError(ErrorCodes.FORBIDDEN, 'a stream keeps its user');
              clearTimeout(pending);
              start(checked);
              send({
                type: 'authenticated',
                expires_at: checked.expiresAt !== null ? new Date(checked.expiresAt).toISOString() : null,
              });
            })
            .catch((err: unknown) => {
              const e =
                err instanceof VigilError ? err : new VigilError(ErrorCodes.UNAUTHORIZED, 'invalid token');
              fail(e.code, e.message);
              if (!principal || e.statusCode === 403)
                closeWith(e.statusCode === 403 ? CLOSE_FORBIDDEN : CLOSE_UNAUTHORIZED, e.message);
            });
          return;
        }
        if (!sub || !principal) {
          fail('VIGIL_ERR_UNAUTHORIZED', 'send {type:"auth", token} first');
          return;
        }
        if (msg.filter && !principal.permissions.has('events:read')) {
          fail('VIGIL_ERR_FORBIDDEN', 'event filters require the events:read permission');
          return;
        }
        sub.filter = msg.filter ?? undefined;
        send({ type: 'subscribed', filter: msg.filter ?? null });
      });
      socket.on('close', () => {
        clearTimeout(pending);
        clearTimeout(expiry);
        if (sub) ctx.hub.unsubscribe(sub);
      });
      if (principal) start(principal);
      send({ type: 'hello', stream: 'alerts', authenticated: principal !== null });
    },
  );
};
