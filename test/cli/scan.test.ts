import { execFile } from 'node:child_process';
import { mkdtemp, readFile, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { vigil } from '../helpers/cli.js';
import { ROOT } from '../helpers/shared-data.js';

const EXAMPLES = join(ROOT, 'examples');
const run = promisify(execFile);

function windowsEvent(id: number, channel: string, data: Record<string, unknown>): string {
  return JSON.stringify({
    Event: {
      System: {
        Provider: { '#attributes': { Name: 'Microsoft-Windows-Sysmon' } },
        EventID: id,
        Channel: channel,
        Computer: 'LAB-01',
        TimeCreated: { '#attributes': { SystemTime: '2026-01-02T03:04:05.000Z' } },
      },
      EventData: data,
    },
  });
}

const ENCODED = windowsEvent(1, 'Microsoft-Windows-Sysmon/Operational', {
  Image: 'C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe',
  CommandLine: 'powershell -nop -enc SQBFAFgAIAAoAE4AZQB3AC0ATwBiAGoAZQBjAHQAIABOAGUAdAApAA==',
});

describe('vigil scan on the example logs', () => {
  it('prints a timeline and a summary, exit code 0', async () => {
    const r = await vigil('scan', EXAMPLES);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('PowerShell Started with an Encoded Command');
    expect(r.stdout).toContain('SSH Password Authentication Failed');
    expect(r.stdout).toContain('HTTP Tunnelling Web Shell');
    expect(r.stdout).toMatch(/Summary\n {2}Events scanned: 44 /);
    expect(r.stdout).toContain('formats: syslog 1, access-log 1, w3c 1, jsonl 1');
    // The timeline is in event-time order.
    const stamps = [...r.stdout.matchAll(/^(\d{4}-\d\d-\d\dT[\d:.]+Z) /gm)].map((m) => m[1]!);
    expect(stamps.length).toBeGreaterThan(20);
    expect([...stamps].sort()).toEqual(stamps);
  });

  it('writes ECS detections as JSON Lines, with ATT&CK and the explanation', async () => {
    const r = await vigil('scan', join(EXAMPLES, 'windows'), '-f', 'jsonl', '-q');
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    const lines = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const lsass = lines.find((d) => d.rule.name === 'LSASS Process Memory Opened for Reading');
    expect(lsass).toMatchObject({
      '@timestamp': '2026-03-14T09:15:22.450Z',
      rule: { id: '24eae60c-e36c-4f1d-8d15-74a61681336e', level: 'high', status: 'test', ruleset: 'sigma' },
      threat: { framework: 'MITRE ATT&CK', tactic: { id: ['TA0006'], name: ['Credential Access'] } },
      host: { name: 'WS-FIN-07.corp.example' },
      process: { executable: 'C:\\Users\\jdoe\\AppData\\Local\\Temp\\svc64.exe' },
      event: { kind: 'alert', severity: 73, code: '10' },
      vigil: {
        match: { selections: ['selection'], fields: { GrantedAccess: '0x1010' } },
        decoder: 'windows-evtx-json',
      },
    });
    expect(lsass.threat.technique.subtechnique.id).toEqual(['T1003.001']);
    expect(lsass.log.file.path).toMatch(/ws-fin-07\.jsonl$/);
    expect(lsass.vigil.line).toBe(4);
  });

  it('writes CSV with a header row', async () => {
    const r = await vigil('scan', join(EXAMPLES, 'web'), '-f', 'csv', '-q');
    const rows = r.stdout.trim().split('\r\n');
    expect(rows[0]).toBe(
      'timestamp,level,rule_id,rule_name,tactics,techniques,host,user,source_ip,details,file,line,event_index',
    );
    expect(rows.length).toBeGreaterThan(5);
    expect(
      rows.some((row) => row.includes('SQL Injection Attempt in a Request') && row.includes('192.0.2.66')),
    ).toBe(true);
  });

  it('writes a JSON report to a file and the summary to stderr', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'vigil-'));
    const out = join(dir, 'report.json');
    const r = await vigil('scan', EXAMPLES, '-f', 'json', '-o', out);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('Detections: ');
    const report = JSON.parse(await readFile(out, 'utf8'));
    expect(report.summary.events).toBe(44);
    expect(report.detections.length).toBe(report.summary.detections);
  });

  it('exits 1 when a detection is at or above --fail-on, 0 otherwise', async () => {
    expect((await vigil('scan', EXAMPLES, '--fail-on', 'high', '-q')).code).toBe(1);
    expect((await vigil('scan', EXAMPLES, '--fail-on', 'critical', '-q')).code).toBe(0);
  });

  it('reports only detections at or above --min-level', async () => {
    const r = await vigil('scan', EXAMPLES, '--min-level', 'high', '-f', 'jsonl', '-q');
    const levels = new Set(
      r.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l).rule.level),
    );
    expect(levels).toEqual(new Set(['high']));
  });

  it('exits 2 with a message naming the option for bad values', async () => {
    const bad = [
      ['--min-level', 'severe'],
      ['--timezone', 'Mars/Olympus'],
      ['--year', 'last'],
      ['--format', 'xml'],
      ['--status', 'beta'],
    ];
    for (const [opt, value] of bad) {
      const r = await vigil('scan', EXAMPLES, opt!, value!);
      expect(r.code, `${opt} ${value}`).toBe(2);
      expect(r.stderr).toContain(opt!);
    }
  });

  it('exits 2 when an input path does not exist', async () => {
    const r = await vigil('scan', join(EXAMPLES, 'no-such-dir'), '-q');
    expect(r.code).toBe(2);
  });
});

describe('vigil scan input handling', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'vigil-inputs-'));
    // JSON Lines with a malformed line in the middle.
    await writeFile(join(dir, 'a.jsonl'), `${ENCODED}\n{"Event": {"System": \n${ENCODED}\n`);
    // Gzip'ed JSON array.
    await writeFile(join(dir, 'b.json.gz'), gzipSync(`[${ENCODED},\n${ENCODED}]`));
    // Concatenated pretty-printed objects (as in SigmaHQ's regression samples).
    await writeFile(
      join(dir, 'c.json'),
      `${JSON.stringify(JSON.parse(ENCODED), null, 2)}\n${JSON.stringify(JSON.parse(ENCODED), null, 2)}\n`,
    );
    // An auth.log with CRLF endings.
    await writeFile(
      join(dir, 'auth.log'),
      'Mar  1 10:00:00 h1 sshd[1]: Failed password for root from 192.0.2.1 port 4242 ssh2\r\n',
    );
    // A raw EVTX file header (magic only) and a binary file.
    await writeFile(
      join(dir, 'x.evtx'),
      Buffer.concat([Buffer.from('ElfFile\0', 'latin1'), Buffer.alloc(120)]),
    );
    await writeFile(join(dir, 'blob.bin'), Buffer.alloc(4096, 1));
    // A gzip file whose start does not decompress.
    await writeFile(
      join(dir, 'broken.gz'),
      Buffer.concat([Buffer.from([0x1f, 0x8b, 8, 0]), Buffer.alloc(60, 0x41)]),
    );
    // A symbolic link to a log file is followed.
    await symlink(join(dir, 'auth.log'), join(dir, 'link-to-auth.log'));
  });

  it('reads JSONL, gzip arrays, concatenated JSON and CRLF syslog; reports what it cannot read', async () => {
    const r = await vigil('scan', dir, '-f', 'json', '-q', '--year', '2026');
    // Exit 2: one file (broken.gz) could not be read.
    expect(r.code).toBe(2);
    const { detections, summary } = JSON.parse(r.stdout);
    const files = Object.fromEntries(
      summary.files.map((f: { path: string }) => [f.path.split('/').pop(), f]),
    );
    expect(files['a.jsonl']).toMatchObject({ format: 'jsonl', events: 2, failures: 1 });
    expect(files['b.json.gz']).toMatchObject({ format: 'json', events: 2, failures: 0 });
    expect(files['c.json']).toMatchObject({ format: 'json', events: 2, failures: 0 });
    expect(files['auth.log']).toMatchObject({ format: 'syslog', events: 1 });
    // A damaged .evtx (a header and nothing else) is read as far as it goes, the damage reported.
    expect(files['x.evtx']).toMatchObject({ format: 'evtx', status: 'scanned', events: 0 });
    expect(files['x.evtx'].failures).toBeGreaterThan(0);
    expect(files['blob.bin']).toMatchObject({
      status: 'unsupported',
      reason: 'binary file (not a text or JSON log)',
    });
    // The malformed line is reported with its line number and the reason.
    expect(summary.failureSamples).toEqual([
      expect.objectContaining({
        path: join(dir, 'a.jsonl'),
        line: 2,
        reason: expect.stringContaining('invalid JSON'),
      }),
      expect.objectContaining({
        path: join(dir, 'x.evtx'),
        offset: 124,
        reason: expect.stringContaining('file-header-checksum'),
      }),
      expect.objectContaining({
        path: join(dir, 'x.evtx'),
        reason: expect.stringContaining('file-header: file ends at 128 bytes'),
      }),
    ]);
    const encoded = detections.filter(
      (d: { rule: { name: string } }) => d.rule.name === 'PowerShell Started with an Encoded Command',
    );
    expect(encoded).toHaveLength(6);
    // Event indexes count decoded events: the malformed line is not one.
    expect(
      encoded
        .filter((d: { log: { file: { path: string } } }) => d.log.file.path.endsWith('a.jsonl'))
        .map((d: { vigil: { event_index: number; line: number } }) => [d.vigil.line, d.vigil.event_index]),
    ).toEqual([
      [1, 1],
      [3, 2],
    ]);
    const ssh = detections.find(
      (d: { rule: { name: string } }) => d.rule.name === 'SSH Password Authentication Failed',
    );
    expect(ssh['@timestamp']).toBe('2026-03-01T10:00:00.000Z');
  });

  it('honours --input-format and --timezone', async () => {
    const path = join(dir, 'auth.log');
    const r = await vigil(
      'scan',
      path,
      '--input-format',
      'syslog',
      '--year',
      '2025',
      '--timezone',
      'Europe/Paris',
      '-f',
      'jsonl',
      '-q',
    );
    expect(JSON.parse(r.stdout.trim())['@timestamp']).toBe('2025-03-01T09:00:00.000Z');
  });

  it('gives the same detections on two worker threads as inline', async () => {
    const args = ['bin/vigil.js', 'scan', EXAMPLES, '-f', 'jsonl', '-q'];
    const one = await run('node', [...args, '--threads', '1'], { cwd: ROOT });
    const two = await run('node', [...args, '--threads', '2'], { cwd: ROOT });
    expect(two.stdout).toBe(one.stdout);
    expect(one.stdout.split('\n').length).toBeGreaterThan(20);
  });
});
