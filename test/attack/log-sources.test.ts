/**
 * Stored event kinds → ATT&CK log sources (`src/attack/log-sources.ts`), and one ATT&CK
 * log-source reference tested against the data seen.
 */
import { describe, expect, it } from 'vitest';
import { attackNamesOf, eventCodesOf, matchLogSource, seenData } from '../../src/attack/log-sources.js';
import type { SeenSource } from '../../src/store/attack.js';

function kind(p: Partial<SeenSource>): SeenSource {
  return {
    product: null,
    service: null,
    category: null,
    decoder: 'json',
    channel: null,
    code: null,
    events: 1,
    first: '2026-01-01T00:00:00.000Z',
    last: '2026-01-01T00:00:00.000Z',
    ...p,
  };
}

const security4625 = kind({
  product: 'windows',
  service: 'security',
  channel: 'Security',
  code: '4625',
  events: 3,
});
const application4625 = kind({
  product: 'windows',
  service: 'application',
  channel: 'Application',
  code: '4625',
});
const sshd = kind({ product: 'linux', service: 'syslog,sshd,auth', decoder: 'linux-syslog', events: 5 });
const auditd = kind({ product: 'linux', service: 'auditd', code: 'syscall', decoder: 'linux-auditd' });
const zeekConn = kind({ product: 'zeek', service: 'conn,netflow', decoder: 'zeek-json' });
const somethingElse = kind({ product: 'acme', service: 'widget' });

describe('ATT&CK names of stored event kinds', () => {
  it('Windows Security → WinEventLog:Security, comparing event codes', () => {
    expect(attackNamesOf(security4625)).toContainEqual(['WinEventLog:Security', true]);
  });

  it('any other Windows channel → WinEventLog:<channel>', () => {
    const ch = kind({ product: 'windows', channel: 'Microsoft-Windows-SMBClient/Security', code: '31001' });
    expect(attackNamesOf(ch)).toEqual([['WinEventLog:Microsoft-Windows-SMBClient/Security', true]]);
  });

  it('sshd syslog lines → linux:syslog and linux:auth, by name only', () => {
    expect(attackNamesOf(sshd)).toEqual([
      ['linux:syslog', false],
      ['linux:auth', false],
    ]);
  });

  it('auditd records → auditd:<record type>', () => {
    expect(attackNamesOf(auditd)).toEqual([['auditd:SYSCALL', false]]);
  });

  it('Zeek → NSM:Flow and NSM:Connections', () => {
    expect(attackNamesOf(zeekConn).map(([n]) => n)).toEqual(['NSM:Flow', 'NSM:Connections']);
  });

  it('a kind the table does not know maps to nothing and is reported as unmapped', () => {
    expect(attackNamesOf(somethingElse)).toEqual([]);
    expect(seenData([somethingElse, sshd]).unmapped).toEqual([somethingElse]);
  });
});

describe('eventCodesOf', () => {
  it('reads ATT&CK EventCode channels, and nothing from free text', () => {
    expect(eventCodesOf('EventCode=4663, 4670, 4656')).toEqual(['4663', '4670', '4656']);
    expect(eventCodesOf('EventCode=4778, EventCode=4779')).toEqual(['4778', '4779']);
    expect(eventCodesOf('sshd[pid]: Failed password')).toEqual([]);
    expect(eventCodesOf('System shutdowns due to bugcheck (Event ID 1001)')).toEqual([]);
  });
});

describe('matchLogSource', () => {
  const data = seenData([security4625, application4625, sshd, auditd]);

  it('event-code: the log source was seen with one of the reference’s EventCodes', () => {
    expect(matchLogSource(data, 'WinEventLog:Security', 'EventCode=4625')).toBe('event-code');
    expect(matchLogSource(data, 'winEventLog:security', 'EventCode=4776, 4625')).toBe('event-code');
  });

  it('other-events: the log source was seen, not with those EventCodes (4625 in Application does not count for Security 4624)', () => {
    expect(matchLogSource(data, 'WinEventLog:Security', 'EventCode=4624, 4648')).toBe('other-events');
  });

  it('log-source: seen by name where ATT&CK’s channel is free text', () => {
    expect(matchLogSource(data, 'linux:syslog', 'sshd[pid]: Failed password')).toBe('log-source');
    expect(matchLogSource(data, 'auditd:SYSCALL', 'execve')).toBe('log-source');
  });

  it('none: not seen', () => {
    expect(matchLogSource(data, 'WinEventLog:Sysmon', 'EventCode=1')).toBe('none');
  });

  it('sums events per ATT&CK name and keeps the codes seen', () => {
    expect(data.sources.get('wineventlog:security')).toEqual({
      name: 'WinEventLog:Security',
      events: 3,
      codes: ['4625'],
    });
    expect(data.sources.get('linux:syslog')).toEqual({ name: 'linux:syslog', events: 5, codes: null });
  });
});
