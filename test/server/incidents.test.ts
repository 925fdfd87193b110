import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApi } from '../../src/server/app.js';
import type { ServiceContext } from '../../src/service/vigil.js';
import { ndjson } from '../fixtures/service/events.js';
import { type ApiKeyCredential, createKey, seedAccounts, type TestAccounts } from '../helpers/auth.js';
import { closeTestContext, detected, openTestContext, STORE_KINDS } from '../helpers/service.js';
import { type Json, jsonCaller } from '../helpers/inject.js';
import { encodedPs, shadowDelete } from '../incidents/events.js';

const ND = { 'content-type': 'application/x-ndjson' };

describe.each(STORE_KINDS)('/api/v1/incidents on %s', (kind) => {
  let ctx: ServiceContext;
  let app: FastifyInstance;
  let accounts: TestAccounts;
  let alertsOnly: ApiKeyCredential;
  /** An analyst works incidents; a viewer reads; a shipper's key posts events. */
  const call = jsonCaller(
    () => app,
    () => accounts.analyst,
  );
  const as = (who: keyof Omit<TestAccounts, 'ingestKey'>) => ({ authorization: accounts[who] });
  let a: Json; // the WS-A incident (two alerts)
  let b: Json; // the WS-B incident (one alert)

  beforeAll(async () => {
    // Automatic risk incidents are tested in test/server/risk.test.ts; here they would add incidents.
    ctx = await openTestContext(kind, { VIGIL_RISK_THRESHOLD: '1000000' });
    accounts = await seedAccounts(ctx);
    alertsOnly = await createKey(ctx, ['alerts:read', 'alerts:write'], 'triage bot');
    app = await buildApi(ctx);
  }, 60_000);
  afterAll(async () => {
    await app.close();
    await closeTestContext(ctx);
  });

  const audit = (action: string) =>
    ctx.database.db
      .selectFrom('audit_log')
      .select(['actor', 'target', 'before', 'after', 'details'])
      .where('action', '=', action)
      .orderBy('id')
      .execute();
  const timelineKinds = async (id: number) =>
    ((await call('GET', `/api/v1/incidents/${id}/timeline`)).body.timeline as Json[]).map((e) => e.kind);
  const alertsOf = async (id: number) =>
    (await call('GET', `/api/v1/incidents/${id}/alerts`)).body.alerts as Json[];

  it('groups alerts ingested over the API: one incident per host', async () => {
    const r = await call(
      'POST',
      '/api/v1/events',
      ndjson([
        encodedPs('WS-A', '10:00:00', 'alice'),
        encodedPs('WS-B', '10:02:00', 'bob'),
        shadowDelete('WS-A', '10:04:00', 'alice'),
      ]),
      { ...ND, authorization: accounts.ingestKey.bearer },
    );
    expect(r.status).toBe(200);
    await detected(ctx);
    const list = await call('GET', '/api/v1/incidents?sort=created_at&order=asc', undefined, as('viewer'));
    expect(list.status).toBe(200);
    expect(list.body.incidents.map((i: Json) => [i.title, i.alert_count, i.status])).toEqual([
      ['PowerShell Started with an Encoded Command on host WS-A', 2, 'open'],
      ['PowerShell Started with an Encoded Command on host WS-B', 1, 'open'],
    ]);
    [a, b] = list.body.incidents as [Json, Json];
    expect((await alertsOf(a.id)).map((x) => x.host.name)).toEqual(['WS-A', 'WS-A']);
  });

  it('filters by status, severity, entity, kind, tag, assignee and time, and pages with a cursor', async () => {
    const ids = async (q: string) =>
      ((await call('GET', `/api/v1/incidents?${q}`)).body.incidents as Json[]).map((i) => i.id);
    expect(await ids('entity=host:WS-B')).toEqual([b.id]);
    expect(await ids('entity=user:alice')).toEqual([a.id]);
    expect(await ids('status=open&status=investigating&order=asc')).toEqual([a.id, b.id]);
    expect(await ids('status=resolved')).toEqual([]);
    expect(await ids('severity=high&order=asc')).toEqual([a.id, b.id]);
    expect(await ids('severity=low')).toEqual([]);
    expect(await ids('kind=alerts&order=asc')).toEqual([a.id, b.id]);
    expect(await ids('tag=ransomware')).toEqual([]);
    expect(await ids(`from=${encodeURIComponent(b.created_at)}&order=asc`)).toContain(b.id);
    expect(await ids('to=2000-01-01T00:00:00Z')).toEqual([]);
    const first = await call('GET', '/api/v1/incidents?limit=1&order=asc');
    expect(first.body.incidents.map((i: Json) => i.id)).toEqual([a.id]);
    const second = await call('GET', `/api/v1/incidents?limit=1&order=asc&cursor=${first.body.next}`);
    expect(second.body.incidents.map((i: Json) => i.id)).toEqual([b.id]);
    expect(second.body.next).toBeUndefined();
    expect((await call('GET', '/api/v1/incidents?cursor=bm9wZQ')).body.code).toBe('VIGIL_ERR_BAD_REQUEST');
    expect((await call('GET', '/api/v1/incidents?entity=nope')).status).toBe(400);
  });

  it('lets viewers read and refuses their changes; analysts change', async () => {
    expect((await call('GET', `/api/v1/incidents/${a.id}`, undefined, as('viewer'))).status).toBe(200);
    for (const [method, url, body] of [
      ['PATCH', `/api/v1/incidents/${a.id}`, { status: 'investigating' }],
      ['POST', `/api/v1/incidents/${a.id}/comments`, { body: 'x' }],
      ['POST', '/api/v1/incidents', { title: 'x' }],
      ['POST', `/api/v1/incidents/${a.id}/merge`, { incident_ids: [b.id] }],
    ] as const) {
      const r = await call(method, url, body, as('viewer'));
      expect(r.status, `${method} ${url}`).toBe(403);
      expect(r.body.code).toBe('VIGIL_ERR_FORBIDDEN');
    }
    expect(
      (await call('GET', '/api/v1/incidents', undefined, { authorization: alertsOnly.bearer })).status,
    ).toBe(403);
    expect((await call('GET', '/api/v1/incidents', undefined, { authorization: '' })).status).toBe(401);
    expect((await call('GET', `/api/v1/incidents/${a.id}`)).body.status).toBe('open');
  });

  it('works an incident through investigating, contained and resolved, with a timestamp per step', async () => {
    const r1 = await call('PATCH', `/api/v1/incidents/${a.id}`, {
      status: 'investigating',
      assignee: 'analyst',
      tags: ['ransomware', 'ransomware', ' t1490 '],
      comment: 'Looking at **WS-A**',
    });
    expect(r1.status).toBe(200);
    expect(r1.body).toMatchObject({
      status: 'investigating',
      assignee: 'analyst',
      tags: ['ransomware', 't1490'],
    });
    expect(r1.body.acknowledged_at).not.toBeNull();
    expect(r1.body.contained_at).toBeNull();
    const ids = async (q: string) =>
      ((await call('GET', `/api/v1/incidents?${q}`)).body.incidents as Json[]).map((i) => i.id);
    expect(await ids('assignee=analyst')).toEqual([a.id]);
    expect(await ids('tag=t1490&status=investigating')).toEqual([a.id]);
    expect(await ids('assignee=viewer')).toEqual([]);

    const back = await call('PATCH', `/api/v1/incidents/${a.id}`, { status: 'open' });
    expect(back.status).toBe(409);
    expect(back.body.code).toBe('VIGIL_ERR_INCIDENT_TRANSITION');
    const nobody = await call('PATCH', `/api/v1/incidents/${a.id}`, { assignee: 'nobody' });
    expect(nobody.status).toBe(422);
    expect((await call('PATCH', `/api/v1/incidents/${a.id}`, { status: 'duplicate' })).status).toBe(400);
    expect((await call('PATCH', `/api/v1/incidents/${a.id}`, {})).status).toBe(400);

    const r2 = await call('PATCH', `/api/v1/incidents/${a.id}`, { status: 'contained' });
    expect(r2.body.contained_at).not.toBeNull();
    const r3 = await call('PATCH', `/api/v1/incidents/${a.id}`, { status: 'resolved', comment: 'Reimaged' });
    const done = r3.body as Json;
    expect(done.status).toBe('resolved');
    const t = (k: string) => Date.parse(done[k] as string);
    expect(t('first_alert_at')).toBeLessThanOrEqual(t('acknowledged_at'));
    expect(t('acknowledged_at')).toBeLessThanOrEqual(t('contained_at'));
    expect(t('contained_at')).toBeLessThanOrEqual(t('resolved_at'));
    expect(done.mttr_ms).toBe(t('resolved_at') - t('first_alert_at'));
    expect(done.mtta_ms).toBe(t('acknowledged_at') - t('first_alert_at'));
    expect(done.mttd_ms).toBe(t('first_alert_at') - Date.parse('2026-11-20T10:00:00Z'));

    expect(await timelineKinds(a.id)).toEqual([
      'created',
      'alert_added',
      'alert_added',
      'updated',
      'status_changed',
      'comment_added',
      'status_changed',
      'status_changed',
      'alerts_status_changed',
      'comment_added',
    ]);
    const alerts = await alertsOf(a.id);
    expect(alerts.map((x) => x.status)).toEqual(['resolved', 'resolved']);
    const detail = (await call('GET', `/api/v1/alerts/${alerts[0]!.id}`)).body;
    expect(detail.history.at(-1)).toMatchObject({
      actor: 'user:analyst',
      status: 'resolved',
      comment: `incident ${a.id} closed as resolved`,
    });
    const updates = (await audit('incident.update')).filter((e) => e.target === String(a.id));
    expect(updates.map((e) => [e.actor, e.before?.status, e.after?.status])).toEqual([
      ['user:analyst', 'open', 'investigating'],
      ['user:analyst', 'investigating', 'contained'],
      ['user:analyst', 'contained', 'resolved'],
    ]);
    expect(updates[2]!.details).toMatchObject({
      alerts: { status: 'resolved', ids: alerts.map((x) => x.id).sort() },
    });
  });

  it('closes as false positive (alerts follow) and reopens', async () => {
    const fp = await call('PATCH', `/api/v1/incidents/${b.id}`, { status: 'false_positive' });
    expect(fp.body).toMatchObject({ status: 'false_positive', mttr_ms: null });
    expect((await alertsOf(b.id)).map((x) => x.status)).toEqual(['false_positive']);
    const again = await call('PATCH', `/api/v1/incidents/${b.id}`, { status: 'investigating' });
    expect(again.body).toMatchObject({ status: 'investigating', resolved_at: null });
    expect((await alertsOf(b.id)).map((x) => x.status)).toEqual(['false_positive']);
  });

  it('keeps comments as Markdown text, and validates observables by type', async () => {
    const body = '# Note\n<script>alert(1)</script> `code`';
    const c = await call('POST', `/api/v1/incidents/${b.id}/comments`, { body });
    expect(c.status).toBe(201);
    expect(c.body).toMatchObject({ author: 'user:analyst', body });
    const list = await call('GET', `/api/v1/incidents/${b.id}/comments`);
    expect(list.body.comments.at(-1).body).toBe(body);

    const ip = await call('POST', `/api/v1/incidents/${b.id}/observables`, {
      type: 'ip',
      value: '2001:DB8::0:1',
    });
    expect(ip.status).toBe(201);
    expect(ip.body).toMatchObject({ type: 'ip', value: '2001:db8::1' });
    const hash = await call('POST', `/api/v1/incidents/${b.id}/observables`, {
      type: 'hash',
      value: 'D41D8CD98F00B204E9800998ECF8427E',
      description: 'empty file MD5',
    });
    expect(hash.body.value).toBe('d41d8cd98f00b204e9800998ecf8427e');
    const dup = await call('POST', `/api/v1/incidents/${b.id}/observables`, {
      type: 'ip',
      value: '2001:db8::1',
    });
    expect(dup.status).toBe(409);
    const bad = await call('POST', `/api/v1/incidents/${b.id}/observables`, {
      type: 'ip',
      value: '999.1.1.1',
    });
    expect(bad.status).toBe(400);
    expect(bad.body.detail).toContain('invalid ip observable');
    expect(
      (await call('POST', `/api/v1/incidents/${b.id}/observables`, { type: 'mac', value: 'x' })).status,
    ).toBe(400);
    const del = await app.inject({
      method: 'DELETE',
      url: `/api/v1/incidents/${b.id}/observables/${ip.body.id}`,
      headers: { authorization: accounts.analyst },
    });
    expect(del.statusCode).toBe(204);
    const detail = (await call('GET', `/api/v1/incidents/${b.id}`)).body;
    expect(detail.observables.map((o: Json) => o.type)).toEqual(['hash']);
    expect(detail.comment_count).toBe(1);
  });

  it('tracks tasks with an assignee and a done time', async () => {
    const t = await call('POST', `/api/v1/incidents/${b.id}/tasks`, {
      title: 'Pull the proxy logs',
      assignee: 'viewer',
    });
    expect(t.status).toBe(201);
    expect(t.body).toMatchObject({ status: 'todo', assignee: 'viewer', done_at: null });
    expect(
      (await call('POST', `/api/v1/incidents/${b.id}/tasks`, { title: 'x', assignee: 'ghost' })).status,
    ).toBe(422);
    const done = await call('PATCH', `/api/v1/incidents/${b.id}/tasks/${t.body.id}`, { status: 'done' });
    expect(done.body.status).toBe('done');
    expect(done.body.done_at).not.toBeNull();
    expect((await call('PATCH', `/api/v1/incidents/${b.id}/tasks/999999`, { status: 'done' })).status).toBe(
      404,
    );
    const kinds = await timelineKinds(b.id);
    expect(kinds.slice(-6)).toEqual([
      'comment_added',
      'observable_added',
      'observable_added',
      'observable_removed',
      'task_added',
      'task_updated',
    ]);
  });

  it('merges incidents: alerts, comments, tasks and observables move; the merged one is a duplicate', async () => {
    await call('POST', '/api/v1/events', ndjson([encodedPs('WS-C', '11:00:00', 'carol')]), {
      ...ND,
      authorization: accounts.ingestKey.bearer,
    });
    await detected(ctx);
    const c = (await call('GET', '/api/v1/incidents?entity=host:WS-C')).body.incidents[0] as Json;
    await call('POST', `/api/v1/incidents/${c.id}/comments`, { body: 'seen on C' });
    const merged = await call('POST', `/api/v1/incidents/${b.id}/merge`, {
      incident_ids: [c.id],
      comment: 'Same actor',
    });
    expect(merged.status).toBe(200);
    expect(merged.body.alert_count).toBe(2);
    expect(merged.body.entities).toEqual(expect.arrayContaining([{ type: 'host', value: 'WS-C' }]));
    const gone = (await call('GET', `/api/v1/incidents/${c.id}`)).body;
    expect(gone).toMatchObject({ status: 'duplicate', duplicate_of: b.id, alert_count: 0 });
    const detail = (await call('GET', `/api/v1/incidents/${b.id}`)).body;
    expect(detail.merged).toEqual([c.id]);
    expect(detail.comment_count).toBe(3);
    expect(await timelineKinds(c.id)).toEqual(expect.arrayContaining(['merged_into']));
    expect((await timelineKinds(b.id)).slice(-2)).toEqual(['merged_from', 'comment_added']);
    expect((await call('POST', `/api/v1/incidents/${b.id}/merge`, { incident_ids: [c.id] })).status).toBe(
      409,
    );
    expect((await call('POST', `/api/v1/incidents/${b.id}/merge`, { incident_ids: [b.id] })).status).toBe(
      400,
    );
    expect((await call('PATCH', `/api/v1/incidents/${c.id}`, { status: 'investigating' })).status).toBe(409);
    const [m] = await audit('incident.merge');
    expect(m).toMatchObject({ actor: 'user:analyst', target: String(b.id) });
  });

  it('splits chosen alerts into a new incident', async () => {
    const alerts = await alertsOf(b.id);
    const wsC = alerts.find((x) => x.host.name === 'WS-C')!;
    const r = await call('POST', `/api/v1/incidents/${b.id}/split`, { alert_ids: [wsC.id] });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ kind: 'manual', alert_count: 1, status: 'open' });
    expect(r.body.title).toBe(`Split from #${b.id}: ${b.title}`);
    expect(r.body.entities).toEqual(expect.arrayContaining([{ type: 'host', value: 'WS-C' }]));
    const left = (await call('GET', `/api/v1/incidents/${b.id}`)).body;
    expect(left.alert_count).toBe(1);
    expect(left.entities).not.toEqual(expect.arrayContaining([{ type: 'host', value: 'WS-C' }]));
    expect((await timelineKinds(b.id)).at(-1)).toBe('split_to');
    expect(await timelineKinds(r.body.id)).toEqual(['created', 'split_from']);
    expect((await call('POST', `/api/v1/incidents/${b.id}/split`, { alert_ids: [wsC.id] })).status).toBe(409);
  });

  it('opens incidents by hand and applies bulk actions to alerts', async () => {
    const ids = (await alertsOf(a.id)).map((x) => x.id);
    const made = await call('POST', '/api/v1/incidents', {
      title: 'Hand-made',
      description: 'From the **SOC**',
      tags: ['manual'],
    });
    expect(made.status).toBe(201);
    expect(made.body).toMatchObject({
      kind: 'manual',
      severity: 'medium',
      alert_count: 0,
      created_by: 'user:analyst',
    });
    const bulk = await call('POST', '/api/v1/alerts/bulk', {
      ids,
      status: 'acknowledged',
      comment: 'triaged',
      incident_id: made.body.id,
    });
    expect(bulk.status).toBe(200);
    expect(bulk.body).toEqual({
      alert_ids: [...ids].sort((x, y) => x - y),
      status: 'acknowledged',
      incident_id: made.body.id,
    });
    expect((await alertsOf(made.body.id)).map((x) => x.status)).toEqual(['acknowledged', 'acknowledged']);
    expect((await call('GET', `/api/v1/incidents/${made.body.id}`)).body).toMatchObject({
      alert_count: 2,
      severity: 'high',
    });
    expect((await call('GET', `/api/v1/incidents/${a.id}`)).body.alert_count).toBe(0);
    expect(await timelineKinds(a.id)).toEqual(expect.arrayContaining(['alert_removed']));
    const [bulkAudit] = await audit('alert.bulk_update');
    expect(bulkAudit).toMatchObject({ actor: 'user:analyst', after: { status: 'acknowledged' } });

    // Linking needs incidents:write too; a missing alert changes nothing.
    const key = await call(
      'POST',
      '/api/v1/alerts/bulk',
      { ids, incident_id: a.id },
      { authorization: alertsOnly.bearer },
    );
    expect(key.status).toBe(403);
    const keyStatus = await call(
      'POST',
      '/api/v1/alerts/bulk',
      { ids, status: 'in_progress' },
      { authorization: alertsOnly.bearer },
    );
    expect(keyStatus.status).toBe(200);
    const missing = await call('POST', '/api/v1/alerts/bulk', { ids: [...ids, 999_999], status: 'resolved' });
    expect(missing.status).toBe(404);
    expect((await alertsOf(made.body.id)).map((x) => x.status)).toEqual(['in_progress', 'in_progress']);
    expect((await call('POST', '/api/v1/alerts/bulk', { ids })).status).toBe(400);
  });

  it('reports counts and mean response times', async () => {
    const m = (await call('GET', '/api/v1/incidents/metrics', undefined, as('viewer'))).body;
    expect(m.by_status).toMatchObject({ resolved: 1, duplicate: 1 });
    expect(m.mttr_ms).toBe(a.mttr_ms ?? (await call('GET', `/api/v1/incidents/${a.id}`)).body.mttr_ms);
    expect(m.mttd_ms).toBeGreaterThan(0);
  });

  it('documents every route in the OpenAPI document', async () => {
    const doc = (await call('GET', '/openapi.json')).body;
    const docsJson = (await call('GET', '/docs/json')).body;
    for (const path of [
      '/api/v1/incidents',
      '/api/v1/incidents/metrics',
      '/api/v1/incidents/{id}',
      '/api/v1/incidents/{id}/alerts',
      '/api/v1/incidents/{id}/merge',
      '/api/v1/incidents/{id}/split',
      '/api/v1/incidents/{id}/timeline',
      '/api/v1/incidents/{id}/comments',
      '/api/v1/incidents/{id}/observables',
      '/api/v1/incidents/{id}/observables/{observableId}',
      '/api/v1/incidents/{id}/tasks',
      '/api/v1/incidents/{id}/tasks/{taskId}',
      '/api/v1/alerts/bulk',
    ]) {
      expect(Object.keys(doc.paths)).toContain(path);
      expect(Object.keys(docsJson.paths ?? {})).toContain(path);
    }
    expect(doc.paths['/api/v1/incidents'].get.tags).toEqual(['incidents']);
    expect(doc.paths['/api/v1/incidents/{id}'].patch.summary).toMatch(/status/);
  });
});
