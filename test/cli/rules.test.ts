import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { vigil } from '../helpers/cli.js';
import { ROOT } from '../helpers/shared-data.js';

const GOOD = `title: Whoami
id: 9d4f53a0-0d5d-4e39-9a1e-3a6c4d0a1b01
status: test
logsource: {product: windows, category: process_creation}
detection:
    selection:
        Image|endswith: '\\whoami.exe'
    condition: selection
level: low
`;
const PLACEHOLDER = `title: Logon by an administrator from a workstation
id: 9d4f53a0-0d5d-4e39-9a1e-3a6c4d0a1b02
status: test
logsource: {product: windows, service: security}
detection:
    selection:
        EventID: 4624
        TargetUserName|expand: '%Administrators%'
    condition: selection
level: medium
`;
const BROKEN = `title: Broken modifier
id: 9d4f53a0-0d5d-4e39-9a1e-3a6c4d0a1b03
logsource: {product: windows}
detection:
    selection:
        Image|endswitch: 'x'
    condition: selection
`;
const DEPRECATED = GOOD.replace('status: test', 'status: deprecated').replace('1b01', '1b04');

describe('vigil rules check', () => {
  let dir: string;
  let admins: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'vigil-rules-'));
    admins = join(await mkdtemp(join(tmpdir(), 'vigil-placeholders-')), 'admins.yml');
    await mkdir(join(dir, 'ok'));
    await writeFile(join(dir, 'ok', 'good.yml'), GOOD);
    await writeFile(join(dir, 'ok', 'placeholder.yml'), PLACEHOLDER);
    await writeFile(join(dir, 'ok', 'deprecated.yml'), DEPRECATED);
    await writeFile(join(dir, 'broken.yml'), BROKEN);
    await writeFile(admins, 'Administrators: [admin, "adm_*"]\n');
  });

  it("loads Vigil's own pack without any problem", async () => {
    const r = await vigil('rules', 'check', join(ROOT, 'rules'));
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      /47 files: 40 rules and 7 correlation rules loaded, 0 inactive, 0 unsupported, 0 errors, 0 warnings/,
    );
  });

  it('reports inactive rules with the placeholder they need, and exits 0', async () => {
    const r = await vigil('rules', 'check', join(dir, 'ok'));
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('inactive');
    expect(r.stdout).toContain('%Administrators%');
    expect(r.stdout).toContain('placeholder.yml:8');
    expect(r.stdout).toMatch(
      /1 rules and 0 correlation rules loaded, 1 inactive, 0 unsupported, 0 errors, 0 warnings, 1 excluded by status/,
    );
  });

  it('loads the rule once --placeholders gives values', async () => {
    const r = await vigil('rules', 'check', join(dir, 'ok'), '--placeholders', admins);
    expect(r.stdout).toMatch(/2 rules and 0 correlation rules loaded, 0 inactive/);
  });

  it('includes deprecated rules with --status all', async () => {
    const r = await vigil('rules', 'check', join(dir, 'ok'), '--status', 'all', '--placeholders', admins);
    expect(r.stdout).toMatch(/3 rules and 0 correlation rules loaded/);
  });

  it('exits 1 on an invalid rule and says where and why', async () => {
    const r = await vigil('rules', 'check', dir);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(
      /error\s+\S*broken\.yml:6 \[9d4f53a0-0d5d-4e39-9a1e-3a6c4d0a1b03\] detection\.selection\.Image\|endswitch: invalid modifier usage: unknown modifier "endswitch" \(VIGIL_ERR_RULE_MODIFIER\)/,
    );
  });

  it('prints JSON with --format json', async () => {
    const r = await vigil('rules', 'check', dir, '-f', 'json');
    const report = JSON.parse(r.stdout);
    expect(report).toMatchObject({ files: 4, loaded: 1, inactive: 1, errors: 1, excludedByStatus: 1 });
    expect(report.diagnostics).toHaveLength(2);
  });
});
