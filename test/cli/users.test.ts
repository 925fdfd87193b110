/**
 * `vigil users …` and `vigil keys rotate` through the built CLI on an embedded data directory:
 * what they change is what the service then enforces (real PGlite, real argon2id).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { createServiceContext } from '../../src/service/vigil.js';
import { closeTestContext } from '../helpers/service.js';
import { ROOT } from '../helpers/shared-data.js';
import pino from 'pino';

function cli(
  dataDir: string,
  args: string[],
  input?: string,
): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [join(ROOT, 'bin/vigil.js'), ...args, '--data-dir', dataDir], {
    input,
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '' },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('vigil users', () => {
  it('adds, lists, resets, disables and rotates keys, all audited', { timeout: 120_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-users-'));
    const added = cli(dir, ['users', 'add', 'alice', '--role', 'analyst']);
    expect(added.code, added.stderr).toBe(0);
    const generated = /initial password \(shown once[^)]*\): (\S+)/.exec(added.stdout)?.[1];
    expect(generated).toMatch(/^[A-Za-z0-9_-]{24}$/);
    const bob = cli(dir, ['users', 'add', 'bob', '--password-stdin'], 'correct-horse-battery-staple\n');
    expect(bob.code, bob.stderr).toBe(0);
    expect(bob.stdout).not.toContain('correct-horse-battery-staple');
    const weak = cli(dir, ['users', 'add', 'carol', '--password-stdin'], 'short\n');
    expect(weak.code).toBe(2);
    expect(weak.stderr).toContain('VIGIL_ERR_PASSWORD_POLICY');
    const list = cli(dir, ['users', 'list', '--format', 'json']);
    const users = JSON.parse(list.stdout) as { name: string; role: string; must_change_password: boolean }[];
    expect(users.map((u) => [u.name, u.role, u.must_change_password])).toEqual([
      ['alice', 'analyst', true],
      ['bob', 'viewer', false],
    ]);
    expect(cli(dir, ['users', 'disable', 'bob']).code).toBe(0);
    expect(cli(dir, ['keys', 'rotate']).stdout).toMatch(
      /^new signing key [0-9a-f-]{36}; retired [0-9a-f-]{36}\n$/,
    );

    const ctx = await createServiceContext(
      loadConfig(
        { dataDir: dir },
        { VIGIL_ADMIN_PASSWORD: 'admin-password-for-users-test', VIGIL_LOG_LEVEL: 'silent' },
      ),
      { log: pino({ level: 'silent' }) },
    );
    try {
      const client = { ip: null, userAgent: null };
      const alice = await ctx.auth.login.password('alice', generated!, client);
      expect('access_token' in alice).toBe(true);
      await expect(ctx.auth.login.password('bob', 'correct-horse-battery-staple', client)).rejects.toThrow(
        'invalid user name or password',
      );
      const audit = await ctx.database.db
        .selectFrom('audit_log')
        .select(['actor', 'action', 'target'])
        .where('actor', 'like', 'cli:%')
        .orderBy('id')
        .execute();
      expect(audit.map((a) => `${a.action} ${a.target}`)).toEqual([
        'user.create alice',
        'user.create bob',
        'user.update bob',
        expect.stringMatching(/^signing_key\.rotate /),
      ]);
      // A running service holds the embedded store: the CLI refuses and says what to do.
      const locked = cli(dir, ['users', 'list']);
      expect(locked.code).toBe(2);
      expect(locked.stderr).toContain('VIGIL_ERR_STORE_LOCKED');
    } finally {
      await closeTestContext(ctx);
    }
  });
});
