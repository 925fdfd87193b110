import { execFile } from 'node:child_process';
import dgram from 'node:dgram';
import net from 'node:net';
import { promisify } from 'node:util';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSyslogListener } from '../../../src/pipeline/sources/syslog-listener.js';
import type { RunningListener } from '../../../src/service/listener.js';
import type { ServiceContext } from '../../../src/service/vigil.js';
import { listAlerts } from '../../../src/store/alerts.js';
import type { StoredEvent } from '../../../src/store/events.js';
import {
  closeTestContext,
  detected,
  listenerContext,
  openTestContext,
  STORE_KINDS,
} from '../../helpers/service.js';

const run = promisify(execFile);
const SSH_FAILED_PASSWORD = '16054032-2723-4c1e-bf16-580c2c927258';

let counter = 0;
/** A marker unique to one test, to find its events in the shared store. */
const marker = (name: string) => `${name}-${process.pid}-${++counter}`;

async function sendUdp(port: number, messages: readonly (string | Buffer)[]): Promise<void> {
  const socket = dgram.createSocket('udp4');
  for (const m of messages)
    await new Promise<void>((resolve, reject) =>
      socket.send(m, port, '127.0.0.1', (err) => (err ? reject(err) : resolve())),
    );
  socket.close();
}

/** Writes `data` on a new connection and closes it once the bytes are handed to the kernel. */
async function sendTcp(port: number, data: string | Buffer): Promise<void> {
  const socket = net.connect(port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.end(data, () => resolve());
  });
}

/** All stored events whose original text contains `text`, in id (arrival) order. */
async function eventsWith(ctx: ServiceContext, text: string): Promise<StoredEvent[]> {
  const out: StoredEvent[] = [];
  for (let after = 0; ;) {
    const page = await ctx.events.readAfter(after, 1000);
    if (page.length === 0) return out;
    out.push(...page.filter((e) => e.original.includes(text)));
    after = page[page.length - 1]!.id;
  }
}

/** Polls until `n` events containing `text` are stored. */
async function waitForEvents(
  ctx: ServiceContext,
  text: string,
  n: number,
  ms = 10_000,
): Promise<StoredEvent[]> {
  const until = Date.now() + ms;
  for (;;) {
    const events = await eventsWith(ctx, text);
    if (events.length >= n || Date.now() > until) return events;
    await new Promise((r) => setTimeout(r, 25));
  }
}

async function throttled(ctx: ServiceContext, source: string): Promise<number> {
  const m = await ctx.metrics.ingestThrottled.get();
  return m.values.find((v) => v.labels.source === source)?.value ?? 0;
}

const line5424 = (msg: string) => `<13>1 2025-06-01T10:00:00.000Z web01 app 77 - - ${msg}`;

describe.each(STORE_KINDS)('syslog listener on %s', (kind) => {
  let ctx: ServiceContext;
  let listener: RunningListener;
  let port: number;
  beforeAll(async () => {
    ctx = await openTestContext(kind, { VIGIL_SYSLOG_YEAR: '2025', VIGIL_SYSLOG_TIMEZONE: 'UTC' });
    listener = await startSyslogListener(listenerContext(ctx), 0, '127.0.0.1');
    port = listener.ports.udp!;
  }, 60_000);
  afterAll(async () => {
    await listener?.close();
    if (ctx) await closeTestContext(ctx);
  });

  it('binds UDP and TCP on the same port', () => {
    expect(listener.name).toBe('syslog');
    expect(port).toBeGreaterThan(0);
    expect(listener.ports).toEqual({ udp: port, tcp: port });
  });

  it('stores RFC 5424 and RFC 3164 datagrams', async () => {
    const m = marker('udp');
    await sendUdp(port, [
      `<34>1 2025-10-11T22:14:15.003Z mymachine.example.com su - ID47 - ${m} 'su root' failed\n`,
      `<38>Dec 10 06:55:46 LabSZ sshd[24200]: Failed password for root from 183.62.140.253 port 38490 ${m}`,
    ]);
    const events = await waitForEvents(ctx, m, 2);
    expect(events).toHaveLength(2);
    for (const e of events)
      expect(e).toMatchObject({ decoder: 'linux-syslog', source: 'syslog-udp', format: 'syslog' });
    const [r5424, r3164] = events.sort((a, b) => a.original.localeCompare(b.original));
    expect(r5424!.timestamp).toBe('2025-10-11T22:14:15.003Z');
    expect(r5424!.original).not.toMatch(/\n$/);
    expect(r3164!.ecs).toMatchObject({ host: { name: 'LabSZ' }, process: { name: 'sshd', pid: 24200 } });
  });

  it('keeps the original time of an RFC 3164 line (year and zone from the config)', async () => {
    const line =
      '<38>Dec 10 06:55:46 LabSZ sshd[24200]: Failed password for root from 183.62.140.253 port 38490 ssh2';
    await sendTcp(port, `${line}\n`);
    const [event] = await waitForEvents(ctx, 'port 38490 ssh2', 1);
    expect(event).toMatchObject({
      source: 'syslog-tcp',
      timestamp: '2025-12-10T06:55:46.000Z',
      original: line,
    });
  });

  it('reads TCP octet-counted and newline-framed messages in order', async () => {
    const m = marker('tcp');
    const lines = Array.from({ length: 1200 }, (_, i) => line5424(`${m} seq=${i} é✓`));
    const octet = (s: string) => `${Buffer.byteLength(s)} ${s}`;
    // One connection per framing, then both mixed on one connection (CRLF, NUL trailers too).
    await sendTcp(port, lines.slice(0, 400).map(octet).join(''));
    await sendTcp(port, lines.slice(400, 800).join('\n') + '\n');
    await sendTcp(
      port,
      lines
        .slice(800)
        .map((l, i) => (i % 3 === 0 ? octet(l) : i % 3 === 1 ? `${l}\r\n` : `${l}\0`))
        .join(''),
    );
    const events = await waitForEvents(ctx, m, lines.length);
    expect(events.map((e) => e.original)).toEqual(lines);
    expect(events.every((e) => e.source === 'syslog-tcp' && e.decoder === 'linux-syslog')).toBe(true);
  });

  it('truncates a TCP frame over 64 KiB and keeps going', async () => {
    const m = marker('big');
    const big = line5424(`${m} ${'x'.repeat(100_000)}`);
    const after = line5424(`${m} after`);
    await sendTcp(port, `${Buffer.byteLength(big)} ${big}${after}\n`);
    const events = await waitForEvents(ctx, m, 2);
    expect(events.map((e) => e.original.length)).toEqual([64 * 1024, after.length]);
  });

  it('dead-letters garbage and survives it', async () => {
    const m = marker('garbage');
    await sendTcp(
      port,
      Buffer.concat([Buffer.from([0xff, 0xfe, 0x00, 0x31, 0x32]), Buffer.from(`\nnot syslog ${m}\n`)]),
    );
    await sendUdp(port, [Buffer.from([0xc3, 0x28, 0xa0, 0xa1]), `also not syslog ${m}`]);
    await sendTcp(port, `${line5424(`${m} fine`)}\n`);
    expect(await waitForEvents(ctx, m, 1)).toHaveLength(1);
    const until = Date.now() + 10_000;
    let dead = await ctx.deadLetters.list(100);
    while (dead.filter((d) => d.raw.includes(m)).length < 2 && Date.now() < until) {
      await new Promise((r) => setTimeout(r, 25));
      dead = await ctx.deadLetters.list(100);
    }
    const mine = dead.filter((d) => d.raw.includes(m));
    expect(mine.map((d) => d.source).sort()).toEqual(['syslog-tcp', 'syslog-udp']);
    expect(mine.every((d) => d.line === null && d.reason.length > 0)).toBe(true);
  });

  it('takes messages from the logger command (UDP, TCP octet-counted and newline) and raises alerts', async () => {
    const send = (transport: string[], ip: string, user: string) =>
      run('logger', [
        ...['-n', '127.0.0.1', '-P', String(port), ...transport, '--rfc5424', '-t', 'sshd'],
        `Failed password for invalid user ${user} from ${ip} port 4242 ssh2`,
      ]);
    await send(['-d'], '203.0.113.9', 'admin');
    await send(['-T', '--octet-count'], '203.0.113.10', 'oracle');
    await send(['-T'], '203.0.113.11', 'guest');
    const events = await waitForEvents(ctx, 'port 4242 ssh2', 3);
    expect(events.map((e) => e.source).sort()).toEqual(['syslog-tcp', 'syslog-tcp', 'syslog-udp']);
    await detected(ctx);
    for (const ip of ['203.0.113.9', '203.0.113.10', '203.0.113.11']) {
      const { alerts } = await listAlerts(ctx.database.db, {
        sort: 'created_at',
        order: 'desc',
        limit: 100,
        sourceIp: ip,
      });
      expect(alerts.map((a) => (a.rule as { id: string }).id)).toContain(SSH_FAILED_PASSWORD);
    }
  });

  it('close() stores what was received, even just before, and does not wait for idle connections', async () => {
    const own = await startSyslogListener(listenerContext(ctx), 0, '127.0.0.1');
    const p = own.ports.tcp!;
    const idle = net.connect(p, '127.0.0.1');
    await new Promise((r) => idle.once('connect', r));
    const idleClosed = new Promise((r) => idle.once('close', r));
    const m = marker('close');
    const tcpLines = Array.from({ length: 700 }, (_, i) => line5424(`${m} tcp ${i}`));
    await sendTcp(p, `${tcpLines.join('\n')}\n${line5424(`${m} unterminated`)}`);
    await sendUdp(
      p,
      Array.from({ length: 50 }, (_, i) => line5424(`${m} udp ${i}`)),
    );
    const started = Date.now();
    await own.close();
    expect(Date.now() - started).toBeLessThan(5000);
    await idleClosed;
    const events = await eventsWith(ctx, m);
    expect(events.filter((e) => e.source === 'syslog-tcp')).toHaveLength(701);
    expect(events.filter((e) => e.source === 'syslog-udp')).toHaveLength(50);
    await own.close(); // idempotent
  });
});

// Stalls the writer with a table lock held by another session, which only PostgreSQL allows.
describe.runIf(STORE_KINDS.includes('postgres'))('syslog listener under backpressure (postgres)', () => {
  let ctx: ServiceContext;
  let listener: RunningListener;
  let port: number;
  beforeAll(async () => {
    ctx = await openTestContext('postgres', { VIGIL_INGEST_QUEUE: '100' });
    listener = await startSyslogListener(listenerContext(ctx), 0, '127.0.0.1');
    port = listener.ports.tcp!;
  }, 60_000);
  afterAll(async () => {
    await listener?.close();
    if (ctx) await closeTestContext(ctx);
  });

  it('pauses TCP and retries while ingest is busy (nothing lost); drops and counts UDP', async () => {
    const m = marker('busy');
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let locked!: () => void;
    const isLocked = new Promise<void>((r) => (locked = r));
    // Stall the writer: hold an exclusive lock on the events table in another transaction.
    const tx = ctx.database.db.transaction().execute(async (trx) => {
      await sql`LOCK TABLE events IN ACCESS EXCLUSIVE MODE`.execute(trx);
      locked();
      await gate;
    });
    await isLocked;
    const fill = ctx.ingest.ingestLines(
      Array.from({ length: 200 }, (_, i) => ({ line: null, text: line5424(`${m} fill ${i}`) })),
      'syslog',
      'test',
    );
    const [tcpBefore, udpBefore] = [await throttled(ctx, 'syslog-tcp'), await throttled(ctx, 'syslog-udp')];
    const lines = Array.from({ length: 3000 }, (_, i) => line5424(`${m} tcp ${i}`));
    const sent = sendTcp(port, `${lines.join('\n')}\n`);
    await sendUdp(port, [line5424(`${m} udp`)]);
    const until = Date.now() + 10_000;
    while (
      Date.now() < until &&
      ((await throttled(ctx, 'syslog-tcp')) <= tcpBefore || (await throttled(ctx, 'syslog-udp')) <= udpBefore)
    )
      await new Promise((r) => setTimeout(r, 20));
    expect(await throttled(ctx, 'syslog-tcp')).toBeGreaterThan(tcpBefore);
    expect(await throttled(ctx, 'syslog-udp')).toBeGreaterThan(udpBefore);
    release();
    await tx;
    await fill;
    await sent;
    const events = await waitForEvents(ctx, `${m} tcp`, lines.length, 20_000);
    expect(events.map((e) => e.original)).toEqual(lines);
    expect(await eventsWith(ctx, `${m} udp`)).toHaveLength(0);
  }, 60_000);
});
