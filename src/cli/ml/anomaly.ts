/**
 * (placeholder: owned by the anomaly helper)
 */
import type { Command } from 'commander';
import type { CommandIO } from '../scan-command.js';

/** Registers the anomaly subcommands under `vigil ml` and `vigil ml train`. */
export function registerAnomalyCommands(
  _ml: Command,
  _train: Command,
  _io: CommandIO,
  _setExit: (code: number) => void,
): void {}
