/**
 * `/api/v1/attack/*` on the real service (PGlite, and PostgreSQL when reachable): the built-in
 * table before any import, importing a bundle (permission, audit, replacement, a refused bundle
 * changes nothing), coverage with the data seen and the detections, Navigator layers.
 */
import { gzipSync } from 'node:zlib';
import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApi } from '../../src/server/app.js';
import type { ServiceContext } from '../../src/service/vigil.js';
import { ndjson } from '../fixtures/service/events.js';
import { seedAccounts, type TestAccounts } from '../helpers/auth.js';
import { jsonCaller } from '../helpers/inject.js';
import { closeTestContext, detected, openTestContext, STORE_KINDS } from '../helpers/service.js';
import { ENTERPRISE_FILE, ICS_FILE } from './fixtures.js';
import { checkLayerFormat } from './layer-format.js';

const RULE = `title: Test Logon Failure
id: 6f1c0d55-5a43-4a4e-9d3e-2a8f0e7e4b10
status: stable
tags:
  - attack.credential-access
  - attack.t1110.001
  - attack.stealth
logsource:
  product: windows
  service: security
detection:
  selection:
    EventID: 4625
  condition: selection
level: medium
`;

function logonFailure(channel: string, host: string, time: string): Record<string, unknown> {
  return {
    Event: {
      System: {
        Provider: { '#attributes': { Name: 'Microsoft-Windows-Security-Auditing' } },
        EventID: 4625,
        Channel: channel,
        Computer: host,
        TimeCreated: { '#attributes': { SystemTime: time } },
      },
      EventData: { TargetUserName: 'bob', IpAddress: '203.0.113.9' },
    },
  };
}

describe.each(STORE_KINDS)('ATT&CK API on %s', (kind) => {
  let ctx: ServiceContext;
  let app: FastifyInstance;
  let accounts: TestAccounts;
  const admin = jsonCaller(
    () => app,
    () => accounts.admin,
  );
  const viewer = jsonCaller(
    () => app,
    () => accounts.viewer,
  );
  const analyst = jsonCaller(
    () => app,
    () => accounts.analyst,
  );
  const enterpriseGz = gzipSync(readFileSync(ENTERPRISE_FILE));
  const gz = { 'content-type': 'application/gzip' };

  beforeAll(async () => {
    ctx = await openTestContext(kind, { VIGIL_BUILTIN_RULES: 'false' });
    accounts = await seedAccounts(ctx);
    app = await buildApi(ctx);
    const up = await analyst('POST', '/api/v1/rules', RULE, { 'content-type': 'application/yaml' });
    expect(up.status).toBe(201);
    const ingest = jsonCaller(
      () => app,
      () => accounts.ingestKey.bearer,
    );
    const body = ndjson([
      logonFailure('Security', 'WS-1', '2026-03-01T10:00:00Z'),
      logonFailure('Application', 'WS-1', '2026-03-01T10:00:05Z'),
    ]);
    expect(
      (await ingest('POST', '/api/v1/events', body, { 'content-type': 'application/x-ndjson' })).status,
    ).toBe(200);
    await detected(ctx);
  }, 120_000);
  afterAll(async () => {
    await app?.close();
    if (ctx) await closeTestContext(ctx);
  });

  it('before any import: the built-in Enterprise table, and a layer that says so', async () => {
    const t = await viewer('GET', '/api/v1/attack/techniques');
    expect(t.status).toBe(200);
    expect(t.body.attack).toMatchObject({ source: 'builtin', version: '18.1', imported: null });
    expect(ctx.rules.current().attack).toBeUndefined();
    const layer = await viewer('GET', '/api/v1/attack/coverage/layer?kind=rules');
    expect(layer.status).toBe(200);
    expect(checkLayerFormat(layer.body)).toEqual([]);
    expect(layer.body.description).toContain('built-in table');
    expect(layer.body.techniques.map((x: { techniqueID: string }) => x.techniqueID)).toEqual(['T1110.001']);
  });

  it('an ICS catalog that was never imported is a 404', async () => {
    const r = await viewer('GET', '/api/v1/attack/techniques?domain=ics-attack');
    expect(r.status).toBe(404);
  });

  it('import needs settings:write (an analyst and a viewer are refused)', async () => {
    expect((await analyst('POST', '/api/v1/attack/import', enterpriseGz, gz)).status).toBe(403);
    expect((await viewer('POST', '/api/v1/attack/import', enterpriseGz, gz)).status).toBe(403);
  });

  it('imports a gzip STIX 2.0 bundle, audited with the user as actor', async () => {
    const r = await admin(
      'POST',
      '/api/v1/attack/import?source=mini-enterprise.stix20.json.gz',
      enterpriseGz,
      gz,
    );
    expect(r.status).toBe(200);
    expect(r.body.previous).toBeNull();
    expect(r.body.imported).toMatchObject({
      domain: 'enterprise-attack',
      version: '18',
      version_source: 'spec-version',
      stix_version: '2.0',
      imported_by: 'user:admin',
      counts: { tactics: 4, techniques: 5, subtechniques: 3, analytics: 4, logSourceReferences: 6 },
    });
    const audit = await ctx.database.db
      .selectFrom('audit_log')
      .select(['actor', 'target', 'before', 'after'])
      .where('action', '=', 'attack.import')
      .execute();
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ actor: 'user:admin', target: 'enterprise-attack', before: null });
    expect(audit[0]!.after).toMatchObject({ version: '18', sha256: r.body.imported.sha256 });
  });

  it('after the import, rule tags resolve against the imported catalog (the rules were reloaded)', async () => {
    const attack = ctx.rules.current().attack;
    expect(attack?.version).toBe('18');
    expect(attack?.technique('T1110.001')).toBe('Password Guessing');
    const [rule] = ctx.rules.current().detector.rules;
    expect(rule?.threat.subtechniques.map((x) => [x.id, x.name])).toEqual([
      ['T1110.001', 'Password Guessing'],
    ]);
  });

  it('a re-import replaces the domain’s catalog in place (no duplicate rows), with the old one as before', async () => {
    const json = readFileSync(ENTERPRISE_FILE);
    const r = await admin('POST', '/api/v1/attack/import?version=18.1', json, {
      'content-type': 'application/json',
    });
    expect(r.status).toBe(200);
    expect(r.body.previous).toMatchObject({ version: '18' });
    expect(r.body.imported).toMatchObject({ version: '18.1', version_source: 'option', source: 'api' });
    const rows = await ctx.database.db.selectFrom('attack_techniques').select('id').execute();
    expect(rows).toHaveLength(8); // 5 techniques and 3 sub-techniques, once
  });

  it('a file that is not a bundle is refused with 422 and changes nothing', async () => {
    const r = await admin('POST', '/api/v1/attack/import', '{"type":"report"}', {
      'content-type': 'application/json',
    });
    expect(r.status).toBe(422);
    expect(r.body.code).toBe('VIGIL_ERR_ATTACK_BUNDLE');
    const bad = await admin('POST', '/api/v1/attack/import', Buffer.from([0x1f, 0x8b, 1, 2, 3]), gz);
    expect(bad.body.code).toBe('VIGIL_ERR_ATTACK_BUNDLE');
    const t = await viewer('GET', '/api/v1/attack/techniques');
    expect(t.body.attack).toMatchObject({ source: 'imported', version: '18.1' });
  });

  it('imports the STIX 2.1 ICS bundle beside it, as its own domain', async () => {
    const r = await admin('POST', '/api/v1/attack/import', readFileSync(ICS_FILE), {
      'content-type': 'application/json',
    });
    expect(r.body.imported).toMatchObject({
      domain: 'ics-attack',
      version: '18.1',
      version_source: 'collection',
    });
    const imports = await viewer('GET', '/api/v1/attack/imports');
    expect(imports.body.imports.map((i: { domain: string }) => i.domain)).toEqual([
      'enterprise-attack',
      'ics-attack',
    ]);
  });

  it('techniques: the imported catalog with the log sources feeding each technique', async () => {
    const t = await viewer('GET', '/api/v1/attack/techniques');
    const sub = t.body.techniques.find((x: { id: string }) => x.id === 'T1110.001');
    expect(sub.log_sources.map((l: { name: string }) => l.name)).toEqual([
      'WinEventLog:Security',
      'auditd:SYSCALL',
      'linux:syslog',
    ]);
    expect(t.body.techniques.find((x: { id: string }) => x.id === 'T1086')).toMatchObject({
      status: 'revoked',
      revoked_by: 'T1059.001',
    });
  });

  it('coverage: the enabled rule, the data seen (Security 4625), the detection, the unknown tag', async () => {
    const r = await viewer('GET', '/api/v1/attack/coverage');
    expect(r.status).toBe(200);
    const t = r.body.techniques.find((x: { id: string }) => x.id === 'T1110.001');
    expect(t.rules.map((x: { id: string }) => x.id)).toEqual(['6f1c0d55-5a43-4a4e-9d3e-2a8f0e7e4b10']);
    expect(t.data).toMatchObject({ status: 'seen', seen: true, match: 'event-code' });
    expect(t.detections.alerts).toBe(1);
    expect(r.body.unknown_tags).toEqual([
      { tag: 'attack.stealth', rules: ['6f1c0d55-5a43-4a4e-9d3e-2a8f0e7e4b10'] },
    ]);
    expect(r.body.data.sources).toContainEqual({ name: 'WinEventLog:Security', events: 1, codes: ['4625'] });
    expect(r.body.data.sources).toContainEqual({
      name: 'WinEventLog:Application',
      events: 1,
      codes: ['4625'],
    });
  });

  it('layers of coverage and detections follow the format, with versions.attack from the import', async () => {
    for (const k of ['rules', 'detections']) {
      const r = await viewer('GET', `/api/v1/attack/coverage/layer?kind=${k}`);
      expect(r.status).toBe(200);
      expect(checkLayerFormat(r.body)).toEqual([]);
      expect(r.body.versions).toEqual({ attack: '18', navigator: '5.1.0', layer: '4.5' });
    }
    const d = await viewer('GET', '/api/v1/attack/coverage/layer?kind=detections');
    expect(
      d.body.techniques.map((x: { techniqueID: string; score: number }) => [x.techniqueID, x.score]),
    ).toEqual([
      ['T1110', 1],
      ['T1110.001', 1],
    ]);
  });

  it('since bounds the data seen by ingest time; days bounds the detections; bad values are a 400', async () => {
    const future = await viewer('GET', '/api/v1/attack/coverage?since=2999-01-01T00:00:00Z&days=7');
    expect(future.status).toBe(200);
    expect(future.body.data.sources).toEqual([]);
    const t = future.body.techniques.find((x: { id: string }) => x.id === 'T1110.001');
    expect(t.data.status).toBe('not-seen');
    expect(t.detections.alerts).toBe(1);
    expect((await viewer('GET', '/api/v1/attack/coverage?days=0')).status).toBe(400);
    expect((await viewer('GET', '/api/v1/attack/coverage?since=yesterday')).status).toBe(400);
    expect((await viewer('GET', '/api/v1/attack/coverage/layer?kind=heatmap')).status).toBe(400);
  });

  it('the routes are in the OpenAPI document under the attack tag', async () => {
    const doc = (await viewer('GET', '/openapi.json')).body;
    for (const path of [
      '/api/v1/attack/techniques',
      '/api/v1/attack/coverage',
      '/api/v1/attack/coverage/layer',
    ])
      expect(doc.paths[path].get.tags).toEqual(['attack']);
    expect(doc.paths['/api/v1/attack/import'].post.summary).toContain('STIX bundle');
  });

  it('coverage needs rules:read', async () => {
    const r = await jsonCaller(() => app)('GET', '/api/v1/attack/coverage');
    expect(r.status).toBe(401);
  });
});
