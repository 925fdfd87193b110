import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { get, request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApi } from '../../src/server/app.js';
import { createServiceContext, type ServiceContext } from '../../src/service/vigil.js';
import { ADMIN_PASSWORD } from '../helpers/auth.js';
import { closeTestContext, openTestDatabase, testConfig } from '../helpers/service.js';

describe('HTTPS (VIGIL_TLS_CERT, VIGIL_TLS_KEY)', () => {
  let ctx: ServiceContext;
  let api: { port: number; close(): Promise<void> };
  let cert: string;
  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-tls-'));
    cert = join(dir, 'cert.pem');
    const key = join(dir, 'key.pem');
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:P-256',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=localhost',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
        '-keyout',
        key,
        '-out',
        cert,
      ],
      { stdio: 'ignore' },
    );
    const config = testConfig({ VIGIL_TLS_CERT: cert, VIGIL_TLS_KEY: key });
    ctx = await createServiceContext(config, {
      database: await openTestDatabase('pglite'),
      log: pino({ level: 'silent' }),
    });
    api = await startApi(ctx);
  }, 60_000);
  afterAll(async () => {
    await api.close();
    await closeTestContext(ctx);
  });

  it('serves the API over TLS with the configured certificate', async () => {
    const body = await new Promise<string>((resolve, reject) => {
      get({ host: '127.0.0.1', port: api.port, path: '/health', ca: readFileSync(cert) }, (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () => resolve(text));
      }).on('error', reject);
    });
    expect(JSON.parse(body)).toEqual({ status: 'ok' });
  });

  /** One HTTPS request that trusts the test certificate; @returns status, headers and body */
  function https(
    method: string,
    path: string,
    headers: Record<string, string> = {},
    body?: string,
  ): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
    return new Promise((resolve, reject) => {
      const req = request(
        { host: '127.0.0.1', port: api.port, path, method, headers, ca: readFileSync(cert) },
        (res) => {
          let text = '';
          res.on('data', (d: Buffer) => (text += d.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  }

  it('signs in over TLS and sends HSTS', async () => {
    const token = await https(
      'POST',
      '/api/v1/auth/token',
      { 'content-type': 'application/x-www-form-urlencoded' },
      new URLSearchParams({ grant_type: 'password', username: 'admin', password: ADMIN_PASSWORD }).toString(),
    );
    expect(token.status).toBe(200);
    expect(token.headers['strict-transport-security']).toMatch(/max-age=\d+/);
    const { access_token } = JSON.parse(token.body) as { access_token: string };
    const me = await https('GET', '/api/v1/auth/me', { authorization: `Bearer ${access_token}` });
    expect(me.status).toBe(200);
    expect(JSON.parse(me.body)).toMatchObject({ kind: 'user', name: 'admin', role: 'admin' });
    expect((await https('GET', '/api/v1/auth/me')).status).toBe(401);
  });
});
