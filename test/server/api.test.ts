import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApi } from '../../src/server/app.js';
import type { ServiceContext } from '../../src/service/vigil.js';
import {
  encodedPowerShell,
  ENCODED_PS_RULE,
  ndjson,
  notepad,
  deadLetterThatDecodes,
} from '../fixtures/service/events.js';
import { seedAccounts, type TestAccounts } from '../helpers/auth.js';
import { closeTestContext, detected, openTestContext, STORE_KINDS } from '../helpers/service.js';
import { jsonCaller, type Json } from '../helpers/inject.js';

const ND = { 'content-type': 'application/x-ndjson' };

describe.each(STORE_KINDS)('REST API on %s', (kind) => {
  let ctx: ServiceContext;
  let app: FastifyInstance;
  let accounts: TestAccounts;
  /** An analyst reads and triages; a shipper's API key (`ingest:write` only) posts events. */
  const call = jsonCaller(
    () => app,
    () => accounts.analyst,
  );
  const ingest = jsonCaller(
    () => app,
    () => accounts.ingestKey.bearer,
  );

  beforeAll(async () => {
    ctx = await openTestContext(kind, { VIGIL_MAX_BODY_BYTES: '65536' });
    accounts = await seedAccounts(ctx);
    app = await buildApi(ctx);
  }, 60_000);
  afterAll(async () => {
    await app.close();
    await closeTestContext(ctx);
  });

  describe('health', () => {
    it('answers /health and /ready', async () => {
      expect((await call('GET', '/health')).body).toEqual({ status: 'ok' });
      expect((await call('GET', '/ready')).body).toMatchObject({
        status: 'ready',
        database: true,
        pipeline: true,
      });
    });

    it('serves the OpenAPI document with every resource, and /docs', async () => {
      const doc = (await call('GET', '/openapi.json')).body;
      expect(doc.openapi).toBe('3.0.3');
      for (const path of [
        '/api/v1/events',
        '/api/v1/alerts',
        '/api/v1/alerts/{id}',
        '/api/v1/rules',
        '/api/v1/rules/retro-hunt',
        '/api/v1/filters',
        '/api/v1/dead-letters/{id}/replay',
        '/api/v1/stats',
      ])
        expect(Object.keys(doc.paths)).toContain(path);
      const ui = await app.inject({ method: 'GET', url: '/docs/' });
      expect(ui.statusCode).toBe(200);
      expect(ui.body).toContain('swagger');
    });
  });

  describe('access', () => {
    it('answers 401 with a Bearer challenge without credentials; health and docs stay public', async () => {
      for (const [method, url] of [
        ['GET', '/api/v1/alerts'],
        ['GET', '/api/v1/events'],
        ['POST', '/api/v1/events'],
        ['GET', '/api/v1/rules'],
        ['GET', '/api/v1/stats'],
      ] as const) {
        const r = await call(method, url, undefined, { authorization: '' });
        expect(r.status, `${method} ${url}`).toBe(401);
        expect(r.body).toMatchObject({ code: 'VIGIL_ERR_UNAUTHORIZED', status: 401 });
        expect(r.headers['www-authenticate']).toBe('Bearer realm="vigil"');
      }
      expect((await call('GET', '/health', undefined, { authorization: '' })).status).toBe(200);
      expect((await call('GET', '/openapi.json', undefined, { authorization: '' })).status).toBe(200);
      const forged = await call('GET', '/api/v1/alerts', undefined, { authorization: 'Bearer not.a.jwt' });
      expect(forged.status).toBe(401);
    });

    it('answers 403 without the permission: viewers read only, keys only ingest, analysts do not ingest', async () => {
      const as = (authorization: string) => ({ authorization });
      const viewer = as(accounts.viewer);
      expect((await call('GET', '/api/v1/alerts', undefined, viewer)).status).toBe(200);
      for (const [method, url, headers] of [
        ['PATCH', '/api/v1/alerts/1', viewer],
        ['POST', '/api/v1/rules', viewer],
        ['POST', '/api/v1/events', viewer],
        ['POST', '/api/v1/events', as(accounts.analyst)],
        ['GET', '/api/v1/alerts', as(accounts.ingestKey.bearer)],
        ['GET', '/api/v1/events', as(accounts.ingestKey.apiKey)],
      ] as const) {
        const r = await call(method, url, method === 'GET' ? undefined : {}, headers);
        expect(r.status, `${method} ${url}`).toBe(403);
        expect(r.body.code).toBe('VIGIL_ERR_FORBIDDEN');
      }
      // Basic is for ingest (log shippers) only.
      const basic = await call('GET', '/api/v1/alerts', undefined, as(accounts.ingestKey.basic));
      expect(basic.status).toBe(401);
    });
  });

  describe('POST /api/v1/events', () => {
    it('takes a JSON object, a JSON array and NDJSON', async () => {
      const one = await ingest(
        'POST',
        '/api/v1/events',
        JSON.stringify(notepad('H1', '2026-11-20T01:00:00Z')),
        {
          'content-type': 'application/json',
        },
      );
      expect(one.body).toMatchObject({ accepted: 1, rejected: 0 });
      const arr = await ingest(
        'POST',
        '/api/v1/events',
        JSON.stringify([notepad('H1', '2026-11-20T01:01:00Z'), notepad('H2', '2026-11-20T01:02:00Z')]),
        { 'content-type': 'application/json' },
      );
      expect(arr.body).toMatchObject({ accepted: 2, rejected: 0 });
      expect(arr.body.ids).toEqual([one.body.ids[0] + 1, one.body.ids[0] + 2]);
    });

    it('keeps good NDJSON lines and reports bad ones with their line numbers as dead letters', async () => {
      const body = `${JSON.stringify(notepad('H3', '2026-11-20T01:03:00Z'))}\n{"broken": \n\n[1,2]\n`;
      const r = await ingest('POST', '/api/v1/events', body, ND);
      expect(r.status).toBe(200);
      expect(r.body.accepted).toBe(1);
      expect(r.body.errors).toEqual([
        { line: 2, reason: expect.stringContaining('invalid JSON') },
        { line: 4, reason: 'not a JSON object' },
      ]);
      const dl = (await call('GET', '/api/v1/dead-letters?limit=2')).body.dead_letters;
      expect(dl.map((d: Json) => [d.line, d.raw])).toEqual([
        [4, '[1,2]'],
        [2, '{"broken":'],
      ]);
    });

    it('answers 400 for a JSON document that does not parse, 413 over the size limit, 415 for other types', async () => {
      const bad = await ingest('POST', '/api/v1/events', '{"a":', { 'content-type': 'application/json' });
      expect(bad.status).toBe(400);
      expect(bad.body.code).toBe('VIGIL_ERR_INPUT_LINE');
      const big = await ingest('POST', '/api/v1/events', `{"x":"${'a'.repeat(70_000)}"}`, ND);
      expect(big.status).toBe(413);
      expect(big.body.code).toBe('VIGIL_ERR_PAYLOAD_TOO_LARGE');
      expect(big.headers['content-type']).toContain('application/problem+json');
      const xml = await ingest('POST', '/api/v1/events', '<e/>', { 'content-type': 'application/xml' });
      expect(xml.status).toBe(415);
      expect(xml.body.code).toBe('VIGIL_ERR_UNSUPPORTED_MEDIA_TYPE');
    });
  });

  describe('alerts', () => {
    let alertId: number;

    it('raises an alert for a matching event, with evidence and the match explanation', async () => {
      const r = await ingest(
        'POST',
        '/api/v1/events',
        ndjson([encodedPowerShell('WS-A', '2026-11-20T02:00:00Z')]),
        ND,
      );
      await detected(ctx);
      const list = (await call('GET', `/api/v1/alerts?rule=${ENCODED_PS_RULE}&host=WS-A`)).body.alerts;
      expect(list).toHaveLength(1);
      alertId = list[0].id;
      const alert = (await call('GET', `/api/v1/alerts/${alertId}`)).body;
      expect(alert).toMatchObject({
        status: 'new',
        event_count: 1,
        rule: { id: ENCODED_PS_RULE, level: 'high' },
        host: { name: 'WS-A' },
        threat: { technique: { id: expect.arrayContaining(['T1059']) } },
        vigil: { event_id: r.body.ids[0], match: { selections: ['selection_image', 'selection_encoded'] } },
      });
      expect(alert.evidence).toHaveLength(1);
      expect(JSON.parse(alert.evidence[0].original)).toEqual(
        encodedPowerShell('WS-A', '2026-11-20T02:00:00Z'),
      );
    });

    it('folds a repeat on the same entity within the window into the open alert', async () => {
      await ingest('POST', '/api/v1/events', ndjson([encodedPowerShell('WS-A', '2026-11-20T02:10:00Z')]), ND);
      await ingest('POST', '/api/v1/events', ndjson([encodedPowerShell('WS-B', '2026-11-20T02:10:00Z')]), ND);
      await detected(ctx);
      const a = (await call('GET', `/api/v1/alerts/${alertId}`)).body;
      expect(a.event_count).toBe(2);
      expect(a.evidence).toHaveLength(2);
      expect(a.last_seen).toBe('2026-11-20T02:10:00.000Z');
      expect(
        (await call('GET', `/api/v1/alerts?rule=${ENCODED_PS_RULE}&host=WS-B`)).body.alerts,
      ).toHaveLength(1);
    });

    it('filters by ATT&CK technique and level, and pages with a cursor', async () => {
      const byTech = (await call('GET', '/api/v1/alerts?attack=T1059.001')).body.alerts;
      expect(byTech.length).toBe(2);
      expect((await call('GET', '/api/v1/alerts?attack=T1003')).body.alerts).toHaveLength(0);
      const p1 = (await call('GET', '/api/v1/alerts?level=high&limit=1')).body;
      expect(p1.alerts).toHaveLength(1);
      const p2 = (await call('GET', `/api/v1/alerts?level=high&limit=1&cursor=${p1.next}`)).body;
      expect(p2.alerts[0].id).toBeLessThan(p1.alerts[0].id);
      expect((await call('GET', '/api/v1/alerts?cursor=garbage')).status).toBe(400);
      expect((await call('GET', '/api/v1/alerts?level=severe')).status).toBe(400);
    });

    it('updates the status with a comment, keeps the history and audits it', async () => {
      const r = await call('PATCH', `/api/v1/alerts/${alertId}`, {
        status: 'acknowledged',
        comment: 'looking',
      });
      expect(r.status).toBe(200);
      expect(r.body.status).toBe('acknowledged');
      const a = (await call('GET', `/api/v1/alerts/${alertId}`)).body;
      expect(a.history).toEqual([
        { at: expect.any(String), actor: 'user:analyst', status: 'acknowledged', comment: 'looking' },
      ]);
      const audit = await ctx.database.db
        .selectFrom('audit_log')
        .selectAll()
        .where('action', '=', 'alert.update')
        .execute();
      expect(audit.map((e) => e.target)).toContain(String(alertId));
      const entry = audit.find((e) => e.target === String(alertId))!;
      expect(entry).toMatchObject({
        actor: 'user:analyst',
        actor_ip: '127.0.0.1',
        outcome: 'success',
        before: { status: 'new' },
        after: { status: 'acknowledged' },
        details: { comment: 'looking' },
        prev_hash: expect.stringMatching(/^[0-9a-f]{64}$/),
        hash: expect.stringMatching(/^[0-9a-f]{64}$/),
      });
      expect((await call('PATCH', '/api/v1/alerts/999999', { status: 'resolved' })).status).toBe(404);
      expect((await call('PATCH', `/api/v1/alerts/${alertId}`, { status: 'done' })).status).toBe(400);
    });
  });

  describe('events search', () => {
    it('searches by time range, ECS field and text, newest first, with a cursor', async () => {
      const base = '/api/v1/events?from=2026-11-20T00:00:00Z&to=2026-11-21T00:00:00Z';
      const h1 = (await call('GET', `${base}&filter=host.name:H1`)).body.events;
      expect(h1.map((e: Json) => e.timestamp)).toEqual([
        '2026-11-20T01:01:00.000Z',
        '2026-11-20T01:00:00.000Z',
      ]);
      const text = (await call('GET', `${base}&q=SQBFAFgA&limit=2`)).body;
      expect(text.events.every((e: Json) => e.original.includes('SQBFAFgA'))).toBe(true);
      const more = (await call('GET', `${base}&q=SQBFAFgA&limit=2&cursor=${text.next}`)).body;
      expect(more.events).toHaveLength(1);
      const one = (await call('GET', `/api/v1/events/${h1[0].id}`)).body;
      expect(one.ecs.host.name).toBe('H1');
      expect((await call('GET', '/api/v1/events/999999')).status).toBe(404);
      expect((await call('GET', `${base}&filter=nocolon`)).status).toBe(400);
    });
  });

  describe('rules', () => {
    const RULE = `title: Notepad opened a notes file
id: 11111111-2222-3333-4444-555555555555
status: test
level: low
tags: [attack.t1005]
logsource: { product: windows, category: process_creation }
detection:
  selection: { Image|endswith: '\\notepad.exe', CommandLine|contains: 'notes.txt' }
  condition: selection
`;
    const RULE_ID = '11111111-2222-3333-4444-555555555555';
    const YAML = { 'content-type': 'application/yaml' };

    it('lists rules with diagnostics and gets one', async () => {
      const r = (await call('GET', '/api/v1/rules')).body;
      expect(r.active).toBeGreaterThan(30);
      expect(r.rules.find((x: Json) => x.id === ENCODED_PS_RULE)).toMatchObject({
        origin: 'file',
        enabled: true,
        active: true,
      });
      expect((await call('GET', `/api/v1/rules/${ENCODED_PS_RULE}`)).body.rule.title).toContain('Encoded');
      expect((await call('GET', '/api/v1/rules/nope')).status).toBe(404);
    });

    it('rejects invalid YAML and invalid Sigma with a 400 naming the problem', async () => {
      const y = await call('POST', '/api/v1/rules', 'title: [unclosed', YAML);
      expect(y.status).toBe(400);
      const s = await call(
        'POST',
        '/api/v1/rules',
        RULE.replace('condition: selection', 'condition: selection and nothing'),
        YAML,
      );
      expect(s.status).toBe(400);
      expect(s.body.detail).toMatch(/nothing/);
    });

    it('applies an uploaded rule to new events without a restart, and a disabled rule stops matching', async () => {
      expect((await call('POST', '/api/v1/rules', RULE, YAML)).status).toBe(201);
      await ingest('POST', '/api/v1/events', ndjson([notepad('WS-N', '2026-11-20T03:00:00Z')]), ND);
      await detected(ctx);
      expect((await call('GET', `/api/v1/alerts?rule=${RULE_ID}&host=WS-N`)).body.alerts).toHaveLength(1);
      expect((await call('PATCH', `/api/v1/rules/${RULE_ID}`, { enabled: false })).body.enabled).toBe(false);
      await ingest('POST', '/api/v1/events', ndjson([notepad('WS-M', '2026-11-20T03:01:00Z')]), ND);
      await detected(ctx);
      expect((await call('GET', `/api/v1/alerts?rule=${RULE_ID}&host=WS-M`)).body.alerts).toHaveLength(0);
      await call('PATCH', `/api/v1/rules/${RULE_ID}`, { enabled: true });
    });

    it('suppresses false positives with a Sigma filter, and lifts it when disabled', async () => {
      const FILTER = `title: Notepad on the kiosk is expected
id: kiosk-notepad
logsource: { product: windows, category: process_creation }
filter:
  rules: [${RULE_ID}]
  selection: { Computer: WS-KIOSK }
  condition: selection
`;
      const f = await call('POST', '/api/v1/filters', FILTER, YAML);
      expect(f.status).toBe(201);
      await ingest('POST', '/api/v1/events', ndjson([notepad('WS-KIOSK', '2026-11-20T04:00:00Z')]), ND);
      await detected(ctx);
      expect((await call('GET', `/api/v1/alerts?rule=${RULE_ID}&host=WS-KIOSK`)).body.alerts).toHaveLength(0);
      expect((await call('GET', '/api/v1/filters')).body.filters.map((x: Json) => x.id)).toEqual([
        'kiosk-notepad',
      ]);
      const off = await call('PATCH', '/api/v1/filters/kiosk-notepad', { enabled: false });
      expect(off.body).toMatchObject({ id: 'kiosk-notepad', enabled: false });
      await ingest('POST', '/api/v1/events', ndjson([notepad('WS-KIOSK', '2026-11-20T04:01:00Z')]), ND);
      await detected(ctx);
      expect((await call('GET', `/api/v1/alerts?rule=${RULE_ID}&host=WS-KIOSK`)).body.alerts).toHaveLength(1);
    });

    it('retro-hunts a rule over stored events in a time range', async () => {
      const r = await call('POST', '/api/v1/rules/retro-hunt', {
        yaml: RULE.replace('notes.txt', 'notes'),
        from: '2026-11-20T00:00:00Z',
        to: '2026-11-20T03:30:00Z',
      });
      expect(r.status).toBe(200);
      const hosts = r.body.matches.map((m: Json) => m.host.name).sort();
      expect(hosts).toEqual(['H1', 'H1', 'H2', 'H3', 'WS-M', 'WS-N']);
      expect(r.body.scanned).toBeGreaterThanOrEqual(hosts.length);
      const byId = await call('POST', '/api/v1/rules/retro-hunt', {
        rule_id: ENCODED_PS_RULE,
        from: '2026-11-20T02:00:00Z',
        to: '2026-11-20T02:05:00Z',
      });
      expect(byId.body.matches).toHaveLength(1);
    });
  });

  describe('dead letters', () => {
    it('replays a dead letter that now decodes, once; refuses one that still does not', async () => {
      await deadLetterThatDecodes(ctx, 'WS-R', '2026-11-20T05:00:00Z');
      const [fixed] = await ctx.deadLetters.list(1);
      const r = await call('POST', `/api/v1/dead-letters/${fixed!.id}/replay`);
      expect(r.status).toBe(200);
      expect((await call('GET', `/api/v1/events/${r.body.event_id}`)).body.ecs.host.name).toBe('WS-R');
      expect((await call('POST', `/api/v1/dead-letters/${fixed!.id}/replay`)).status).toBe(409);
      const still = (await ctx.deadLetters.list(100)).find((d) => d.raw === '[1,2]')!;
      const again = await call('POST', `/api/v1/dead-letters/${still.id}/replay`);
      expect(again.status).toBe(422);
      expect(again.body.detail).toBe('not a JSON object');
    });
  });

  describe('stats and metrics', () => {
    it('counts events and alerts per bucket, by level, rule and tactic', async () => {
      const s = (
        await call('GET', '/api/v1/stats?from=2026-11-20T00:00:00Z&to=2026-11-21T00:00:00Z&interval=1h')
      ).body;
      const events = await ctx.database.db
        .selectFrom('events')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('timestamp', '>=', new Date('2026-11-20T00:00:00Z'))
        .where('timestamp', '<', new Date('2026-11-21T00:00:00Z'))
        .executeTakeFirstOrThrow();
      expect(s.events.reduce((n: number, b: Json) => n + b.count, 0)).toBe(Number(events.n));
      expect(s.events[0].bucket).toBe('2026-11-20T01:00:00.000Z');
      expect(s.alerts_by_rule.find((x: Json) => x.key === ENCODED_PS_RULE).count).toBe(2);
      expect(s.alerts_by_tactic.map((x: Json) => x.key)).toContain('TA0002');
      expect(s.correlation).toMatchObject({ groups: expect.any(Number), late: 0, shedGroups: 0 });
      expect(
        (await call('GET', '/api/v1/stats?from=2026-11-21T00:00:00Z&to=2026-11-20T00:00:00Z')).status,
      ).toBe(400);
    });

    it('exposes Prometheus metrics', async () => {
      const m = await app.inject({ method: 'GET', url: '/metrics' });
      expect(m.body).toMatch(/vigil_events_ingested_total\{source="http"\} \d+/);
      expect(m.body).toMatch(/vigil_events_rejected_total\{source="http"\} 2/);
      expect(m.body).toMatch(/vigil_alerts_created_total\{level="high"\} 2/);
      expect(m.body).toContain('vigil_http_request_duration_seconds_bucket');
      expect(m.body).toContain('process_resident_memory_bytes');
    });

    it('answers unknown routes with a problem body, never a stack trace', async () => {
      const r = await call('GET', '/api/v1/nothing');
      expect(r.status).toBe(404);
      expect(r.body).toMatchObject({ code: 'VIGIL_ERR_NOT_FOUND', status: 404 });
      expect(JSON.stringify(r.body)).not.toContain('at ');
    });
  });
});
