/**
 * The first admin, as an operator meets it: `vigil serve` (the built CLI, as a child process) on a
 * fresh data directory without `VIGIL_ADMIN_PASSWORD` generates a password into
 * `<dataDir>/initial-admin-password` (mode 0600), names the file on stderr without printing the
 * password, and requires a password change at first login. A restart creates nothing new. With
 * `VIGIL_ADMIN_USER`/`VIGIL_ADMIN_PASSWORD` the admin is created as given.
 */
import { existsSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ServerProcess, startServer } from '../helpers/server-process.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const STRONG_PASSWORD = 'correct-horse-battery-staple-42';

async function call(
  server: ServerProcess,
  method: string,
  path: string,
  auth?: string,
  body?: unknown,
): Promise<{ status: number; body: Json }> {
  const r = await fetch(`${server.url}${path}`, {
    method,
    headers: {
      ...(auth ? { authorization: auth } : {}),
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await r.text();
  return { status: r.status, body: text ? (JSON.parse(text) as Json) : {} };
}

/**
 * `startServer` resolves at the "serving on" line; the admin line is written just after it.
 * @returns stderr once it contains `text`, or after `ms` (then the caller's assertion fails)
 */
async function stderrWith(server: ServerProcess, text: string, ms = 2_000): Promise<string> {
  const until = Date.now() + ms;
  while (!server.stderr().includes(text) && Date.now() < until) await new Promise((r) => setTimeout(r, 25));
  return server.stderr();
}

/**
 * `vigil serve` with no `VIGIL_ADMIN_PASSWORD` at all: `startServer` sets the test admin password
 * unless overridden, and an undefined value leaves the variable out of the child's environment.
 */
const serveWithoutAdminPassword = (dataDir: string): Promise<ServerProcess> =>
  startServer({ VIGIL_DATA_DIR: dataDir, VIGIL_ADMIN_PASSWORD: undefined as unknown as string });

const tokenGrant = (server: ServerProcess, username: string, password: string) =>
  call(server, 'POST', '/api/v1/auth/token', undefined, { grant_type: 'password', username, password });

describe('first admin with a generated password (vigil serve, no VIGIL_ADMIN_PASSWORD)', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'vigil-bootstrap-'));
  const file = join(dataDir, 'initial-admin-password');
  let server: ServerProcess | undefined;
  let initial = '';
  let firstAuth = '';
  let changedAuth = '';

  beforeAll(async () => {
    server = await serveWithoutAdminPassword(dataDir);
  }, 90_000);
  afterAll(async () => {
    await server?.stop();
  });

  it('writes the password to <dataDir>/initial-admin-password, mode 0600, and names the file on stderr only', async () => {
    expect(existsSync(file)).toBe(true);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    initial = readFileSync(file, 'utf8').trim();
    expect(initial).toMatch(/^[A-Za-z0-9_-]{24}$/);
    const err = await stderrWith(server!, 'created admin user');
    expect(err).toContain(file);
    expect(err).toContain("created admin user 'admin'");
    expect(err).not.toContain(initial);
  });

  it('the password logs in, but everything except /auth/* answers 403 until it is changed', async () => {
    const r = await tokenGrant(server!, 'admin', initial);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    firstAuth = `Bearer ${r.body.access_token as string}`;
    const me = await call(server!, 'GET', '/api/v1/auth/me', firstAuth);
    expect(me.body).toMatchObject({ name: 'admin', role: 'admin', must_change_password: true });
    for (const path of ['/api/v1/alerts', '/api/v1/users', '/api/v1/audit']) {
      const denied = await call(server!, 'GET', path, firstAuth);
      expect(denied.status, path).toBe(403);
      expect(denied.body.code).toBe('VIGIL_ERR_PASSWORD_CHANGE_REQUIRED');
    }
  });

  it('a weak or wrong password change is refused', async () => {
    const weak = await call(server!, 'POST', '/api/v1/auth/password', firstAuth, {
      current_password: initial,
      new_password: 'short',
    });
    expect(weak.status).toBe(400);
    expect(weak.body.code).toBe('VIGIL_ERR_PASSWORD_POLICY');
    const same = await call(server!, 'POST', '/api/v1/auth/password', firstAuth, {
      current_password: initial,
      new_password: initial,
    });
    expect(same.status).toBe(400);
    expect(same.body.code).toBe('VIGIL_ERR_PASSWORD_POLICY');
    const wrongCurrent = await call(server!, 'POST', '/api/v1/auth/password', firstAuth, {
      current_password: 'not-the-initial-password',
      new_password: STRONG_PASSWORD,
    });
    expect(wrongCurrent.status).toBe(401);
    expect((await call(server!, 'GET', '/api/v1/alerts', firstAuth)).status).toBe(403);
  });

  it('after the change the returned token works; the old password no longer does', async () => {
    const r = await call(server!, 'POST', '/api/v1/auth/password', firstAuth, {
      current_password: initial,
      new_password: STRONG_PASSWORD,
    });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    changedAuth = `Bearer ${r.body.access_token as string}`;
    expect((await call(server!, 'GET', '/api/v1/alerts', changedAuth)).status).toBe(200);
    expect((await call(server!, 'GET', '/api/v1/auth/me', changedAuth)).body.must_change_password).toBe(
      false,
    );
    expect((await tokenGrant(server!, 'admin', initial)).status).toBe(400);
    const again = await tokenGrant(server!, 'admin', STRONG_PASSWORD);
    expect(again.status).toBe(200);
    expect((await call(server!, 'GET', '/api/v1/users', `Bearer ${again.body.access_token}`)).status).toBe(
      200,
    );
  });

  it('a restart on the same data directory creates no admin and leaves the file as it was', async () => {
    const before = statSync(file);
    expect(await server!.stop()).toBe(0);
    server = await serveWithoutAdminPassword(dataDir);
    // Both start-up lines are written back to back: allow the second one time to arrive.
    const err = await stderrWith(server, 'created admin user', 1_000);
    expect(err).not.toContain('created admin user');
    expect(err).not.toContain('initial-admin-password');
    expect(readFileSync(file, 'utf8').trim()).toBe(initial);
    expect(statSync(file).mtimeMs).toBe(before.mtimeMs);
    const r = await tokenGrant(server, 'admin', STRONG_PASSWORD);
    expect(r.status).toBe(200);
    const users = await call(server, 'GET', '/api/v1/users', `Bearer ${r.body.access_token}`);
    expect((users.body.users as Json[]).map((u) => u.name)).toEqual(['admin']);
    const created = await call(
      server,
      'GET',
      '/api/v1/audit?action=user.create',
      `Bearer ${r.body.access_token}`,
    );
    expect(created.body.entries).toHaveLength(1);
    expect(created.body.entries[0]).toMatchObject({ actor: 'system', target: 'admin' });
  }, 90_000);
});

describe('first admin from VIGIL_ADMIN_USER and VIGIL_ADMIN_PASSWORD', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'vigil-bootstrap-env-'));
  const password = 'root-password-from-the-environment-7';
  let server: ServerProcess | undefined;

  beforeAll(async () => {
    server = await startServer({
      VIGIL_DATA_DIR: dataDir,
      VIGIL_ADMIN_USER: 'root',
      VIGIL_ADMIN_PASSWORD: password,
    });
  }, 90_000);
  afterAll(async () => {
    await server?.stop();
  });

  it('creates root as given: no password file, nothing secret on stderr', async () => {
    const err = await stderrWith(server!, 'created admin user');
    expect(err).toContain("created admin user 'root' with the password from VIGIL_ADMIN_PASSWORD");
    expect(err).not.toContain(password);
    expect(existsSync(join(dataDir, 'initial-admin-password'))).toBe(false);
  });

  it('root logs in directly, with no password change required; there is no admin user', async () => {
    const r = await tokenGrant(server!, 'root', password);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    const auth = `Bearer ${r.body.access_token as string}`;
    const me = await call(server!, 'GET', '/api/v1/auth/me', auth);
    expect(me.body).toMatchObject({ name: 'root', role: 'admin', must_change_password: false });
    expect((await call(server!, 'GET', '/api/v1/alerts', auth)).status).toBe(200);
    const users = await call(server!, 'GET', '/api/v1/users', auth);
    expect((users.body.users as Json[]).map((u) => u.name)).toEqual(['root']);
    expect((await tokenGrant(server!, 'admin', password)).status).toBe(400);
  });
});
