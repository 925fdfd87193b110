import { describe, expect, it } from 'vitest';
import { extractEntities } from '../../../src/detect/templates/entities.js';
import { TemplateMiner } from '../../../src/detect/templates/miner.js';

/** Entities of `message` after the miner has seen it and `others` (templates from real mining). */
function entitiesOf(message: string, others: readonly string[] = []): Record<string, string | number> {
  const miner = new TemplateMiner();
  for (const m of others) miner.add(m);
  return extractEntities(miner.add(message), message);
}

/** Entities from a hand-written template and parameters. */
const ex = (template: string, parameters: string[], message = template): Record<string, string | number> =>
  extractEntities({ template, parameters }, message);

describe('extractEntities: sshd', () => {
  const users = ['alice', 'bob', 'carol', 'dave'].map(
    (u) => `Accepted password for ${u} from 192.0.2.1 port 22 ssh2`,
  );

  it('finds user, source IP and port after "for", "from" and "port"', () => {
    expect(entitiesOf('Accepted password for erin from 203.0.113.9 port 4242 ssh2', users)).toEqual({
      'user.name': 'erin',
      'source.ip': '203.0.113.9',
      'source.port': 4242,
    });
  });

  it('reads a user name kept as a template constant ("for root from")', () => {
    expect(entitiesOf('Failed password for root from 203.0.113.9 port 4242 ssh2')).toEqual({
      'user.name': 'root',
      'source.ip': '203.0.113.9',
      'source.port': 4242,
    });
  });

  it('finds the user after "invalid user"', () => {
    expect(
      ex('Invalid user <*> from <*> port <*>', ['webmaster', '173.234.31.186', '38926'])['user.name'],
    ).toBe('webmaster');
  });

  it('reads key=value cues (rhost=, user=)', () => {
    expect(
      ex('authentication failure; logname= uid=<*> euid=<*> tty=ssh ruser= rhost=<*> user=root', [
        '0',
        '0',
        '218.188.2.4',
      ]),
    ).toEqual({ 'source.ip': '218.188.2.4', 'user.name': 'root' });
  });
});

describe('extractEntities: other fields', () => {
  it('splits an IP:port after "to" into destination fields', () => {
    expect(ex('Connecting to <*>', ['10.0.0.5:8080'])).toEqual({
      'destination.ip': '10.0.0.5',
      'destination.port': 8080,
    });
  });

  it('reads src=/dst=/spt=/dpt=', () => {
    expect(ex('DROP src=<*> dst=<*> spt=<*> dpt=<*>', ['10.0.0.1', '10.0.0.2', '5000', '443'])).toEqual({
      'source.ip': '10.0.0.1',
      'destination.ip': '10.0.0.2',
      'source.port': 5000,
      'destination.port': 443,
    });
  });

  it('finds a path, a URL, a host and a pid', () => {
    expect(ex('workerEnv.init() ok <*>', ['/etc/httpd/conf/workers2.properties'])).toEqual({
      'file.path': '/etc/httpd/conf/workers2.properties',
    });
    expect(ex('GET <*> failed', ['https://example.com/a'])).toEqual({
      'url.original': 'https://example.com/a',
    });
    expect(ex('lost contact with host <*>', ['db01.example.com'])).toEqual({
      'host.name': 'db01.example.com',
    });
    expect(ex('started pid=<*>', ['4242'])).toEqual({ 'process.pid': 4242 });
  });

  it('names a hash by its length when a hash cue is there', () => {
    const md5 = '9e107d9d372bb6826bd81d3542a419d6';
    const sha1 = '2fd4e1c67a2d28fced849ee1bb76e7391b93eb12';
    const sha256 = '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08';
    expect(ex('Hashes: MD5=<*>,SHA1=<*>,SHA256=<*>', [md5, sha1, sha256])).toEqual({
      'file.hash.md5': md5,
      'file.hash.sha1': sha1,
      'file.hash.sha256': sha256,
    });
    expect(ex('checksum <*>', [sha256])).toEqual({ 'file.hash.sha256': sha256 });
  });
});

describe('extractEntities: no guess without a cue', () => {
  it('leaves an IP with no role word alone', () => {
    expect(ex('peer <*> is up', ['10.0.0.1'])).toEqual({});
  });

  it('does not take "for" as a user outside authentication messages', () => {
    expect(ex('waiting for <*>', ['dbserver'])).toEqual({});
  });

  it('does not take a number after "user" as a name', () => {
    expect(ex('user <*> logged in', ['1001'])).toEqual({});
  });

  it('does not name a hash without a hash cue', () => {
    expect(ex('session <*> closed', ['9e107d9d372bb6826bd81d3542a419d6'])).toEqual({});
  });

  it('does not take words such as "unknown" after "user" as names', () => {
    expect(ex('check pass; user unknown', [])).toEqual({});
  });

  it('does not take a port without an address role', () => {
    expect(ex('listening on port <*>', ['22'])).toEqual({});
  });

  it('does not read "/" + IP as a file path', () => {
    expect(ex('Received connection request <*>', ['/10.10.34.11:45307'])).toEqual({});
  });
});
