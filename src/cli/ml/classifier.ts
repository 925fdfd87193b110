/**
 * (placeholder: owned by the classifier helper)
 */
import type { Command } from 'commander';
import type { CommandIO } from '../scan-command.js';

/** Registers the classifier subcommands under `vigil ml` and `vigil ml train`. */
export function registerClassifierCommands(
  _ml: Command,
  _train: Command,
  _io: CommandIO,
  _setExit: (code: number) => void,
): void {}
