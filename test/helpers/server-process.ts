/**
 * Runs `vigil serve` from the built CLI as a child process, as a user would, and finds its ports
 * from the start-up line; signs in over HTTP and creates API keys as a user would.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { ADMIN_PASSWORD, type ApiKeyCredential, TEST_AUTH_ENV } from './auth.js';
import { ROOT } from './shared-data.js';

export interface ServerProcess {
  readonly child: ChildProcess;
  readonly port: number;
  readonly ports: Readonly<Record<string, number>>;
  readonly url: string;
  /** Everything written to stderr so far. */
  stderr(): string;
  /** SIGTERM and wait for exit; @returns the exit code */
  stop(): Promise<number | null>;
  /** SIGKILL and wait for exit. */
  kill(): Promise<void>;
}

/**
 * @param env - settings (VIGIL_DATA_DIR, DATABASE_URL, …); ports default to 0 (any free port), and
 *   `TEST_AUTH_ENV` applies unless overridden (the admin's password is `ADMIN_PASSWORD`; rate
 *   limits high enough that tests polling `/ready` are never throttled)
 * @throws Error with the server's stderr when it exits or does not start within 60 s
 */
export function startServer(env: Record<string, string>): Promise<ServerProcess> {
  const child = spawn(process.execPath, [join(ROOT, 'bin/vigil.js'), 'serve'], {
    env: {
      PATH: process.env.PATH ?? '',
      VIGIL_PORT: '0',
      VIGIL_ES_PORT: '0',
      VIGIL_SYSLOG_PORT: '0',
      VIGIL_LOG_LEVEL: 'warn',
      ...TEST_AUTH_ENV,
      ...env,
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`vigil serve did not start in 60 s:\n${err}`));
    }, 60_000);
    const early = (code: number | null): void => {
      clearTimeout(timer);
      reject(new Error(`vigil serve exited (${code}):\n${err}`));
    };
    child.once('exit', early);
    child.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
      const m = /serving on https?:\/\/[^:]+:(\d+)/.exec(err);
      if (!m) return;
      clearTimeout(timer);
      child.off('exit', early);
      const ports: Record<string, number> = { api: Number(m[1]) };
      const es = /Elasticsearch bulk on :(\d+)/.exec(err);
      if (es) ports.es = Number(es[1]);
      const sys = /syslog on :(\d+)/.exec(err);
      if (sys) ports.syslog = Number(sys[1]);
      resolve({
        child,
        port: ports.api!,
        ports,
        url: `http://127.0.0.1:${ports.api}`,
        stderr: () => err,
        stop: async () => {
          child.kill('SIGTERM');
          return exited;
        },
        kill: async () => {
          child.kill('SIGKILL');
          await exited;
        },
      });
    });
  });
}

/** What a running server gives a test client: the admin's `Authorization` value and an ingest key. */
export interface ServerAccounts {
  /** `Bearer <access token>` of the admin. */
  readonly admin: string;
  /** A key with `ingest:write` only. */
  readonly ingestKey: ApiKeyCredential;
}

type Target = ServerProcess | string;
const baseUrl = (t: Target): string => (typeof t === 'string' ? t : t.url).replace(/\/+$/, '');

/**
 * Signs in with the OAuth 2.0 password grant (`POST /api/v1/auth/token`, a form body as an OAuth
 * client sends it).
 * @returns `Bearer <access token>`
 * @throws Error with the server's answer when the login is refused
 */
export async function loginOver(
  server: Target,
  username = 'admin',
  password = ADMIN_PASSWORD,
): Promise<string> {
  const res = await fetch(`${baseUrl(server)}/api/v1/auth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'password', username, password }).toString(),
  });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`login of ${username} answered ${res.status}: ${text}`);
  const body = JSON.parse(text) as { access_token: string; token_type: string };
  return `${body.token_type} ${body.access_token}`;
}

/**
 * Creates an API key through `POST /api/v1/api-keys`.
 * @param authorization - a caller with `api-keys:write` (the admin)
 * @returns its credential in every accepted form
 */
export async function createKeyOver(
  server: Target,
  authorization: string,
  permissions: readonly string[],
  name = 'test key',
): Promise<ApiKeyCredential> {
  const res = await fetch(`${baseUrl(server)}/api/v1/api-keys`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization },
    body: JSON.stringify({ name, permissions }),
  });
  const text = await res.text();
  if (res.status !== 201) throw new Error(`creating API key ${name} answered ${res.status}: ${text}`);
  const { key, encoded } = JSON.parse(text) as { key: string; encoded: string };
  const i = key.indexOf(':');
  return {
    id: key.slice(0, i),
    secret: key.slice(i + 1),
    bearer: `Bearer ${key}`,
    apiKey: `ApiKey ${encoded}`,
    basic: `Basic ${encoded}`,
  };
}

/** Signs the admin in and creates an ingest key (`ingest:write`). */
export async function serverAccounts(server: Target): Promise<ServerAccounts> {
  const admin = await loginOver(server);
  return { admin, ingestKey: await createKeyOver(server, admin, ['ingest:write'], 'ingest') };
}
