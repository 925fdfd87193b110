/**
 * Runs `vigil serve` from the built CLI as a child process, as a user would, and finds its ports
 * from the start-up line.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
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
 * @param env - settings (VIGIL_DATA_DIR, DATABASE_URL, …); ports default to 0 (any free port)
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
