/**
 * `vigil audit verify`: recomputes the audit log's hash chain in the store and reports the
 * entries checked, the last hash and every break; exit 0 when intact, 1 when broken.
 * `vigil audit export`: the log as NDJSON (one record per line, oldest first, with `prev_hash` and
 * `hash`) to stdout or a file, for archiving or verification elsewhere.
 * Both open the store directly (see `store-access.ts`): stop the server first when it runs on the
 * same embedded data directory, or use `GET /api/v1/audit/verify` and `/export` instead.
 */
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Command } from 'commander';
import { ErrorCodes, VigilError } from '../errors.js';
import {
  type AuditBreak,
  type AuditVerification,
  exportAudit,
  verifyAuditChain,
} from '../store/audit-query.js';
import type { CommandIO } from './scan-command.js';
import { withStore } from './store-access.js';

export interface AuditStoreOptions {
  dataDir?: string;
  config?: string;
}

export interface AuditVerifyOptions extends AuditStoreOptions {
  format: string;
}

export interface AuditExportOptions extends AuditStoreOptions {
  output?: string;
}

function breakText(b: AuditBreak): string {
  if (b.reason === 'gap') {
    const first = Number(b.expected);
    const last = b.id - 1;
    return `break at id ${b.id}: gap (${first === last ? `id ${first}` : `ids ${first}-${last}`} missing)`;
  }
  return `break at id ${b.id}: ${b.reason} (expected ${b.expected ?? '?'}, found ${b.found ?? '?'})`;
}

function verificationText(v: AuditVerification): string {
  const lines = [`${v.entries} entries checked, last hash ${v.lastHash}`, ...v.breaks.map(breakText)];
  if (v.breakCount > v.breaks.length) lines.push(`… and ${v.breakCount - v.breaks.length} more breaks`);
  lines.push(v.ok ? 'audit log intact' : `audit log BROKEN: ${v.breakCount} breaks`);
  return `${lines.join('\n')}\n`;
}

/**
 * Runs `vigil audit verify`.
 * @returns 0 when the chain is intact, 1 when it has a break
 * @throws VigilError `VIGIL_ERR_USAGE` for a bad `--format` or a data directory without a store;
 *   `VIGIL_ERR_STORE_LOCKED` while a server holds the data directory
 */
export async function auditVerify(opts: AuditVerifyOptions, io: CommandIO): Promise<number> {
  if (opts.format !== 'text' && opts.format !== 'json')
    throw new VigilError(ErrorCodes.USAGE, `--format: "${opts.format}" is not one of text, json`);
  const result = await withStore({ ...opts, mustExist: true }, (database) => verifyAuditChain(database.db));
  io.stdout.write(opts.format === 'json' ? `${JSON.stringify(result, null, 2)}\n` : verificationText(result));
  return result.ok ? 0 : 1;
}

/**
 * Runs `vigil audit export`: NDJSON to `opts.output` (created or replaced, mode 0600) or stdout.
 * @returns 0
 * @throws VigilError as {@link auditVerify}; the file system's error when the output cannot be written
 */
export async function auditExport(opts: AuditExportOptions, io: CommandIO): Promise<number> {
  let count = 0;
  await withStore({ ...opts, mustExist: true }, async (database) => {
    async function* lines(): AsyncGenerator<string> {
      for await (const record of exportAudit(database.db)) {
        count++;
        yield `${JSON.stringify(record)}\n`;
      }
    }
    if (opts.output !== undefined) {
      await pipeline(Readable.from(lines()), createWriteStream(opts.output, { mode: 0o600 }));
      return;
    }
    for await (const line of lines()) if (!io.stdout.write(line)) await once(io.stdout, 'drain');
  });
  io.stderr.write(`vigil: exported ${count} audit entries${opts.output ? ` to ${opts.output}` : ''}\n`);
  return 0;
}

export function registerAudit(program: Command, io: CommandIO, setExit: (code: number) => void): void {
  const audit = program.command('audit').description('check and export the audit log');
  const store = (c: Command): Command =>
    c
      .option('--data-dir <dir>', 'embedded store (VIGIL_DATA_DIR, default ./data); stop the server first')
      .option('--config <file>', 'YAML settings file (VIGIL_CONFIG)');
  store(
    audit
      .command('verify')
      .description(
        'recompute the hash chain; exit 1 and list the breaks when an entry was altered or removed',
      ),
  )
    .option('-f, --format <format>', 'text or json', 'text')
    .action(async (opts: AuditVerifyOptions) => {
      setExit(await auditVerify(opts, io));
    });
  store(audit.command('export').description('write the audit log as NDJSON, oldest first, with hashes'))
    .option('-o, --output <file>', 'write to this file instead of stdout')
    .action(async (opts: AuditExportOptions) => {
      setExit(await auditExport(opts, io));
    });
}
