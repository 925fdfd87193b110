/**
 * `vigil ml`: offline machine learning on CSV / JSONL files (docs/ml.md).
 *
 * - `vigil ml train classifier --input <file> --label <column> [--exclude <columns>] --output <model>`
 * - `vigil ml train anomaly --input <file> [--exclude <columns>] --output <model>`
 * - `vigil ml predict --model <model> --input <file> --format jsonl`
 * - `vigil ml score --model <model> --input <file> --format jsonl`
 */
import type { Command } from 'commander';
import { registerAnomalyCommands } from './ml/anomaly.js';
import { registerClassifierCommands } from './ml/classifier.js';
import type { CommandIO } from './scan-command.js';

export function registerMl(program: Command, io: CommandIO, setExit: (code: number) => void): void {
  const ml = program.command('ml').description('Train and run Vigil models on CSV or JSONL files');
  const train = ml.command('train').description('Train a model and write it to a model file');
  registerClassifierCommands(ml, train, io, setExit);
  registerAnomalyCommands(ml, train, io, setExit);
}
