import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Incident } from '../../src/incidents/types.js';
import type { ServiceContext } from '../../src/service/vigil.js';
import { type AlertChange, getAlert, listAlerts } from '../../src/store/alerts.js';
import { closeTestContext, openTestContext, STORE_KINDS } from '../helpers/service.js';
import { encodedPs, ingest, shadowDelete } from './events.js';

const HOUR = 3_600_000;

describe.each(STORE_KINDS)('automatic grouping of alerts into incidents on %s', (kind) => {
  let ctx: ServiceContext;
  beforeAll(async () => {
    // Automatic risk incidents are tested in test/server/risk.test.ts; here they would add incidents.
    ctx = await openTestContext(kind, {
      VIGIL_RISK_THRESHOLD: '1000000',
      VIGIL_INCIDENT_WINDOW_MS: String(HOUR),
      VIGIL_SUPPRESS_MS: String(HOUR),
    });
  }, 60_000);
  afterAll(async () => {
    await closeTestContext(ctx);
  });

  const all = async (): Promise<Incident[]> =>
    (await ctx.incidents.list({ sort: 'created_at', order: 'asc', limit: 100 })).incidents;
  const byEntity = async (type: string, value: string): Promise<Incident[]> =>
    (await ctx.incidents.list({ entity: { type, value }, sort: 'created_at', order: 'asc', limit: 100 }))
      .incidents;
  const alertIds = async (incidentId: number): Promise<number[]> =>
    (
      await listAlerts(ctx.database.db, { incidentId, sort: 'created_at', order: 'asc', limit: 100 })
    ).alerts.map((a) => a.id);

  it('puts alerts sharing a host into one incident and another host into a second one', async () => {
    await ingest(ctx, [
      encodedPs('WS-A', '10:00:00', 'alice'),
      encodedPs('WS-B', '10:01:00', 'bob'),
      shadowDelete('WS-A', '10:05:00', 'alice'),
    ]);
    const incidents = await all();
    expect(incidents).toHaveLength(2);
    const [a, b] = incidents as [Incident, Incident];
    expect(a).toMatchObject({
      kind: 'alerts',
      status: 'open',
      severity: 'high',
      title: 'PowerShell Started with an Encoded Command on host WS-A',
      alert_count: 2,
      event_count: 2,
      first_seen: '2026-11-20T10:00:00.000Z',
      last_seen: '2026-11-20T10:05:00.000Z',
      created_by: 'system',
      acknowledged_at: null,
    });
    expect(a.entities).toEqual(
      expect.arrayContaining([
        { type: 'host', value: 'WS-A' },
        { type: 'user', value: 'alice' },
      ]),
    );
    expect(b).toMatchObject({
      alert_count: 1,
      title: 'PowerShell Started with an Encoded Command on host WS-B',
    });
    expect(a.first_alert_at).toBe(a.created_at);
    expect(a.mttd_ms).toBe(Date.parse(a.first_alert_at!) - Date.parse('2026-11-20T10:00:00Z'));

    const timeline = (await ctx.incidents.timeline(a.id, 100)).timeline;
    expect(timeline.map((e) => e.kind)).toEqual(['created', 'alert_added', 'alert_added']);
    expect(timeline.every((e) => e.actor === 'system')).toBe(true);
    expect(timeline[2]!.details).toMatchObject({
      rule_title: 'Volume Shadow Copies or Backup Catalog Deleted',
    });
    const audit = await ctx.database.db
      .selectFrom('audit_log')
      .select(['actor', 'target'])
      .where('action', '=', 'incident.create')
      .orderBy('id')
      .execute();
    expect(audit).toEqual([
      { actor: 'system', target: String(a.id) },
      { actor: 'system', target: String(b.id) },
    ]);
  });

  it('folds a suppressed repeat into its incident, and opens a new incident outside the window', async () => {
    const [a] = await byEntity('host', 'WS-A');
    await ingest(ctx, [encodedPs('WS-A', '10:20:00', 'alice')]);
    const after = (await ctx.incidents.get(a!.id))!;
    expect(after).toMatchObject({ alert_count: 2, event_count: 3, last_seen: '2026-11-20T10:20:00.000Z' });

    await ingest(ctx, [shadowDelete('WS-A', '13:00:00', 'alice')]);
    const onA = await byEntity('host', 'WS-A');
    expect(onA.map((i) => i.alert_count)).toEqual([2, 1]);
    expect(onA[1]!.first_seen).toBe('2026-11-20T13:00:00.000Z');
  });

  it('joins the most recently active incident when an alert matches several (by host and by user)', async () => {
    await ingest(ctx, [encodedPs('WS-X1', '14:00:00', 'pat')]);
    await ingest(ctx, [encodedPs('WS-X2', '13:50:00', 'quinn')]);
    const [x] = await byEntity('host', 'WS-X1');
    const [y] = await byEntity('host', 'WS-X2');
    expect(y!.id).toBeGreaterThan(x!.id);
    // Host WS-X1 is in x (last seen 14:00), user quinn in y (opened later, but last seen 13:50):
    // x is the more recently active.
    await ingest(ctx, [shadowDelete('WS-X1', '14:20:00', 'quinn')]);
    expect((await ctx.incidents.get(y!.id)).alert_count).toBe(1);
    const joined = await ctx.incidents.get(x!.id);
    expect(joined.alert_count).toBe(2);
    expect(joined.entities).toEqual(expect.arrayContaining([{ type: 'user', value: 'quinn' }]));
  });

  it('does not add alerts to a closed incident; closing resolved its open alerts', async () => {
    const [y] = await byEntity('host', 'WS-X2');
    const closed = await ctx.incidents.update(y!.id, { status: 'resolved' }, { name: 'user:test', ip: null });
    expect(closed.status).toBe('resolved');
    for (const id of await alertIds(y!.id)) {
      const alert = (await getAlert(ctx.database.db, id))!;
      expect(alert.status).toBe('resolved');
      expect(alert.history.at(-1)).toMatchObject({ actor: 'user:test', status: 'resolved' });
    }
    await ingest(ctx, [encodedPs('WS-X2', '14:30:00', 'rita')]);
    const onX2 = await byEntity('host', 'WS-X2');
    expect(onX2).toHaveLength(2);
    expect(onX2[1]).toMatchObject({ status: 'open', alert_count: 1 });
  });

  it('links an alert at most once: replaying a batch through the hook changes nothing', async () => {
    const before = await all();
    const [a] = before;
    const ids = await alertIds(a!.id);
    const changes: AlertChange[] = [];
    for (const id of ids) changes.push({ kind: 'created', alert: (await getAlert(ctx.database.db, id))! });
    const timelineBefore = (await ctx.incidents.timeline(a!.id, 1000)).timeline.length;
    await ctx.database.db.transaction().execute(async (trx) => {
      await ctx.incidents.groupingHook(trx, changes, new Date());
    });
    const after = await all();
    expect(after.map((i) => [i.id, i.alert_count, i.event_count])).toEqual(
      before.map((i) => [i.id, i.alert_count, i.event_count]),
    );
    expect((await ctx.incidents.timeline(a!.id, 1000)).timeline.length).toBe(timelineBefore);
  });

  it('keeps the timeline append-only in the database itself', async () => {
    await expect(
      ctx.database.db.updateTable('incident_timeline').set({ actor: 'forged' }).execute(),
    ).rejects.toThrow(/append-only/);
    await expect(ctx.database.db.deleteFrom('incident_timeline').execute()).rejects.toThrow(/append-only/);
  });
});
