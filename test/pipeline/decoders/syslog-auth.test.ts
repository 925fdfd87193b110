import { describe, expect, it } from 'vitest';
import { createDetector } from '../../../src/detect/sigma/detector.js';
import { parseRules } from '../../../src/detect/sigma/parse.js';
import { decodeSyslog } from '../../../src/pipeline/decoders/text/syslog.js';
import type { DecodeOptions } from '../../../src/pipeline/decoders/types.js';
import { decoded } from './decoded.js';

const UTC: DecodeOptions = { year: 2024, timezone: 'UTC' };

function fieldsOf(line: string, options = UTC) {
  return decoded(decodeSyslog(line, options)).fields;
}

describe('syslog: OpenSSH messages', () => {
  const host = 'Mar  3 09:14:07 bastion-01 sshd[4121]: ';

  it('Failed password for invalid user → ssh_login failure with user, source and method', () => {
    expect(
      fieldsOf(`${host}Failed password for invalid user oracle from 198.51.100.23 port 51544 ssh2`),
    ).toMatchObject({
      'event.action': 'ssh_login',
      'event.outcome': 'failure',
      'user.name': 'oracle',
      'source.ip': '198.51.100.23',
      'source.port': 51544,
      'system.auth.ssh.method': 'password',
      'system.auth.ssh.event': 'Failed',
    });
  });

  it('Accepted publickey → ssh_login success', () => {
    const e = decoded(
      decodeSyslog(
        `${host}Accepted publickey for deploy from 2001:db8::7 port 60112 ssh2: ED25519 SHA256:Zq1x`,
        UTC,
      ),
    );
    expect(e.fields).toMatchObject({
      'event.action': 'ssh_login',
      'event.outcome': 'success',
      'user.name': 'deploy',
      'source.ip': '2001:db8::7',
      'source.port': 60112,
      'system.auth.ssh.method': 'publickey',
    });
    expect(e.ecs()).toMatchObject({
      event: { category: ['authentication'], action: 'ssh_login', outcome: 'success' },
      source: { ip: '2001:db8::7', port: 60112 },
      user: { name: 'deploy' },
    });
  });

  it('Accepted keyboard-interactive/pam keeps the method', () => {
    expect(
      fieldsOf(`${host}Accepted keyboard-interactive/pam for ann from 192.0.2.5 port 2200 ssh2`)[
        'system.auth.ssh.method'
      ],
    ).toBe('keyboard-interactive/pam');
  });

  it('Invalid user, with and without a port', () => {
    expect(fieldsOf(`${host}Invalid user admin from 198.51.100.23 port 51544`)).toMatchObject({
      'event.action': 'ssh_invalid_user',
      'event.outcome': 'failure',
      'user.name': 'admin',
      'source.ip': '198.51.100.23',
      'source.port': 51544,
    });
    expect(fieldsOf(`${host}Invalid user test from 198.51.100.24`)).toMatchObject({
      'user.name': 'test',
      'source.ip': '198.51.100.24',
    });
  });

  it('pam_unix authentication failure reads rhost and user', () => {
    const f = fieldsOf(
      `${host}pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=198.51.100.23  user=root`,
    );
    expect(f).toMatchObject({
      'event.action': 'authentication_failure',
      'event.outcome': 'failure',
      'source.ip': '198.51.100.23',
      'user.name': 'root',
    });
  });

  it('a host name in rhost goes to source.domain', () => {
    const f = fieldsOf(
      'Jun 14 15:16:02 combo sshd(pam_unix)[19937]: authentication failure; logname= uid=0 euid=0 tty=NODEVssh ruser= rhost=dsl-7.example.net',
    );
    expect(f['source.domain']).toBe('dsl-7.example.net');
    expect(f['source.ip']).toBeUndefined();
  });

  it('Received disconnect, new and old (no port) forms', () => {
    expect(
      fieldsOf(`${host}Received disconnect from 198.51.100.23 port 51544:11: Bye Bye [preauth]`),
    ).toMatchObject({
      'event.action': 'ssh_disconnect',
      'source.ip': '198.51.100.23',
      'source.port': 51544,
      'event.reason': 'Bye Bye [preauth]',
    });
    expect(
      fieldsOf(`${host}error: Received disconnect from 198.51.100.9: 3: Auth fail [preauth]`),
    ).toMatchObject({
      'event.action': 'ssh_disconnect',
      'source.ip': '198.51.100.9',
    });
  });

  it('Connection closed by [invalid user U] IP port N [preauth]', () => {
    expect(
      fieldsOf(`${host}Connection closed by invalid user test 198.51.100.23 port 51544 [preauth]`),
    ).toMatchObject({
      'event.action': 'ssh_connection_closed',
      'user.name': 'test',
      'source.ip': '198.51.100.23',
      'source.port': 51544,
    });
    expect(fieldsOf(`${host}Connection closed by 198.51.100.25 [preauth]`)['source.ip']).toBe(
      '198.51.100.25',
    );
  });

  it('reverse mapping checking getaddrinfo … POSSIBLE BREAK-IN ATTEMPT!', () => {
    expect(
      fieldsOf(
        `${host}reverse mapping checking getaddrinfo for host-77.example.net [198.51.100.77] failed - POSSIBLE BREAK-IN ATTEMPT!`,
      ),
    ).toMatchObject({
      'event.action': 'ssh_reverse_mapping_failed',
      'source.ip': '198.51.100.77',
      'source.domain': 'host-77.example.net',
    });
  });

  it('message repeated N times: [ … ] parses the inner message and keeps the count', () => {
    expect(
      fieldsOf(
        `${host}message repeated 3 times: [ Failed password for root from 203.0.113.9 port 40022 ssh2]`,
      ),
    ).toMatchObject({
      'syslog.repeat_count': 3,
      'event.action': 'ssh_login',
      'event.outcome': 'failure',
      'user.name': 'root',
      'source.ip': '203.0.113.9',
    });
  });

  it('leaves other sshd messages without an action', () => {
    const f = fieldsOf(`${host}Server listening on :: port 22.`);
    expect(f['event.action']).toBeUndefined();
  });
});

describe('syslog: sudo, su and account management', () => {
  it('sudo command: invoking user, target USER, command line and the sudo keys', () => {
    const e = decoded(
      decodeSyslog(
        'Mar  3 10:02:11 bastion-01 sudo:    alice : TTY=pts/1 ; PWD=/home/alice ; USER=root ; COMMAND=/usr/bin/systemctl restart nginx ; true',
        UTC,
      ),
    );
    expect(e.fields).toMatchObject({
      TTY: 'pts/1',
      PWD: '/home/alice',
      USER: 'root',
      COMMAND: '/usr/bin/systemctl restart nginx ; true',
      'user.name': 'alice',
      'user.effective.name': 'root',
      'process.command_line': '/usr/bin/systemctl restart nginx ; true',
      'process.working_directory': '/home/alice',
      'event.action': 'sudo_command',
      'event.outcome': 'success',
    });
    expect(e.ecs()).toMatchObject({
      event: { category: ['process'] },
      user: { effective: { name: 'root' } },
    });
  });

  it('sudo refusal → failure with the reason', () => {
    expect(
      fieldsOf(
        'Mar  3 10:03:40 bastion-01 sudo:      bob : 3 incorrect password attempts ; TTY=pts/2 ; PWD=/tmp ; USER=root ; COMMAND=/bin/bash',
      ),
    ).toMatchObject({
      'event.outcome': 'failure',
      'event.reason': '3 incorrect password attempts',
      'user.name': 'bob',
    });
  });

  it('sudo lines that are not command logs get no action', () => {
    expect(
      fieldsOf('Mar  3 10:03:40 h sudo: alice : unable to resolve host h')['event.action'],
    ).toBeUndefined();
  });

  it('su, in the util-linux and shadow-utils wordings', () => {
    expect(fieldsOf('Mar  3 10:05:00 h su[9]: (to root) alice on pts/1')).toMatchObject({
      'event.action': 'su',
      'event.outcome': 'success',
      'user.name': 'alice',
      'user.effective.name': 'root',
    });
    expect(fieldsOf('Mar  3 10:05:09 h su[9]: FAILED SU (to root) bob on pts/2')['event.outcome']).toBe(
      'failure',
    );
    expect(fieldsOf('Mar  3 10:05:09 h su[9]: Successful su for postgres by root')).toMatchObject({
      'user.name': 'root',
      'user.effective.name': 'postgres',
    });
  });

  it('useradd, groupadd, usermod, userdel', () => {
    expect(
      fieldsOf(
        'Mar  3 10:07:00 h useradd[7001]: new user: name=backdoor, UID=1337, GID=1337, home=/home/backdoor, shell=/bin/bash, from=/dev/pts/1',
      ),
    ).toMatchObject({
      'event.action': 'user_created',
      'user.name': 'backdoor',
      'user.id': 1337,
      'group.id': 1337,
    });
    expect(
      fieldsOf('Mar  3 10:07:00 h groupadd[7010]: group added to /etc/group: name=ops, GID=1500'),
    ).toMatchObject({
      'event.action': 'group_created',
      'group.name': 'ops',
      'group.id': 1500,
    });
    expect(fieldsOf("Mar  3 10:07:01 h usermod[7020]: add 'backdoor' to group 'sudo'")).toMatchObject({
      'event.action': 'group_member_added',
      'user.name': 'backdoor',
      'group.name': 'sudo',
    });
    expect(fieldsOf("Mar  3 10:09:00 h userdel[7030]: delete user 'backdoor'")).toMatchObject({
      'event.action': 'user_deleted',
      'user.name': 'backdoor',
    });
    const ecs = decoded(decodeSyslog("Mar  3 10:09:00 h userdel[7030]: delete user 'backdoor'", UTC)).ecs();
    expect(ecs).toMatchObject({ event: { category: ['iam'], type: ['user', 'deletion'] } });
  });

  it('PAM session lines from any program', () => {
    expect(
      fieldsOf(
        'Mar  3 09:17:01 h CRON[8123]: pam_unix(cron:session): session opened for user root(uid=0) by (uid=0)',
      ),
    ).toMatchObject({ 'event.action': 'session_opened', 'user.name': 'root', 'user.id': 0 });
    expect(fieldsOf('Jun 14 15:16:01 combo su(pam_unix)[21416]: session closed for user news')).toMatchObject(
      {
        'event.action': 'session_closed',
        'user.name': 'news',
      },
    );
  });
});

describe('syslog: Sigma rules see the decoded events', () => {
  const rules = `title: ssh brute force keyword
id: 00000000-0000-4000-8000-00000000a001
logsource:
    product: linux
    service: sshd
detection:
    keywords:
        - 'Failed password'
    condition: keywords
---
title: sudo with negative user id
id: 00000000-0000-4000-8000-00000000a002
logsource:
    product: linux
    service: sudo
detection:
    selection:
        USER: '#-*'
    condition: selection
---
title: linux auth keyword
id: 00000000-0000-4000-8000-00000000a003
logsource:
    product: linux
    service: auth
detection:
    keywords:
        - 'new user: name=backdoor'
    condition: keywords
`;
  const parsed = parseRules(rules, 'syslog-rules.yml');
  const detector = createDetector(parsed.rules);
  const titles = (line: string) => detector.match(decoded(decodeSyslog(line, UTC))).map((m) => m.rule.title);

  it('matches keywords on the raw line and fields by Sigma name under the right logsource', () => {
    expect(parsed.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    expect(
      titles('Mar  3 09:14:09 h sshd[1]: Failed password for root from 203.0.113.9 port 40022 ssh2'),
    ).toEqual(['ssh brute force keyword']);
    expect(
      titles('Mar  3 09:14:09 h sudo: eve : TTY=pts/0 ; PWD=/home/eve ; USER=#-1 ; COMMAND=/bin/sh'),
    ).toEqual(['sudo with negative user id']);
    expect(
      titles('Mar  3 09:14:09 h useradd[3]: new user: name=backdoor, UID=0, GID=0, home=/, shell=/bin/sh'),
    ).toEqual(['linux auth keyword']);
    expect(titles('Mar  3 09:14:09 h app[1]: Failed password for root')).toEqual([]);
  });
});
