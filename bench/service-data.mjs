/* global structuredClone */
// Event shapes of the service benchmark (bench/service-bench.mjs): real or synthesized Windows
// lines (~1.9 KB), generic JSON lines with a message field (~150 B), and the deterministic random
// numbers, hosts, users and addresses the ingest and API sections build their events from.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { DATA, ROOT } from './service-util.mjs';

/** Real Windows lines (OTRF security datasets, ~1.9 KB), or synthesized ones of that size. */
export function windowsLines(limit) {
  const dir = join(DATA, 'windows-attack/otrf-security-datasets/events');
  const lines = [];
  if (existsSync(dir)) {
    for (const f of readdirSync(dir)
      .filter((f) => /\.jsonl(\.gz)?$/.test(f))
      .sort()) {
      const buf = readFileSync(join(dir, f));
      for (const line of (f.endsWith('.gz') ? gunzipSync(buf) : buf).toString('utf8').split('\n')) {
        const t = line.trim();
        if (t.startsWith('{')) lines.push(t);
        if (lines.length >= limit) return { lines, origin: 'OTRF security datasets (real)' };
      }
    }
  }
  if (lines.length > 0) return { lines, origin: 'OTRF security datasets (real)' };
  // No shared data: the example evtx-JSON events, padded to ~1.9 KB with a realistic field.
  const examples = readFileSync(join(ROOT, 'examples/windows/ws-fin-07.jsonl'), 'utf8')
    .split('\n')
    .filter((l) => l.trim().startsWith('{'))
    .map((l) => JSON.parse(l));
  for (let i = 0; lines.length < Math.min(limit, 20_000); i++) {
    const e = structuredClone(examples[i % examples.length]);
    e.Event.System.EventRecordID = 100_000 + i;
    e.Event.System.Computer = `WS-${String(i % 200).padStart(3, '0')}.corp.example`;
    const base = JSON.stringify(e).length;
    e.Event.EventData = { ...(e.Event.EventData ?? {}), Details: 'x'.repeat(Math.max(0, 1900 - base - 14)) };
    lines.push(JSON.stringify(e));
  }
  return { lines, origin: 'synthesized from examples/windows/ws-fin-07.jsonl (no shared data)' };
}

export const HOSTS = Array.from({ length: 300 }, (_, i) =>
  i < 200 ? `ws-${String(i).padStart(3, '0')}.corp.example` : `srv-${String(i - 200).padStart(2, '0')}`,
);
export const USERS = Array.from({ length: 500 }, (_, i) => `user${String(i).padStart(3, '0')}`);
export const ip = (i) => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;

/** Deterministic pseudo-random integers (mulberry32). */
export function rng(seed) {
  let a = seed >>> 0;
  return (n) => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) % n) >>> 0;
  };
}

const SYSLOG_MESSAGES = [
  (u, a, r) => `sshd[${1000 + r(9000)}]: Accepted publickey for ${u} from ${a} port ${r(60000)}`,
  (u, a, r) => `sshd[${1000 + r(9000)}]: Failed password for ${u} from ${a} port ${r(60000)}`,
  (u) => `sudo: ${u} : TTY=pts/0 ; PWD=/home/${u} ; COMMAND=/bin/ls`,
  (u, a, r) => `CRON[${1000 + r(9000)}]: (${u}) CMD (run-parts /etc/cron.hourly)`,
  (u) => `systemd-logind: New session of user ${u}.`,
];

/** Generic JSON events with a `message` field (~150 B); `full` adds user.name and source.ip. */
export function syslogEvent(r, timestamp, full) {
  const user = USERS[r(USERS.length)];
  const addr = ip(r(1 << 16));
  const host = HOSTS[200 + r(100)];
  const message = SYSLOG_MESSAGES[r(SYSLOG_MESSAGES.length)](user, addr, r);
  return full
    ? { '@timestamp': timestamp, host: { name: host }, user: { name: user }, source: { ip: addr }, message }
    : { '@timestamp': timestamp, host: { name: host }, message };
}

export function syslogLines(count) {
  const r = rng(7);
  const t0 = Date.now() - 3_600_000;
  return Array.from({ length: count }, (_, i) =>
    JSON.stringify(syslogEvent(r, new Date(t0 + i * 10).toISOString(), false)),
  );
}
