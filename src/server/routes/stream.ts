/**
 * `GET /api/v1/stream` (WebSocket): live alerts, plus events matching a filter the client sends
 * as `{"type":"subscribe","filter":{"fields":{"host.name":"WS-01"},"text":"powershell"}}` (the
 * event search's filter). Each client has a bounded buffer (drop-oldest, with a `dropped`
 * message saying how many), so a slow client never slows the pipeline.
 */
import type { FastifyPluginAsync } from 'fastify';
import { Type } from 'typebox';
import { Compile } from 'typebox/compile';
import type { ServiceContext } from '../../service/vigil.js';

/** A socket is "ready" while less than this is queued in its send buffer, bytes. */
const HIGH_WATER_BYTES = 1 << 20;

const ClientMessage = Compile(
  Type.Object({
    type: Type.Literal('subscribe'),
    filter: Type.Optional(
      Type.Object({
        fields: Type.Optional(Type.Record(Type.String(), Type.String())),
        text: Type.Optional(Type.String({ maxLength: 1024 })),
      }),
    ),
  }),
);

export const streamRoutes: FastifyPluginAsync<{ ctx: ServiceContext }> = async (app, { ctx }) => {
  app.get(
    '/api/v1/stream',
    {
      websocket: true,
      schema: {
        tags: ['alerts'],
        summary: 'Live alerts and filtered events (WebSocket)',
        description:
          'Server → client messages: `{type:"alert", change:"created"|"suppressed", alert}`, ' +
          '`{type:"event", event}` (after a subscribe with a filter), `{type:"dropped", count}`. ' +
          'Client → server: `{type:"subscribe", filter?:{fields?, text?}}`; no filter = alerts only.',
      },
    },
    (socket) => {
      const sub = ctx.hub.subscribe({
        ready: () => socket.readyState === socket.OPEN && socket.bufferedAmount < HIGH_WATER_BYTES,
        send: (text) => socket.send(text, () => sub.flush()),
      });
      socket.on('message', (data) => {
        let msg: unknown;
        try {
          msg = JSON.parse(String(data));
        } catch {
          socket.send(JSON.stringify({ type: 'error', code: 'VIGIL_ERR_BAD_REQUEST', detail: 'not JSON' }));
          return;
        }
        if (!ClientMessage.Check(msg)) {
          socket.send(
            JSON.stringify({
              type: 'error',
              code: 'VIGIL_ERR_BAD_REQUEST',
              detail: 'expected {type:"subscribe", filter?}',
            }),
          );
          return;
        }
        sub.filter = msg.filter ?? undefined;
        socket.send(JSON.stringify({ type: 'subscribed', filter: msg.filter ?? null }));
      });
      socket.on('close', () => ctx.hub.unsubscribe(sub));
      socket.send(JSON.stringify({ type: 'hello', stream: 'alerts' }));
    },
  );
};
