import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startApi } from '../../src/server/app.js';
import type { ServiceContext } from '../../src/service/vigil.js';
import { encodedPowerShell, ENCODED_PS_RULE, ndjson, notepad } from '../fixtures/service/events.js';
import { createKey, seedAccounts, type TestAccounts } from '../helpers/auth.js';
import { closeTestContext, detected, openTestContext } from '../helpers/service.js';

type Msg = { type: string; [k: string]: unknown };

interface Client {
  readonly ws: WebSocket;
  readonly messages: Msg[];
  next(type: string): Promise<Msg>;
  /** Resolves with the close code and reason. */
  readonly closed: Promise<{ code: number; reason: string }>;
}

describe('GET /api/v1/stream (WebSocket)', () => {
  let ctx: ServiceContext;
  let api: { port: number; close(): Promise<void> };
  let accounts: TestAccounts;
  /** The analyst's access token, without `Bearer `. */
  let token: string;
  beforeAll(async () => {
    ctx = await openTestContext('pglite');
    accounts = await seedAccounts(ctx);
    token = accounts.analyst.slice('Bearer '.length);
    api = await startApi(ctx);
  }, 60_000);
  afterAll(async () => {
    await api.close();
    await closeTestContext(ctx);
  });

  /** Opens the stream, with an `Authorization` header when given. */
  function connect(authorization?: string): Promise<Client> {
    const ws = new WebSocket(`ws://127.0.0.1:${api.port}/api/v1/stream`, {
      ...(authorization !== undefined ? { headers: { authorization } } : {}),
    });
    const messages: Msg[] = [];
    const waiters: { type: string; resolve(m: Msg): void }[] = [];
    ws.on('message', (data) => {
      const m = JSON.parse(String(data)) as Msg;
      messages.push(m);
      const i = waiters.findIndex((w) => w.type === m.type);
      if (i >= 0) waiters.splice(i, 1)[0]!.resolve(m);
    });
    const closed = new Promise<{ code: number; reason: string }>((resolve) =>
      ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })),
    );
    const next = (type: string) =>
      new Promise<Msg>((resolve, reject) => {
        const seen = messages.findIndex((m) => m.type === type);
        if (seen >= 0) return resolve(messages.splice(seen, 1)[0]!);
        waiters.push({ type, resolve });
        setTimeout(() => reject(new Error(`no ${type} message`)), 10_000).unref();
      });
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve({ ws, messages, next, closed }));
      ws.once('error', reject);
    });
  }

  const post = async (body: string) => {
    const r = await fetch(`http://127.0.0.1:${api.port}/api/v1/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-ndjson', authorization: accounts.ingestKey.bearer },
      body,
    });
    expect(r.status).toBe(200);
  };

  it('with a token in the Authorization header: pushes new alerts, and events matching the filter', async () => {
    const c = await connect(accounts.analyst);
    expect(await c.next('hello')).toEqual({ type: 'hello', stream: 'alerts', authenticated: true });
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

  it('with the token in a first {type:"auth"} message (browsers cannot set headers)', async () => {
    const c = await connect();
    expect(await c.next('hello')).toEqual({ type: 'hello', stream: 'alerts', authenticated: false });
    // Nothing before the auth message.
    c.ws.send(JSON.stringify({ type: 'subscribe' }));
    expect(await c.next('error')).toMatchObject({ code: 'VIGIL_ERR_UNAUTHORIZED' });
    await post(ndjson([encodedPowerShell('WS-BEFORE-AUTH', '2026-11-20T00:01:00Z')]));
    await detected(ctx); // its alert is published before the client authenticates
    c.ws.send(JSON.stringify({ type: 'auth', token }));
    const ok = await c.next('authenticated');
    expect(Date.parse(ok.expires_at as string)).toBeGreaterThan(Date.now());
    c.ws.send(JSON.stringify({ type: 'subscribe', filter: { fields: { 'host.name': 'WS-AFTER-AUTH' } } }));
    expect((await c.next('subscribed')).filter).toEqual({ fields: { 'host.name': 'WS-AFTER-AUTH' } });
    await post(ndjson([encodedPowerShell('WS-AFTER-AUTH', '2026-11-20T00:02:00Z')]));
    const alert = await c.next('alert');
    expect((alert.alert as { host: { name: string } }).host.name).toBe('WS-AFTER-AUTH');
    const event = await c.next('event');
    expect((event.event as { ecs: { host: { name: string } } }).ecs.host.name).toBe('WS-AFTER-AUTH');
    // What happened before the auth message was never sent. (An incident update sent after auth
    // carries the incident's current state, which may name hosts of earlier alerts: the same
    // principal can read it over GET /api/v1/incidents.)
    expect(JSON.stringify(c.messages.filter((m) => m.type !== 'incident'))).not.toContain('WS-BEFORE-AUTH');
    c.ws.close();
  });

  it('closes with 4401 after an invalid token in the auth message', async () => {
    const c = await connect();
    await c.next('hello');
    c.ws.send(JSON.stringify({ type: 'auth', token: `${token.slice(0, -4)}AAAA` }));
    expect(await c.next('error')).toMatchObject({ code: 'VIGIL_ERR_UNAUTHORIZED' });
    expect((await c.closed).code).toBe(4401);
  });

  it('refuses the upgrade with 401 for a bad header, 403 without alerts:read', async () => {
    const refused = (authorization: string) =>
      new Promise<number>((resolve, reject) => {
        const ws = new WebSocket(`ws://127.0.0.1:${api.port}/api/v1/stream`, { headers: { authorization } });
        ws.once('unexpected-response', (_req, res) => {
          resolve(res.statusCode ?? 0);
          ws.terminate();
        });
        ws.once('open', () => reject(new Error('upgraded')));
        ws.on('error', () => undefined); // terminate() before an upgrade reports an error
      });
    expect(await refused('Bearer not-a-token')).toBe(401);
    expect(await refused(accounts.ingestKey.bearer)).toBe(403);
  });

  it('needs events:read for an event filter; alerts only without it', async () => {
    const alertsOnly = await createKey(ctx, ['alerts:read'], 'wallboard');
    const c = await connect(alertsOnly.bearer);
    expect((await c.next('hello')).authenticated).toBe(true);
    c.ws.send(JSON.stringify({ type: 'subscribe', filter: { text: 'powershell' } }));
    expect(await c.next('error')).toMatchObject({
      code: 'VIGIL_ERR_FORBIDDEN',
      detail: expect.stringMatching(/events:read/),
    });
    c.ws.send(JSON.stringify({ type: 'subscribe' }));
    expect((await c.next('subscribed')).filter).toBeNull();
    await post(ndjson([encodedPowerShell('WS-WALLBOARD', '2026-11-20T00:03:00Z')]));
    const alert = await c.next('alert');
    expect((alert.alert as { host: { name: string } }).host.name).toBe('WS-WALLBOARD');
    expect(c.messages.filter((m) => m.type === 'event')).toEqual([]);
    c.ws.close();
  });

  it('answers a malformed client message with an error and keeps the connection', async () => {
    const c = await connect(accounts.viewer);
    await c.next('hello');
    c.ws.send('nope');
    expect((await c.next('error')).code).toBe('VIGIL_ERR_BAD_REQUEST');
    c.ws.send(JSON.stringify({ type: 'subscribe' }));
    expect((await c.next('subscribed')).filter).toBeNull();
    c.ws.close();
  });
});
