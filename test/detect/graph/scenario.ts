/**
 * A small lateral-movement scenario with a known graph, as rows that become both
 * {@link GraphEvent}s (pure tests) and raw records the service ingests (Windows evtx-JSON, Zeek
 * conn JSON, sshd syslog lines). Day 2026-03-01 UTC; window [00:00, 24:00), recent from 18:00.
 *
 * Hosts: ws1 10.0.0.11, ws2 10.0.0.12, srv1 10.0.0.21, srv2 10.0.0.22, dc1 10.0.0.5 (critical),
 * web (Linux).
 * - Baseline: alice interactive on ws1 and from ws1 to srv1; deploy over SSH from ws1 to web;
 *   svc_backup from srv2 to dc1; ws1 talks SMB to srv1; WS1$ to dc1 (computer account).
 * - Recent: bob from ws1 to srv1, then from srv1 to srv2 over RDP 20 min later (a 2-hop chain),
 *   PSEXESVC installed on srv2 a minute after; carol from ws2 to ws1, srv1, srv2 in 10 min
 *   (fan-out 3); ws2 talks SMB to dc1 (new lateral flow); deploy over SSH from
 *   `::ffff:10.0.0.12`; noise: SYSTEM service logon, alice from `::1`, WS1$ to dc1 again.
 */
import type { GraphEvent } from '../../../src/detect/graph/types.js';

export const DAY = '2026-03-01';
export const WINDOW = { from: `${DAY}T00:00:00.000Z`, to: '2026-03-02T00:00:00.000Z' };
export const WINDOW_MS = { from: Date.parse(WINDOW.from), to: Date.parse(WINDOW.to) };

type Row =
  | {
      kind: 'logon';
      at: string;
      host: string;
      user: string;
      type: number;
      ip?: string;
      workstation?: string;
    }
  | { kind: 'service'; at: string; host: string; service: string }
  | { kind: 'conn'; at: string; src: string; dst: string; port: number }
  | { kind: 'ssh'; at: string; host: string; user: string; ip: string };

export const ROWS: readonly Row[] = [
  // Baseline.
  { kind: 'logon', at: '01:00', host: 'WS1.corp.local', user: 'alice', type: 2 },
  {
    kind: 'logon',
    at: '02:00',
    host: 'SRV1.corp.local',
    user: 'alice',
    type: 3,
    ip: '10.0.0.11',
    workstation: 'WS1',
  },
  { kind: 'conn', at: '02:00', src: '10.0.0.11', dst: '10.0.0.21', port: 445 },
  { kind: 'ssh', at: '03:00', host: 'web', user: 'deploy', ip: '10.0.0.11' },
  {
    kind: 'logon',
    at: '05:00',
    host: 'DC1.corp.local',
    user: 'svc_backup',
    type: 3,
    ip: '10.0.0.22',
    workstation: 'SRV2',
  },
  { kind: 'logon', at: '06:00', host: 'DC1.corp.local', user: 'WS1$', type: 3, ip: '10.0.0.11' },
  { kind: 'conn', at: '07:00', src: '10.0.0.11', dst: '10.0.0.5', port: 53 },
  // Recent.
  {
    kind: 'logon',
    at: '19:00',
    host: 'SRV1.corp.local',
    user: 'bob',
    type: 3,
    ip: '10.0.0.11',
    workstation: 'WS1',
  },
  {
    kind: 'logon',
    at: '19:20',
    host: 'SRV2.corp.local',
    user: 'bob',
    type: 10,
    ip: '10.0.0.21',
    workstation: 'SRV1',
  },
  { kind: 'service', at: '19:21', host: 'SRV2.corp.local', service: 'PSEXESVC' },
  { kind: 'logon', at: '19:30', host: 'SRV1.corp.local', user: 'SYSTEM', type: 5 },
  { kind: 'logon', at: '19:40', host: 'WS1.corp.local', user: 'alice', type: 3, ip: '::1' },
  {
    kind: 'logon',
    at: '20:00',
    host: 'WS1.corp.local',
    user: 'carol',
    type: 3,
    ip: '10.0.0.12',
    workstation: 'WS2',
  },
  { kind: 'logon', at: '20:05', host: 'SRV1.corp.local', user: 'carol', type: 3, ip: '10.0.0.12' },
  { kind: 'logon', at: '20:10', host: 'SRV2.corp.local', user: 'carol', type: 3, ip: '10.0.0.12' },
  { kind: 'conn', at: '20:30', src: '10.0.0.12', dst: '10.0.0.5', port: 445 },
  { kind: 'ssh', at: '21:45', host: 'web', user: 'deploy', ip: '::ffff:10.0.0.12' },
  { kind: 'logon', at: '21:30', host: 'DC1.corp.local', user: 'WS1$', type: 3, ip: '10.0.0.11' },
];

function iso(at: string): string {
  return `${DAY}T${at}:00.000Z`;
}

/** The rows as the graph reads them (ids 1…n in row order). */
export function graphEvents(): GraphEvent[] {
  return ROWS.map((r, i): GraphEvent => {
    const base = { id: i + 1, time: Date.parse(iso(r.at)) };
    switch (r.kind) {
      case 'logon':
        return {
          ...base,
          'event.code': '4624',
          'winlog.channel': 'Security',
          'host.name': r.host,
          'user.name': r.user,
          'source.ip': r.ip,
          'winlog.event_data.LogonType': r.type,
          'winlog.event_data.WorkstationName': r.workstation,
        };
      case 'service':
        return {
          ...base,
          'event.code': '7045',
          'winlog.channel': 'System',
          'host.name': r.host,
          'service.name': r.service,
        };
      case 'conn':
        return {
          ...base,
          'event.category': ['network'],
          'source.ip': r.src,
          'destination.ip': r.dst,
          'destination.port': r.port,
        };
      case 'ssh':
        return {
          ...base,
          'event.category': ['authentication'],
          'event.outcome': 'success',
          'event.action': 'ssh_login',
          'host.name': r.host,
          'user.name': r.user,
          'source.ip': r.ip,
        };
    }
  });
}

/** The raw records: JSON objects (Windows evtx-JSON, Zeek conn) and syslog lines (sshd). */
export function rawRecords(): { json: Record<string, unknown>[]; lines: string[] } {
  const json: Record<string, unknown>[] = [];
  const lines: string[] = [];
  ROWS.forEach((r, i) => {
    const time = iso(r.at);
    if (r.kind === 'logon')
      json.push({
        Event: {
          System: {
            Provider: { '#attributes': { Name: 'Microsoft-Windows-Security-Auditing' } },
            EventID: 4624,
            Channel: 'Security',
            Computer: r.host,
            TimeCreated: { '#attributes': { SystemTime: time } },
          },
          EventData: {
            TargetUserName: r.user,
            TargetDomainName: 'CORP',
            // evtx_dump writes numbers; other tools strings: both are read.
            LogonType: i % 2 === 0 ? r.type : String(r.type),
            IpAddress: r.ip ?? '-',
            WorkstationName: r.workstation ?? '-',
          },
        },
      });
    else if (r.kind === 'service')
      json.push({
        Event: {
          System: {
            Provider: { '#attributes': { Name: 'Service Control Manager' } },
            EventID: 7045,
            Channel: 'System',
            Computer: r.host,
            TimeCreated: { '#attributes': { SystemTime: time } },
          },
          EventData: { ServiceName: r.service, ImagePath: '%SystemRoot%\\PSEXESVC.exe' },
        },
      });
    else if (r.kind === 'conn')
      json.push({
        _path: 'conn',
        _write_ts: time,
        ts: time,
        uid: `C${i}`,
        'id.orig_h': r.src,
        'id.orig_p': 50_000 + i,
        'id.resp_h': r.dst,
        'id.resp_p': r.port,
        proto: 'tcp',
        conn_state: 'SF',
      });
    else
      lines.push(
        `<38>1 ${time} ${r.host} sshd 4242 - - Accepted publickey for ${r.user} from ${r.ip} port ${40_000 + i} ssh2`,
      );
  });
  return { json, lines };
}
