import { describe, expect, it } from 'vitest';
import '../../../src/pipeline/decoders/register.js';
import { decodeJson } from '../../../src/pipeline/decoders/json.js';
import { textFormat, textFormats } from '../../../src/pipeline/decoders/text.js';

const OPTIONS = { year: 2024, timezone: 'UTC' };

/** The first registered format that sniffs the sample, as the file reader picks it. */
function sniffed(lines: string[]): string | undefined {
  return textFormats().find((f) => f.sniff(lines))?.id;
}

describe('decoder registration', () => {
  it('registers the text formats in sniffing order', () => {
    expect(textFormats().map((f) => f.id)).toEqual(['w3c', 'zeek-tsv', 'auditd', 'syslog', 'access-log']);
    for (const id of ['w3c', 'zeek-tsv', 'auditd', 'syslog', 'access-log'])
      expect(textFormat(id)?.id).toBe(id);
  });

  it('sniffs each format from its first lines', () => {
    expect(sniffed(['#Software: Microsoft Internet Information Services 10.0', '#Version: 1.0'])).toBe('w3c');
    expect(sniffed(['#separator \\x09', '#set_separator\t,'])).toBe('zeek-tsv');
    expect(sniffed(['type=DAEMON_START msg=audit(1710000000.001:1): op=start ver=3.1.2 res=success'])).toBe(
      'auditd',
    );
    expect(
      sniffed(['Mar  3 09:14:07 web-01 audispd: node=web-01 type=EOE msg=audit(1710000000.001:2): ']),
    ).toBe('auditd');
    expect(
      sniffed(['Mar  3 09:14:07 web-01 sshd[1]: Accepted password for a from 192.0.2.1 port 1 ssh2']),
    ).toBe('syslog');
    expect(sniffed(['192.0.2.1 - - [05/Mar/2024:14:03:04 +0100] "GET / HTTP/1.1" 200 1'])).toBe('access-log');
    expect(sniffed(['no format here'])).toBeUndefined();
  });

  it('routes JSON objects: Zeek, then Suricata, then the generic fallback', () => {
    expect(
      decodeJson(
        { _path: 'dns', ts: 1709625600, uid: 'C1', 'id.orig_h': '10.0.0.1', query: 'a.test' },
        OPTIONS,
      )?.decoder,
    ).toBe('zeek-json');
    expect(
      decodeJson({ event_type: 'dns', src_ip: '10.0.0.1', timestamp: '2024-03-05T09:00:00+0000' }, OPTIONS)
        ?.decoder,
    ).toBe('suricata-eve');
    expect(decodeJson({ message: 'hello' }, OPTIONS)?.decoder).toBe('json');
    expect(decodeJson({ Event: { System: { EventID: 1, Channel: 'Security' } } }, OPTIONS)?.decoder).toBe(
      'windows-evtx-json',
    );
  });
});
