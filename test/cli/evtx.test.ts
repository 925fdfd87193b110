/**
 * `vigil evtx dump` and `vigil scan` on `.evtx` files written by the test builder.
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { FILE_HEADER_SIZE } from '../../src/pipeline/decoders/evtx/chunk.js';
import { vigil } from '../helpers/cli.js';
import { buildEvtx, security4624, sysmonProcessCreation } from '../helpers/evtx-builder.js';

let dir: string;
let clean: string;
let damaged: string;
const ENCODED = 'powershell.exe -NoP -enc SQBFAFgAIAAoAE4AZQB3AC0ATwBiAGoAZQBjAHQA';

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vigil-evtx-'));
  const { bytes, layout } = buildEvtx([
    {
      records: [
        sysmonProcessCreation({ id: 1, image: 'C:\\Windows\\System32\\cmd.exe', commandLine: 'cmd /c dir' }),
        sysmonProcessCreation({
          id: 2,
          image: 'C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe',
          commandLine: ENCODED,
        }),
      ],
    },
    { records: [security4624({ id: 3, targetUserName: 'alice' })] },
  ]);
  clean = join(dir, 'Microsoft-Windows-Sysmon%4Operational.evtx');
  await writeFile(clean, bytes);
  await writeFile(join(dir, 'copy.evtx.gz'), gzipSync(bytes));
  const bad = bytes.slice();
  bad.fill(0x41, layout.chunks[0]!.records[0]!.offset, layout.chunks[0]!.records[0]!.offset + 4);
  damaged = join(dir, 'damaged.evtx');
  await writeFile(damaged, bad);
});

describe('vigil evtx dump', () => {
  it('prints one evtx-to-JSON record per line', async () => {
    const r = await vigil('evtx', 'dump', clean);
    expect(r.code).toBe(0);
    const lines = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.map((l) => l.Event.System.EventRecordID)).toEqual([1, 2, 3]);
    expect(lines[1].Event.EventData.CommandLine).toBe(ENCODED);
    expect(r.stderr).toContain('3 records, 0 problems');
  });

  it('prints one JSON array with --format json', async () => {
    const r = await vigil('evtx', 'dump', '--format', 'json', clean);
    expect(r.code).toBe(0);
    expect(
      JSON.parse(r.stdout).map((e: { Event: { System: { EventID: number } } }) => e.Event.System.EventID),
    ).toEqual([1, 1, 4624]);
  });

  it('reports damage on stderr with its place, prints the rest, and exits 1', async () => {
    const r = await vigil('evtx', 'dump', damaged);
    expect(r.code).toBe(1);
    expect(r.stdout.trim().split('\n')).toHaveLength(2);
    expect(r.stderr).toMatch(/chunk 0 \(offset 0x[0-9a-f]+\): record-header: no record signature/);
    expect(r.stderr).toMatch(/2 records, 2 problems/); // the record and the chunk data checksum
  });

  it('prints what a truncated gzip holds before the cut, then fails (exit 2)', async () => {
    const { readFile } = await import('node:fs/promises');
    const gz = await readFile(join(dir, 'copy.evtx.gz'));
    const cut = join(await mkdtemp(join(tmpdir(), 'vigil-evtx-cut-')), 'cut.evtx.gz');
    // The first chunk compresses into the first part of the stream; keep 60% of it.
    await writeFile(cut, gz.subarray(0, Math.floor(gz.length * 0.6)));
    const r = await vigil('evtx', 'dump', cut);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unexpected end of file|Unexpected end/i);
    expect(r.stdout.trim().split('\n').length).toBeGreaterThanOrEqual(2);
  });

  it('refuses a file that is not EVTX (exit 2) and an unknown format (exit 2)', async () => {
    const notEvtx = join(dir, 'x.json');
    await writeFile(notEvtx, '{}\n');
    const a = await vigil('evtx', 'dump', notEvtx);
    expect(a.code).toBe(2);
    expect(a.stderr).toContain('not an EVTX file');
    const b = await vigil('evtx', 'dump', '--format', 'xml', clean);
    expect(b.code).toBe(2);
  });
});

describe('vigil scan on .evtx', () => {
  it('detects in raw and gzipped .evtx, with the record id and file offset as evidence', async () => {
    const r = await vigil('scan', dir, '-f', 'jsonl', '-q');
    const detections = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
      .filter((d) => d.rule.name === 'PowerShell Started with an Encoded Command');
    // The damaged copy lost record 1 only: its record 2 is still detected.
    expect(detections.map((d) => d.log.file.path).sort()).toEqual(
      [join(dir, 'copy.evtx.gz'), damaged, clean].sort(),
    );
    for (const d of detections) {
      expect(d.winlog.record_id).toBe(2);
      expect(d.log.offset).toBeGreaterThan(FILE_HEADER_SIZE);
      expect(d.process.command_line).toBe(ENCODED);
      expect(d.vigil.line).toBe(0);
    }
  });

  it('summarizes .evtx files and their damage', async () => {
    const r = await vigil('scan', dir, '-f', 'json', '-q');
    const { summary } = JSON.parse(r.stdout);
    const byName = Object.fromEntries(
      summary.files.map((f: { path: string }) => [f.path.slice(dir.length + 1), f]),
    );
    expect(byName['copy.evtx.gz']).toMatchObject({
      format: 'evtx',
      status: 'scanned',
      events: 3,
      failures: 0,
    });
    expect(byName['damaged.evtx']).toMatchObject({
      format: 'evtx',
      status: 'scanned',
      events: 2,
      failures: 2,
    });
    expect(summary.failureSamples.map((f: { reason: string }) => f.reason)).toContainEqual(
      expect.stringContaining('record-header'),
    );
  });
});
