import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeSyslog, SYSLOG_FORMAT } from '../../../src/pipeline/decoders/text/syslog.js';
import type { DecodeOptions } from '../../../src/pipeline/decoders/types.js';
import { decoded, failure, isWellFormed } from './decoded.js';

const UTC: DecodeOptions = { year: 2024, timezone: 'UTC' };
const BERLIN: DecodeOptions = { year: 2023, timezone: 'Europe/Berlin' };

function fieldsOf(line: string, options = UTC) {
  return decoded(decodeSyslog(line, options)).fields;
}

describe('syslog: RFC 3164 headers', () => {
  it('reads timestamp, host, tag and pid; the year and zone come from the options', () => {
    const e = decoded(
      decodeSyslog('Mar  3 09:14:07 bastion-01 sshd[4121]: Server listening on 0.0.0.0 port 22.', BERLIN),
    );
    expect(e.decoder).toBe('linux-syslog');
    expect(e.fields).toMatchObject({
      message: 'Server listening on 0.0.0.0 port 22.',
      'host.hostname': 'bastion-01',
      'process.name': 'sshd',
      'process.pid': 4121,
      'log.syslog.appname': 'sshd',
    });
    expect(e.ecs()['@timestamp']).toBe('2023-03-03T08:14:07.000Z');
    expect(e.ecs()).toMatchObject({ host: { name: 'bastion-01', hostname: 'bastion-01' } });
  });

  it('accepts two-digit days, unpadded single-digit days and fractional seconds', () => {
    expect(decoded(decodeSyslog('Dec 24 23:59:58 h cron[1]: x', UTC)).ecs()['@timestamp']).toBe(
      '2024-12-24T23:59:58.000Z',
    );
    expect(decoded(decodeSyslog('Jul 7 01:02:03 h app: x', UTC)).ecs()['@timestamp']).toBe(
      '2024-07-07T01:02:03.000Z',
    );
    expect(decoded(decodeSyslog('Jul  7 01:02:03.25 h app: x', UTC)).ecs()['@timestamp']).toBe(
      '2024-07-07T01:02:03.250Z',
    );
  });

  it('tolerates a trailing CR and keeps the raw line (without it) for keyword searches', () => {
    const line = 'Mar  3 09:14:07 bastion-01 sshd[4121]: Connection closed by 192.0.2.8 port 4444 [preauth]';
    const e = decoded(decodeSyslog(`${line}\r`, UTC));
    expect(e.original).toBe(line);
    expect(e.keywordValues()).toContain(line);
    expect(e.fields.message).toBe('Connection closed by 192.0.2.8 port 4444 [preauth]');
  });

  it('decodes PRI into facility and severity codes and names (RFC 5424 §6.2.1)', () => {
    const f = fieldsOf(
      '<86>Mar  3 09:14:07 bastion-01 sshd[4121]: Accepted password for ann from 192.0.2.1 port 2 ssh2',
    );
    expect(f).toMatchObject({
      'log.syslog.priority': 86,
      'log.syslog.facility.code': 10,
      'log.syslog.facility.name': 'authpriv',
      'log.syslog.severity.code': 6,
      'log.syslog.severity.name': 'Informational',
    });
  });

  it('reads a tag with a (pam_unix) suffix or a path as its program', () => {
    const f = fieldsOf('Jun 14 15:16:01 combo sshd(pam_unix)[19939]: check pass; user unknown');
    expect(f['process.name']).toBe('sshd');
    expect(f['log.syslog.appname']).toBe('sshd(pam_unix)');
    expect(fieldsOf('Mar  3 09:00:01 h /usr/sbin/cron[812]: (root) CMD (true)')['process.name']).toBe('cron');
  });

  it('keeps a line without a tag as all message', () => {
    const f = fieldsOf('Mar  3 10:00:00 bastion-01 last message repeated 2 times');
    expect(f.message).toBe('last message repeated 2 times');
    expect(f['process.name']).toBeUndefined();
    expect(fieldsOf('Mar  3 10:00:00 bastion-01 kernel: [ 12.5] usb 1-1: new device')).toMatchObject({
      'process.name': 'kernel',
      message: '[ 12.5] usb 1-1: new device',
    });
  });

  it('reads a line whose host was left out (the first token is the tag)', () => {
    const f = fieldsOf('Mar  3 10:00:00 sshd[77]: Invalid user zabbix from 198.51.100.3 port 1');
    expect(f['host.hostname']).toBeUndefined();
    expect(f['process.name']).toBe('sshd');
    expect(f['user.name']).toBe('zabbix');
  });
});

describe('syslog: RFC 5424', () => {
  it('reads every header field, the raw STRUCTURED-DATA and a MSG with a BOM (§6)', () => {
    const line =
      '<165>1 2024-03-03T09:14:07.412Z fw-02.example.org evtgen 2211 ID47 [origin@32473 ip="192.0.2.7" note="a \\"quoted\\" \\]"][meta@1 seq="9"] \uFEFFfirewall reloaded';
    const e = decoded(decodeSyslog(line, UTC));
    expect(e.fields).toMatchObject({
      message: 'firewall reloaded',
      'host.hostname': 'fw-02.example.org',
      'process.name': 'evtgen',
      'process.pid': 2211,
      'log.syslog.version': 1,
      'log.syslog.msgid': 'ID47',
      'log.syslog.structured_data': '[origin@32473 ip="192.0.2.7" note="a \\"quoted\\" \\]"][meta@1 seq="9"]',
      'log.syslog.facility.name': 'local4',
      'log.syslog.severity.name': 'Notice',
    });
    const ecs = e.ecs();
    expect(ecs['@timestamp']).toBe('2024-03-03T09:14:07.412Z');
    expect(ecs).toMatchObject({
      log: {
        syslog: {
          structured_data: {
            'origin@32473': { ip: '192.0.2.7', note: 'a "quoted" ]' },
            'meta@1': { seq: '9' },
          },
        },
      },
    });
  });

  it('leaves nil values out and keeps a non-numeric PROCID as log.syslog.procid', () => {
    const f = fieldsOf(
      "<34>1 2024-03-03T10:14:15+01:00 db-1 su - - - 'su root' failed for ann on /dev/pts/8",
    );
    expect(f.message).toBe("'su root' failed for ann on /dev/pts/8");
    expect(f['log.syslog.msgid']).toBeUndefined();
    expect(f['process.pid']).toBeUndefined();
    const g = fieldsOf('<14>1 2024-03-03T10:14:15Z db-1 worker pool-3 - - started');
    expect(g['log.syslog.procid']).toBe('pool-3');
    expect(
      decoded(decodeSyslog('<14>1 2024-03-03T10:14:15+01:00 db-1 a - - -', UTC)).ecs()['@timestamp'],
    ).toBe('2024-03-03T09:14:15.000Z');
  });

  it('fails on STRUCTURED-DATA without its closing bracket', () => {
    expect(failure(decodeSyslog('<14>1 2024-03-03T10:14:15Z h app - - [id@1 a="b" msg', UTC))).toMatch(
      /STRUCTURED-DATA/,
    );
  });
});

describe('syslog: RFC 3339 timestamps in the BSD layout (rsyslog on Debian 12)', () => {
  it('reads the offset from the timestamp', () => {
    const e = decoded(
      decodeSyslog(
        '2024-03-03T09:14:07.123456+01:00 bastion-02 sshd[99]: Accepted password for alice from 192.0.2.10 port 50000 ssh2',
        UTC,
      ),
    );
    expect(e.ecs()['@timestamp']).toBe('2024-03-03T08:14:07.123Z');
    expect(e.fields['event.outcome']).toBe('success');
  });
});

describe('syslog: failures', () => {
  it('says why a line is not syslog', () => {
    expect(failure(decodeSyslog('hello world', UTC))).toMatch(/not a syslog line/);
    expect(failure(decodeSyslog('Foo  3 09:14:07 host app: x', UTC))).toMatch(/not a syslog line/);
    expect(failure(decodeSyslog('<999>Mar  3 09:14:07 host app: x', UTC))).toMatch(/PRI out of range/);
  });
});

describe('syslog: logsource', () => {
  const services = (line: string) => decoded(decodeSyslog(line, UTC)).logsource.services;

  it('is product linux, service syslog for every line', () => {
    const e = decoded(
      decodeSyslog('Mar  3 09:14:07 h named[9]: client 192.0.2.1#53: denied AXFR from x', UTC),
    );
    expect(e.logsource.product).toBe('linux');
    expect(e.logsource.services).toEqual(['syslog']);
  });

  it('adds sshd and auth for sshd (and OpenSSH 9.8 sshd-session)', () => {
    expect(services('Mar  3 09:14:07 h sshd[1]: x')).toEqual(['syslog', 'sshd', 'auth']);
    expect(services('Mar  3 09:14:07 h sshd-session[1]: x')).toEqual(['syslog', 'sshd', 'auth']);
  });

  it('adds sudo, cron, vsftpd, clamav and guacamole from the program table', () => {
    expect(services('Mar  3 09:14:07 h sudo: x')).toEqual(['syslog', 'sudo', 'auth']);
    expect(services('Mar  3 09:14:07 h CRON[5]: (root) CMD (run-parts /etc/cron.hourly)')).toEqual([
      'syslog',
      'cron',
    ]);
    expect(services('Mar  3 09:14:07 h vsftpd[5]: CONNECT: Client "192.0.2.1"')).toEqual([
      'syslog',
      'vsftpd',
    ]);
    expect(services('Mar  3 09:14:07 h clamd[5]: /tmp/x: Eicar-Signature FOUND')).toEqual([
      'syslog',
      'clamav',
    ]);
    expect(services('Mar  3 09:14:07 h freshclam[5]: Database updated')).toEqual(['syslog', 'clamav']);
    expect(services('Mar  3 09:14:07 h guacd[5]: User "x" joined connection')).toEqual([
      'syslog',
      'guacamole',
    ]);
  });

  it('adds auth for auth programs, auth/authpriv facilities and PAM messages', () => {
    expect(services('Mar  3 09:14:07 h useradd[5]: new group: name=ops, GID=1500')).toEqual([
      'syslog',
      'auth',
    ]);
    expect(services('Mar  3 09:14:07 h systemd-logind[5]: New session 4 of user ann.')).toEqual([
      'syslog',
      'auth',
    ]);
    expect(services('<37>Mar  3 09:14:07 h myapp[5]: login ok')).toEqual(['syslog', 'auth']);
    expect(services('<13>Mar  3 09:14:07 h myapp[5]: login ok')).toEqual(['syslog']);
    expect(
      services(
        'Mar  3 09:17:01 h CRON[8123]: pam_unix(cron:session): session opened for user root(uid=0) by (uid=0)',
      ),
    ).toEqual(['syslog', 'cron', 'auth']);
    expect(services('Jun 14 15:16:01 combo su(pam_unix)[21416]: session closed for user news')).toEqual([
      'syslog',
      'auth',
    ]);
  });
});

describe('syslog: sniffing and robustness', () => {
  it('sniffs syslog files and not other text', () => {
    expect(SYSLOG_FORMAT.sniff(['Mar  3 09:14:07 h sshd[1]: x', 'Mar  3 09:14:08 h sshd[1]: y'])).toBe(true);
    expect(SYSLOG_FORMAT.sniff(['<34>1 2024-03-03T10:14:15Z h a - - - m'])).toBe(true);
    expect(SYSLOG_FORMAT.sniff(['192.0.2.1 - - [03/Mar/2024:09:14:07 +0000] "GET / HTTP/1.1" 200 1'])).toBe(
      false,
    );
    expect(SYSLOG_FORMAT.sniff(['just text', 'more text'])).toBe(false);
  });

  it('decodes adversarial 100 kB messages in linear time (no regex backtracking blow-up)', () => {
    const host = 'Mar  3 09:14:07 h sshd[1]: ';
    const bodies = [
      `Failed password for ${'a from '.repeat(15_000)}`,
      `Invalid user ${'x from y '.repeat(12_000)}`,
      `Connection closed by user ${'u '.repeat(50_000)}`,
      `message repeated 2 times: [ ${'['.repeat(100_000)}`,
      `pam_unix(sshd:auth): authentication failure; ${'k= '.repeat(30_000)}`,
    ];
    const start = performance.now();
    for (const body of bodies) expect(isWellFormed(decodeSyslog(host + body, UTC))).toBe(true);
    expect(decodeSyslog(`<14>1 2024-03-03T10:14:15Z h a - - ${'[a b="'.repeat(20_000)}`, UTC)).toBeTruthy();
    expect(performance.now() - start).toBeLessThan(1000);
  });

  it('never throws: any string gives an event, null or a failure', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 300 }), (line) =>
        isWellFormed(decodeSyslog(line, UTC)),
      ),
      { numRuns: 2000 },
    );
  });

  it('never throws on syslog-shaped lines with arbitrary parts', () => {
    const head = fc.constantFrom('', '<13>', '<86>', '<191>', '<999>', '<34>1 ');
    const stamp = fc.constantFrom('Mar  3 09:14:07 ', 'Feb 30 25:61:61 ', '2024-03-03T09:14:07Z ', '- ', '');
    const tag = fc.constantFrom(
      'sshd[1]: ',
      'sudo: ',
      'su: ',
      'useradd[2]: ',
      'CRON[3]: ',
      'constructor: ',
      '',
    );
    const body = fc.oneof(
      fc.string({ maxLength: 120 }),
      fc.constantFrom(
        'Failed password for ',
        'message repeated 2 times: [ ',
        'pam_unix(sshd:auth): authentication failure; ',
        'x : TTY=',
        '[a="\\',
      ),
    );
    fc.assert(
      fc.property(head, stamp, fc.string({ maxLength: 20 }), tag, body, (h, s, host, t, b) =>
        isWellFormed(decodeSyslog(`${h}${s}${host} ${t}${b}`, BERLIN)),
      ),
      { numRuns: 3000 },
    );
  });
});
