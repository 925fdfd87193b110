import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startApi } from '../../src/server/app.js';
import type { ServiceContext } from '../../src/service/vigil.js';
import { encodedPowerShell, ENCODED_PS_RULE, ndjson, notepad } from '../fixtures/service/events.js';
import { closeTestContext, openTestContext } from '../helpers/service.js';

type Msg = { type: string; [k: string]: unknown };

describe('GET /api/v1/stream (WebSocket)', () => {
  let ctx: ServiceContext;
  let api: { port: number; close(): Promise<void> };
  beforeAll(async () => {
    ctx = await openTestContext('pglite');
    api = await startApi(ctx);
  }, 60_000);
  afterAll(async () => {
    await api.close();
    await closeTestContext(ctx);
  });

  function connect(): Promise<{ ws: WebSocket; messages: Msg[]; next(type: string): Promise<Msg> }> {
    const ws = new WebSocket(`ws://127.0.0.1:${api.port}/api/v1/stream`);
    const messages: Msg[] = [];
    const waiters: { type: string; resolve(m: Msg): void }[] = [];
    ws.on('message', (data) => {
      const m = JSON.parse(String(data)) as Msg;
      messages.push(m);
      const i = waiters.findIndex((w) => w.type === m.type);
      if (i >= 0) waiters.splice(i, 1)[0]!.resolve(m);
    });
    const next = (type: string) =>
      new Promise<Msg>((resolve, reject) => {
        const seen = messages.findIndex((m) => m.type === type);
        if (seen >= 0) return resolve(messages.splice(seen, 1)[0]!);
        waiters.push({ type, resolve });
        setTimeout(() => reject(new Error(`no ${type} message`)), 10_000).unref();
      });
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve({ ws, messages, next }));
      ws.once('error', reject);
    });
  }

  const post = (body: string) =>
    fetch(`http://127.0.0.1:${api.port}/api/v1/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-ndjson' },
      body,
    });

  it('pushes new alerts, and events matching the subscribed filter', async () => {
    const c = await connect();
    expect((await c.next('hello')).stream).toBe('alerts');
    c.ws.send(JSON.stringify({ type: 'subscribe', filter: { fields: { 'host.name': 'WS-LIVE' } } }));
    await c.next('subscribed');
    await post(
      ndjson([
        notepad('WS-OTHER', '2026-11-20T00:00:00Z'),
        encodedPowerShell('WS-LIVE', '2026-11-20T00:00:01Z'),
      ]),
    );
    const alert = await c.next('alert');
    expect(alert.change).toBe('created');
    expect((alert.alert as { rule: { id: string } }).rule.id).toBe(ENCODED_PS_RULE);
    const event = await c.next('event');
    expect((event.event as { ecs: { host: { name: string } } }).ecs.host.name).toBe('WS-LIVE');
    expect(c.messages.filter((m) => m.type === 'event')).toEqual([]);
    c.ws.close();
  });

  it('answers a malformed client message with an error and keeps the connection', async () => {
    const c = await connect();
    await c.next('hello');
    c.ws.send('nope');
    expect((await c.next('error')).code).toBe('VIGIL_ERR_BAD_REQUEST');
    c.ws.send(JSON.stringify({ type: 'subscribe' }));
    expect((await c.next('subscribed')).filter).toBeNull();
    c.ws.close();
  });
});
