/**
 * The `vigil` command line.
 */
import { Command, CommanderError } from 'commander';
import { VigilError } from '../errors.js';
import '../pipeline/decoders/register.js';
import { registerAttack } from './attack-command.js';
import { registerAudit } from './audit-command.js';
import { registerEvtx } from './evtx-command.js';
import { registerLogs } from './logs-command.js';
import { registerMl } from './ml-command.js';
import { registerRules } from './rules-command.js';
import { type CommandIO, registerScan } from './scan-command.js';
import { registerServe } from './serve-command.js';
import { registerUsers } from './users-command.js';

export { VERSION } from '../version.js';
import { VERSION } from '../version.js';

/**
 * Runs the CLI.
 * @param argv - `process.argv` shape (node, script, args…)
 * @returns the exit code
 */
export async function main(
  argv: readonly string[],
  io: CommandIO = { stdout: process.stdout, stderr: process.stderr },
): Promise<number> {
  let code = 0;
  const program = new Command('vigil')
    .description('Vigil: threat detection and response. Sigma rules over your logs.')
    .version(VERSION)
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
    });
  const setExit = (c: number): void => {
    code = c;
  };
  registerScan(program, io, setExit);
  registerRules(program, io, setExit);
  registerEvtx(program, io, setExit);
  registerServe(program, io, setExit);
  registerUsers(program, io, setExit);
  registerAudit(program, io, setExit);
  registerAttack(program, io, setExit);
  registerMl(program, io, setExit);
  registerLogs(program, io, setExit);
  try {
    await program.parseAsync([...argv]);
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
    if (err instanceof VigilError) {
      io.stderr.write(`vigil: ${err.message} (${err.code})\n`);
      return 2;
    }
    throw err;
  }
  return code;
}
