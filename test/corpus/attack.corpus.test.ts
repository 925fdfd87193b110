/**
 * ATT&CK on the real data: the v18.1 Enterprise bundle (STIX 2.0) and the ICS bundle (STIX 2.1)
 * read against the independently exported `enterprise_techniques.csv` and the built-in table;
 * the catalog's round trip through the store; the log-source table against the names ATT&CK
 * really uses; the Navigator layer checker against the format's own examples and its sample
 * layer; SigmaHQ's rules as a layer; and the data-seen path end to end on Windows brute-force
 * logs through the service.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readBundleFile } from '../../src/attack/bundle-file.js';
import { computeCoverage } from '../../src/attack/coverage.js';
import { LOG_SOURCE_MAP } from '../../src/attack/log-sources.js';
import { buildLayer } from '../../src/attack/navigator.js';
import { coverageRules, importAttackBundle } from '../../src/attack/service.js';
import { builtinCatalog } from '../../src/detect/attack/builtin-catalog.js';
import type { AttackCatalog } from '../../src/detect/attack/catalog.js';
import { parseStixBundle } from '../../src/detect/attack/stix.js';
import { createDetector } from '../../src/detect/sigma/detector.js';
import { loadRuleFiles } from '../../src/rules/loader.js';
import { selectByStatus } from '../../src/rules/select.js';
import { buildApi } from '../../src/server/app.js';
import type { ServiceContext } from '../../src/service/vigil.js';
import { loadCatalog, replaceCatalog } from '../../src/store/attack.js';
import { openDatabase } from '../../src/store/database.js';
import { checkLayerFormat } from '../attack/layer-format.js';
import { seedAccounts, type TestAccounts } from '../helpers/auth.js';
import { jsonCaller } from '../helpers/inject.js';
import { closeTestContext, detected, openTestContext } from '../helpers/service.js';
import { requireSharedData, shared } from '../helpers/shared-data.js';

const ENTERPRISE = shared('threat-intel/mitre-attack/enterprise-attack.json.gz');
const ICS = shared('threat-intel/mitre-attack/ics-attack-18.1.stix21.json.gz');
const CSV = shared('threat-intel/mitre-attack/enterprise_techniques.csv');
const SPEC = shared('specs/attack-navigator/layerformat-v4.5.md');
const SAMPLE = shared('specs/attack-navigator/sample-heatmap_layer.json');
const BRUTE_FORCE = shared(
  'windows-attack/evtx-jsonl/EVTX-to-MITRE-Attack/TA0006-Credential Access/T1110.xxx-Brut force',
);

describe.runIf(requireSharedData())('ATT&CK bundles, layers and coverage on the shared data', () => {
  let enterprise: AttackCatalog;
  let sha256: string;

  beforeAll(async () => {
    const read = await readBundleFile(ENTERPRISE);
    sha256 = read.sha256;
    enterprise = parseStixBundle(read.bundle, { fileName: 'enterprise-attack.json.gz' });
  }, 60_000);

  describe('Enterprise v18.1, STIX 2.0 (gzip)', () => {
    it('counts: 14 tactics, 835 techniques and sub-techniques, 1,739 analytics in 691 detection strategies', () => {
      expect(enterprise.stixVersion).toBe('2.0');
      expect(enterprise.counts).toMatchObject({
        tactics: 14,
        techniques: 356,
        subtechniques: 479,
        revoked: 132,
        deprecated: 12,
        analytics: 1739,
        detectionStrategies: 691,
      });
      expect({ version: enterprise.version, source: enterprise.versionSource }).toEqual({
        version: '18',
        source: 'spec-version',
      });
    });

    it('agrees with enterprise_techniques.csv on every id, name, tactic, platform, sub-technique flag and status', () => {
      const rows = readFileSync(CSV, 'utf8').trim().split('\n').slice(1);
      // technique_id,name,tactics,is_subtechnique,platforms,revoked,deprecated,stix_id (no quoted cells)
      const fromCsv = rows.map((line) => {
        const [id, name, tactics, sub, platforms, revoked, deprecated] = line.split(',');
        return {
          id: id!,
          name: name!,
          tactics: tactics!.split(';').filter((t) => t !== ''),
          platforms: platforms!.split(';').filter((t) => t !== ''),
          subtechnique: sub === 'True',
          status: revoked === 'True' ? 'revoked' : deprecated === 'True' ? 'deprecated' : '',
        };
      });
      const parsed = enterprise.techniques.map((t) => ({
        id: t.id,
        name: t.name,
        tactics: [...t.tactics],
        platforms: [...t.platforms].sort(),
        subtechnique: t.subtechnique,
        status: t.status,
      }));
      expect(parsed).toEqual(
        fromCsv
          .map((r) => ({ ...r, platforms: r.platforms.sort() }))
          .sort((a, b) => a.id.localeCompare(b.id)),
      );
    });

    it('agrees with the built-in table generated from the same bundle', () => {
      const builtin = builtinCatalog();
      const strip = (c: AttackCatalog) =>
        c.techniques.map((t) => [t.id, t.name, t.tactics.join(' '), t.status]);
      expect(strip(enterprise)).toEqual(strip(builtin));
      expect(new Set(enterprise.tactics.map((t) => t.id))).toEqual(new Set(builtin.tactics.map((t) => t.id)));
    });

    it('links analytics to techniques: T1110.001 is fed by WinEventLog:Security EventCode=4625', () => {
      expect(enterprise.logSources).toContainEqual(
        expect.objectContaining({
          technique: 'T1110.001',
          name: 'WinEventLog:Security',
          channel: 'EventCode=4625',
        }),
      );
      expect(enterprise.counts.techniquesWithLogSources).toBeGreaterThan(600);
    });

    it('every ATT&CK name in the log-source table is one the v18.1 analytics use', () => {
      const names = new Set(enterprise.logSources.map((l) => l.name.toLowerCase()));
      const ours = LOG_SOURCE_MAP.flatMap((m) => m.attack);
      expect(ours.filter((n) => !names.has(n.toLowerCase()))).toEqual([]);
    });

    it('round-trips through the store unchanged', async () => {
      const database = await openDatabase({ kind: 'pglite-memory' });
      try {
        await database.db.transaction().execute((trx) =>
          replaceCatalog(trx, enterprise, {
            source: 'enterprise-attack.json.gz',
            sha256,
            importedBy: 'test',
            importedAt: new Date(),
          }),
        );
        const key = (l: AttackCatalog['logSources'][number]): string => JSON.stringify(l);
        const sorted = (c: AttackCatalog) => ({ ...c, logSources: c.logSources.map(key).sort() });
        const back = await loadCatalog(database.db, 'enterprise-attack');
        expect(sorted(back!)).toEqual(sorted(enterprise));
      } finally {
        await database.close();
      }
    }, 120_000);
  });

  describe('ICS v18.1, STIX 2.1 (gzip)', () => {
    it('reads its collection, domain, tactics and analytics', async () => {
      const read = await readBundleFile(ICS);
      const ics = parseStixBundle(read.bundle, { fileName: 'ics-attack-18.1.stix21.json.gz' });
      expect(ics).toMatchObject({
        domain: 'ics-attack',
        version: '18.1',
        versionSource: 'collection',
        stixVersion: '2.1',
      });
      expect(ics.counts).toMatchObject({
        tactics: 12,
        techniques: 95,
        subtechniques: 0,
        deprecated: 12,
        analytics: 82,
      });
      expect(ics.logSources.length).toBeGreaterThan(0);
    });
  });

  describe('the Navigator layer format 4.5', () => {
    it('the format’s own examples (one layer, and a list of layers) pass the checker', () => {
      const examples = [...readFileSync(SPEC, 'utf8').matchAll(/```json\n([\s\S]*?)```/g)].map(
        (m) => JSON.parse(m[1]!) as unknown,
      );
      expect(examples).toHaveLength(2);
      for (const e of examples) expect(checkLayerFormat(e)).toEqual([]);
    });

    it('the sample heatmap layer passes, except its legacy domain (it is a format 3.0 layer: "mitre-enterprise")', () => {
      const sample = JSON.parse(readFileSync(SAMPLE, 'utf8')) as {
        version: string;
        techniques: { techniqueID: string }[];
      };
      expect(sample.version).toBe('3.0');
      expect(checkLayerFormat(sample)).toEqual([
        '$.domain: "mitre-enterprise" is not one of "enterprise-attack", "mobile-attack", "ics-attack"',
      ]);
      expect(checkLayerFormat({ ...sample, domain: 'enterprise-attack' })).toEqual([]);
    });

    it('every technique of the sample layer is in the bundle; those no longer current are named', () => {
      const sample = JSON.parse(readFileSync(SAMPLE, 'utf8')) as { techniques: { techniqueID: string }[] };
      const byId = new Map(enterprise.techniques.map((t) => [t.id, t]));
      expect(sample.techniques.filter((t) => !byId.has(t.techniqueID))).toEqual([]);
      expect(
        sample.techniques
          .filter((t) => byId.get(t.techniqueID)!.status !== '')
          .map((t) => t.techniqueID)
          .sort(),
      ).toEqual(['T1053.001', 'T1053.004', 'T1547.011', 'T1574.002']);
    });

    it('SigmaHQ’s rules as a layer: follows the format, names only current techniques of the bundle, keeps unknown tags', async () => {
      const set = await loadRuleFiles([shared('sigma/rules')]);
      const detector = createDetector(
        selectByStatus(set.rules, new Set(['stable', 'test', 'experimental'])).rules,
        {
          filters: set.filters,
        },
      );
      const report = computeCoverage({
        catalog: enterprise,
        catalogSource: 'imported',
        rules: coverageRules(detector.rules),
      });
      const layer = buildLayer(report, enterprise, {
        kind: 'rules',
        generatedAt: new Date(),
        generator: 'Vigil test',
      });
      expect(checkLayerFormat(layer)).toEqual([]);
      expect(layer.versions).toEqual({ attack: '18', navigator: '5.1.0', layer: '4.5' });
      const current = new Set(enterprise.techniques.filter((t) => t.status === '').map((t) => t.id));
      expect((layer.techniques ?? []).filter((t) => !current.has(t.techniqueID))).toEqual([]);
      expect(layer.techniques!.length).toBeGreaterThan(300);
      const unknown = report.unknown_tags.map((u) => u.tag);
      expect(unknown).toEqual(
        expect.arrayContaining(['attack.stealth', 'attack.defense-impairment', 'attack.t1685']),
      );
      const tactics = new Set(enterprise.tactics.map((t) => t.shortname));
      for (const t of layer.techniques!) if (t.tactic !== undefined) expect(tactics.has(t.tactic)).toBe(true);
    }, 300_000);
  });

  describe('data seen, end to end on Windows brute-force logs (service on PGlite)', () => {
    let ctx: ServiceContext;
    let app: FastifyInstance;
    let accounts: TestAccounts;

    beforeAll(async () => {
      ctx = await openTestContext('pglite');
      accounts = await seedAccounts(ctx);
      app = await buildApi(ctx);
      const ingest = jsonCaller(
        () => app,
        () => accounts.ingestKey.bearer,
      );
      for (const f of readdirSync(BRUTE_FORCE).filter((n) => n.endsWith('.jsonl'))) {
        const r = await ingest('POST', '/api/v1/events', readFileSync(join(BRUTE_FORCE, f), 'utf8'), {
          'content-type': 'application/x-ndjson',
        });
        expect(r.status).toBe(200);
      }
      await detected(ctx);
      await importAttackBundle(
        ctx.database,
        await readBundleFile(ENTERPRISE),
        { source: 'enterprise-attack.json.gz', version: '18.1' },
        { name: 'system', ip: null },
        new Date(),
      );
    }, 300_000);
    afterAll(async () => {
      await app?.close();
      if (ctx) await closeTestContext(ctx);
    });

    it('the Security events seen are WinEventLog:Security with their EventCodes', async () => {
      const r = await jsonCaller(
        () => app,
        () => accounts.viewer,
      )('GET', '/api/v1/attack/coverage?all=true');
      expect(r.status).toBe(200);
      const security = r.body.data.sources.find((s: { name: string }) => s.name === 'WinEventLog:Security');
      expect(security.codes).toEqual(expect.arrayContaining(['4625', '4768', '4771', '4776']));
      const byId = new Map(r.body.techniques.map((t: { id: string }) => [t.id, t]));
      // ATT&CK: T1110.001 ← WinEventLog:Security EventCode=4625; T1110.003 ← EventCode=4625, 4771, 4648
      expect(byId.get('T1110.001')).toMatchObject({ data: { status: 'seen', match: 'event-code' } });
      expect(byId.get('T1110.003')).toMatchObject({ data: { status: 'seen', match: 'event-code' } });
      // No Sysmon was collected: a technique fed only by Sysmon process creation is not seen.
      const sysmonOnly = r.body.techniques.find(
        (t: { data: { log_sources: { name: string }[] } }) =>
          t.data.log_sources.length > 0 && t.data.log_sources.every((l) => l.name === 'WinEventLog:Sysmon'),
      );
      if (sysmonOnly) expect(sysmonOnly.data.status).toBe('not-seen');
      expect(r.body.attack).toMatchObject({ source: 'imported', version: '18.1' });
    });

    it('the layers of the service follow the format, with versions.attack "18"', async () => {
      for (const kind of ['rules', 'detections']) {
        const r = await jsonCaller(
          () => app,
          () => accounts.viewer,
        )('GET', `/api/v1/attack/coverage/layer?kind=${kind}`);
        expect(checkLayerFormat(r.body)).toEqual([]);
        expect(r.body.versions.attack).toBe('18');
      }
    });
  });
});
