import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { VigilError } from '../../src/errors.js';

function file(text: string): string {
  const p = join(mkdtempSync(join(tmpdir(), 'vigil-config-')), 'vigil.yml');
  writeFileSync(p, text);
  return p;
}

function error(fn: () => unknown): VigilError {
  try {
    fn();
  } catch (err) {
    if (err instanceof VigilError) return err;
    throw err;
  }
  throw new Error('no error thrown');
}

describe('configuration', () => {
  it('has defaults that start a loopback service on the embedded store', () => {
    const c = loadConfig({}, {});
    expect(c).toMatchObject({
      port: 8080,
      host: '127.0.0.1',
      dataDir: resolve('./data'),
      rules: [],
      databaseUrl: undefined,
      syslogPort: 5514,
      esPort: 9200,
      tls: undefined,
    });
  });

  it('takes flags over environment over file over defaults', () => {
    const path = file('port: 7000\nsyslog_port: 0\nes_port: 9300\nrules: [/r/file]\n');
    const c = loadConfig({ config: path, port: '9000' }, { VIGIL_PORT: '8000', VIGIL_ES_PORT: '9400' });
    expect(c.port).toBe(9000);
    expect(c.esPort).toBe(9400);
    expect(c.syslogPort).toBe(0);
    expect(c.rules).toEqual(['/r/file']);
    expect(loadConfig({}, { VIGIL_RULES: '/a:/b' }).rules).toEqual(['/a', '/b']);
  });

  it('stops with a message naming the bad setting', () => {
    expect(error(() => loadConfig({}, { VIGIL_PORT: 'http' })).message).toMatch(
      /VIGIL_PORT: expected an integer/,
    );
    expect(error(() => loadConfig({ port: '70000' }, {})).message).toMatch(/--port/);
    expect(error(() => loadConfig({}, { DATABASE_URL: 'mysql://x' })).message).toMatch(/DATABASE_URL/);
    expect(error(() => loadConfig({}, { VIGIL_SYSLOG_TIMEZONE: 'Mars/Base' })).message).toMatch(
      /VIGIL_SYSLOG_TIMEZONE: unknown time zone/,
    );
    expect(error(() => loadConfig({}, { VIGIL_TLS_CERT: '/c.pem' })).message).toMatch(/VIGIL_TLS_KEY/);
    expect(error(() => loadConfig({ config: file('prot: 1\n') }, {})).message).toMatch(
      /prot: unknown setting/,
    );
    expect(error(() => loadConfig({ config: file('port: [1\n') }, {})).code).toBe('VIGIL_ERR_CONFIG');
  });

  it('refuses a non-loopback host until authentication exists', () => {
    expect(error(() => loadConfig({ host: '0.0.0.0' }, {})).message).toMatch(
      /--host: "0.0.0.0" is not a loopback/,
    );
    expect(loadConfig({}, { VIGIL_HOST: '::1' }).host).toBe('::1');
    expect(loadConfig({}, { VIGIL_HOST: 'localhost' }).host).toBe('localhost');
  });
});
