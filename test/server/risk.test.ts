import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApi } from '../../src/server/app.js';
import type { ServiceContext } from '../../src/service/vigil.js';
import {
  encodedPowerShell,
  ENCODED_PS_RULE,
  ndjson,
  notepad,
  sysmonProcess,
} from '../fixtures/service/events.js';
import { seedAccounts, type TestAccounts } from '../helpers/auth.js';
import { closeTestContext, detected, openTestContext, STORE_KINDS } from '../helpers/service.js';
import { jsonCaller, type Json } from '../helpers/inject.js';

/** Vigil's rule "Volume Shadow Copies or Backup Catalog Deleted" (status test, level high, TA0040). */
const SHADOW_COPY_RULE = '46489960-92ab-4219-835e-ee5ab6786130';

function shadowCopyDeletion(host: string, time: string): Record<string, unknown> {
  return sysmonProcess({
    host,
    time,
    image: 'C:\\Windows\\System32\\vssadmin.exe',
    commandLine: 'vssadmin.exe delete shadows /all /quiet',
  });
}

describe.each(STORE_KINDS)('risk API on %s', (kind) => {
  let ctx: ServiceContext;
  let app: FastifyInstance;
  let accounts: TestAccounts;
  const call = jsonCaller(
    () => app,
    () => accounts.viewer,
  );

  beforeAll(async () => {
    ctx = await openTestContext(kind);
    accounts = await seedAccounts(ctx);
    app = await buildApi(ctx);
    // Through the real pipeline: ingest, store, detect with Vigil's pack, the risk hook.
    const r = await call(
      'POST',
      '/api/v1/events',
      ndjson([
        encodedPowerShell('WS-07', '2026-11-20T10:00:00Z'),
        notepad('WS-07', '2026-11-20T10:01:00Z'),
        shadowCopyDeletion('WS-07', '2026-11-20T10:05:00Z'),
        encodedPowerShell('WS-08', '2026-11-20T11:00:00Z'),
      ]),
      { authorization: accounts.ingestKey.bearer, 'content-type': 'application/x-ndjson' },
    );
    expect(r.body).toMatchObject({ accepted: 4, rejected: 0 });
    await detected(ctx);
  }, 60_000);
  afterAll(async () => {
    await app.close();
    await closeTestContext(ctx);
  });

  it('lists the riskiest host first and explains its score by its alerts', async () => {
    const r = await call('GET', '/api/v1/risk/entities?type=host');
    expect(r.status).toBe(200);
    const [top, second] = r.body.entities as Json[];
    expect(top).toMatchObject({
      type: 'host',
      value: 'WS-07',
      level: 'high',
      threshold: 100,
      crossed: true,
      alerts: 2,
      repeats: 0,
      tactics: ['TA0002', 'TA0005', 'TA0040'],
      first_seen: '2026-11-20T10:00:00.000Z',
      last_seen: '2026-11-20T10:05:00.000Z',
      remainder: { alerts: 0, points_now: 0 },
    });
    expect(second).toMatchObject({ type: 'host', value: 'WS-08', crossed: false, alerts: 1 });
    // Shadow copy deletion brought a new tactic (impact): × 1.5. Both rules are `test` (× 0.8),
    // level high (73 points).
    const [impact, execution] = top!.contributions as Json[];
    expect(impact).toMatchObject({
      rule: { id: SHADOW_COPY_RULE, name: 'Volume Shadow Copies or Backup Catalog Deleted' },
      level: 'high',
      status: 'test',
      tactics: ['TA0040'],
      new_tactics: ['TA0040'],
      base: 73,
      multipliers: { status: 0.8, diversity: 1.5, repetition: 1 },
      points: 87.6,
    });
    expect(execution).toMatchObject({
      rule: { id: ENCODED_PS_RULE },
      tactics: ['TA0002', 'TA0005'],
      new_tactics: [],
      multipliers: { status: 0.8, diversity: 1, repetition: 1 },
      points: 58.4,
    });
    expect(top!.score).toBeCloseTo(146, 1);
    expect(top!.score).toBeCloseTo(impact!.points_now + execution!.points_now, 1);
    // The contributions name the alerts the alert API serves.
    const alert = await call('GET', `/api/v1/alerts/${impact!.alert_id as number}`);
    expect(alert.body.rule.id).toBe(SHADOW_COPY_RULE);
    expect(alert.body.host.name).toBe('WS-07');
  });

  it("raises a risk incident for the host that crossed, after its alerts joined the host's incident", async () => {
    const r = await call('GET', '/api/v1/incidents?limit=50');
    expect(r.status).toBe(200);
    const incidents = r.body.incidents as Json[];
    const risk = incidents.filter((i) => i.kind === 'risk');
    // WS-07 (146 points) and the user of all four events, bob (both hosts' alerts), crossed 100.
    expect(risk.map((i) => i.title).sort()).toEqual([
      'Risk threshold crossed: host WS-07 (score 146)',
      'Risk threshold crossed: user bob (score 167)',
    ]);
    const host = risk.find((i) => String(i.title).includes('WS-07'))!;
    // The alerts stay in the entities' incident, whose risk follows its riskiest entity (bob,
    // 167): at or above the threshold (100) and below 2.5 × it, severity high.
    const ws07 = incidents.find((i) => i.kind === 'alerts' && JSON.stringify(i.entities).includes('WS-07'))!;
    expect(ws07).toMatchObject({ severity: 'high' });
    expect(ws07.risk_score).toBeCloseTo(166.6, 0);
    const timeline = await call('GET', `/api/v1/incidents/${host.id}/timeline`);
    const entry = (timeline.body.timeline as Json[]).find((e) => e.kind === 'risk_threshold')!;
    expect(entry.details).toMatchObject({ entity: { type: 'host', value: 'WS-07' }, threshold: 100 });
    expect((entry.details.related as Json[]).map((x) => x.incident_id)).toEqual([ws07.id, ws07.id]);
    // WS-08 (one alert, 58 points) stays below the threshold: no risk incident.
    expect(risk.some((i) => String(i.title).includes('WS-08'))).toBe(false);
  });

  it('counts the crossing in the metrics', async () => {
    const text = await ctx.metrics.registry.getSingleMetricAsString('vigil_risk_crossings_total');
    expect(text).toMatch(/vigil_risk_crossings_total\{type="host"\} 1\b/);
  });

  it('filters by min_score and pages with a cursor', async () => {
    const over100 = await call('GET', '/api/v1/risk/entities?min_score=100');
    expect(over100.body.entities.map((e: Json) => `${e.type}:${e.value}`)).toContain('host:WS-07');
    expect(over100.body.entities.every((e: Json) => e.score >= 100)).toBe(true);
    const all = (await call('GET', '/api/v1/risk/entities?contributions=0')).body.entities as Json[];
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await call(
        'GET',
        `/api/v1/risk/entities?limit=1&contributions=0${cursor ? `&cursor=${cursor}` : ''}`,
      );
      expect(page.body.entities).toHaveLength(1);
      seen.push(`${page.body.entities[0].type}:${page.body.entities[0].value}`);
      cursor = page.body.next;
    } while (cursor);
    expect(seen).toEqual(all.map((e) => `${e.type}:${e.value}`));
    expect(all.map((e) => e.score)).toEqual([...all.map((e) => e.score)].sort((a, b) => b - a));
    expect(all.every((e) => e.contributions.length === 0 && e.remainder.alerts === e.alerts)).toBe(true);
  });

  it('gets one entity, 404 for one without risk, 400 for a bad type or cursor', async () => {
    const one = await call('GET', '/api/v1/risk/entities/host/WS-07');
    expect(one.status).toBe(200);
    expect(one.body.contributions).toHaveLength(2);
    const missing = await call('GET', '/api/v1/risk/entities/host/NOPE');
    expect(missing.status).toBe(404);
    expect(missing.body.code).toBe('VIGIL_ERR_NOT_FOUND');
    expect((await call('GET', '/api/v1/risk/entities/printer/x')).status).toBe(400);
    const bad = await call('GET', '/api/v1/risk/entities?cursor=nope');
    expect(bad.status).toBe(400);
    expect(bad.body.code).toBe('VIGIL_ERR_BAD_REQUEST');
  });

  it('lets a viewer read, refuses an ingest-only key (403) and anonymous callers (401)', async () => {
    expect((await call('GET', '/api/v1/risk/entities')).status).toBe(200);
    for (const url of ['/api/v1/risk/entities', '/api/v1/risk/entities/host/WS-07']) {
      const anonymous = await call('GET', url, undefined, { authorization: '' });
      expect(anonymous.status).toBe(401);
      const key = await call('GET', url, undefined, { authorization: accounts.ingestKey.bearer });
      expect(key.status).toBe(403);
      expect(key.body.code).toBe('VIGIL_ERR_FORBIDDEN');
    }
  });

  it('documents the routes in OpenAPI', async () => {
    const doc = (await call('GET', '/openapi.json')).body;
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(['/api/v1/risk/entities', '/api/v1/risk/entities/{type}/{value}']),
    );
  });
});
