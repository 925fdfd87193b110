/**
 * syslog-ng's `elasticsearch-http()` destination (a real syslog-ng) forwarding JSON lines from a
 * file to the listener's `_bulk`, with an API key as its `user()`/`password()` (HTTP Basic). Needs `syslog-ng-core`, `syslog-ng-scl` and `syslog-ng-mod-http`:
 * installed at `/`, or unpacked (`dpkg -x`) under `VIGIL_TEST_SYSLOG_NG_ROOT` (Debian's syslog-ng
 * and rsyslog packages conflict, so both cannot be installed with apt). Skipped without them,
 * except under `CI=true`, where it fails.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEsListener } from '../../../src/server/es/listener.js';
import type { RunningListener } from '../../../src/service/listener.js';
import type { ServiceContext } from '../../../src/service/vigil.js';
import { listAlerts } from '../../../src/store/alerts.js';
import { createKey } from '../../helpers/auth.js';
import { closeTestContext, detected, listenerContext, openTestContext } from '../../helpers/service.js';

const ENCODED_POWERSHELL_RULE = '2d0b67a4-e672-4f47-80d6-ea4886b6c27f';
const FIXTURE = new URL('../../fixtures/winlogbeat/sysmon-process-create.ndjson', import.meta.url);

interface SyslogNg {
  readonly bin: string;
  readonly version: string;
  readonly env: NodeJS.ProcessEnv;
  readonly args: readonly string[];
  readonly scl: string;
}

function destination(
  scl: string,
  version: string,
  port: number,
  input: string,
  credentials: { user: string; password: string },
): string {
  return [
    `@version: ${version}`,
    `@include ${JSON.stringify(scl)}`,
    'options { threaded(yes); stats-freq(0); };',
    `source s_file { file(${JSON.stringify(input)} flags(no-parse) follow-freq(1)); };`,
    'destination d_vigil {',
    '  elasticsearch-http(',
    `    url("http://127.0.0.1:${port}/_bulk")`,
    '    index("syslog-ng") type("") batch-timeout(200)',
    // The API key's id and secret: the http destination sends them as Basic.
    `    user(${JSON.stringify(credentials.user)}) password(${JSON.stringify(credentials.password)})`,
    // The lines already are JSON documents: send each unchanged.
    '    template("${MESSAGE}")',
    '  );',
    '};',
    'log { source(s_file); destination(d_vigil); };',
    '',
  ].join('\n');
}

/** syslog-ng with its http module and the elasticsearch-http SCL block, under `/` or the env root. */
function findSyslogNg(): SyslogNg | undefined {
  const roots = [process.env.VIGIL_TEST_SYSLOG_NG_ROOT, '/'].filter((r): r is string => !!r);
  for (const root of roots) {
    const bin = join(root, 'usr/sbin/syslog-ng');
    const lib = join(root, 'usr/lib/syslog-ng');
    const scl = join(root, 'usr/share/syslog-ng/include/scl/elasticsearch/elastic-http.conf');
    if (!existsSync(bin) || !existsSync(lib) || !existsSync(scl)) continue;
    const version = readdirSync(lib).find((d) => /^\d+\.\d+$/.test(d));
    if (!version) continue;
    const env = {
      ...process.env,
      LD_LIBRARY_PATH: [lib, process.env.LD_LIBRARY_PATH].filter(Boolean).join(':'),
    };
    const args = [`--module-path=${join(lib, version)}`];
    const dir = mkdtempSync(join(tmpdir(), 'vigil-syslog-ng-check-'));
    try {
      writeFileSync(
        join(dir, 'check.conf'),
        destination(scl, version, 9200, join(dir, 'in.log'), { user: 'id', password: 'secret' }),
      );
      const r = spawnSync(bin, [...args, '--syntax-only', '-f', join(dir, 'check.conf')], { env });
      if (r.status === 0) return { bin, version, env, args, scl };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  return undefined;
}

const syslogNg = findSyslogNg();
if (!syslogNg && process.env.CI === 'true') {
  throw new Error(
    'syslog-ng with its http module is required under CI=true (syslog-ng-core syslog-ng-scl syslog-ng-mod-http, ' +
      'installed or unpacked under VIGIL_TEST_SYSLOG_NG_ROOT)',
  );
}

describe.skipIf(!syslogNg)('syslog-ng elasticsearch-http()', () => {
  let ctx: ServiceContext;
  let listener: RunningListener;
  let dir: string;
  let child: ChildProcess | undefined;
  const output: string[] = [];
  let credentials: { user: string; password: string };
  beforeAll(async () => {
    ctx = await openTestContext('pglite');
    const key = await createKey(ctx, ['ingest:write'], 'syslog-ng');
    credentials = { user: key.id, password: key.secret };
    listener = await startEsListener(listenerContext(ctx), 0, '127.0.0.1');
    dir = mkdtempSync(join(tmpdir(), 'vigil-syslog-ng-'));
  }, 60_000);
  afterAll(async () => {
    if (child && child.exitCode === null) {
      const exited = new Promise((r) => child!.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
    await listener?.close();
    if (ctx) await closeTestContext(ctx);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('forwards Winlogbeat JSON lines from a file and the alert is raised', async () => {
    const { bin, version, env, args, scl } = syslogNg!;
    const docs = readFileSync(FIXTURE, 'utf8').trim().split('\n');
    writeFileSync(join(dir, 'input.log'), docs.join('\n') + '\n');
    writeFileSync(
      join(dir, 'syslog-ng.conf'),
      destination(scl, version, listener.ports.http!, join(dir, 'input.log'), credentials),
    );
    child = spawn(
      bin,
      [
        ...args,
        '-F',
        '-e',
        '-f',
        join(dir, 'syslog-ng.conf'),
        '-R',
        join(dir, 'syslog-ng.persist'),
        '-p',
        join(dir, 'syslog-ng.pid'),
        '-c',
        join(dir, 'syslog-ng.ctl'),
      ],
      { env, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    child.stdout!.on('data', (b: Buffer) => output.push(b.toString()));
    child.stderr!.on('data', (b: Buffer) => output.push(b.toString()));
    const until = Date.now() + 30_000;
    let events = await ctx.events.readAfter(0, 100);
    while (events.length < docs.length && Date.now() < until && child.exitCode === null) {
      await new Promise((r) => setTimeout(r, 200));
      events = await ctx.events.readAfter(0, 100);
    }
    expect(events.length, `syslog-ng output: ${output.join('')}`).toBe(docs.length);
    expect(events.map((e) => e.original).sort()).toEqual([...docs].sort());
    expect(events.every((e) => e.source === 'es-bulk' && e.decoder === 'windows-winlogbeat')).toBe(true);
    await detected(ctx);
    const { alerts } = await listAlerts(ctx.database.db, { sort: 'created_at', order: 'desc', limit: 100 });
    expect(alerts.map((a) => (a.rule as { id: string }).id)).toContain(ENCODED_POWERSHELL_RULE);
  }, 45_000);
});
