/**
 * Reading bundle bytes (`bundle-file.ts`): `.json` and gzip by magic bytes, the size bound, corrupt
 * gzip and invalid JSON as typed errors.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { readBundleBytes, readBundleFile } from '../../src/attack/bundle-file.js';
import { ENTERPRISE_FILE } from './fixtures.js';

let dir: string;
let json: Buffer;

async function code(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
  } catch (err) {
    return (err as { code?: string }).code;
  }
  return undefined;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vigil-bundle-'));
  json = await readFile(ENTERPRISE_FILE);
  await writeFile(join(dir, 'b.json.gz'), gzipSync(json));
  // gzip without the .gz name, and .gz that is not gzip: the magic bytes decide
  await writeFile(join(dir, 'gzip-named.json'), gzipSync(json));
  await writeFile(join(dir, 'plain-named.json.gz'), json);
  await writeFile(
    join(dir, 'corrupt.json.gz'),
    Buffer.concat([gzipSync(json).subarray(0, 200), Buffer.alloc(50, 7)]),
  );
  await writeFile(join(dir, 'bad.json'), '{"type": "bundle", ');
});

describe('readBundleFile', () => {
  it('reads plain and gzip bundles by their magic bytes, hashing the JSON bytes', async () => {
    const sha = createHash('sha256').update(json).digest('hex');
    for (const [name, gzip] of [
      ['b.json.gz', true],
      ['gzip-named.json', true],
      ['plain-named.json.gz', false],
    ] as const) {
      const r = await readBundleFile(join(dir, name));
      expect({ sha256: r.sha256, bytes: r.bytes, gzip: r.gzip }).toEqual({
        sha256: sha,
        bytes: json.length,
        gzip,
      });
      expect((r.bundle as { type: string }).type).toBe('bundle');
    }
  });

  it('refuses more than maxBytes after gunzip, corrupt gzip and invalid JSON with VIGIL_ERR_ATTACK_BUNDLE', async () => {
    expect(await code(readBundleFile(join(dir, 'b.json.gz'), 1000))).toBe('VIGIL_ERR_ATTACK_BUNDLE');
    expect(await code(readBundleFile(join(dir, 'corrupt.json.gz')))).toBe('VIGIL_ERR_ATTACK_BUNDLE');
    expect(await code(readBundleFile(join(dir, 'bad.json')))).toBe('VIGIL_ERR_ATTACK_BUNDLE');
  });

  it('a missing file is VIGIL_ERR_INPUT_READ', async () => {
    expect(await code(readBundleFile(join(dir, 'missing.json')))).toBe('VIGIL_ERR_INPUT_READ');
  });
});

describe('readBundleBytes', () => {
  it('reads a request body, gzip or not, with the same bound', async () => {
    expect((await readBundleBytes(gzipSync(json))).bytes).toBe(json.length);
    expect((await readBundleBytes(json)).gzip).toBe(false);
    expect(await code(readBundleBytes(gzipSync(json), 1000))).toBe('VIGIL_ERR_ATTACK_BUNDLE');
    expect(await code(readBundleBytes(json, 1000))).toBe('VIGIL_ERR_ATTACK_BUNDLE');
  });
});
