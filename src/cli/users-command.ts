/**
 * `vigil users add|list|passwd|disable|enable` and `vigil keys rotate`: account administration
 * from the shell, for the first admin's recovery and for scripts. They open the store directly
 * (`store-access.ts`): on the embedded store stop the server first (or use the API); on
 * PostgreSQL they work beside running servers (with `REDIS_URL`, revocations reach them at once).
 * Every change is audited as `cli:<OS user>`.
 */
import { userInfo } from 'node:os';
import type { Command } from 'commander';
import Table from 'cli-table3';
import { Redis } from 'ioredis';
import { AuthService } from '../auth/service.js';
import type { Config } from '../config/config.js';
import { ErrorCodes, VigilError } from '../errors.js';
import type { Actor } from '../store/audit.js';
import type { Database } from '../store/database.js';
import { generatePassword } from '../users/service.js';
import type { CommandIO } from './scan-command.js';
import { withStore } from './store-access.js';

interface StoreFlags {
  dataDir?: string;
  config?: string;
}

function cliActor(): Actor {
  let name = 'unknown';
  try {
    name = userInfo().username;
  } catch {
    // no passwd entry (containers): keep 'unknown'
  }
  return { name: `cli:${name}`, ip: null };
}

/** Opens the store and the account services, runs `fn`, closes both. */
async function withAuth<T>(
  flags: StoreFlags,
  fn: (auth: AuthService, config: Config) => Promise<T>,
): Promise<T> {
  return withStore(flags, async (db: Database, config) => {
    const redis = config.redisUrl
      ? new Redis(config.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 2 })
      : undefined;
    try {
      if (redis) await redis.connect();
      const auth = await AuthService.open(db.db, config, redis, () => new Date());
      try {
        return await fn(auth, config);
      } finally {
        auth.close();
      }
    } finally {
      redis?.disconnect();
    }
  });
}

async function readPassword(stdin: NodeJS.ReadableStream | undefined): Promise<string> {
  if (!stdin) throw new VigilError(ErrorCodes.USAGE, 'no standard input to read the password from');
  let text = '';
  for await (const chunk of stdin) text += String(chunk);
  const password = text.replace(/\r?\n$/, '');
  if (password === '') throw new VigilError(ErrorCodes.USAGE, '--password-stdin: standard input was empty');
  return password;
}

/** The password from stdin, or a generated one printed once with a must-change flag. */
async function passwordFor(
  opts: { passwordStdin?: boolean },
  stdin: NodeJS.ReadableStream | undefined,
): Promise<{ password: string; generated: boolean }> {
  if (opts.passwordStdin) return { password: await readPassword(stdin), generated: false };
  return { password: generatePassword(), generated: true };
}

export function registerUsers(program: Command, io: CommandIO, setExit: (code: number) => void): void {
  const stdin = io.stdin ?? process.stdin;
  const users = program.command('users').description('manage Vigil users (opens the store directly)');
  const store = (c: Command): Command =>
    c
      .option('--data-dir <dir>', 'embedded store (VIGIL_DATA_DIR, default ./data)')
      .option('--config <file>', 'YAML settings file (VIGIL_CONFIG)');

  store(users.command('add <name>'))
    .description(
      'create a user; without --password-stdin a password is generated, printed once, and must be changed at first login',
    )
    .option('--role <role>', 'admin, analyst, viewer or a custom role', 'viewer')
    .option('--email <email>', 'e-mail address')
    .option('--password-stdin', 'read the password from standard input')
    .action(
      async (name: string, opts: StoreFlags & { role: string; email?: string; passwordStdin?: boolean }) => {
        const { password, generated } = await passwordFor(opts, stdin);
        await withAuth(opts, async (auth) => {
          await auth.users.create(
            { name, password, role: opts.role, email: opts.email ?? null, mustChangePassword: generated },
            cliActor(),
          );
        });
        io.stdout.write(
          generated
            ? `created ${opts.role} ${name}; initial password (shown once, must be changed at first login): ${password}\n`
            : `created ${opts.role} ${name}\n`,
        );
        setExit(0);
      },
    );

  store(users.command('list'))
    .description('list users')
    .option('--format <format>', 'table or json', 'table')
    .action(async (opts: StoreFlags & { format: string }) => {
      const list = await withAuth(opts, (auth) => auth.users.list());
      if (opts.format === 'json') io.stdout.write(`${JSON.stringify(list, null, 2)}\n`);
      else {
        const t = new Table({ head: ['name', 'role', 'disabled', 'mfa', 'sso', 'last login'] });
        for (const u of list)
          t.push([
            u.name,
            u.role,
            u.disabled ? 'yes' : '',
            u.mfa_enabled ? 'yes' : '',
            u.sso ? 'yes' : '',
            u.last_login_at ?? '',
          ]);
        io.stdout.write(`${t.toString()}\n`);
      }
      setExit(0);
    });

  store(users.command('passwd <name>'))
    .description("set a user's password (the user must change it at next login) and end their sessions")
    .option('--password-stdin', 'read the password from standard input')
    .action(async (name: string, opts: StoreFlags & { passwordStdin?: boolean }) => {
      const { password, generated } = await passwordFor(opts, stdin);
      await withAuth(opts, (auth) => auth.users.resetPassword(name, password, cliActor()));
      io.stdout.write(
        generated
          ? `password of ${name} reset; new password (shown once, must be changed at next login): ${password}\n`
          : `password of ${name} reset (must be changed at next login)\n`,
      );
      setExit(0);
    });

  for (const [verb, disabled] of [
    ['disable', true],
    ['enable', false],
  ] as const) {
    store(users.command(`${verb} <name>`))
      .description(disabled ? 'disable a user and revoke their sessions' : 'enable a disabled user')
      .action(async (name: string, opts: StoreFlags) => {
        await withAuth(opts, (auth) => auth.users.update(name, { disabled }, cliActor()));
        io.stdout.write(`${name} ${disabled ? 'disabled' : 'enabled'}\n`);
        setExit(0);
      });
  }

  const keys = program.command('keys').description('JWT signing keys');
  store(keys.command('rotate'))
    .description('add a new signing key and retire the old ones (their tokens stay valid until they expire)')
    .action(async (opts: StoreFlags) => {
      const r = await withAuth(opts, async (auth) => {
        const rotated = await auth.tokens.rotate();
        await auth.audit({
          actor: cliActor(),
          action: 'signing_key.rotate',
          target: rotated.kid,
          details: { retired: rotated.retired },
        });
        return rotated;
      });
      io.stdout.write(
        `new signing key ${r.kid}; retired ${r.retired.length === 0 ? 'none' : r.retired.join(', ')}\n`,
      );
      setExit(0);
    });
}
