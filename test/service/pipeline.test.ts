import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listAlerts } from '../../src/store/alerts.js';
import type { ServiceContext } from '../../src/service/vigil.js';
import { closeTestContext, detected, openTestContext, STORE_KINDS } from '../helpers/service.js';

const ENCODED_POWERSHELL = {
  Event: {
    System: {
      Provider: { '#attributes': { Name: 'Microsoft-Windows-Sysmon' } },
      EventID: 1,
      Channel: 'Microsoft-Windows-Sysmon/Operational',
      Computer: 'WS-01',
      TimeCreated: { '#attributes': { SystemTime: '2026-11-20T10:00:00.000Z' } },
    },
    EventData: {
      Image: 'C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe',
      CommandLine: 'powershell.exe -nop -enc SQBFAFgAIAAoAE4AZQB3AC0ATwBiAGoAZQBjAHQA',
      ParentImage: 'C:\\Windows\\System32\\cmd.exe',
      User: 'CORP\\bob',
    },
  },
};

describe.each(STORE_KINDS)('pipeline on %s', (kind) => {
  let ctx: ServiceContext;
  beforeAll(async () => {
    ctx = await openTestContext(kind);
  }, 60_000);
  afterAll(async () => {
    await closeTestContext(ctx);
  });

  it('stores accepted events, dead-letters bad ones and raises an alert once per rule and event', async () => {
    const text = JSON.stringify(ENCODED_POWERSHELL);
    const result = await ctx.ingest.ingestJson(
      [
        { line: 1, text, value: ENCODED_POWERSHELL },
        { line: 2, text: '{oops', error: 'invalid JSON' },
        { line: 3, text: '42', value: 42 },
      ],
      'http',
    );
    expect(result.accepted).toBe(1);
    expect(result.rejected).toBe(2);
    expect(result.items[1]).toEqual({ error: 'invalid JSON', line: 2 });
    await detected(ctx);
    const stored = await ctx.events.get((result.items[0] as { id: number }).id);
    expect(stored?.original).toBe(text);
    expect(stored?.timestamp).toBe('2026-11-20T10:00:00.000Z');
    expect(await ctx.deadLetters.count()).toBe(2);
    const { alerts } = await listAlerts(ctx.database.db, { sort: 'created_at', order: 'desc', limit: 50 });
    expect(alerts.map((a) => (a.rule as { id: string }).id)).toEqual([
      '2d0b67a4-e672-4f47-80d6-ea4886b6c27f',
    ]);
    expect(alerts[0]).toMatchObject({ event_count: 1, status: 'new', host: { name: 'WS-01' } });
  });
});
