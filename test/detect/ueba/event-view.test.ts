import { describe, expect, it } from 'vitest';
import { statusOutcome } from '../../../src/detect/ueba/auth-events.js';
import { normalizeHost, normalizeIp, normalizeUser } from '../../../src/detect/ueba/entities.js';
import { ecsValue, needsFields, processKey, uebaEvent } from '../../../src/detect/ueba/event-view.js';

const T = Date.parse('2026-03-02T10:15:00Z');

describe('UEBA entities', () => {
  it('maps IPv4-mapped IPv6 to IPv4 and drops loopback, unspecified and host names', () => {
    expect(normalizeIp('::ffff:10.23.123.11')).toBe('10.23.123.11');
    expect(normalizeIp('::FFFF:172.16.66.1')).toBe('172.16.66.1');
    expect(normalizeIp('203.0.113.9')).toBe('203.0.113.9');
    expect(normalizeIp('FE80::1CAE:5AA4')).toBe('fe80::1cae:5aa4');
    for (const v of ['127.0.0.1', '127.1.2.3', '::1', '::', '0.0.0.0', '-', '', 'ns.example.com', 42, null])
      expect(normalizeIp(v)).toBeUndefined();
  });

  it('drops service identities and machine accounts, keeps the case of user names', () => {
    expect(normalizeUser('Administrator')).toBe('Administrator');
    expect(normalizeUser(' bob ')).toBe('bob');
    for (const v of [
      '-',
      'ANONYMOUS LOGON',
      'SYSTEM',
      'Local Service',
      'NETWORK SERVICE',
      'DWM-1',
      'UMFD-0',
      'WS01$',
      '',
    ])
      expect(normalizeUser(v)).toBeUndefined();
  });

  it('keeps host names as logged and replaces NUL', () => {
    expect(normalizeHost('WORKSTATION5.theshire.local')).toBe('WORKSTATION5.theshire.local');
    expect(normalizeHost('a\0b')).toBe('a\ufffdb');
    expect(normalizeHost('-')).toBeUndefined();
  });
});

describe('UEBA event view', () => {
  it('reads nested and flat dotted ECS paths', () => {
    expect(ecsValue({ source: { ip: '1.2.3.4' } }, 'source.ip')).toBe('1.2.3.4');
    expect(ecsValue({ 'source.ip': '1.2.3.4' }, 'source.ip')).toBe('1.2.3.4');
    expect(ecsValue({ source: 'x' }, 'source.ip')).toBeUndefined();
  });

  it('takes the outcome of ECS authentication events (Linux auth decoder)', () => {
    const e = uebaEvent(7, T, {
      event: { category: ['authentication'], outcome: 'failure' },
      host: { name: 'LabSZ' },
      user: { name: 'root' },
      source: { ip: '183.62.140.253' },
    });
    expect(e).toMatchObject({
      id: 7,
      time: T,
      auth: 'failure',
      host: 'LabSZ',
      user: 'root',
      ip: '183.62.140.253',
    });
    expect(uebaEvent(1, T, { event: { category: 'authentication' } }).auth).toBe('attempt');
    expect(uebaEvent(1, T, { event: { category: ['network'], outcome: 'failure' } }).auth).toBeUndefined();
  });

  it('maps Windows Security logon events by event id, reading Status where the outcome is there', () => {
    const win = (code: string, channel = 'Security') => ({ event: { code }, winlog: { channel } });
    expect(uebaEvent(1, T, win('4624')).auth).toBe('success');
    expect(uebaEvent(1, T, win('4625')).auth).toBe('failure');
    expect(uebaEvent(1, T, win('4771', 'security')).auth).toBe('failure');
    expect(uebaEvent(1, T, win('4648')).auth).toBe('attempt');
    expect(uebaEvent(1, T, win('4776'), (n) => (n === 'Status' ? '0x0' : undefined)).auth).toBe('success');
    expect(uebaEvent(1, T, win('4776'), (n) => (n === 'Status' ? '0xc000006a' : undefined)).auth).toBe(
      'failure',
    );
    expect(uebaEvent(1, T, win('4768')).auth).toBe('attempt'); // no field reader
    expect(uebaEvent(1, T, win('4625', 'Microsoft-Windows-Sysmon/Operational')).auth).toBeUndefined();
    expect(needsFields(win('4776'))).toBe(true);
    expect(needsFields(win('4625'))).toBe(false);
    expect(statusOutcome(0)).toBe('success');
    expect(statusOutcome('0x18')).toBe('failure');
  });

  it('takes started processes only, by lower-case file name', () => {
    const start = {
      event: { category: ['process'], type: ['start'] },
      process: { executable: 'C:\\Windows\\System32\\CMD.EXE' },
    };
    expect(uebaEvent(1, T, start).process).toBe('cmd.exe');
    expect(
      uebaEvent(1, T, { ...start, event: { category: ['process'], type: ['end'] } }).process,
    ).toBeUndefined();
    expect(uebaEvent(1, T, { process: { executable: 'C:\\x.exe' } }).process).toBeUndefined();
    expect(processKey('/usr/bin/ssh')).toBe('ssh');
  });

  it('reads geography, bytes and templates when present', () => {
    const e = uebaEvent(1, T, {
      source: { ip: '::ffff:8.8.8.8', bytes: 1200, geo: { country_iso_code: 'de' }, as: { number: 3320 } },
      destination: { ip: '10.0.0.5' },
      vigil: { template: { id: 12 } },
    });
    expect(e).toMatchObject({
      ip: '8.8.8.8',
      bytesOut: 1200,
      country: 'DE',
      asn: '3320',
      destinationIp: '10.0.0.5',
      template: '12',
    });
    expect(uebaEvent(1, T, { network: { bytes: '77' } }).bytesOut).toBe(77);
  });
});
