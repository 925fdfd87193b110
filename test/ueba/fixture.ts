/**
 * A synthetic SSH estate for UEBA service tests: six users logging on from their own addresses to
 * three servers in office hours (09–17 UTC), with the odd typo, as RFC 3164 sshd lines; and the
 * anomalies the tests plant (a night-time brute force).
 */
import { mulberry32 } from '../../src/detect/random.js';

export const USERS = [
  ['alice', '10.0.0.11'],
  ['bob', '10.0.0.12'],
  ['carol', '10.0.0.13'],
  ['dave', '10.0.0.14'],
  ['erin', '10.0.0.15'],
  ['frank', '10.0.0.16'],
] as const;
export const HOSTS = ['web01', 'web02', 'db01'] as const;

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** RFC 3164 timestamp (`Mar  6 03:00:05`) of a UTC time. */
export function syslogTime(t: number): string {
  const d = new Date(t);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${MONTHS[d.getUTCMonth()]} ${String(d.getUTCDate()).padStart(2, ' ')} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
}

export function accepted(t: number, host: string, user: string, ip: string, port = 50_000): string {
  return `${syslogTime(t)} ${host} sshd[${2000 + (port % 997)}]: Accepted password for ${user} from ${ip} port ${port} ssh2`;
}

export function failed(
  t: number,
  host: string,
  user: string,
  ip: string,
  port = 50_000,
  invalid = false,
): string {
  const who = invalid ? `invalid user ${user}` : user;
  return `${syslogTime(t)} ${host} sshd[${2000 + (port % 997)}]: Failed password for ${who} from ${ip} port ${port} ssh2`;
}

/**
 * Office-hours activity: each user, in each hour 09–16 UTC of each day with probability 0.8,
 * logs on 1–3 times to a random server, after a mistyped password with probability 0.3.
 * @param days - UTC midnights (ms)
 */
export function officeHours(
  days: readonly number[],
  seed = 7,
  hours: readonly number[] = [9, 10, 11, 12, 13, 14, 15, 16],
): string[] {
  const rnd = mulberry32(seed);
  const lines: { t: number; line: string }[] = [];
  for (const day of days)
    for (const h of hours)
      for (const [user, ip] of USERS) {
        if (rnd() >= 0.8) continue;
        const n = 1 + Math.floor(rnd() * 3);
        for (let k = 0; k < n; k++) {
          const t = day + h * 3_600_000 + Math.floor(rnd() * 3_000_000);
          const host = HOSTS[Math.floor(rnd() * HOSTS.length)]!;
          const port = 40_000 + Math.floor(rnd() * 20_000);
          if (rnd() < 0.3) lines.push({ t: t - 4000, line: failed(t - 4000, host, user, ip, port) });
          lines.push({ t, line: accepted(t, host, user, ip, port) });
        }
      }
  return lines.sort((a, b) => a.t - b.t).map((l) => l.line);
}

/** `count` failed logons for 40 guessed user names from `ip` against `host`, one every 12 s from `start`. */
export function bruteForce(start: number, ip: string, host: string, count: number): string[] {
  const names = ['admin', 'root', 'oracle', 'test', 'user', 'guest', 'postgres', 'ubuntu', 'pi', 'ftp'];
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    const name = `${names[i % names.length]}${Math.floor(i / names.length) % 4 || ''}`;
    out.push(failed(start + i * 12_000, host, name, ip, 30_000 + i, true));
  }
  return out;
}
