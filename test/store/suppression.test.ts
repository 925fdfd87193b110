/**
 * Review: alert suppression (docs/service.md: "a match of the same rule on the same entity while an
 * alert is open and its last_seen is within VIGIL_SUPPRESS_MS of the event").
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { ServiceContext } from '../../src/service/vigil.js';
import { listAlerts } from '../../src/store/alerts.js';
import { ENCODED_PS_RULE, sysmonProcess } from '../fixtures/service/events.js';
import { closeTestContext, detected, openTestContext } from '../helpers/service.js';

const ps = (host: string, time: string, user?: string) =>
  sysmonProcess({
    host,
    time,
    image: 'C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe',
    commandLine: 'powershell.exe -nop -enc SQBFAFgAIAAoAE4AZQB3AC0ATwBiAGoAZQBjAHQA',
    ...(user ? { user } : {}),
  });

async function ingest(ctx: ServiceContext, ev: unknown): Promise<void> {
  await ctx.ingest.ingestJson([{ line: 1, text: JSON.stringify(ev), value: ev }], 'http');
  await detected(ctx);
}

async function alerts(ctx: ServiceContext) {
  return (
    await listAlerts(ctx.database.db, {
      ruleId: ENCODED_PS_RULE,
      sort: 'created_at',
      order: 'asc',
      limit: 100,
    })
  ).alerts;
}

describe('review: suppression', () => {
  let ctx: ServiceContext | undefined;
  afterEach(async () => {
    if (ctx) await closeTestContext(ctx);
    ctx = undefined;
  });

  it('an event 10 h older than the open alert (window 1 h) opens its own alert', async () => {
    ctx = await openTestContext('pglite', { VIGIL_SUPPRESS_MS: '3600000' });
    await ingest(ctx, ps('WS-01', '2026-11-20T12:00:00Z'));
    await ingest(ctx, ps('WS-01', '2026-11-20T02:00:00Z')); // late-arriving, 10 h before
    const a = await alerts(ctx);
    // currently: one alert, event_count 2, first_seen stretched to 02:00 (a 10 h "1 h window")
    expect(a.map((x) => [x.event_count, x.first_seen, x.last_seen])).toEqual([
      [1, '2026-11-20T12:00:00.000Z', '2026-11-20T12:00:00.000Z'],
      [1, '2026-11-20T02:00:00.000Z', '2026-11-20T02:00:00.000Z'],
    ]);
  });

  it('different entities never share an alert (entity key separator collision)', async () => {
    ctx = await openTestContext('pglite', { VIGIL_SUPPRESS_MS: '3600000' });
    await ingest(ctx, ps('WS|01', '2026-11-20T12:00:00Z', 'CORP\\bob'));
    await ingest(ctx, ps('WS', '2026-11-20T12:01:00Z', 'CORP\\01|bob'));
    const a = await alerts(ctx);
    const ents = a.map((x) => [
      (x.host as { name?: string } | undefined)?.name,
      (x.user as { name?: string } | undefined)?.name,
    ]);
    expect(a, JSON.stringify(ents)).toHaveLength(2);
  });
});
