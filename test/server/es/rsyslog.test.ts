/**
 * rsyslog's `omelasticsearch` output (a real rsyslogd) sending to the listener in bulk mode, with
 * an API key as its `uid`/`pwd` (HTTP Basic).
 * Needs the Debian packages `rsyslog` and `rsyslog-elasticsearch`; without them the test is
 * skipped, except under `CI=true`, where it fails.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEsListener } from '../../../src/server/es/listener.js';
import type { RunningListener } from '../../../src/service/listener.js';
import type { ServiceContext } from '../../../src/service/vigil.js';
import { type ApiKeyCredential, createKey } from '../../helpers/auth.js';
import { closeTestContext, listenerContext, openTestContext } from '../../helpers/service.js';

const RSYSLOGD = ['/usr/sbin/rsyslogd', '/sbin/rsyslogd', '/usr/local/sbin/rsyslogd'].find(
  (p) => spawnSync(p, ['-v']).status === 0,
);

/** rsyslogd and its omelasticsearch module validate a configuration that loads the module. */
function rsyslogAvailable(): boolean {
  if (!RSYSLOGD) return false;
  const dir = mkdtempSync(join(tmpdir(), 'vigil-rsyslog-check-'));
  try {
    writeFileSync(
      join(dir, 'check.conf'),
      'module(load="omelasticsearch")\naction(type="omelasticsearch" server="127.0.0.1")\n',
    );
    return spawnSync(RSYSLOGD, ['-N1', '-f', join(dir, 'check.conf')]).status === 0;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const available = rsyslogAvailable();
if (!available && process.env.CI === 'true') {
  throw new Error(
    'rsyslogd with omelasticsearch is required under CI=true (apt: rsyslog rsyslog-elasticsearch)',
  );
}

const LINES = [
  'sshd[812]: Failed password for invalid user admin from 203.0.113.9 port 52144 ssh2',
  'app: a line with "quotes", a \\ backslash and unicode é',
  'app: third line',
];

function config(dir: string, port: number, key: ApiKeyCredential): string {
  const q = (s: string) => JSON.stringify(s);
  return [
    `global(workDirectory=${q(dir)})`,
    'module(load="imfile" mode="polling" PollingInterval="1")',
    'module(load="omelasticsearch")',
    // One JSON object per message; rsyslog adds the bulk action lines itself.
    'template(name="vigil" type="list") {',
    '  constant(value="{\\"@timestamp\\":\\"") property(name="timereported" dateFormat="rfc3339")',
    '  constant(value="\\",\\"host\\":{\\"name\\":\\"") property(name="hostname" format="json")',
    '  constant(value="\\"},\\"log\\":{\\"syslog\\":{\\"appname\\":\\"rsyslog-test\\"}},\\"message\\":\\"")',
    '  property(name="msg" format="json")',
    '  constant(value="\\"}")',
    '}',
    `input(type="imfile" File=${q(join(dir, 'input.log'))} Tag="app:" freshStartTail="off")`,
    `action(type="omelasticsearch" server="127.0.0.1" serverport="${port}" template="vigil"`,
    // The API key's id and secret as user and password: omelasticsearch sends them as Basic.
    `  uid=${q(key.id)} pwd=${q(key.secret)}`,
    '  searchIndex="rsyslog" esVersion.major="8" bulkmode="on"',
    `  errorFile=${q(join(dir, 'es-errors.json'))} action.resumeRetryCount="-1" action.resumeInterval="1")`,
    '',
  ].join('\n');
}

describe.skipIf(!available)('rsyslog omelasticsearch', () => {
  let ctx: ServiceContext;
  let listener: RunningListener;
  let dir: string;
  let key: ApiKeyCredential;
  let rsyslogd: ChildProcess | undefined;
  const stderr: string[] = [];
  beforeAll(async () => {
    ctx = await openTestContext('pglite');
    key = await createKey(ctx, ['ingest:write'], 'rsyslog');
    listener = await startEsListener(listenerContext(ctx), 0, '127.0.0.1');
    dir = mkdtempSync(join(tmpdir(), 'vigil-rsyslog-'));
  }, 60_000);
  afterAll(async () => {
    if (rsyslogd && rsyslogd.exitCode === null) {
      const exited = new Promise((r) => rsyslogd!.once('exit', r));
      rsyslogd.kill('SIGTERM');
      await exited;
    }
    await listener?.close();
    if (ctx) await closeTestContext(ctx);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('stores the lines rsyslogd sends in bulk mode', async () => {
    writeFileSync(join(dir, 'input.log'), LINES.join('\n') + '\n');
    writeFileSync(join(dir, 'rsyslog.conf'), config(dir, listener.ports.http!, key));
    rsyslogd = spawn(RSYSLOGD!, ['-n', '-f', join(dir, 'rsyslog.conf'), '-i', join(dir, 'rsyslogd.pid')], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    rsyslogd.stderr!.on('data', (b: Buffer) => stderr.push(b.toString()));
    const until = Date.now() + 30_000;
    let events = await ctx.events.readAfter(0, 100);
    while (events.length < LINES.length && Date.now() < until && rsyslogd.exitCode === null) {
      await new Promise((r) => setTimeout(r, 200));
      events = await ctx.events.readAfter(0, 100);
    }
    expect(events.length, `rsyslogd stderr: ${stderr.join('')}`).toBe(LINES.length);
    expect(events.map((e) => e.source)).toEqual(['es-bulk', 'es-bulk', 'es-bulk']);
    const messages = events.map((e) => (JSON.parse(e.original) as { message: string }).message);
    expect(messages).toEqual(LINES);
    expect(await ctx.deadLetters.count()).toBe(0);
  }, 45_000);
});
