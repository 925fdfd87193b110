/**
 * The log decoders on real public data (../shared/data): syslog (Loghub OpenSSH_2k, Linux_2k),
 * a Tomcat access log, an IIS W3C log, Suricata EVE, and Zeek TSV vs JSON of the same traffic.
 * Every expected number was counted on the raw files with grep/python first (see the report).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import '../../src/pipeline/decoders/register.js';
import type { FieldValue } from '../../src/detect/sigma/types.js';
import { decodeJson } from '../../src/pipeline/decoders/json.js';
import {
  type HeaderState,
  isDecodeFailure,
  textFormat,
  textFormats,
} from '../../src/pipeline/decoders/text.js';
import type { DecodedEvent, DecodeOptions } from '../../src/pipeline/decoders/types.js';
import { requireSharedData, shared } from '../helpers/shared-data.js';

const OPTIONS: DecodeOptions = { year: 2024, timezone: 'UTC' };

function readText(...parts: string[]): string {
  const buf = readFileSync(shared(...parts));
  return (parts[parts.length - 1]!.endsWith('.gz') ? gunzipSync(buf) : buf).toString('utf8');
}

/** The first 20 non-empty lines, CR stripped, as the file reader sniffs them. */
function head(text: string): string[] {
  return text
    .split('\n')
    .map((l) => l.replace(/\r$/, ''))
    .filter((l) => l.trim() !== '')
    .slice(0, 20);
}

/** Decodes a text file line by line as the scan loop does; returns events and failure reasons. */
function decodeText(formatId: string, text: string): { events: DecodedEvent[]; failures: string[] } {
  const format = textFormat(formatId)!;
  const events: DecodedEvent[] = [];
  const failures: string[] = [];
  let state: HeaderState | undefined;
  for (let raw of text.split('\n')) {
    if (raw.endsWith('\r')) raw = raw.slice(0, -1);
    if (raw.startsWith('#') && format.header) state = format.header(raw, state);
    if (raw.trim() === '') continue;
    const r = format.decode(raw, state, OPTIONS);
    if (r === null) continue;
    if (isDecodeFailure(r)) failures.push(r.error);
    else events.push(r);
  }
  return { events, failures };
}

/** A value computed on first use (describe bodies run even when the suite is skipped). */
function lazy<T>(make: () => T): () => T {
  let value: T | undefined;
  let made = false;
  return () => {
    if (!made) {
      value = make();
      made = true;
    }
    return value as T;
  };
}

function count<T>(items: readonly T[], key: (t: T) => unknown): Map<unknown, number> {
  const out = new Map<unknown, number>();
  for (const t of items) {
    const k = key(t);
    out.set(k, (out.get(k) ?? 0) + 1);
  }
  return out;
}

describe.runIf(requireSharedData())('decoders on the shared corpus', () => {
  describe('syslog: Loghub OpenSSH_2k (CRLF, sshd under brute force)', () => {
    const text = lazy(() => readText('loghub', 'loghub_2k', 'OpenSSH', 'OpenSSH_2k.log'));
    const decodedFile = lazy(() => decodeText('syslog', text()));

    it('is sniffed as syslog and every one of the 2000 lines decodes', () => {
      const { events, failures } = decodedFile();
      expect(textFormats().find((f) => f.sniff(head(text())))?.id).toBe('syslog');
      expect(failures).toEqual([]);
      expect(events).toHaveLength(2000);
      expect(count(events, (e) => e.logsource.key)).toEqual(new Map([['linux|syslog,sshd,auth|', 2000]]));
    });

    it('520 "Failed password" from 23 source IPs, 286 of them from 183.62.140.253', () => {
      const { events } = decodedFile();
      const failed = events.filter(
        (e) =>
          e.fields['system.auth.ssh.event'] === 'Failed' && e.fields['system.auth.ssh.method'] === 'password',
      );
      expect(failed).toHaveLength(520);
      expect(failed.every((e) => e.fields['event.outcome'] === 'failure')).toBe(true);
      expect(failed.every((e) => e.fields['event.action'] === 'ssh_login')).toBe(true);
      const ips = count(failed, (e) => e.fields['source.ip']);
      expect(ips.size).toBe(23);
      expect(ips.get('183.62.140.253')).toBe(286);
      expect(failed.filter((e) => e.fields['syslog.repeat_count'] === 5)).toHaveLength(2);
    });

    it('other sshd messages: invalid users, PAM failures, reverse mapping, one accepted login', () => {
      const { events } = decodedFile();
      const actions = count(events, (e) => `${e.fields['event.action']}/${e.fields['event.outcome']}`);
      expect(actions.get('ssh_login/failure')).toBe(524);
      expect(actions.get('ssh_invalid_user/failure')).toBe(113);
      expect(actions.get('authentication_failure/failure')).toBe(504);
      expect(actions.get('ssh_reverse_mapping_failed/undefined')).toBe(85);
      const accepted = events.filter(
        (e) => e.fields['event.outcome'] === 'success' && e.fields['event.action'] === 'ssh_login',
      );
      expect(
        accepted.map((e) => [e.fields['user.name'], e.fields['source.ip'], e.fields['source.port']]),
      ).toEqual([['fztu', '119.137.62.142', 49116]]);
    });

    it('reads the first line into ECS with the configured year', () => {
      const { events } = decodedFile();
      expect(events[0]!.ecs()).toMatchObject({
        '@timestamp': '2024-12-10T06:55:46.000Z',
        host: { hostname: 'LabSZ' },
        process: { name: 'sshd', pid: 24200 },
        source: { ip: '173.234.31.186', domain: 'ns.marryaldkfaczcz.com' },
      });
    });
  });

  describe('syslog: Loghub Linux_2k (old Red Hat, sshd(pam_unix) tags)', () => {
    const decodedFile = lazy(() =>
      decodeText('syslog', readText('loghub', 'loghub_2k', 'Linux', 'Linux_2k.log')),
    );

    it('decodes all 2000 lines and routes sshd, PAM programs and the rest', () => {
      const { events, failures } = decodedFile();
      expect(failures).toEqual([]);
      expect(events).toHaveLength(2000);
      expect(count(events, (e) => e.logsource.key)).toEqual(
        new Map([
          ['linux|syslog,sshd,auth|', 677],
          ['linux|syslog,auth|', 176],
          ['linux|syslog|', 1147],
        ]),
      );
    });

    it('490 PAM authentication failures, 123 sessions opened and 123 closed', () => {
      const { events } = decodedFile();
      const actions = count(events, (e) => e.fields['event.action']);
      expect(actions.get('authentication_failure')).toBe(490);
      expect(actions.get('session_opened')).toBe(123);
      expect(actions.get('session_closed')).toBe(123);
    });
  });

  describe('access log: Tomcat, manager brute force and webshell', () => {
    const text = lazy(() =>
      readText('network-host-logs', 'web', 'tomcat_access_log_web_attack_webshell.txt'),
    );
    const decodedFile = lazy(() => decodeText('access-log', text()));

    it('is sniffed as an access log; all 2661 lines decode, malformed requests included', () => {
      const { events, failures } = decodedFile();
      expect(textFormats().find((f) => f.sniff(head(text())))?.id).toBe('access-log');
      expect(failures).toEqual([]);
      expect(events).toHaveLength(2661);
      expect(events.filter((e) => e.fields['cs-method'] === undefined)).toHaveLength(15);
      expect(count(events, (e) => e.fields['cs-method']).get('POST')).toBe(77);
    });

    it('status codes and clients', () => {
      const { events } = decodedFile();
      const status = count(events, (e) => e.fields['sc-status']);
      expect([status.get(404), status.get(200), status.get(400), status.get(401)]).toEqual([
        1484, 981, 154, 8,
      ]);
      const clients = count(events, (e) => e.fields['c-ip']);
      expect(clients).toEqual(
        new Map([
          ['192.168.105.83', 1290],
          ['192.168.105.64', 1233],
          ['192.168.105.76', 115],
          ['192.168.153.46', 23],
        ]),
      );
    });

    it('the webshell: 21 requests to /error/cmd.jsp from 192.168.105.76, first at 11:51:53 UTC', () => {
      const { events } = decodedFile();
      const shell = events.filter((e) => e.fields['cs-uri-stem'] === '/error/cmd.jsp');
      expect(shell).toHaveLength(21);
      expect(new Set(shell.map((e) => e.fields['c-ip']))).toEqual(new Set(['192.168.105.76']));
      expect(shell[0]!.fields).toMatchObject({ date: '2018-07-11', time: '11:51:53', 'sc-status': 200 });
      expect(shell[0]!.ecs()['@timestamp']).toBe('2018-07-11T11:51:53.000Z');
      const upload = events.find((e) => e.fields['cs-uri-stem'] === '/manager/html/upload');
      expect(upload?.fields).toMatchObject({
        'cs-method': 'POST',
        'cs-username': 'admin',
        'c-ip': '192.168.105.76',
      });
    });
  });

  describe('W3C: IIS log with Tunna tunnelling', () => {
    const text = lazy(() => readText('network-host-logs', 'web', 'iis_w3svc_tunna_tunnel.log'));
    const decodedFile = lazy(() => decodeText('w3c', text()));

    it('is sniffed as W3C; the 4298 data lines under two #Fields headers decode', () => {
      const { events, failures } = decodedFile();
      expect(textFormats().find((f) => f.sniff(head(text())))?.id).toBe('w3c');
      expect(failures).toEqual([]);
      expect(events).toHaveLength(4298);
    });

    it('one client, all 200, GET/POST to /erp/conn.aspx, 3 Tunna "proxy&port=" requests', () => {
      const { events } = decodedFile();
      expect(count(events, (e) => e.fields['c-ip'])).toEqual(new Map([['10.0.2.17', 4298]]));
      expect(count(events, (e) => e.fields['sc-status'])).toEqual(new Map([[200, 4298]]));
      expect(count(events, (e) => e.fields['cs-method'])).toEqual(
        new Map([
          ['GET', 2561],
          ['POST', 1737],
        ]),
      );
      expect(count(events, (e) => e.fields['cs-uri-stem'])).toEqual(new Map([['/erp/conn.aspx', 4298]]));
      const tunna = events.filter((e) => String(e.fields['cs-uri-query']).includes('proxy&port='));
      expect(tunna).toHaveLength(3);
      expect(tunna[0]!.ecs()).toMatchObject({
        '@timestamp': '2019-09-03T10:13:36.000Z',
        destination: { ip: '10.0.2.15', port: 80 },
        url: { query: 'proxy&port=3389&ip=127.0.0.1' },
      });
    });
  });

  describe('Suricata EVE (surevego sample)', () => {
    const eve = lazy(() =>
      readText('network-host-logs', 'suricata', 'eve_surevego.json')
        .split('\n')
        .filter((l) => l.trim() !== '')
        .map((l) => decodeJson(JSON.parse(l), OPTIONS)!),
    );

    it('all 266 records decode as EVE, by event_type', () => {
      const records = eve();
      expect(records).toHaveLength(266);
      expect(records.every((e) => e.decoder === 'suricata-eve')).toBe(true);
      expect(count(records, (e) => e.fields.event_type)).toEqual(
        new Map([
          ['dns', 48],
          ['http', 68],
          ['fileinfo', 68],
          ['alert', 68],
          ['flow', 13],
          ['stats', 1],
        ]),
      );
    });

    it('alerts project to ECS rule fields', () => {
      const records = eve();
      const alerts = records.filter((e) => e.fields.event_type === 'alert');
      for (const a of alerts) {
        expect(a.ecs()).toMatchObject({
          event: { kind: 'alert', category: ['network', 'intrusion_detection'], severity: 3 },
          rule: {
            id: '2013504',
            name: 'ET POLICY GNU/Linux APT User-Agent Outbound likely related to package management',
            category: 'Not Suspicious Traffic',
          },
          source: { ip: '172.17.0.2' },
          destination: { ip: '54.230.202.37' },
          network: { transport: 'tcp' },
        });
      }
    });

    it('timestamps with +0100 offsets, DNS questions, flow byte counts', () => {
      const records = eve();
      expect(records[0]!.ecs()).toMatchObject({
        '@timestamp': '2017-01-30T15:12:26.985Z',
        dns: { type: 'query', question: { name: '_http._tcp.security.debian.org', type: 'SRV' } },
      });
      const dns = records.filter((e) => e.fields.event_type === 'dns');
      expect(count(dns, (e) => e.fields['dns.type'])).toEqual(
        new Map([
          ['query', 9],
          ['answer', 39],
        ]),
      );
      const flows = records.filter((e) => e.fields.event_type === 'flow');
      const sum = (path: 'source' | 'destination') =>
        flows.reduce((n, e) => n + ((e.ecs()[path] as { bytes: number }).bytes ?? 0), 0);
      expect([sum('source'), sum('destination')]).toEqual([1262762, 56764217]);
    });
  });

  describe('Zeek: TSV and JSON of the same WRCCDC 2018 traffic', () => {
    const base = ['network-host-logs', 'zeek-wrccdc2018'];
    const zeekLogs = lazy(() =>
      readdirSync(shared(...base, 'zeek-default')).map((f) => f.replace(/\.log\.gz$/, '')),
    );

    /** Field names that differ between the TSV and JSON decoding of the same record. */
    function differences(
      a: Readonly<Record<string, FieldValue>>,
      b: Readonly<Record<string, FieldValue>>,
    ): string[] {
      const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
      return [...keys].filter((k) => JSON.stringify(a[k]) !== JSON.stringify(b[k])).sort();
    }

    it('has the logs SigmaHQ Zeek rules name (no http.log in this capture)', () => {
      const logs = zeekLogs();
      for (const path of ['dns', 'smb_files', 'dce_rpc', 'kerberos', 'rdp', 'x509'])
        expect(logs).toContain(path);
      expect(logs).not.toContain('http');
      expect(logs).toHaveLength(32);
    });

    it('gives equal fields record by record, except two documented writer differences', () => {
      const logs = zeekLogs();
      const differing = new Map<string, { records: number; keys: Set<string> }>();
      for (const path of logs) {
        const tsvText = readText(...base, 'zeek-default', `${path}.log.gz`);
        expect(textFormats().find((f) => f.sniff(head(tsvText)))?.id).toBe('zeek-tsv');
        const tsv = decodeText('zeek-tsv', tsvText);
        const json = readText(...base, 'zeek-json', `${path}.json.gz`)
          .split('\n')
          .filter((l) => l !== '')
          .map((l) => decodeJson(JSON.parse(l), OPTIONS)!);
        expect(tsv.failures).toEqual([]);
        expect(json).toHaveLength(tsv.events.length);
        for (let i = 0; i < json.length; i++) {
          expect(json[i]!.decoder).toBe('zeek-json');
          expect(json[i]!.logsource).toBe(tsv.events[i]!.logsource);
          const diff = differences(json[i]!.fields, tsv.events[i]!.fields);
          if (diff.length === 0) continue;
          const entry = differing.get(path) ?? { records: 0, keys: new Set<string>() };
          entry.records++;
          for (const k of diff) entry.keys.add(k);
          differing.set(path, entry);
        }
      }
      // known_services: a set holding one empty string is `[""]` in JSON; the TSV writer prints it
      // as `(empty)`. ntp: two times before 1901 that TSV prints in full precision (`%e`).
      expect(differing).toEqual(
        new Map([
          ['known_services', { records: 1035, keys: new Set(['service']) }],
          ['ntp', { records: 2, keys: new Set(['xmt_time']) }],
        ]),
      );
    });

    it('dns: 53615 records, the first one in ECS, query types, Sigma dns aliases', () => {
      const { events } = decodeText('zeek-tsv', readText(...base, 'zeek-default', 'dns.log.gz'));
      expect(events).toHaveLength(53615);
      const qtypes = count(events, (e) => e.fields.qtype_name);
      expect([qtypes.get('A'), qtypes.get('AAAA'), qtypes.get('NBSTAT'), qtypes.get('PTR')]).toEqual([
        35525, 12597, 3834, 1358,
      ]);
      expect(count(events, (e) => e.fields.query).get('ise.wrccdc.org')).toBe(22160);
      const first = events[0]!;
      expect(first.logsource).toMatchObject({ product: 'zeek', services: ['dns'], categories: ['dns'] });
      expect(first.get('record_type')).toBe('A');
      expect(first.ecs()).toMatchObject({
        '@timestamp': '2018-03-24T17:15:20.865Z',
        event: { dataset: 'zeek.dns' },
        source: { ip: '10.47.1.100', port: 41772 },
        destination: { ip: '10.0.0.100', port: 53 },
        network: { transport: 'udp' },
        zeek: { session_id: 'CqKst53mF3det3eDV9' },
        dns: { question: { name: 'ise.wrccdc.org', type: 'A' }, response_code: 'NOERROR' },
      });
    });

    it('dce_rpc and smb_files: service control manager traffic', () => {
      const dce = decodeText('zeek-tsv', readText(...base, 'zeek-default', 'dce_rpc.log.gz')).events;
      expect(dce).toHaveLength(78);
      expect(count(dce, (e) => e.fields.endpoint).get('svcctl')).toBe(55);
      const smb = decodeText('zeek-tsv', readText(...base, 'zeek-default', 'smb_files.log.gz')).events;
      expect(smb).toHaveLength(13);
      expect(count(smb, (e) => e.fields.name).get('\\svcctl')).toBe(10);
      expect(smb[0]!.logsource).toMatchObject({ product: 'zeek', services: ['smb_files'] });
    });
  });
});
