/**
 * `vigil serve`: the service (API, Elasticsearch-compatible and syslog listeners, detection
 * pipeline) on the embedded store by default, PostgreSQL with `DATABASE_URL`. SIGINT/SIGTERM stop
 * it gracefully: listeners stop accepting, queued events are stored and detected, then it exits.
 */
import type { Command } from 'commander';
import { loadConfig } from '../config/config.js';
import { startEsListener } from '../server/es/listener.js';
import { startApi } from '../server/app.js';
import { startSyslogListener } from '../pipeline/sources/syslog-listener.js';
import { startVigil } from '../service/vigil.js';
import type { CommandIO } from './scan-command.js';

interface ServeOptions {
  port?: string;
  host?: string;
  dataDir?: string;
  rules?: string[];
  config?: string;
}

/** Starts the service and resolves when it has stopped (after a signal). */
export async function serve(opts: ServeOptions, io: CommandIO): Promise<number> {
  const config = loadConfig(opts, process.env);
  const listeners = [
    ...(config.esPort > 0 ? [{ factory: startEsListener, port: config.esPort }] : []),
    ...(config.syslogPort > 0 ? [{ factory: startSyslogListener, port: config.syslogPort }] : []),
  ];
  const vigil = await startVigil(config, startApi, listeners);
  const scheme = config.tls ? 'https' : 'http';
  const p = vigil.ports;
  io.stderr.write(
    `vigil: serving on ${scheme}://${config.host}:${p.api} (docs at /docs, metrics at /metrics); ` +
      `store ${config.databaseUrl ? 'PostgreSQL' : `embedded PGlite in ${config.dataDir}`}` +
      (p.es ? `; Elasticsearch bulk on :${p.es}` : '') +
      (p['syslog-udp'] ? `; syslog on :${p['syslog-udp']} (UDP+TCP)` : '') +
      '\n',
  );
  const admin = vigil.context.adminBootstrap;
  if (admin.created)
    io.stderr.write(
      admin.passwordFile
        ? `vigil: created admin user '${admin.name}'; its initial password is in ${admin.passwordFile} (it must be changed at first login)\n`
        : `vigil: created admin user '${admin.name}' with the password from VIGIL_ADMIN_PASSWORD\n`,
    );
  await new Promise<void>((resolve) => {
    const stop = (signal: string): void => {
      io.stderr.write(`vigil: ${signal}: stopping (draining queued events)\n`);
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
      resolve();
    };
    const onInt = (): void => stop('SIGINT');
    const onTerm = (): void => stop('SIGTERM');
    process.on('SIGINT', onInt);
    process.on('SIGTERM', onTerm);
  });
  await vigil.stop();
  io.stderr.write('vigil: stopped\n');
  return 0;
}

export function registerServe(program: Command, io: CommandIO, setExit: (code: number) => void): void {
  program
    .command('serve')
    .description('Run the Vigil service: REST API, live stream, ingest listeners, detection')
    .option('--port <port>', 'API port (VIGIL_PORT, default 8080)')
    .option('--host <host>', 'address the API and listeners bind (VIGIL_HOST, default 127.0.0.1)')
    .option('--data-dir <dir>', 'embedded store and lock (VIGIL_DATA_DIR, default ./data)')
    .option('--rules <dir...>', "extra Sigma rule directories beside Vigil's pack (VIGIL_RULES)")
    .option('--config <file>', 'YAML settings file (VIGIL_CONFIG)')
    .action(async (opts: ServeOptions) => {
      setExit(await serve(opts, io));
    });
}
