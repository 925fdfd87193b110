/**
 * Navigator layers (`buildLayer`) follow the layer format 4.5 (checked by `layer-format.ts`, a
 * checker written from the format's text), carry `versions.attack` from the catalog, and name
 * only techniques of the catalog.
 */
import { describe, expect, it } from 'vitest';
import { computeCoverage, type CoverageRule } from '../../src/attack/coverage.js';
import { buildLayer, NO_DATA_COLOR } from '../../src/attack/navigator.js';
import { builtinCatalog } from '../../src/detect/attack/builtin-catalog.js';
import type { SeenSource } from '../../src/store/attack.js';
import { enterpriseCatalog } from './fixtures.js';
import { checkLayerFormat } from './layer-format.js';

const catalog = enterpriseCatalog();
const at = new Date('2026-03-02T12:00:00Z');

const rules: CoverageRule[] = [
  { id: 'ssh-guess', title: 'SSH password guessing', level: 'medium', tags: ['attack.t1110.001'] },
  { id: 'valid-persist', title: 'Logon persistence', tags: ['attack.persistence', 'attack.t1078'] },
  { id: 'valid-evade', title: 'Logon evasion', tags: ['attack.defense-evasion', 'attack.t1078'] },
  { id: 'valid-any', title: 'Odd logon', tags: ['attack.t1078', 'attack.stealth'] },
  { id: 'old-ps', title: 'Old PowerShell rule', tags: ['attack.t1086'] },
];

const seen: SeenSource[] = [
  {
    product: 'windows',
    service: 'security',
    category: null,
    decoder: 'windows-evtx-json',
    channel: 'Security',
    code: '4625',
    events: 9,
    first: '2026-03-01T00:00:00.000Z',
    last: '2026-03-02T00:00:00.000Z',
  },
];

const report = computeCoverage({
  catalog,
  catalogSource: 'imported',
  rules,
  seen,
  detections: [
    { technique: 'T1110', day: '2026-03-02', alerts: 2, events: 40 },
    { technique: 'T1110.001', day: '2026-03-02', alerts: 2, events: 40 },
    { technique: 'T1026', day: '2026-03-02', alerts: 1, events: 1 },
  ],
});

const rulesLayer = buildLayer(report, catalog, { kind: 'rules', generatedAt: at, generator: 'Vigil test' });
const detectionsLayer = buildLayer(report, catalog, {
  kind: 'detections',
  generatedAt: at,
  generator: 'Vigil test',
  window: { from: '2026-02-01T00:00:00.000Z', to: '2026-03-03T00:00:00.000Z' },
});

describe('Navigator layer format 4.5', () => {
  it('the rules and detections layers pass the format checker', () => {
    expect(checkLayerFormat(rulesLayer)).toEqual([]);
    expect(checkLayerFormat(detectionsLayer)).toEqual([]);
  });

  it('versions: attack is the catalog’s major release, layer 4.5, navigator at least 4.9.0; domain from the catalog', () => {
    expect(rulesLayer.versions).toEqual({ attack: '18', navigator: '5.1.0', layer: '4.5' });
    expect(rulesLayer.domain).toBe('enterprise-attack');
  });

  it('every techniqueID is a current technique of the catalog (revoked and deprecated ones are left out and named)', () => {
    const current = new Set(catalog.techniques.filter((t) => t.status === '').map((t) => t.id));
    for (const layer of [rulesLayer, detectionsLayer])
      for (const t of layer.techniques ?? []) expect(current.has(t.techniqueID)).toBe(true);
    expect(detectionsLayer.techniques?.map((t) => t.techniqueID)).toEqual(['T1110', 'T1110.001']);
    expect(detectionsLayer.metadata).toContainEqual({
      name: 'left out (revoked, deprecated or unknown)',
      value: 'T1026 (deprecated)',
    });
  });
});

describe('rules layer', () => {
  it('scores a technique by its rules; a revoked tag counts for its replacement', () => {
    const t = rulesLayer.techniques?.find((x) => x.techniqueID === 'T1059.001');
    expect(t?.score).toBe(1);
    expect(t?.metadata).toContainEqual({ name: 'rule', value: 'Old PowerShell rule (old-ps)' });
  });

  it('a technique under several tactics gets one entry per tactic its rules place it under', () => {
    const entries = (rulesLayer.techniques ?? []).filter((x) => x.techniqueID === 'T1078');
    expect(entries.map((e) => [e.tactic, e.score])).toEqual([
      ['defense-evasion', 2],
      ['persistence', 2],
    ]);
  });

  it('a single-tactic technique has no tactic field', () => {
    expect(rulesLayer.techniques?.find((x) => x.techniqueID === 'T1110.001')).not.toHaveProperty('tactic');
  });

  it('colours covered techniques whose ATT&CK log sources were not seen, and says so in the legend', () => {
    const fed = rulesLayer.techniques?.find((x) => x.techniqueID === 'T1110.001');
    const unfed = rulesLayer.techniques?.find((x) => x.techniqueID === 'T1078');
    expect(fed?.color).toBeUndefined();
    expect(fed?.metadata).toContainEqual({ name: 'data seen', value: 'yes (log source and event code)' });
    expect(unfed?.color).toBe(NO_DATA_COLOR);
    expect(rulesLayer.legendItems?.map((l) => l.color)).toContain(NO_DATA_COLOR);
  });

  it('shows the sub-techniques of a parent that has covered ones', () => {
    const detected = detectionsLayer.techniques?.find((x) => x.techniqueID === 'T1110');
    expect(detected?.showSubtechniques).toBe(true);
  });

  it('names the tags the ATT&CK version does not know in the layer metadata', () => {
    expect(rulesLayer.metadata).toContainEqual({
      name: 'tags unknown to ATT&CK 18',
      value: 'attack.stealth (1)',
    });
  });

  it('without an imported catalog: uses the built-in table and says so', () => {
    const builtin = builtinCatalog();
    const r = computeCoverage({ catalog: builtin, catalogSource: 'builtin', rules });
    const layer = buildLayer(r, builtin, { kind: 'rules', generatedAt: at, generator: 'Vigil test' });
    expect(checkLayerFormat(layer)).toEqual([]);
    expect(layer.versions?.attack).toBe('18');
    expect(layer.description).toContain('built-in table');
    expect(layer.metadata?.find((m) => 'name' in m && m.name === 'ATT&CK catalog')).toMatchObject({
      value: expect.stringContaining('no catalog imported'),
    });
  });
});

describe('detections layer', () => {
  it('scores by alerts in the window, lists the days', () => {
    const t = detectionsLayer.techniques?.find((x) => x.techniqueID === 'T1110.001');
    expect(t).toMatchObject({ score: 2, comment: '2 alerts (40 events), 2026-03-02 to 2026-03-02' });
    expect(t?.metadata).toEqual([{ name: '2026-03-02', value: '2 alerts, 40 events' }]);
  });
});

describe('the format checker', () => {
  const broken = (change: (l: Record<string, unknown>) => void): string[] => {
    const l = JSON.parse(JSON.stringify(rulesLayer)) as Record<string, unknown>;
    change(l);
    return checkLayerFormat(l);
  };

  it('reports each kind of departure from the format', () => {
    expect(broken((l) => delete l.name)).toEqual(['$.name: required']);
    expect(broken((l) => (l.domain = 'mitre-enterprise'))).toHaveLength(1);
    expect(broken((l) => (l.versions = { navigator: '4.8.0', layer: '4.4' }))).toHaveLength(2);
    expect(broken((l) => (l.gradient = { colors: ['#fff'], minValue: 5, maxValue: 5 }))).toHaveLength(2);
    expect(broken((l) => (l.techniques = [{ techniqueID: 'T1078.1', score: '3' }]))).toHaveLength(2);
    expect(broken((l) => (l.metadata = [{ name: 'x' }, { divider: 'yes' }]))).toHaveLength(2);
    expect(broken((l) => (l.links = [{ label: 'x', url: 'attack.mitre.org' }]))).toHaveLength(1);
    expect(broken((l) => (l.sorting = 7))).toHaveLength(1);
    expect(checkLayerFormat([rulesLayer, { name: 'no domain' }])).toEqual(['$[1].domain: required']);
  });
});
