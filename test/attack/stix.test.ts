/**
 * Reading ATT&CK STIX bundles (`parseStixBundle`): the STIX 2.0 Enterprise shape (mitre/cti, no
 * collection object) and the STIX 2.1 ICS shape (attack-stix-data, with `x-mitre-collection`),
 * on small hand-written bundles; any JSON value yields a catalog or a typed error.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseStixBundle, versionFromFileName } from '../../src/detect/attack/stix.js';
import { VigilError } from '../../src/errors.js';
import { bundle, ENTERPRISE_FILE, enterpriseCatalog, ICS_FILE } from './fixtures.js';

function errorCode(f: () => unknown): string | undefined {
  try {
    f();
  } catch (err) {
    return err instanceof VigilError ? err.code : `not a VigilError: ${String(err)}`;
  }
  return undefined;
}

describe('STIX 2.0 bundle, Enterprise shape', () => {
  const c = enterpriseCatalog();

  it('reads the domain from the x-mitre-matrix and the STIX version from the bundle', () => {
    expect(c.domain).toBe('enterprise-attack');
    expect(c.name).toBe('Enterprise ATT&CK');
    expect(c.stixVersion).toBe('2.0');
  });

  it('reads tactics with TA id and shortname, in the matrix order (tactic_refs)', () => {
    expect(c.tactics).toEqual([
      { id: 'TA0003', shortname: 'persistence', name: 'Persistence' },
      { id: 'TA0006', shortname: 'credential-access', name: 'Credential Access' },
      { id: 'TA0002', shortname: 'execution', name: 'Execution' },
      { id: 'TA0005', shortname: 'defense-evasion', name: 'Defense Evasion' },
    ]);
  });

  it('reads techniques and sub-techniques with their tactics from kill_chain_phases', () => {
    const t = new Map(c.techniques.map((x) => [x.id, x]));
    expect(t.get('T1110.001')).toEqual({
      id: 'T1110.001',
      name: 'Password Guessing',
      tactics: ['credential-access'],
      platforms: ['Windows', 'Linux'],
      subtechnique: true,
      status: '',
      revokedBy: null,
    });
    expect(t.get('T1078')?.tactics).toEqual(['defense-evasion', 'persistence']);
    expect(t.get('T1059')?.subtechnique).toBe(false);
    expect(c.counts).toMatchObject({ tactics: 4, techniques: 5, subtechniques: 3 });
  });

  it('flags revoked (with the revoked-by target) and deprecated techniques instead of dropping them', () => {
    const t = new Map(c.techniques.map((x) => [x.id, x]));
    expect(t.get('T1086')).toMatchObject({ status: 'revoked', revokedBy: 'T1059.001' });
    expect(t.get('T1026')).toMatchObject({ status: 'deprecated', revokedBy: null });
    expect(c.counts).toMatchObject({ revoked: 1, deprecated: 1 });
  });

  it('skips attack-patterns without an ATT&CK id, with a warning', () => {
    expect(c.techniques.some((x) => x.name === 'A pattern from another catalog')).toBe(false);
    expect(c.warnings).toContain('1 attack-pattern objects without an ATT&CK id skipped');
  });

  it('links log sources to techniques: detection strategy -detects-> technique, its analytics -> log source references', () => {
    expect(c.logSources.filter((l) => l.technique === 'T1110.001')).toEqual([
      {
        technique: 'T1110.001',
        strategy: 'DET0001',
        analytic: 'AN0001',
        name: 'WinEventLog:Security',
        channel: 'EventCode=4625',
        dataComponent: 'DC0002',
      },
      {
        technique: 'T1110.001',
        strategy: 'DET0001',
        analytic: 'AN0002',
        name: 'linux:syslog',
        channel: 'sshd[pid]: Failed password',
        dataComponent: 'DC0002',
      },
      {
        technique: 'T1110.001',
        strategy: 'DET0001',
        analytic: 'AN0002',
        name: 'auditd:SYSCALL',
        channel: 'execve',
        dataComponent: 'DC0032',
      },
    ]);
    expect(c.counts).toMatchObject({
      analytics: 4,
      detectionStrategies: 3,
      logSourceReferences: 6,
      techniquesWithLogSources: 3,
    });
  });

  it('ignores a deprecated analytic referenced by a strategy', () => {
    expect(c.logSources.some((l) => l.analytic === 'AN0009')).toBe(false);
  });

  it('collects group and software ids for attack.gNNNN / attack.sNNNN tags', () => {
    expect(c.otherIds).toEqual(['G0006', 'S0002']);
  });

  it('without a collection, infers the release from the highest ATT&CK spec version (3.3.0 → 18) and says so', () => {
    expect(c.attackSpecVersion).toBe('3.3.0');
    expect({ version: c.version, source: c.versionSource }).toEqual({
      version: '18',
      source: 'spec-version',
    });
  });

  it('takes the release from the caller first, then the file name', () => {
    const b = bundle(ENTERPRISE_FILE);
    expect(parseStixBundle(b, { version: '18.1' })).toMatchObject({
      version: '18.1',
      versionSource: 'option',
    });
    expect(parseStixBundle(b, { fileName: 'enterprise-attack-17.1.json.gz' })).toMatchObject({
      version: '17.1',
      versionSource: 'file-name',
    });
  });
});

describe('STIX 2.1 bundle, ICS shape', () => {
  const c = parseStixBundle(bundle(ICS_FILE));

  it('reads the ics-attack domain, its mitre-ics-attack kill chain and the objects’ spec_version', () => {
    expect(c.domain).toBe('ics-attack');
    expect(c.stixVersion).toBe('2.1');
    expect(c.tactics.map((t) => t.shortname)).toEqual(['initial-access', 'execution']);
    expect(c.techniques.find((t) => t.id === 'T0807')?.tactics).toEqual(['execution']);
  });

  it('takes the release from x-mitre-collection', () => {
    expect({ name: c.name, version: c.version, source: c.versionSource }).toEqual({
      name: 'ICS ATT&CK',
      version: '18.1',
      source: 'collection',
    });
  });

  it('reads a deprecated technique whose id is under the mitre-ics-attack source name', () => {
    expect(c.techniques.find((t) => t.id === 'T0850')).toMatchObject({ status: 'deprecated' });
  });

  it('links the ICS analytic to its technique', () => {
    expect(c.logSources).toEqual([
      {
        technique: 'T0807',
        strategy: 'DET0749',
        analytic: 'AN1881',
        name: 'Command',
        channel: 'None',
        dataComponent: 'DC0064',
      },
    ]);
  });
});

describe('versionFromFileName', () => {
  it('finds a release in ATT&CK file names, and nothing where there is none', () => {
    expect(versionFromFileName('/data/ics-attack-18.1.stix21.json.gz')).toBe('18.1');
    expect(versionFromFileName('enterprise-attack-v17.0.json')).toBe('17.0');
    expect(versionFromFileName('enterprise-attack.json.gz')).toBeUndefined();
  });
});

describe('what is not a usable bundle', () => {
  it('rejects non-bundles and bundles without tactics or techniques with VIGIL_ERR_ATTACK_BUNDLE', () => {
    expect(errorCode(() => parseStixBundle([]))).toBe('VIGIL_ERR_ATTACK_BUNDLE');
    expect(errorCode(() => parseStixBundle({ type: 'bundle' }))).toBe('VIGIL_ERR_ATTACK_BUNDLE');
    expect(errorCode(() => parseStixBundle({ type: 'bundle', objects: [] }))).toBe('VIGIL_ERR_ATTACK_BUNDLE');
    const onlyTechniques = {
      type: 'bundle',
      objects: [
        {
          type: 'attack-pattern',
          id: 'attack-pattern--1',
          x_mitre_domains: ['enterprise-attack'],
          external_references: [{ source_name: 'mitre-attack', external_id: 'T1110' }],
        },
      ],
    };
    expect(errorCode(() => parseStixBundle(onlyTechniques))).toBe('VIGIL_ERR_ATTACK_BUNDLE');
  });

  it('any JSON value, or a fixture with objects mangled, yields a catalog or that typed error, never a crash', () => {
    const base = bundle(ENTERPRISE_FILE) as { type: string; objects: unknown[] };
    fc.assert(
      fc.property(
        fc.oneof(
          fc.jsonValue(),
          fc
            .array(fc.tuple(fc.nat(base.objects.length - 1), fc.jsonValue()), { maxLength: 8 })
            .map((edits) => {
              const objects = [...base.objects];
              for (const [i, v] of edits) objects[i] = v;
              return { type: 'bundle', objects };
            }),
        ),
        (value) => {
          const code = errorCode(() => parseStixBundle(value));
          expect(code === undefined || code === 'VIGIL_ERR_ATTACK_BUNDLE').toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });
});
