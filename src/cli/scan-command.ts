/**
 * `vigil scan <files or dirs...>`: hunt through log files with Sigma rules and print a timeline
 * of detections and a summary.
 *
 * Exit codes: 0 no detection at or above `--fail-on` (or `--fail-on` not given), 1 detections at
 * or above it, 2 error (bad option, unreadable input path, internal failure).
 */

import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import cliProgress from 'cli-progress';
import type { Command } from 'commander';
import { SIGMA_LEVELS, type SigmaLevel } from '../detect/sigma/types.js';
import { ErrorCodes, VigilError } from '../errors.js';
import { loadRuleFiles } from '../rules/loader.js';
import { selectByStatus } from '../rules/select.js';
import { levelRank } from '../scan/detection.js';
import {
  OUTPUT_FORMATS,
  type OutputFormat,
  writeCsv,
  writeJson,
  writeJsonl,
} from '../scan/output/formats.js';
import { renderSummary, type TextStyle, writeTimeline } from '../scan/output/table.js';
import type { Write } from '../scan/output/timeline.js';
import { runScan, type ScanProgress } from '../scan/scan.js';
import {
  DEFAULT_RULES_DIR,
  DEFAULT_STATUSES,
  parseLevel,
  parseStatuses,
  parseThreads,
  parseTimezone,
  parseYear,
  readPlaceholders,
} from './options.js';

export interface ScanCommandOptions {
  rules: string[];
  defaultRules: boolean;
  status?: string;
  placeholders?: string;
  format: string;
  output?: string;
  minLevel: string;
  failOn?: string;
  inputFormat: string;
  year?: string;
  timezone: string;
  threads?: string;
  progress: boolean;
  includeOriginal: boolean;
  prefilter: boolean;
  quiet: boolean;
}

/** Where the command writes: injectable so tests run the command in-process. */
export interface CommandIO {
  readonly stdout: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  readonly stderr: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  /** Standard input (`--password-stdin`); default `process.stdin`. */
  readonly stdin?: NodeJS.ReadableStream;
}

function progressBar(io: CommandIO): { update: (p: ScanProgress) => void; stop: () => void } | undefined {
  if (!io.stderr.isTTY) return undefined;
  const bar = new cliProgress.SingleBar(
    {
      stream: io.stderr,
      format:
        ' {bar} {percentage}% | {done}/{total} MB | {events} events | {eps} events/s | ETA {eta_formatted}',
      hideCursor: true,
      clearOnComplete: true,
      etaBuffer: 50,
    },
    cliProgress.Presets.shades_classic,
  );
  const started = performance.now();
  let begun = false;
  return {
    update: (p) => {
      const payload = {
        done: (p.bytesDone / 1e6).toFixed(1),
        total: (p.bytesTotal / 1e6).toFixed(1),
        events: p.events,
        eps: Math.round(p.events / ((performance.now() - started) / 1000 || 1)),
      };
      if (!begun) {
        bar.start(Math.max(1, p.bytesTotal), p.bytesDone, payload);
        begun = true;
      } else bar.update(p.bytesDone, payload);
    },
    stop: () => {
      if (begun) bar.stop();
    },
  };
}

async function write(stream: NodeJS.WritableStream, text: string): Promise<void> {
  if (!stream.write(text)) await once(stream, 'drain');
}

/** Runs the scan command. @returns the process exit code */
export async function scanCommand(paths: string[], opts: ScanCommandOptions, io: CommandIO): Promise<number> {
  if (!(OUTPUT_FORMATS as readonly string[]).includes(opts.format)) {
    throw new VigilError(
      ErrorCodes.USAGE,
      `--format: "${opts.format}" is not one of ${OUTPUT_FORMATS.join(', ')}`,
    );
  }
  const format = opts.format as OutputFormat;
  const minLevel = parseLevel('--min-level', opts.minLevel);
  const failOn: SigmaLevel | undefined = opts.failOn ? parseLevel('--fail-on', opts.failOn) : undefined;
  const statuses = opts.status ? parseStatuses(opts.status) : new Set(DEFAULT_STATUSES);
  const timezone = parseTimezone(opts.timezone);
  const year = opts.year ? parseYear(opts.year) : undefined;
  const threads = opts.threads ? parseThreads(opts.threads) : undefined;
  const placeholders = opts.placeholders
    ? await readPlaceholders(opts.placeholders)
    : new Map<string, string[]>();

  const rulePaths = [...(opts.defaultRules ? [DEFAULT_RULES_DIR] : []), ...opts.rules];
  if (rulePaths.length === 0)
    throw new VigilError(ErrorCodes.USAGE, 'no rules: --no-default-rules needs at least one --rules path');
  const ruleSet = await loadRuleFiles(rulePaths);
  const unreadableRules = ruleSet.diagnostics.filter((d) => d.code === ErrorCodes.INPUT_READ.code);
  if (unreadableRules.length > 0) {
    throw new VigilError(ErrorCodes.USAGE, `--rules: ${unreadableRules.map((d) => d.message).join('; ')}`);
  }
  const selected = selectByStatus(ruleSet.rules, statuses);
  const correlations = selectByStatus(ruleSet.correlations, statuses);

  const bar = opts.progress && !opts.quiet ? progressBar(io) : undefined;
  let report: Awaited<ReturnType<typeof runScan>>;
  try {
    report = await runScan({
      paths,
      rules: selected.rules,
      filters: ruleSet.filters,
      correlations: correlations.rules,
      ruleDiagnostics: ruleSet.diagnostics,
      ruleFiles: ruleSet.files,
      excludedByStatus: selected.excluded + correlations.excluded,
      placeholders,
      inputFormat: opts.inputFormat,
      year,
      timezone,
      minLevel,
      includeOriginal: opts.includeOriginal,
      prefilter: opts.prefilter,
      threads,
      onProgress: bar?.update,
    });
  } finally {
    bar?.stop();
  }

  const out = opts.output ? createWriteStream(opts.output) : io.stdout;
  const toFile = opts.output !== undefined;
  const style: TextStyle = {
    color: !toFile && Boolean(io.stdout.isTTY),
    width: (!toFile && io.stdout.columns) || 160,
  };
  const summaryStyle: TextStyle = { color: Boolean(io.stderr.isTTY), width: io.stderr.columns ?? 160 };
  // Output is written in pieces of ~64 KiB, waiting for the stream when it is full.
  let buffered = '';
  const emit: Write = async (text) => {
    buffered += text;
    if (buffered.length >= 1 << 16) {
      const chunk = buffered;
      buffered = '';
      await write(out, chunk);
    }
  };
  try {
    const timeline = report.detections.timeline();
    switch (format) {
      case 'table':
        await writeTimeline(timeline, style, emit);
        await emit(`\n${renderSummary(report.summary, style)}`);
        break;
      case 'json':
        await writeJson(timeline, report.summary, emit);
        break;
      case 'jsonl':
        await writeJsonl(timeline, emit);
        break;
      case 'csv':
        await writeCsv(timeline, emit);
        break;
    }
    if (buffered !== '') await write(out, buffered);
  } finally {
    report.detections.close();
  }
  if (toFile) {
    out.end();
    await once(out, 'finish');
  }
  if ((format !== 'table' || toFile) && !opts.quiet)
    await write(io.stderr, renderSummary(report.summary, summaryStyle));

  if (report.summary.files.some((f) => f.status === 'error')) return 2;
  if (failOn !== undefined) {
    const rank = levelRank(failOn);
    if (SIGMA_LEVELS.some((l) => levelRank(l) >= rank && report.summary.byLevel[l] > 0)) return 1;
  }
  return 0;
}

export function registerScan(program: Command, io: CommandIO, setExit: (code: number) => void): void {
  program
    .command('scan')
    .description(
      'hunt through log files (JSON, JSONL, syslog, auditd, web access, IIS, Zeek, Suricata; gzip too) with Sigma rules',
    )
    .argument('<paths...>', 'files or directories (walked recursively)')
    .option(
      '-r, --rules <path>',
      "extra Sigma rule file or directory (repeatable), added to Vigil's pack",
      (v: string, prev: string[]) => [...prev, v],
      [],
    )
    .option('--no-default-rules', "do not load Vigil's built-in rule pack")
    .option(
      '--status <list>',
      `rule statuses to run, comma-separated, or "all" (default: ${DEFAULT_STATUSES.join(',')})`,
    )
    .option('--placeholders <file>', 'YAML file of placeholder values for |expand rules (name: [values])')
    .option('-f, --format <format>', `output format: ${OUTPUT_FORMATS.join(', ')}`, 'table')
    .option('-o, --output <file>', 'write the output to a file instead of stdout')
    .option('--min-level <level>', 'report detections at or above this level', 'informational')
    .option('--fail-on <level>', 'exit with code 1 when a detection is at or above this level')
    .option(
      '--input-format <format>',
      'force the input format: auto, json, jsonl, syslog, auditd, access-log, w3c, zeek-tsv',
      'auto',
    )
    .option(
      '--year <year>',
      "year for timestamps without one (RFC 3164 syslog); default: the file's modification year",
    )
    .option('--timezone <zone>', 'IANA time zone for timestamps without an offset', 'UTC')
    .option('--threads <n>', 'worker threads (default: available CPUs; small inputs run on one)')
    .option('--no-progress', 'no progress bar (it only shows on a terminal anyway)')
    .option('--no-prefilter', 'parse every JSON line (default: skip lines no rule can match, unparsed)')
    .option('--include-original', 'copy each matched raw record into event.original', false)
    .option('-q, --quiet', 'no progress bar and no summary on stderr', false)
    .action(async (paths: string[], opts: ScanCommandOptions) => {
      setExit(await scanCommand(paths, opts, io));
    });
}
