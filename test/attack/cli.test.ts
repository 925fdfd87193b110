/**
 * `vigil attack import` against an embedded (PGlite) data directory in a temporary folder, and
 * the offline `vigil attack coverage --rules … [--layer]`. The import cases share one data
 * directory and run in order (each command opens the store itself).
 */
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/store/database.js';
import { vigil } from '../helpers/cli.js';
import { ENTERPRISE_FILE, ICS_FILE } from './fixtures.js';
import { checkLayerFormat } from './layer-format.js';

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vigil-attack-'));
  await writeFile(join(dir, 'enterprise-attack.json.gz'), gzipSync(await readFile(ENTERPRISE_FILE)));
  await writeFile(join(dir, 'not-a-bundle.json'), '{"type":"report","objects":[]}');
  await writeFile(
    join(dir, 'rule.yml'),
    `title: Password guessing
id: 1d1a3f7e-0c55-4f7d-9a43-6c1d7b1f0a01
status: test
tags:
  - attack.credential-access
  - attack.t1110.001
  - attack.t1685
logsource:
  product: windows
  service: security
detection:
  selection:
    EventID: 4625
  condition: selection
level: medium
`,
  );
});

describe('vigil attack import', () => {
  it('imports a .json.gz bundle and prints tactics, techniques, sub-techniques, analytics and the version', async () => {
    const r = await vigil(
      'attack',
      'import',
      join(dir, 'enterprise-attack.json.gz'),
      '--data-dir',
      join(dir, 'data'),
    );
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(
      'imported Enterprise ATT&CK (enterprise-attack) version 18 (inferred from the ATT&CK spec version; pass --attack-version to set it), STIX 2.0',
    );
    expect(r.stdout).toContain('4 tactics, 5 techniques, 3 sub-techniques (1 revoked, 1 deprecated)');
    expect(r.stdout).toContain(
      '4 analytics, 3 detection strategies, 6 log-source references (3 techniques fed)',
    );
    expect(r.stdout).toContain('first import of this domain');
  }, 60_000);

  it('a second import replaces the first, says so, and is audited as cli:<OS user>', async () => {
    const r = await vigil(
      'attack',
      'import',
      join(dir, 'enterprise-attack.json.gz'),
      '--data-dir',
      join(dir, 'data'),
      '--attack-version',
      '18.1',
      '--format',
      'json',
    );
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { imported: { version: string }; previous: { version: string } };
    expect([out.previous.version, out.imported.version]).toEqual(['18', '18.1']);
    const database = await openDatabase({ kind: 'pglite', dataDir: join(dir, 'data') });
    try {
      const audit = await database.db
        .selectFrom('audit_log')
        .select(['actor', 'target'])
        .where('action', '=', 'attack.import')
        .execute();
      expect(audit).toEqual([
        { actor: `cli:${userInfo().username}`, target: 'enterprise-attack' },
        { actor: `cli:${userInfo().username}`, target: 'enterprise-attack' },
      ]);
    } finally {
      await database.close();
    }
  }, 60_000);

  it('reads the STIX 2.1 ICS bundle too (plain .json)', async () => {
    const r = await vigil('attack', 'import', ICS_FILE, '--data-dir', join(dir, 'data'));
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(
      "imported ICS ATT&CK (ics-attack) version 18.1 (from the bundle's x-mitre-collection), STIX 2.1",
    );
  }, 60_000);

  it('refuses what is not a bundle, a missing file and a bad option with their error codes (exit 2)', async () => {
    const notBundle = await vigil(
      'attack',
      'import',
      join(dir, 'not-a-bundle.json'),
      '--data-dir',
      join(dir, 'data'),
    );
    expect(notBundle.code).toBe(2);
    expect(notBundle.stderr).toContain('VIGIL_ERR_ATTACK_BUNDLE');
    const missing = await vigil('attack', 'import', join(dir, 'nope.json'), '--data-dir', join(dir, 'data'));
    expect(missing.stderr).toContain('VIGIL_ERR_INPUT_READ');
    const bad = await vigil('attack', 'import', ICS_FILE, '--attack-version', 'latest');
    expect(bad.stderr).toContain('VIGIL_ERR_USAGE');
  }, 60_000);
});

describe('vigil attack coverage (offline)', () => {
  it('resolves tags against --bundle, lists unknown tags verbatim, and writes a layer in the 4.5 format', async () => {
    const layerFile = join(dir, 'layer.json');
    const r = await vigil(
      'attack',
      'coverage',
      '--rules',
      join(dir, 'rule.yml'),
      '--bundle',
      join(dir, 'enterprise-attack.json.gz'),
      '--layer',
      layerFile,
    );
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('covered: 0 of 3 techniques, 1 of 3 sub-techniques');
    expect(r.stdout).toMatch(/attack\.t1685 +1 rule/);
    expect(r.stderr).toContain('wrote a Navigator layer of 1 entries');
    const layer = JSON.parse(await readFile(layerFile, 'utf8')) as { techniques: { techniqueID: string }[] };
    expect(checkLayerFormat(layer)).toEqual([]);
    expect(layer.techniques.map((t) => t.techniqueID)).toEqual(['T1110.001']);
  });

  it('without --bundle uses the built-in table', async () => {
    const r = await vigil('attack', 'coverage', '--rules', join(dir, 'rule.yml'), '--format', 'json');
    const report = JSON.parse(r.stdout) as { attack: { source: string; version: string } };
    expect(report.attack).toMatchObject({ source: 'builtin', version: '18.1' });
  });
});
