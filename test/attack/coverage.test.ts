/**
 * Coverage (`computeCoverage`) on the hand-written Enterprise-shaped bundle: rule tags resolved
 * against the imported catalog (`threatFromTags` with a catalog lookup), unknown and revoked tags,
 * data seen per technique, detections per day.
 */
import { describe, expect, it } from 'vitest';
import { computeCoverage, type CoverageRule } from '../../src/attack/coverage.js';
import { builtinCatalog } from '../../src/detect/attack/builtin-catalog.js';
import { catalogLookup } from '../../src/detect/attack/catalog.js';
import { threatFromTags } from '../../src/detect/attack/threat.js';
import type { SeenSource } from '../../src/store/attack.js';
import { enterpriseCatalog } from './fixtures.js';

const catalog = enterpriseCatalog();

const rules: CoverageRule[] = [
  {
    id: 'ssh-guess',
    title: 'SSH password guessing',
    level: 'medium',
    tags: ['attack.credential-access', 'attack.t1110.001'],
  },
  { id: 'win-guess', title: 'Windows logon failures', level: 'medium', tags: ['attack.t1110.001'] },
  { id: 'ps', title: 'Encoded PowerShell', level: 'high', tags: ['attack.execution', 'attack.t1059.001'] },
  {
    id: 'valid-persist',
    title: 'Logon persistence',
    tags: ['attack.persistence', 'attack.t1078', 'attack.stealth', 'attack.t1685'],
  },
  { id: 'valid-any', title: 'Odd logon', tags: ['attack.t1078'] },
  { id: 'old-ps', title: 'Old PowerShell rule', tags: ['attack.t1086'] },
  { id: 'multiband', title: 'Deprecated technique', tags: ['attack.t1026'] },
  { id: 'spray', title: 'Spraying', tags: ['attack.t1110.003', 'attack.defense-impairment'] },
  { id: 'untagged', title: 'No ATT&CK tags', tags: ['detection.threat-hunting'] },
];

function kind(p: Partial<SeenSource>): SeenSource {
  return {
    product: null,
    service: null,
    category: null,
    decoder: 'json',
    channel: null,
    code: null,
    events: 1,
    first: '2026-01-01T00:00:00.000Z',
    last: '2026-01-01T00:00:00.000Z',
    ...p,
  };
}

const seen = [
  kind({ product: 'windows', service: 'security', channel: 'Security', code: '4625' }),
  kind({ product: 'windows', service: 'application', channel: 'Application', code: '4624' }),
];

const report = computeCoverage({
  catalog,
  catalogSource: 'imported',
  rules,
  seen,
  detections: [
    { technique: 'T1110', day: '2026-03-02', alerts: 2, events: 40 },
    { technique: 'T1110.001', day: '2026-03-02', alerts: 2, events: 40 },
    { technique: 'T1110.001', day: '2026-03-01', alerts: 1, events: 7 },
    { technique: 'T1003', day: '2026-03-01', alerts: 4, events: 4 },
  ],
});
const byId = new Map(report.techniques.map((t) => [t.id, t]));

describe('threatFromTags against an imported catalog', () => {
  const lookup = catalogLookup(catalog);

  it('resolves what the catalog knows and keeps the rest verbatim in unknown', () => {
    const t = threatFromTags(
      ['attack.credential-access', 'attack.t1110.001', 'attack.t1003', 'attack.g0006'],
      lookup,
    );
    expect(t.tactics.map((x) => x.id)).toEqual(['TA0006']);
    expect(t.subtechniques.map((x) => x.id)).toEqual(['T1110.001']);
    expect(t.groups).toEqual(['G0006']);
    expect(t.unknown).toEqual(['attack.t1003']);
  });

  it('by default still resolves against the built-in table', () => {
    expect(threatFromTags(['attack.t1003']).unknown).toEqual([]);
    expect(threatFromTags(['attack.t1003']).techniques.map((x) => x.id)).toEqual(['T1003']);
  });
});

describe('coverage of the enabled rules', () => {
  it('a sub-technique tag covers the sub-technique, and counts on its parent as sub-technique coverage', () => {
    expect(byId.get('T1110.001')?.rules.map((r) => r.id)).toEqual(['ssh-guess', 'win-guess']);
    expect(byId.get('T1110')?.rules).toEqual([]);
    expect(byId.get('T1110')?.subtechnique_rules).toBe(3);
  });

  it('records the rule’s tactic tags among the technique’s tactics', () => {
    const t = byId.get('T1078')!;
    expect(t.rules.map((r) => [r.id, r.tactics])).toEqual([
      ['valid-persist', ['persistence']],
      ['valid-any', []],
    ]);
  });

  it('keeps tags the ATT&CK version does not know verbatim, counted per tag, not as errors', () => {
    expect(report.unknown_tags).toEqual([
      { tag: 'attack.defense-impairment', rules: ['spray'] },
      { tag: 'attack.stealth', rules: ['valid-persist'] },
      { tag: 'attack.t1685', rules: ['valid-persist'] },
    ]);
    expect(report.summary.rules_with_unknown_tags).toBe(2);
  });

  it('counts a revoked technique’s tag for the technique that replaced it; a deprecated one nowhere', () => {
    expect(report.revoked_tags).toEqual([
      {
        tag: 'attack.t1026',
        technique: 'T1026',
        status: 'deprecated',
        replaced_by: null,
        rules: ['multiband'],
      },
      {
        tag: 'attack.t1086',
        technique: 'T1086',
        status: 'revoked',
        replaced_by: 'T1059.001',
        rules: ['old-ps'],
      },
    ]);
    expect(byId.get('T1059.001')?.rules.map((r) => r.id)).toEqual(['ps', 'old-ps']);
    expect(byId.has('T1026')).toBe(false);
  });

  it('summarizes covered techniques and sub-techniques against the current ones', () => {
    expect(report.summary).toMatchObject({
      rules: 9,
      rules_with_techniques: 7,
      techniques_total: 3,
      subtechniques_total: 3,
      techniques_covered: 1,
      subtechniques_covered: 3,
    });
  });
});

describe('data seen per covered technique', () => {
  it('seen by event code: Security 4625 feeds T1110.001 (its analytic reads WinEventLog:Security EventCode=4625)', () => {
    const d = byId.get('T1110.001')!.data;
    expect({ status: d.status, seen: d.seen, match: d.match }).toEqual({
      status: 'seen',
      seen: true,
      match: 'event-code',
    });
    expect(d.log_sources.find((l) => l.name === 'WinEventLog:Security')?.match).toBe('event-code');
    expect(d.log_sources.find((l) => l.name === 'linux:syslog')?.match).toBe('none');
  });

  it('not seen: Security was collected but not 4624/4648, and 4624 in Application does not count for T1078', () => {
    const d = byId.get('T1078')!.data;
    expect({ status: d.status, seen: d.seen }).toEqual({ status: 'not-seen', seen: false });
    expect(d.log_sources.map((l) => l.match)).toEqual(['other-events']);
  });

  it('no analytics: the catalog names no log source for T1110.003', () => {
    expect(byId.get('T1110.003')!.data).toMatchObject({ status: 'no-analytics', seen: null });
  });

  it('counts covered techniques by data status', () => {
    expect(report.summary).toMatchObject({
      covered_data_seen: 1,
      covered_data_not_seen: 2,
      covered_no_analytics: 1,
    });
  });

  it('unknown without a data profile (offline) and with the built-in table (no analytics)', () => {
    const offline = computeCoverage({ catalog, catalogSource: 'imported', rules });
    expect(offline.techniques.find((t) => t.id === 'T1110.001')?.data.status).toBe('unknown');
    expect(offline.data.known).toBe(false);
    const builtin = computeCoverage({ catalog: builtinCatalog(), catalogSource: 'builtin', rules, seen });
    expect(builtin.techniques.find((t) => t.id === 'T1110.001')?.data).toMatchObject({
      status: 'unknown',
      seen: null,
    });
  });
});

describe('detections per technique over time', () => {
  it('sums alerts and events per technique, with the days in order', () => {
    expect(byId.get('T1110.001')!.detections).toEqual({
      alerts: 3,
      events: 47,
      days: [
        { day: '2026-03-01', alerts: 1, events: 7 },
        { day: '2026-03-02', alerts: 2, events: 40 },
      ],
    });
    expect(byId.get('T1110')!.detections.alerts).toBe(2);
    expect(report.summary.techniques_detected).toBe(2);
  });

  it('reports detected ids the catalog does not know separately', () => {
    expect(report.unknown_detections).toEqual([{ technique: 'T1003', alerts: 4 }]);
  });

  it('with all, lists every current technique of the catalog', () => {
    const all = computeCoverage({ catalog, catalogSource: 'imported', rules: [], all: true });
    expect(all.techniques.map((t) => t.id)).toEqual([
      'T1059',
      'T1059.001',
      'T1078',
      'T1110',
      'T1110.001',
      'T1110.003',
    ]);
  });
});

describe('coverage counts correlation rules by their tags', () => {
  it("Vigil's SSH brute-force correlation covers T1110.001 beside the rules it reads", async () => {
    const { loadRuleFiles } = await import('../../src/rules/loader.js');
    const { createDetector } = await import('../../src/detect/sigma/detector.js');
    const { planCorrelations } = await import('../../src/detect/sigma/correlation/plan.js');
    const { coverageRules } = await import('../../src/attack/service.js');
    const set = await loadRuleFiles([new URL('../../rules/linux', import.meta.url).pathname]);
    const detector = createDetector(set.rules);
    const plan = planCorrelations(
      detector.rules.map((r) => r.rule),
      set.correlations,
    );
    const report = computeCoverage({
      catalog: builtinCatalog(),
      catalogSource: 'builtin',
      rules: coverageRules(detector.rules, plan.correlations),
    });
    const t = report.techniques.find((x) => x.id === 'T1110.001')!;
    expect(t.rules.map((r) => r.title)).toContain('SSH Password Brute Force from One Source');
    expect(t.rules.map((r) => r.title)).toContain('SSH Password Authentication Failed');
  });
});

describe('the detector resolves rule tags with the lookup it is given', () => {
  it('an imported catalog names the technique its own way', async () => {
    const { createDetector } = await import('../../src/detect/sigma/detector.js');
    const { parseRules } = await import('../../src/detect/sigma/parse.js');
    const { rules } = parseRules(
      'title: t\nid: r1\ntags: [attack.credential-access, attack.t1110.001]\nlogsource:\n    product: windows\ndetection:\n    sel:\n        a: 1\n    condition: sel\n',
      'r.yml',
    );
    const lookup = {
      version: '99',
      tactic: (s: string) =>
        s === 'credential-access' ? { id: 'TA0006', name: 'Credential Access (imported)' } : undefined,
      technique: (id: string) =>
        id === 'T1110.001' ? 'Password Guessing (imported)' : id === 'T1110' ? 'Brute Force' : undefined,
      other: () => false,
    };
    const [rule] = createDetector(rules, { attack: lookup }).rules;
    expect(rule!.threat.subtechniques.map((x) => x.name)).toEqual(['Password Guessing (imported)']);
    expect(rule!.threat.tactics.map((x) => x.name)).toEqual(['Credential Access (imported)']);
    const [builtin] = createDetector(rules).rules;
    expect(builtin!.threat.subtechniques.map((x) => x.name)).toEqual(['Password Guessing']);
  });
});
