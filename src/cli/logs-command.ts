/**
 * `vigil logs templates <file> [--format jsonl|table]`: mines log templates from a text file (one
 * message per line; `.gz` is decompressed) with the default miner (docs/templates.md).
 *
 * Two passes, so every line reports its final template: pass 1 learns from all lines, pass 2
 * matches each line against the templates as they stand at the end (templates generalize while
 * lines arrive; a line mined early would otherwise name a template that later changed or merged).
 *
 * - `jsonl` (default): one JSON object per non-empty line, in file order:
 *   `{"line": 3, "template_id": 2, "template": "Accepted password for <*> from <*> port <*> ssh2",
 *   "parameters": ["alice", "203.0.113.9", "4242"], "entities": {"user.name": "alice", …}}`
 *   (`line` counts every line, empty ones included; `entities` only when some were found).
 * - `table`: the templates with their counts, most frequent first.
 *
 * A summary (lines, messages, templates) goes to stderr. Exit codes: 0 done; 2 unreadable file or
 * bad usage.
 */
import { once } from 'node:events';
import { access } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import Table from 'cli-table3';
import type { Command } from 'commander';
import { extractEntities } from '../detect/templates/entities.js';
import { TemplateMiner } from '../detect/templates/miner.js';
import { ErrorCodes, VigilError } from '../errors.js';
import { openMaybeGzip } from './ml/input.js';
import type { CommandIO } from './scan-command.js';

export const LOGS_FORMATS = ['jsonl', 'table'] as const;

export interface LogsTemplatesOptions {
  readonly format: string;
}

/** Every line of the file with its 1-based number (empty lines are skipped, still counted). */
async function* messages(path: string): AsyncGenerator<{ line: number; text: string }> {
  const source = openMaybeGzip(path);
  let line = 0;
  try {
    for await (const text of createInterface({ input: source, crlfDelay: Infinity })) {
      line++;
      if (text.trim() !== '') yield { line, text };
    }
  } catch (err) {
    throw new VigilError(ErrorCodes.INPUT_READ, `${path}: ${(err as Error).message}`);
  } finally {
    source.destroy();
  }
}

async function write(out: CommandIO['stdout'], text: string): Promise<void> {
  if (!out.write(text)) await once(out, 'drain');
}

/**
 * Runs `vigil logs templates`.
 * @returns the exit code (0)
 * @throws VigilError `VIGIL_ERR_USAGE` for an unknown format, `VIGIL_ERR_INPUT_READ` when the
 *   file cannot be read (or is not valid gzip)
 */
export async function logsTemplates(
  path: string,
  opts: LogsTemplatesOptions,
  io: CommandIO,
): Promise<number> {
  if (!(LOGS_FORMATS as readonly string[]).includes(opts.format))
    throw new VigilError(
      ErrorCodes.USAGE,
      `--format: "${opts.format}" is not one of ${LOGS_FORMATS.join(', ')}`,
    );
  try {
    await access(path);
  } catch (err) {
    throw new VigilError(ErrorCodes.INPUT_READ, `${path}: ${(err as Error).message}`);
  }
  const miner = new TemplateMiner();
  let lines = 0;
  let count = 0;
  for await (const m of messages(path)) {
    miner.add(m.text);
    lines = m.line;
    count++;
  }
  if (opts.format === 'table') {
    const table = new Table({
      head: ['id', 'count', 'template'],
      style: { head: [], border: [] },
      wordWrap: true,
      colWidths: [null, null, 100],
    });
    const sorted = miner.clusters().sort((a, b) => b.count - a.count || a.id - b.id);
    for (const c of sorted) table.push([c.id, c.count, c.template]);
    await write(io.stdout, `${table.toString()}\n`);
  } else {
    for await (const m of messages(path)) {
      // Every learned line is covered by its final template (templates only generalize or merge).
      const match = miner.match(m.text) ?? miner.add(m.text);
      const entities = extractEntities(match, m.text);
      const record: Record<string, unknown> = {
        line: m.line,
        template_id: match.templateId,
        template: match.template,
        parameters: match.parameters,
      };
      if (Object.keys(entities).length > 0) record.entities = entities;
      await write(io.stdout, `${JSON.stringify(record)}\n`);
    }
  }
  io.stderr.write(`${path}: ${lines} lines, ${count} messages, ${miner.size} templates\n`);
  return 0;
}

export function registerLogs(program: Command, io: CommandIO, setExit: (code: number) => void): void {
  const logs = program.command('logs').description('work with plain-text log files');
  logs
    .command('templates')
    .description(
      'mine log templates: one JSON line per message (template_id, template, parameters, entities)',
    )
    .argument('<file>', 'text file, one message per line (.gz decompressed)')
    .option('--format <format>', `output format: ${LOGS_FORMATS.join(' or ')}`, 'jsonl')
    .action(async (file: string, opts: LogsTemplatesOptions) => {
      setExit(await logsTemplates(file, opts, io));
    });
}
