import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IncidentService } from '../../src/incidents/service.js';
import type { Incident, IncidentChange, RiskEntityType } from '../../src/incidents/types.js';
import type { ServiceContext } from '../../src/service/vigil.js';
import { type AlertChange, getAlert, listAlerts } from '../../src/store/alerts.js';
import { closeTestContext, openTestContext, STORE_KINDS } from '../helpers/service.js';
import { encodedPs, ingest, shadowDelete } from './events.js';

describe.each(STORE_KINDS)('incident severity from entity risk, and risk incidents, on %s', (kind) => {
  let ctx: ServiceContext;
  let service: IncidentService;
  const published: [IncidentChange, Incident][] = [];
  const asked: { type: RiskEntityType; value: string }[][] = [];
  /** The risk contract: scores by `type:value`. */
  const scores = new Map<string, number>([['host:WS-R', 92]]);

  beforeAll(async () => {
    // Window 0: the pipeline's own grouping opens nothing; this test drives its own service.
    // Automatic risk incidents are tested in test/server/risk.test.ts; here they would add incidents.
    ctx = await openTestContext(kind, { VIGIL_INCIDENT_WINDOW_MS: '0', VIGIL_RISK_THRESHOLD: '1000000' });
    service = new IncidentService(ctx.database, {
      windowMs: 3_600_000,
      // Critical from 2.5 × 36 = 90.
      riskThreshold: 36,
      riskOf: async (_trx, entities) => {
        asked.push([...entities]);
        return new Map(
          entities.flatMap((e) =>
            scores.has(`${e.type}:${e.value}`)
              ? [[`${e.type}:${e.value}`, scores.get(`${e.type}:${e.value}`)!]]
              : [],
          ),
        );
      },
      publish: (change, incident) => published.push([change, incident]),
    });
  }, 60_000);
  afterAll(async () => {
    await closeTestContext(ctx);
  });

  const alertsOn = async (host: string) =>
    (await listAlerts(ctx.database.db, { host, sort: 'created_at', order: 'asc', limit: 100 })).alerts;
  const created = async (ids: readonly number[]): Promise<AlertChange[]> => {
    const out: AlertChange[] = [];
    for (const id of ids) out.push({ kind: 'created', alert: (await getAlert(ctx.database.db, id))! });
    return out;
  };

  it('with a grouping window of 0, alerts open no incidents', async () => {
    await ingest(ctx, [encodedPs('WS-R', '10:00:00', 'rob'), encodedPs('WS-M', '10:00:00', 'mallory')]);
    expect((await alertsOn('WS-R')).length).toBe(1);
    expect((await ctx.incidents.list({ sort: 'created_at', order: 'desc', limit: 10 })).incidents).toEqual(
      [],
    );
  });

  it('raises severity to critical when an entity risk is 2.5 × the threshold or more, and says why in the timeline', async () => {
    const changes = await created((await alertsOn('WS-R')).map((a) => a.id));
    const done = await ctx.database.db
      .transaction()
      .execute((trx) => service.groupingHook(trx, changes, new Date()));
    expect(published).toEqual([]); // nothing before the commit
    done?.();
    await new Promise((r) => setTimeout(r, 0));
    expect(published.map(([c, i]) => [c, i.severity, i.risk_score])).toEqual([['created', 'critical', 92]]);
    expect(asked.at(-1)).toEqual(
      expect.arrayContaining([
        { type: 'host', value: 'WS-R' },
        { type: 'user', value: 'rob' },
      ]),
    );
    const id = published[0]![1].id;
    const timeline = (await service.timeline(id, 100)).timeline;
    expect(timeline.map((e) => e.kind)).toEqual(['created', 'alert_added', 'severity_changed']);
    expect(timeline[2]!.details).toEqual({ from: 'high', to: 'critical', reason: 'risk', risk_score: 92 });
  });

  it('opens a risk incident for an entity crossing its threshold, then updates it on the next crossing', async () => {
    await ingest(ctx, [shadowDelete('WS-M', '10:10:00', 'mallory')]);
    const mallory = (await alertsOn('WS-M')).map((a) => a.id);
    expect(mallory).toHaveLength(2);
    const first = await ctx.database.db
      .transaction()
      .execute((trx) =>
        service.raiseRiskIncident(
          trx,
          { entity: { type: 'user', value: 'mallory' }, score: 87, threshold: 80, alertIds: mallory },
          new Date(),
        ),
      );
    expect(first.created).toBe(true);
    expect(first.linkedAlertIds).toEqual(mallory);
    expect(first.incident).toMatchObject({
      kind: 'risk',
      title: 'Risk threshold crossed: user mallory (score 87)',
      severity: 'high',
      status: 'open',
      alert_count: 2,
      risk_score: 87,
      created_by: 'system',
    });
    expect(first.incident.entities).toEqual(expect.arrayContaining([{ type: 'user', value: 'mallory' }]));
    const before = published.length;
    first.publish();
    expect(published.slice(before).map(([c, i]) => [c, i.id])).toEqual([['created', first.incident.id]]);

    // The next crossing: a higher score and an alert that already belongs to another incident.
    const robAlert = (await alertsOn('WS-R'))[0]!.id;
    const robIncident = published[0]![1].id;
    const second = await ctx.database.db.transaction().execute((trx) =>
      service.raiseRiskIncident(
        trx,
        {
          entity: { type: 'user', value: 'mallory' },
          score: 95,
          threshold: 80,
          alertIds: [...mallory, robAlert],
        },
        new Date(),
      ),
    );
    expect(second.created).toBe(false);
    expect(second.incident.id).toBe(first.incident.id);
    expect(second.linkedAlertIds).toEqual([]);
    // The service's threshold (36) sets severity by risk: 95 ≥ 2.5 × 36.
    expect(second.incident).toMatchObject({ severity: 'critical', risk_score: 95, alert_count: 2 });
    const timeline = (await service.timeline(second.incident.id, 100)).timeline;
    expect(timeline.filter((e) => e.kind === 'risk_threshold').map((e) => e.details)).toEqual([
      {
        entity: { type: 'user', value: 'mallory' },
        score: 87,
        threshold: 80,
        alert_ids: mallory,
        related: [],
      },
      {
        entity: { type: 'user', value: 'mallory' },
        score: 95,
        threshold: 80,
        alert_ids: [],
        related: [{ alert_id: robAlert, incident_id: robIncident }],
      },
    ]);
  });

  it('leaves alerts a risk incident took in the same transaction where they are', async () => {
    await ingest(ctx, [encodedPs('WS-M', '11:30:00', 'mallory')]);
    const fresh = (await alertsOn('WS-M')).at(-1)!.id;
    const risk = (await service.list({ kind: 'risk', sort: 'created_at', order: 'desc', limit: 1 }))
      .incidents[0]!;
    const changes = await created([fresh]); // before the transaction: PGlite has one connection
    await ctx.database.db.transaction().execute(async (trx) => {
      await service.raiseRiskIncident(
        trx,
        { entity: { type: 'user', value: 'mallory' }, score: 96, threshold: 80, alertIds: [fresh] },
        new Date(),
      );
      await service.groupingHook(trx, changes, new Date());
    });
    expect((await service.get(risk.id)).alert_count).toBe(3);
    expect(
      (await service.list({ kind: 'alerts', sort: 'created_at', order: 'desc', limit: 10 })).incidents,
    ).toHaveLength(1);
  });
});
