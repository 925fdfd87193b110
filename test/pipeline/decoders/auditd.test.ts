import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createDetector } from '../../../src/detect/sigma/detector.js';
import { parseRules } from '../../../src/detect/sigma/parse.js';
import { AUDITD_FORMAT, decodeAuditd } from '../../../src/pipeline/decoders/text/auditd.js';
import { decoded, failure, isWellFormed } from './decoded.js';

const SYSCALL =
  'type=SYSCALL msg=audit(1710000000.123:4567): arch=c000003e syscall=59 success=yes exit=0 a0=55d5c2a0 a1=55d5c2c8 a2=55d5c2e0 a3=0 items=2 ppid=1021 pid=1044 auid=1000 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=pts0 ses=3 comm="cat" exe="/usr/bin/cat" subj=unconfined key="susp_read"';

describe('auditd: RAW records', () => {
  it('reads every key=value pair under its audit name, values as text', () => {
    const e = decoded(decodeAuditd(SYSCALL));
    expect(e.decoder).toBe('linux-auditd');
    expect(e.logsource).toMatchObject({ product: 'linux', services: ['auditd'], categories: [] });
    expect(e.fields).toMatchObject({
      type: 'SYSCALL',
      arch: 'c000003e',
      syscall: '59',
      success: 'yes',
      a0: '55d5c2a0',
      items: '2',
      pid: '1044',
      auid: '1000',
      uid: '0',
      comm: 'cat',
      exe: '/usr/bin/cat',
      key: 'susp_read',
    });
    expect(e.fields.msg).toBeUndefined();
  });

  it('names the syscall of raw x86_64 SYSCALL records (SYSCALL as the ENRICHED format has it)', () => {
    expect(decoded(decodeAuditd(SYSCALL)).fields.SYSCALL).toBe('execve');
    const other = SYSCALL.replace('arch=c000003e', 'arch=c00000b7');
    expect(decoded(decodeAuditd(other)).fields.SYSCALL).toBeUndefined();
  });

  it('projects to ECS: time and serial from msg=audit(…), process, user, outcome, tags', () => {
    const ecs = decoded(decodeAuditd(`node=web-01 ${SYSCALL}`)).ecs();
    expect(ecs).toEqual({
      '@timestamp': '2024-03-09T16:00:00.123Z',
      event: { sequence: 4567, kind: 'event', module: 'auditd', code: 'SYSCALL', outcome: 'success' },
      host: { name: 'web-01' },
      process: { executable: '/usr/bin/cat', name: 'cat', pid: 1044, parent: { pid: 1021 } },
      user: { id: '0', audit: { id: '1000' }, effective: { id: '0' }, group: { id: '0' } },
      auditd: { session: '3', data: { syscall: 'execve' } },
      tags: ['susp_read'],
    });
  });

  it('decodes hex-encoded untrusted values: EXECVE arguments, proctitle, cwd', () => {
    const execve = decoded(
      decodeAuditd(
        'type=EXECVE msg=audit(1710000000.123:4567): argc=3 a0="bash" a1="-c" a2=6563686F2068656C6C6F3B206964',
      ),
    );
    expect(execve.fields).toMatchObject({ a0: 'bash', a1: '-c', a2: 'echo hello; id' });
    expect(execve.ecs()).toMatchObject({
      process: {
        args: ['bash', '-c', 'echo hello; id'],
        args_count: 3,
        command_line: 'bash -c echo hello; id',
      },
    });
    const title = decoded(
      decodeAuditd('type=PROCTITLE msg=audit(1710000000.123:4567): proctitle=6E63002D6C76700034343434'),
    );
    expect(title.fields.proctitle).toBe('nc -lvp 4444');
    const cwd = decoded(
      decodeAuditd('type=CWD msg=audit(1710000000.123:4567): cwd=2F686F6D652F6A6F686E20646F65'),
    );
    expect(cwd.fields.cwd).toBe('/home/john doe');
    expect(cwd.ecs()).toMatchObject({ process: { working_directory: '/home/john doe' } });
  });

  it('keeps quoted values literal, SYSCALL register arguments as hex, and (null) as is', () => {
    const f = decoded(
      decodeAuditd('type=PATH msg=audit(1710000000.123:4567): item=0 name="CAFE" nametype=NORMAL'),
    ).fields;
    expect(f.name).toBe('CAFE');
    expect(decoded(decodeAuditd(SYSCALL)).fields.a1).toBe('55d5c2c8');
    const nullKey = decoded(decodeAuditd(SYSCALL.replace('key="susp_read"', 'key=(null)')));
    expect(nullKey.fields.key).toBe('(null)');
    expect(nullKey.ecs().tags).toBeUndefined();
  });

  it('turns a hex key holding several keys (\\x01-separated) into a list', () => {
    const e = decoded(decodeAuditd(SYSCALL.replace('key="susp_read"', 'key=6B31016B32')));
    expect(e.fields.key).toEqual(['k1', 'k2']);
    expect(e.ecs().tags).toEqual(['k1', 'k2']);
  });

  it("reads the pairs inside msg='…' of user-space records", () => {
    const e = decoded(
      decodeAuditd(
        'type=USER_AUTH msg=audit(1710000002.000:90): pid=2001 uid=0 auid=4294967295 ses=4294967295 msg=\'op=PAM:authentication grantors=? acct="root" exe="/usr/sbin/sshd" hostname=198.51.100.4 addr=198.51.100.4 terminal=ssh res=failed\'',
      ),
    );
    expect(e.fields).toMatchObject({
      type: 'USER_AUTH',
      pid: '2001',
      op: 'PAM:authentication',
      acct: 'root',
      exe: '/usr/sbin/sshd',
      addr: '198.51.100.4',
      res: 'failed',
      msg: 'op=PAM:authentication grantors=? acct="root" exe="/usr/sbin/sshd" hostname=198.51.100.4 addr=198.51.100.4 terminal=ssh res=failed',
    });
    expect(e.ecs()).toMatchObject({ event: { outcome: 'failure' }, user: { name: 'root', id: '0' } });
  });
});

describe('auditd: ENRICHED records', () => {
  it('keeps the interpreted UPPERCASE pairs after the GS character', () => {
    const e = decoded(
      decodeAuditd(
        'type=SYSCALL msg=audit(1710000001.500:88): arch=c000003e syscall=319 success=yes exit=3 a0=7ffd a1=0 items=0 ppid=1 pid=900 auid=1001 uid=1001 gid=1001 euid=1001 comm="python3" exe="/usr/bin/python3.11" key=(null)\x1dARCH=x86_64 SYSCALL=memfd_create AUID="bob" UID="bob" GID="bob" EUID="bob"',
      ),
    );
    expect(e.fields).toMatchObject({
      syscall: '319',
      SYSCALL: 'memfd_create',
      ARCH: 'x86_64',
      AUID: 'bob',
      UID: 'bob',
      key: '(null)',
    });
    expect(e.ecs()).toMatchObject({ user: { name: 'bob', id: '1001', audit: { id: '1001', name: 'bob' } } });
  });
});

describe('auditd: forwarded records', () => {
  it('reads records after a syslog prefix (audispd) and takes host.name from node=', () => {
    const e = decoded(
      decodeAuditd(
        'Mar  3 09:14:07 web-01 audispd: node=web-01 type=EXECVE msg=audit(1710000003.250:91): argc=2 a0="whoami" a1="--help"',
      ),
    );
    expect(e.fields).toMatchObject({ node: 'web-01', type: 'EXECVE', a0: 'whoami', a1: '--help' });
    expect(e.ecs()).toMatchObject({ '@timestamp': '2024-03-09T16:00:03.250Z', host: { name: 'web-01' } });
  });

  it('names numeric record types of kernel lines and UNKNOWN[n]', () => {
    const avc = decoded(
      decodeAuditd(
        'Mar  3 09:14:07 web-01 kernel: [  812.204815] audit: type=1400 audit(1710000004.100:92): apparmor="DENIED" operation="open" profile="/usr/sbin/cupsd" name="/etc/shadow" pid=1234 comm="cupsd" requested_mask="r"',
      ),
    );
    expect(avc.fields).toMatchObject({ type: 'AVC', apparmor: 'DENIED', name: '/etc/shadow', comm: 'cupsd' });
    expect(avc.ecs()['@timestamp']).toBe('2024-03-09T16:00:04.100Z');
    expect(
      decoded(decodeAuditd('type=UNKNOWN[1334] msg=audit(1710000005.000:93): prog-id=12 op=LOAD')).fields
        .type,
    ).toBe('BPF');
  });
});

describe('auditd: failures', () => {
  it('says why a line is not an audit record', () => {
    expect(failure(decodeAuditd('Mar  3 09:14:07 web-01 sshd[1]: Accepted password for a'))).toMatch(/type=/);
    expect(failure(decodeAuditd('type= msg=audit(1:2): x=1'))).toMatch(/type=/);
  });
});

describe('auditd: Sigma rules see the decoded records', () => {
  const rules = `title: memfd_create
id: 00000000-0000-4000-8000-00000000b001
logsource:
    product: linux
    service: auditd
detection:
    selection:
        type: SYSCALL
        SYSCALL: memfd_create
    condition: selection
---
title: netcat listener
id: 00000000-0000-4000-8000-00000000b002
logsource:
    product: linux
    service: auditd
detection:
    selection:
        type: EXECVE
        a0: nc
        a1|contains: 'l'
    condition: selection
---
title: web user runs execve
id: 00000000-0000-4000-8000-00000000b003
logsource:
    product: linux
    service: auditd
detection:
    selection:
        type: SYSCALL
        SYSCALL: execve
        euid: 33
    condition: selection
`;
  const detector = createDetector(parseRules(rules, 'auditd-rules.yml').rules);
  const titles = (line: string) => detector.match(decoded(decodeAuditd(line))).map((m) => m.rule.title);

  it('matches raw records by SYSCALL name, hex-decoded arguments and numeric ids', () => {
    expect(
      titles('type=SYSCALL msg=audit(1710000001.500:88): arch=c000003e syscall=319 success=yes pid=9'),
    ).toEqual(['memfd_create']);
    expect(titles('type=EXECVE msg=audit(1710000001.500:89): argc=3 a0="nc" a1=2D6C7670 a2="4444"')).toEqual([
      'netcat listener',
    ]);
    expect(titles(SYSCALL.replace('euid=0', 'euid=33'))).toEqual(['web user runs execve']);
    expect(titles(SYSCALL)).toEqual([]);
  });
});

describe('auditd: sniffing and robustness', () => {
  it('sniffs audit logs', () => {
    expect(AUDITD_FORMAT.sniff([SYSCALL, 'type=EOE msg=audit(1710000000.123:4567): '])).toBe(true);
    expect(AUDITD_FORMAT.sniff(['Mar  3 09:14:07 web-01 sshd[1]: x'])).toBe(false);
  });

  it('decodes adversarial 100 kB lines in linear time', () => {
    const start = performance.now();
    for (const line of [
      `type=EXECVE msg=audit(1:2): argc=1 a0=${'41'.repeat(50_000)}`,
      `type=SYSCALL ${'a='.repeat(50_000)}`,
      `${' type='.repeat(20_000)}`,
      `type=USER_CMD msg='${'x="'.repeat(30_000)}`,
    ]) {
      expect(isWellFormed(decodeAuditd(line))).toBe(true);
    }
    expect(performance.now() - start).toBeLessThan(1000);
  });

  it('never throws: any string gives an event, null or a failure', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 300 }), (line) => isWellFormed(decodeAuditd(line))),
      { numRuns: 2000 },
    );
  });

  it('never throws on audit-shaped lines with arbitrary pairs', () => {
    const key = fc.constantFrom(
      'a0',
      'a1[0]',
      'proctitle',
      'key',
      'msg',
      'type',
      'argc',
      '__proto__',
      'constructor',
    );
    const value = fc.oneof(
      fc.string({ maxLength: 30 }),
      fc.constantFrom('"', "'", '6B31016B32', 'ZZ', '(null)', 'audit(', '\'op=x a="b'),
    );
    fc.assert(
      fc.property(
        fc.constantFrom('type=EXECVE ', 'type=SYSCALL ', 'node=n type=1300 ', 'x audispd: type=USER_AUTH '),
        fc.array(fc.tuple(key, value), { maxLength: 8 }),
        fc.boolean(),
        (head, pairs, enriched) => {
          const body = pairs.map(([k, v]) => `${k}=${v}`).join(' ');
          const line = `${head}msg=audit(1710000000.1:2): ${body}${enriched ? '\x1dSYSCALL=execve UID="x' : ''}`;
          return isWellFormed(decodeAuditd(line));
        },
      ),
      { numRuns: 3000 },
    );
  });
});
