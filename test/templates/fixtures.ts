/**
 * Syslog lines for the template service tests, each labelled with the template group it belongs
 * to by construction, so expected counts come from this table. Lines of a group differ only in
 * values the miner always masks (numbers, addresses), never in words (a column of a few distinct
 * words splits templates: docs/templates.md).
 */

/** An RFC 5424 line (full timestamp: no year or zone guessing); `host` `-` leaves the header without one. */
export function rfc5424(ts: string, host: string, app: string, msg: string, pri = 30): string {
  return `<${pri}>1 ${ts} ${host} ${app} 100 - - ${msg}`;
}

export interface FixtureLine {
  readonly text: string;
  /** Template group (`known` for lines a decoder rule understands). */
  readonly group: 'backup' | 'tunnel' | 'relay' | 'disk' | 'known';
  /** `host.name` the stored event should carry. */
  readonly host: string;
  /** Event time, ms. */
  readonly time: number;
}

const line = (
  ts: string,
  host: string,
  app: string,
  msg: string,
  group: FixtureLine['group'],
  stored = host,
) => ({
  text: rfc5424(ts, host, app, msg, group === 'known' ? 38 : 30),
  group,
  host: stored === '-' ? '' : stored,
  time: Date.parse(ts),
});

/** The first day's lines (2024-05-01). */
export const DAY_ONE: readonly FixtureLine[] = [
  line('2024-05-01T10:00:01Z', 'web-01', 'backupd', 'Backup job 17 finished in 35 s', 'backup'),
  line('2024-05-01T10:20:00Z', 'web-01', 'backupd', 'Backup job 18 finished in 41 s', 'backup'),
  line('2024-05-01T11:05:00Z', 'web-02', 'backupd', 'Backup job 19 finished in 12 s', 'backup'),
  line(
    '2024-05-01T10:30:00Z',
    'web-01',
    'vpnd',
    'Tunnel established from 198.51.100.7 for peer 17',
    'tunnel',
  ),
  line(
    '2024-05-01T10:31:00Z',
    'web-02',
    'vpnd',
    'Tunnel established from 198.51.100.8 for peer 23',
    'tunnel',
  ),
  line(
    '2024-05-01T10:06:00Z',
    'web-01',
    'sshd',
    'Failed password for root from 203.0.113.9 port 4242 ssh2',
    'known',
  ),
  // No host in the header: host.name comes from the message (`host=`).
  line(
    '2024-05-01T10:40:00Z',
    '-',
    'relayd',
    'Relay lost connection host=db7 after 3 retries',
    'relay',
    'db7',
  ),
  line(
    '2024-05-01T10:41:00Z',
    '-',
    'relayd',
    'Relay lost connection host=db7 after 5 retries',
    'relay',
    'db7',
  ),
  // A header host is never overwritten by one from the message.
  line('2024-05-01T10:42:00Z', 'web-03', 'relayd', 'Relay lost connection host=db7 after 8 retries', 'relay'),
];

/** After the restart (2024-05-02): a known template and a new one. */
export const DAY_TWO: readonly FixtureLine[] = [
  line('2024-05-02T09:00:00Z', 'web-01', 'backupd', 'Backup job 20 finished in 9 s', 'backup'),
  line('2024-05-02T09:10:00Z', 'web-01', 'smartd', 'Device /dev/sda1 reports 91 percent wear', 'disk'),
];
