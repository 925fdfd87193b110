/**
 * Review: event-search filter semantics vs the stream's (docs: "the event search's syntax"),
 * dead letters with a NUL byte, and retro-hunt `truncated`.
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApi } from '../../src/server/app.js';
import type { ServiceContext } from '../../src/service/vigil.js';
import { matchesFilter } from '../../src/stream/hub.js';
import { encodedPowerShell, ENCODED_PS_RULE, ndjson, notepad } from '../fixtures/service/events.js';
import { seedAccounts, type TestAccounts } from '../helpers/auth.js';
import { closeTestContext, detected, openTestContext, STORE_KINDS } from '../helpers/service.js';
import { jsonCaller } from '../helpers/inject.js';

describe.each(STORE_KINDS)('review: filters and retro-hunt on %s', (kind) => {
  let ctx: ServiceContext;
  let app: FastifyInstance;
  let accounts: TestAccounts;
  /** An analyst searches and hunts; a shipper's API key posts events. */
  const call = jsonCaller(
    () => app,
    () => accounts.analyst,
  );
  const ingest = jsonCaller(
    () => app,
    () => accounts.ingestKey.bearer,
  );

  beforeAll(async () => {
    ctx = await openTestContext(kind);
    accounts = await seedAccounts(ctx);
    app = await buildApi(ctx);
    const body = ndjson([
      notepad('F-1', '2026-11-20T01:00:00Z'),
      encodedPowerShell('RH-1', '2026-11-20T03:00:00Z'),
      encodedPowerShell('RH-2', '2026-11-20T03:01:00Z'),
      encodedPowerShell('RH-3', '2026-11-20T03:02:00Z'),
    ]);
    const r = await ingest('POST', '/api/v1/events', body, { 'content-type': 'application/x-ndjson' });
    expect(r.status).toBe(200);
    await detected(ctx);
  }, 60_000);
  afterAll(async () => {
    await app.close();
    await closeTestContext(ctx);
  });

  it('search filter on an array-valued ECS field matches like the stream filter does', async () => {
    const [stored] = (await ctx.events.search({ fields: { 'host.name': 'F-1' }, limit: 1 })).events;
    expect(matchesFilter({ fields: { 'event.category': 'process' } }, stored!.ecs, stored!.original)).toBe(
      true,
    );
    const r = await call('GET', '/api/v1/events?filter=host.name:F-1&filter=event.category:process');
    expect(r.body.events).toHaveLength(1);
  });

  it('an NDJSON line with a NUL byte becomes a dead letter; the request is not a 500', async () => {
    const body = `${JSON.stringify(notepad('NUL-1', '2026-11-20T04:00:00Z'))}\nnot json \u0000 here\n`;
    const r = await ingest('POST', '/api/v1/events', body, { 'content-type': 'application/x-ndjson' });
    const stored = (await ctx.events.search({ fields: { 'host.name': 'NUL-1' }, limit: 10 })).events.length;
    // a 500 with the good line stored anyway: the client's retry stores it twice
    expect({ status: r.status, stored }).toEqual({ status: 200, stored: 1 });
  });

  it('retro-hunt reports truncated when `limit` stopped it before the end of the range', async () => {
    const r = await call(
      'POST',
      '/api/v1/rules/retro-hunt',
      JSON.stringify({
        rule_id: ENCODED_PS_RULE,
        from: '2026-11-20T00:00:00Z',
        to: '2026-11-21T00:00:00Z',
        limit: 1,
      }),
      { 'content-type': 'application/json' },
    );
    expect(r.status).toBe(200);
    expect(r.body.matches).toHaveLength(1); // 3 events in range match
    expect(r.body.truncated).toBe(true);
  });
});
