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

  it('accepts a non-loopback host now that every route requires credentials', () => {
    expect(loadConfig({ host: '0.0.0.0' }, {}).host).toBe('0.0.0.0');
    expect(loadConfig({}, { VIGIL_HOST: '192.0.2.10' }).host).toBe('192.0.2.10');
    expect(loadConfig({}, { VIGIL_HOST: '::' }).host).toBe('::');
    expect(loadConfig({}, { VIGIL_HOST: '::1' }).host).toBe('::1');
    expect(loadConfig({}, { VIGIL_HOST: 'localhost' }).host).toBe('localhost');
    expect(loadConfig({ config: file('host: 0.0.0.0\n') }, {}).host).toBe('0.0.0.0');
  });
});

describe('configuration of accounts and access (config.auth)', () => {
  it('has defaults: admin user, EdDSA, 15-minute tokens, week-long sessions, no CORS, no OIDC', () => {
    expect(loadConfig({}, {}).auth).toEqual({
      adminUser: 'admin',
      adminPassword: undefined,
      jwtAlgorithm: 'EdDSA',
      jwtIssuer: 'vigil',
      jwtAudience: 'vigil-api',
      accessTokenTtl: 900,
      refreshTokenTtl: 604_800,
      openRegistration: false,
      loginMaxFailures: 5,
      loginIpMaxFailures: 20,
      rateLimit: 100,
      loginRateLimit: 10,
      ingestRateLimit: 50_000,
      corsOrigins: [],
      metricsToken: undefined,
      trustProxy: false,
      oidc: undefined,
    });
  });

  it('reads each setting from the environment, else the file key of the same name', () => {
    const env = {
      VIGIL_ADMIN_USER: 'root@corp',
      VIGIL_ADMIN_PASSWORD: 'correct horse battery staple',
      VIGIL_JWT_ISSUER: 'https://vigil.example',
      VIGIL_JWT_AUDIENCE: 'soc',
      VIGIL_ACCESS_TOKEN_TTL: '60',
      VIGIL_REFRESH_TOKEN_TTL: '3600',
      VIGIL_OPEN_REGISTRATION: 'yes',
      VIGIL_LOGIN_MAX_FAILURES: '3',
      VIGIL_LOGIN_IP_MAX_FAILURES: '50',
      VIGIL_RATE_LIMIT: '600',
      VIGIL_LOGIN_RATE_LIMIT: '30',
      VIGIL_INGEST_RATE_LIMIT: '200000',
      VIGIL_METRICS_TOKEN: 'scrape-me',
      VIGIL_TRUST_PROXY: 'true',
    };
    expect(loadConfig({}, env).auth).toMatchObject({
      adminUser: 'root@corp',
      adminPassword: 'correct horse battery staple',
      jwtIssuer: 'https://vigil.example',
      jwtAudience: 'soc',
      accessTokenTtl: 60,
      refreshTokenTtl: 3600,
      openRegistration: true,
      loginMaxFailures: 3,
      loginIpMaxFailures: 50,
      rateLimit: 600,
      loginRateLimit: 30,
      ingestRateLimit: 200_000,
      metricsToken: 'scrape-me',
      trustProxy: true,
    });
    const path = file('jwt_alg: ES256\nrate_limit: 250\ncors_origins: https://a.example\n');
    const fromFile = loadConfig({ config: path }, {}).auth;
    expect(fromFile).toMatchObject({
      jwtAlgorithm: 'ES256',
      rateLimit: 250,
      corsOrigins: ['https://a.example'],
    });
    expect(loadConfig({ config: path }, { VIGIL_RATE_LIMIT: '7' }).auth.rateLimit).toBe(7);
    // An empty VIGIL_ADMIN_PASSWORD is no password: one is generated at first start.
    expect(loadConfig({}, { VIGIL_ADMIN_PASSWORD: '' }).auth.adminPassword).toBeUndefined();
  });

  it('refuses out-of-range numbers and bad names, naming the setting', () => {
    expect(error(() => loadConfig({}, { VIGIL_ACCESS_TOKEN_TTL: '10' })).message).toMatch(
      /VIGIL_ACCESS_TOKEN_TTL: expected an integer from 30 to 86400/,
    );
    expect(error(() => loadConfig({}, { VIGIL_RATE_LIMIT: '0' })).message).toMatch(/VIGIL_RATE_LIMIT/);
    expect(error(() => loadConfig({}, { VIGIL_INGEST_RATE_LIMIT: 'fast' })).message).toMatch(
      /VIGIL_INGEST_RATE_LIMIT/,
    );
    expect(error(() => loadConfig({}, { VIGIL_OPEN_REGISTRATION: 'maybe' })).message).toMatch(
      /VIGIL_OPEN_REGISTRATION: expected true or false/,
    );
    expect(error(() => loadConfig({}, { VIGIL_ADMIN_USER: 'bad name' })).message).toMatch(/VIGIL_ADMIN_USER/);
    expect(error(() => loadConfig({ config: file('rate_limt: 5\n') }, {})).message).toMatch(
      /rate_limt: unknown setting/,
    );
  });

  it('takes the JWT algorithms Vigil signs with, and refuses others (VIGIL_JWT_ALG)', () => {
    for (const alg of ['EdDSA', 'ES256', 'ES384', 'PS256', 'RS256'])
      expect(loadConfig({}, { VIGIL_JWT_ALG: alg }).auth.jwtAlgorithm).toBe(alg);
    for (const alg of ['HS256', 'none', 'eddsa', 'RS512']) {
      const e = error(() => loadConfig({}, { VIGIL_JWT_ALG: alg }));
      expect(e.code).toBe('VIGIL_ERR_CONFIG');
      expect(e.message).toMatch(/VIGIL_JWT_ALG: expected one of EdDSA, ES256, ES384, PS256, RS256/);
    }
    const path = file('jwt_alg: HS512\n');
    expect(error(() => loadConfig({ config: path }, {})).message).toContain(`${path}: jwt_alg`);
  });

  it('splits VIGIL_CORS_ORIGINS on commas, trimming and dropping empty entries', () => {
    expect(
      loadConfig({}, { VIGIL_CORS_ORIGINS: ' https://soc.example , http://localhost:5173,,' }).auth
        .corsOrigins,
    ).toEqual(['https://soc.example', 'http://localhost:5173']);
    expect(loadConfig({}, { VIGIL_CORS_ORIGINS: '' }).auth.corsOrigins).toEqual([]);
  });

  describe('OpenID Connect', () => {
    const OIDC = {
      VIGIL_OIDC_ISSUER: 'https://idp.example/realms/soc',
      VIGIL_OIDC_CLIENT_ID: 'vigil',
      VIGIL_OIDC_REDIRECT_URI: 'https://vigil.example/api/v1/auth/oidc/callback',
    };

    it('is off without an issuer, and has defaults with one', () => {
      expect(loadConfig({}, { VIGIL_OIDC_CLIENT_ID: 'vigil' }).auth.oidc).toBeUndefined();
      expect(loadConfig({}, OIDC).auth.oidc).toEqual({
        issuer: 'https://idp.example/realms/soc',
        clientId: 'vigil',
        clientSecret: undefined,
        redirectUri: 'https://vigil.example/api/v1/auth/oidc/callback',
        scopes: 'openid profile email',
        roleClaim: 'groups',
        roleMap: {},
        defaultRole: undefined,
      });
      expect(
        loadConfig(
          {},
          {
            ...OIDC,
            VIGIL_OIDC_CLIENT_SECRET: 's3cret',
            VIGIL_OIDC_SCOPES: 'openid email',
            VIGIL_OIDC_ROLE_CLAIM: 'realm_access.roles',
            VIGIL_OIDC_DEFAULT_ROLE: 'viewer',
          },
        ).auth.oidc,
      ).toMatchObject({
        clientSecret: 's3cret',
        scopes: 'openid email',
        roleClaim: 'realm_access.roles',
        defaultRole: 'viewer',
      });
    });

    it('requires a client id and a redirect URI with an issuer', () => {
      const { VIGIL_OIDC_CLIENT_ID: _id, ...noClient } = OIDC;
      const noClientError = error(() => loadConfig({}, noClient));
      expect(noClientError.code).toBe('VIGIL_ERR_CONFIG');
      expect(noClientError.message).toMatch(/oidc_client_id: required with an OpenID Connect issuer/i);
      const { VIGIL_OIDC_REDIRECT_URI: _uri, ...noRedirect } = OIDC;
      expect(error(() => loadConfig({}, noRedirect)).message).toMatch(
        /oidc_redirect_uri: required with an OpenID Connect issuer/i,
      );
      expect(error(() => loadConfig({}, { ...OIDC, VIGIL_OIDC_CLIENT_ID: '' })).message).toMatch(
        /oidc_client_id: required/i,
      );
      const path = file('oidc_issuer: https://idp.example\noidc_client_id: vigil\n');
      expect(error(() => loadConfig({ config: path }, {})).message).toContain(`${path}: oidc_redirect_uri`);
    });

    it('names the missing variable when there is no file (VIGIL_OIDC_CLIENT_ID)', () => {
      const { VIGIL_OIDC_CLIENT_ID: _id, ...noClient } = OIDC;
      const message = error(() => loadConfig({}, noClient)).message;
      expect(message).toMatch(/VIGIL_OIDC_CLIENT_ID: required with an OpenID Connect issuer/);
      expect(message).not.toContain('undefined');
    });

    it('refuses an issuer or redirect URI that is not an http(s) URL', () => {
      expect(error(() => loadConfig({}, { ...OIDC, VIGIL_OIDC_ISSUER: 'idp.example' })).message).toMatch(
        /VIGIL_OIDC_ISSUER: not a URL/,
      );
      expect(
        error(() => loadConfig({}, { ...OIDC, VIGIL_OIDC_ISSUER: 'ftp://idp.example' })).message,
      ).toMatch(/VIGIL_OIDC_ISSUER: expected a https: or http: URL/);
      expect(
        error(() => loadConfig({}, { ...OIDC, VIGIL_OIDC_REDIRECT_URI: 'vigil://callback' })).message,
      ).toMatch(/VIGIL_OIDC_REDIRECT_URI/);
    });

    it('parses the role map: claim=role pairs, comma-separated, trimmed, the last = splits', () => {
      const map = (v: string) => loadConfig({}, { ...OIDC, VIGIL_OIDC_ROLE_MAP: v }).auth.oidc!.roleMap;
      expect(map('vigil-admins=admin, soc = analyst ,auditors=viewer,')).toEqual({
        'vigil-admins': 'admin',
        soc: 'analyst',
        auditors: 'viewer',
      });
      // A claim value may hold "=" itself: the role is what follows the last one.
      expect(map('CN=SOC Team=analyst')).toEqual({ 'CN=SOC Team': 'analyst' });
      for (const bad of ['admins', '=admin', 'admins=']) {
        expect(error(() => map(bad)).message).toMatch(
          new RegExp(`VIGIL_OIDC_ROLE_MAP: expected claim=role pairs, got "${bad}"`),
        );
      }
      const path = file(
        'oidc_issuer: https://idp.example\noidc_client_id: c\noidc_redirect_uri: https://v.example/cb\noidc_role_map: "g1=admin,g2=viewer"\n',
      );
      expect(loadConfig({ config: path }, {}).auth.oidc!.roleMap).toEqual({ g1: 'admin', g2: 'viewer' });
    });
  });
});
