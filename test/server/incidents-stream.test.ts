import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startApi } from '../../src/server/app.js';
import type { ServiceContext } from '../../src/service/vigil.js';
import { ndjson } from '../fixtures/service/events.js';
import { type ApiKeyCredential, createKey, seedAccounts, type TestAccounts } from '../helpers/auth.js';
import { closeTestContext, openTestContext } from '../helpers/service.js';
import { encodedPs } from '../incidents/events.js';

type Msg = { type: string; [k: string]: unknown };

describe('incident messages on the WebSocket stream', () => {
  let ctx: ServiceContext;
  let api: { port: number; close(): Promise<void> };
  let accounts: TestAccounts;
  let alertsReader: ApiKeyCredential;
  beforeAll(async () => {
    // Automatic risk incidents are tested in test/server/risk.test.ts; here they would add incidents.
    ctx = await openTestContext('pglite', { VIGIL_RISK_THRESHOLD: '1000000' });
    accounts = await seedAccounts(ctx);
    alertsReader = await createKey(ctx, ['alerts:read'], 'alerts only');
    api = await startApi(ctx);
  }, 60_000);
  afterAll(async () => {
    await api.close();
    await closeTestContext(ctx);
  });

  /** A client that keeps every message and can wait for the next one of a type. */
  async function connect(authorization: string) {
    const ws = new WebSocket(`ws://127.0.0.1:${api.port}/api/v1/stream`, { headers: { authorization } });
    const messages: Msg[] = [];
    /** Every message's type, in arrival order. */
    const order: string[] = [];
    const waiters: { type: string; resolve(m: Msg): void }[] = [];
    ws.on('message', (data) => {
      const m = JSON.parse(String(data)) as Msg;
      order.push(m.type);
      const i = waiters.findIndex((w) => w.type === m.type);
      if (i >= 0) waiters.splice(i, 1)[0]!.resolve(m);
      else messages.push(m);
    });
    const next = (type: string) =>
      new Promise<Msg>((resolve, reject) => {
        const seen = messages.findIndex((m) => m.type === type);
        if (seen >= 0) return resolve(messages.splice(seen, 1)[0]!);
        waiters.push({ type, resolve });
        setTimeout(() => reject(new Error(`no ${type} message`)), 10_000).unref();
      });
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    await next('hello');
    return { ws, messages, order, next };
  }

  const http = (
    method: string,
    path: string,
    authorization: string,
    body: string,
    type = 'application/json',
  ) =>
    fetch(`http://127.0.0.1:${api.port}${path}`, {
      method,
      headers: { 'content-type': type, authorization },
      body,
    });

  it('sends created and updated incidents to readers of incidents, after the alerts they name', async () => {
    const analyst = await connect(accounts.analyst);
    const bot = await connect(alertsReader.bearer);
    const r = await http(
      'POST',
      '/api/v1/events',
      accounts.ingestKey.bearer,
      ndjson([encodedPs('WS-LIVE', '09:00:00', 'lee')]),
      'application/x-ndjson',
    );
    expect(r.status).toBe(200);
    const alert = await analyst.next('alert');
    const created = await analyst.next('incident');
    expect(created.change).toBe('created');
    const incident = created.incident as { id: number; title: string; alert_count: number };
    expect(incident).toMatchObject({
      title: 'PowerShell Started with an Encoded Command on host WS-LIVE',
      alert_count: 1,
    });
    expect((alert.alert as { id: number }).id).toBeGreaterThan(0);
    expect(analyst.order.slice(1)).toEqual(['alert', 'incident']);

    const patch = await http(
      'PATCH',
      `/api/v1/incidents/${incident.id}`,
      accounts.analyst,
      JSON.stringify({ status: 'investigating' }),
    );
    expect(patch.status).toBe(200);
    const updated = await analyst.next('incident');
    expect(updated).toMatchObject({
      change: 'updated',
      incident: { id: incident.id, status: 'investigating' },
    });

    // The key without incidents:read got the alert but no incident message: a reply sent after
    // both incident messages arrives with nothing of type "incident" before it.
    await bot.next('alert');
    bot.ws.send(JSON.stringify({ type: 'subscribe' }));
    await bot.next('subscribed');
    expect(bot.messages.filter((m) => m.type === 'incident')).toEqual([]);
    analyst.ws.close();
    bot.ws.close();
  });
});
