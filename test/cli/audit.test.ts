/**
 * `vigil audit verify` and `vigil audit export` against an embedded (PGlite) data directory in a
 * temporary folder: seeded through writeAudit, then tampered with behind the API's back.
 * Each command opens the store itself (about a PGlite start-up each), so the cases share one
 * data directory and run in order.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import { writeAudit } from '../../src/store/audit.js';
import { auditHash, GENESIS_HASH } from '../../src/store/audit-hash.js';
import { openDatabase } from '../../src/store/database.js';
import { vigil } from '../helpers/cli.js';

const ENTRIES = 5;

describe('vigil audit', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'vigil-audit-'));
    const database = await openDatabase({ kind: 'pglite', dataDir: dir });
    try {
      for (let i = 1; i <= ENTRIES; i++)
        await writeAudit(
          database.db,
          {
            actor: { name: 'cli:tester', ip: null },
            action: 'user.create',
            target: `u${i}`,
            after: { name: `u${i}`, role: 'viewer' },
          },
          new Date(Date.UTC(2026, 2, 1, 10, 0, i)),
        );
    } finally {
      await database.close();
    }
  }, 60_000);

  it('verify: exits 0 on an intact log, with the entries checked and the last hash', async () => {
    const r = await vigil('audit', 'verify', '--data-dir', dir);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^${ENTRIES} entries checked, last hash [0-9a-f]{64}\\n`));
    expect(r.stdout).toContain('audit log intact');
  });

  it('export: NDJSON in id order with prev_hash and hash, re-verifiable by a third party', async () => {
    const file = join(dir, 'audit.ndjson');
    const r = await vigil('audit', 'export', '--data-dir', dir, '--output', file);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(`exported ${ENTRIES} audit entries`);
    const lines = (await readFile(file, 'utf8')).trimEnd().split('\n');
    expect(lines).toHaveLength(ENTRIES);
    let prev = GENESIS_HASH;
    for (const [i, line] of lines.entries()) {
      const record = JSON.parse(line) as Parameters<typeof auditHash>[1] & {
        prev_hash: string;
        hash: string;
      };
      expect(record).toMatchObject({ id: i + 1, action: 'user.create', prev_hash: prev });
      expect(auditHash(record.prev_hash, record)).toBe(record.hash);
      prev = record.hash;
    }
    const stdout = await vigil('audit', 'export', '--data-dir', dir);
    expect(stdout.code).toBe(0);
    expect(stdout.stdout).toBe(`${lines.join('\n')}\n`);
  });

  it('verify: exits 1 after entries are edited or deleted behind its back, naming the ids', async () => {
    const database = await openDatabase({ kind: 'pglite', dataDir: dir });
    try {
      await sql`ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only`.execute(database.db);
      await sql`UPDATE audit_log SET after = '{"name": "u2", "role": "admin"}' WHERE id = 2`.execute(
        database.db,
      );
      await sql`DELETE FROM audit_log WHERE id = 4`.execute(database.db);
      await sql`ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only`.execute(database.db);
    } finally {
      await database.close();
    }
    const text = await vigil('audit', 'verify', '--data-dir', dir);
    expect(text.code).toBe(1);
    expect(text.stdout.split('\n').slice(1)).toEqual([
      expect.stringMatching(/^break at id 2: hash_mismatch \(expected [0-9a-f]{64}, found [0-9a-f]{64}\)$/),
      'break at id 5: gap (id 4 missing)',
      'audit log BROKEN: 2 breaks',
      '',
    ]);
    const json = await vigil('audit', 'verify', '--data-dir', dir, '--format', 'json');
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({
      ok: false,
      entries: ENTRIES - 1,
      breakCount: 2,
      breaks: [
        { id: 2, reason: 'hash_mismatch' },
        { id: 5, reason: 'gap', expected: '4', found: '5' },
      ],
    });
  });

  it('refuses while a running server holds the data directory (exit 2, VIGIL_ERR_STORE_LOCKED)', async () => {
    const server = spawn('sleep', ['30']);
    const lock = join(dir, 'vigil.lock');
    try {
      await writeFile(lock, `${server.pid}\n`);
      const r = await vigil('audit', 'verify', '--data-dir', dir);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('VIGIL_ERR_STORE_LOCKED');
      expect(r.stderr).toContain(
        `in use by process ${server.pid} (stop the server, or run this through its API)`,
      );
    } finally {
      server.kill();
      await rm(lock, { force: true });
    }
  });

  it('refuses a data directory that holds no store instead of verifying an empty one (exit 2)', async () => {
    const empty = await mkdtemp(join(tmpdir(), 'vigil-audit-empty-'));
    const r = await vigil('audit', 'verify', '--data-dir', empty);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/no Vigil store in .*\(VIGIL_ERR_USAGE\)/);
  });

  it('refuses an unknown --format (exit 2)', async () => {
    const r = await vigil('audit', 'verify', '--data-dir', dir, '--format', 'xml');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--format: "xml" is not one of text, json');
  });
});
