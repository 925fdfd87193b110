/**
 * `vigil logs templates` on a small hand-written log (test/fixtures/templates/auth.log).
 */
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { vigil } from '../helpers/cli.js';

const FIXTURE = new URL('../fixtures/templates/auth.log', import.meta.url).pathname;

interface Line {
  line: number;
  template_id: number;
  template: string;
  parameters: string[];
  entities?: Record<string, string | number>;
}

const parse = (stdout: string): Line[] =>
  stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Line);

let dir: string;
let text: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vigil-logs-'));
  text = await readFile(FIXTURE, 'utf8');
  await writeFile(join(dir, 'auth.log.gz'), gzipSync(text));
});

describe('vigil logs templates', () => {
  it('prints one JSON line per message with template_id, template, parameters', async () => {
    const r = await vigil('logs', 'templates', FIXTURE);
    expect(r.code).toBe(0);
    const out = parse(r.stdout);
    const messages = text.split('\n').filter((l) => l.trim() !== '');
    expect(out).toHaveLength(messages.length);
    for (const o of out) {
      expect(Object.keys(o).sort()).toEqual(
        ['line', 'template_id', 'template', 'parameters', ...(o.entities ? ['entities'] : [])].sort(),
      );
      expect(Number.isInteger(o.template_id)).toBe(true);
      expect(Array.isArray(o.parameters)).toBe(true);
    }
    expect(out[0]).toEqual({
      line: 1,
      template_id: out[0]!.template_id,
      template: 'Accepted password for <*> from <*> port <*> ssh2',
      parameters: ['alice', '203.0.113.9', '4242'],
      entities: { 'user.name': 'alice', 'source.ip': '203.0.113.9', 'source.port': 4242 },
    });
    expect(r.stderr).toContain(`${messages.length} messages`);
  });

  it('counts empty lines in line numbers but prints nothing for them', async () => {
    const out = parse((await vigil('logs', 'templates', FIXTURE)).stdout);
    const lines = out.map((o) => o.line);
    expect(lines).not.toContain(5);
    expect(lines.slice(3, 5)).toEqual([4, 6]);
  });

  it('reports each line with its final template (two passes)', async () => {
    const out = parse((await vigil('logs', 'templates', FIXTURE)).stdout);
    // Line 1 came before any other user; its template is the generalized one all four share.
    const accepted = out.filter((o) => o.template.startsWith('Accepted password'));
    expect(accepted).toHaveLength(4);
    expect(new Set(accepted.map((o) => o.template_id)).size).toBe(1);
    expect(new Set(accepted.map((o) => o.template)).size).toBe(1);
  });

  it('extracts a hash by its cue, and omits entities when there are none', async () => {
    const out = parse((await vigil('logs', 'templates', FIXTURE)).stdout);
    const download = out.find((o) => o.template.startsWith('Downloaded'))!;
    expect(download.entities).toEqual({
      'url.original': 'https://updates.example.com/pkg/1.2.3/pkg.tar.gz',
      'file.hash.sha256': '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08',
    });
    const starting = out.find((o) => o.template.startsWith('Starting'))!;
    expect(starting.entities).toBeUndefined();
  });

  it('reads a .gz file the same way', async () => {
    const plain = await vigil('logs', 'templates', FIXTURE);
    const gz = await vigil('logs', 'templates', join(dir, 'auth.log.gz'));
    expect(gz.code).toBe(0);
    expect(gz.stdout).toBe(plain.stdout);
  });

  it('prints the templates with counts with --format table', async () => {
    const r = await vigil('logs', 'templates', '--format', 'table', FIXTURE);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('count');
    expect(r.stdout).toMatch(/│ 4 +│ Accepted password for <\*> from <\*> port <\*> ssh2/);
    expect(r.stdout).toContain('Starting TrustedInstaller initialization.');
  });

  it('fails with exit code 2 on a missing file or an unknown format', async () => {
    const missing = await vigil('logs', 'templates', join(dir, 'nope.log'));
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('VIGIL_ERR_INPUT_READ');
    const format = await vigil('logs', 'templates', '--format', 'xml', FIXTURE);
    expect(format.code).toBe(2);
    expect(format.stderr).toContain('VIGIL_ERR_USAGE');
  });

  it('fails with exit code 2 on a damaged .gz file', async () => {
    await writeFile(join(dir, 'bad.log.gz'), 'not gzip at all');
    const r = await vigil('logs', 'templates', join(dir, 'bad.log.gz'));
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('VIGIL_ERR_INPUT_READ');
  });
});
