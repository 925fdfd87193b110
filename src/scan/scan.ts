/**
 * `vigil scan`'s engine: expands paths to files, sniffs each file's format, cuts it into
 * batches, runs them (inline or on worker threads), and merges results back in input order into
 * a timeline of detections and a summary.
 *
 * Memory stays constant in the input size: at most `2 × threads + 1` batches (≈1 MiB of text or
 * 2,000 JSON values each) are in flight; only detections are kept.
 */
import { readdir, stat } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { planCorrelations } from '../detect/sigma/correlation/plan.js';
import type { SigmaCorrelation } from '../detect/sigma/correlation/types.js';
import { createDetector } from '../detect/sigma/detector.js';
import type { Diagnostic, SigmaFilter, SigmaLevel, SigmaRule } from '../detect/sigma/types.js';
import { type Batch, jsonBatches, lineBatches } from '../pipeline/sources/batcher.js';
import type { EvtxProblem } from '../pipeline/decoders/evtx/chunk.js';
import { evtxBatches } from '../pipeline/sources/evtx-file.js';
import { detectFormat, type FileFormat, inspectFile, readText } from '../pipeline/sources/file-input.js';
import { correlationProcessOptions, runCorrelations } from './correlate.js';
import { levelRank } from './detection.js';
import { describeEvtxProblem } from './process-batch.js';
import { type BatchRunner, inlineRunner, workerRunner, workersAvailable } from './runner.js';
import { DetectionCounter, type FileSummary, type ScanSummary } from './summary.js';
import { DetectionLog } from './detection-log.js';
import { type BatchResult, type CorrelationMatch, type Failure, MAX_FAILURE_SAMPLES } from './types.js';

/** Inputs smaller than this run on one thread by default (bytes). */
export const DEFAULT_INLINE_BELOW = 256 * 1024 * 1024;

export interface ScanOptions {
  /** Files or directories (walked recursively, hidden entries skipped). */
  readonly paths: readonly string[];
  /** Rules to run (already filtered by status), filters, and the load diagnostics. */
  readonly rules: readonly SigmaRule[];
  readonly filters: readonly SigmaFilter[];
  /** Correlation rules (already filtered by status). */
  readonly correlations?: readonly SigmaCorrelation[];
  readonly ruleDiagnostics: readonly Diagnostic[];
  readonly ruleFiles: number;
  readonly excludedByStatus: number;
  readonly placeholders: ReadonlyMap<string, readonly string[]>;
  /** `auto` (default), `json`, `jsonl` or a text format id. */
  readonly inputFormat?: string;
  /** Year for timestamps without one; default: each file's modification year. */
  readonly year?: number;
  readonly timezone: string;
  readonly minLevel: SigmaLevel;
  readonly includeOriginal: boolean;
  /** Pre-filter raw JSON lines before parsing (default true). */
  readonly prefilter?: boolean;
  /** Worker threads; 1 runs inline. Default: available parallelism. */
  readonly threads?: number;
  /** Inputs smaller than this (bytes) run inline whatever `threads` says (worker start-up costs more). */
  readonly inlineBelowBytes?: number;
  readonly onProgress?: (progress: ScanProgress) => void;
  /** Called once per file as it is finished (for `-v` style reporting). */
  readonly onFile?: (file: FileSummary) => void;
}

export interface ScanProgress {
  readonly bytesDone: number;
  readonly bytesTotal: number;
  readonly events: number;
  readonly detections: number;
  readonly file: string;
}

export interface ScanReport {
  /**
   * The detections: `all()` in input order (files in path order, then line order), `timeline()`
   * in event-time order. Spilled to a temporary file beyond 10,000; call `close()` when done.
   */
  readonly detections: DetectionLog;
  readonly summary: ScanSummary;
}

async function expand(path: string, out: string[]): Promise<void> {
  const st = await stat(path);
  if (!st.isDirectory()) {
    out.push(path);
    return;
  }
  const entries = await readdir(path, { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    if (e.name.startsWith('.')) continue;
    const child = join(path, e.name);
    if (e.isDirectory()) await expand(child, out);
    else if (e.isFile()) out.push(child);
    else if (e.isSymbolicLink()) {
      // Followed: a link to a file is scanned, a link to a directory walked.
      const target = await stat(child).catch(() => undefined);
      if (target?.isFile()) out.push(child);
      else if (target?.isDirectory()) await expand(child, out);
    }
  }
}

/** The summary entry of a path that could not be listed or opened. */
function unreadable(path: string, err: unknown): FileSummary {
  const reason = err instanceof Error ? err.message : String(err);
  return { path, format: '-', status: 'error', reason, events: 0, bytes: 0, failures: 0, detections: 0 };
}

function unsupportedReason(format: FileFormat): string | undefined {
  switch (format.kind) {
    case 'binary':
      return 'binary file (not a text or JSON log)';
    case 'unknown':
      return 'unrecognized text format; name it with --input-format';
    default:
      return undefined;
  }
}

function evtxFailure(path: string, p: EvtxProblem): Failure {
  return { path, line: 0, offset: p.offset, reason: describeEvtxProblem(p) };
}

function formatName(format: FileFormat): string {
  return format.kind === 'text' ? format.format.id : format.kind;
}

/**
 * Runs a scan.
 * @throws Error only for failures of Vigil itself (a worker crash); unreadable or malformed input
 *   is reported in the summary.
 */
export async function runScan(options: ScanOptions): Promise<ScanReport> {
  const started = performance.now();

  const plan = planCorrelations(options.rules, options.correlations ?? []);
  const processOptions = {
    minLevel: options.minLevel,
    includeOriginal: options.includeOriginal,
    prefilter: options.prefilter ?? true,
    correlation: correlationProcessOptions(plan, options.rules),
  };

  const files: string[] = [];
  const summaryFiles: FileSummary[] = [];
  for (const p of options.paths) {
    try {
      await expand(p, files);
    } catch (err) {
      summaryFiles.push(unreadable(p, err));
    }
  }
  const inspected = [];
  let bytesTotal = 0;
  for (const path of files) {
    try {
      const { info, head } = await inspectFile(path);
      const format = detectFormat(head, options.inputFormat);
      inspected.push({ info, format });
      bytesTotal += info.size;
    } catch (err) {
      summaryFiles.push(unreadable(path, err));
    }
  }

  // Worker start-up (each worker compiles the rules: about a second for SigmaHQ's Windows rules)
  // costs more than it saves below a few hundred MB, unless the caller asked for threads.
  const wanted = options.threads ?? availableParallelism();
  const bigEnough =
    options.threads !== undefined || bytesTotal >= (options.inlineBelowBytes ?? DEFAULT_INLINE_BELOW);
  const useWorkers = wanted > 1 && workersAvailable() && bigEnough;
  const runner: BatchRunner = useWorkers
    ? await workerRunner(
        {
          rules: options.rules,
          filters: options.filters,
          placeholders: [...options.placeholders],
          options: processOptions,
        },
        wanted,
      )
    : inlineRunner(
        createDetector(options.rules, { filters: options.filters, placeholders: options.placeholders }),
        processOptions,
      );
  const diagnostics = [...options.ruleDiagnostics, ...runner.rules.diagnostics, ...plan.diagnostics];
  const correlationMatches: CorrelationMatch[] = [];
  let untimed = 0;

  const detections = new DetectionLog();
  const counter = new DetectionCounter();
  const failureSamples: Failure[] = [];
  let failures = 0;
  let events = 0;
  let bytesDone = 0;
  const maxInFlight = runner.threads * 2 + 1;
  // Batches in flight across files, merged strictly in submission order (input order).
  type Pending =
    | { result: Promise<BatchResult>; merge: (r: BatchResult) => void; fail: (err: unknown) => void }
    | { done: () => void };
  const pending: Pending[] = [];
  const settle = async (p: Pending): Promise<void> => {
    if ('done' in p) {
      p.done();
      return;
    }
    try {
      p.merge(await p.result);
    } catch (err) {
      p.fail(err); // a worker that died on this batch: the file is reported, the scan goes on
    }
  };
  let seq = 0;

  try {
    for (const { info, format } of inspected) {
      const fileSummary: FileSummary = {
        path: info.path,
        format: formatName(format),
        status: 'scanned',
        events: 0,
        bytes: info.size,
        failures: 0,
        detections: 0,
      };
      summaryFiles.push(fileSummary);
      const reason = unsupportedReason(format);
      if (reason || format.kind === 'empty') {
        fileSummary.status = reason ? 'unsupported' : 'empty';
        fileSummary.reason = reason;
        bytesDone += info.size;
        pending.push({ done: () => options.onFile?.(fileSummary) }); // reported in input order
        continue;
      }
      const fileContext = {
        path: info.path,
        format: formatName(format),
        year: options.year ?? info.mtime.getFullYear(),
        timezone: options.timezone,
        latest: options.year === undefined ? info.mtime.getTime() : undefined,
      };
      const recordFailure = (f: Failure): void => {
        failures++;
        fileSummary.failures++;
        if (failureSamples.length < MAX_FAILURE_SAMPLES) failureSamples.push(f);
      };
      const fileBytesStart = bytesDone;
      const onBytes = (n: number): void => {
        bytesDone = fileBytesStart + n;
      };
      let batches: AsyncIterable<Batch>;
      if (format.kind === 'evtx') {
        batches = evtxBatches(
          info,
          // Queued behind earlier files' batches, so failures are listed in input order.
          (_header, problems) => {
            for (const p of problems) pending.push({ done: () => recordFailure(evtxFailure(info.path, p)) });
          },
          (p) => pending.push({ done: () => recordFailure(evtxFailure(info.path, p)) }),
          onBytes,
        );
      } else {
        const text = readText(info, onBytes);
        batches =
          format.kind === 'json'
            ? jsonBatches(text, (e) => recordFailure({ path: info.path, line: e.line, reason: e.reason }))
            : lineBatches(text, format.kind === 'text' ? format.format : undefined);
      }

      const merge = (r: BatchResult): void => {
        for (const d of r.detections) {
          d.vigil.event_index += fileSummary.events;
          detections.add(d);
          counter.add(d);
        }
        for (const m of r.correlationMatches) {
          m.ref.event_index += fileSummary.events;
          correlationMatches.push(m);
        }
        untimed += r.untimed;
        fileSummary.events += r.events;
        fileSummary.detections += r.detections.length;
        events += r.events;
        failures += r.failureCount;
        fileSummary.failures += r.failureCount;
        for (const f of r.failures) if (failureSamples.length < MAX_FAILURE_SAMPLES) failureSamples.push(f);
        options.onProgress?.({
          bytesDone,
          bytesTotal,
          events,
          detections: detections.size,
          file: info.path,
        });
      };
      const failFile = (err: unknown): void => {
        fileSummary.status = 'error';
        fileSummary.reason ??= err instanceof Error ? err.message : String(err);
      };
      try {
        for await (const batch of batches) {
          const result = runner.run({ seq: seq++, file: fileContext, batch });
          // Settled in order later; until then a rejection (a worker died) must not count as unhandled.
          result.catch(() => {});
          pending.push({ result, merge, fail: failFile });
          if (pending.length >= maxInFlight) await settle(pending.shift()!);
        }
      } catch (err) {
        // An unreadable file (bad gzip, I/O error) is reported; its batches already read still count.
        failFile(err);
      }
      // The file is finished once its batches are merged; later files' batches are already in flight
      // meanwhile, so a folder of small files keeps every worker busy.
      pending.push({
        done: () => {
          bytesDone = Math.max(bytesDone, fileBytesStart + info.size);
          options.onFile?.(fileSummary);
        },
      });
    }
    while (pending.length > 0) await settle(pending.shift()!);
  } finally {
    await runner.close();
  }
  const minRank = levelRank(options.minLevel);
  const correlated = runCorrelations(plan, correlationMatches);
  for (const d of correlated.records) {
    if (levelRank(d.rule.level) < minRank) continue;
    detections.add(d);
    counter.add(d);
    const file = summaryFiles.find((f) => f.path === d.log.file.path);
    if (file) file.detections++;
  }

  const elapsedMs = performance.now() - started;
  const bySeverity = (severity: Diagnostic['severity']) => diagnostics.filter((d) => d.severity === severity);
  const summary: ScanSummary = {
    files: summaryFiles,
    events,
    bytes: bytesTotal,
    elapsedMs,
    eventsPerSecond: elapsedMs > 0 ? (events / elapsedMs) * 1000 : 0,
    threads: runner.threads,
    detections: detections.size,
    byLevel: counter.byLevel,
    byRule: counter.byRule(),
    byTactic: counter.byTactic(),
    failures,
    failureSamples,
    rules: {
      files: options.ruleFiles,
      loaded: runner.rules.loaded,
      excludedByStatus: options.excludedByStatus,
      inactive: bySeverity('inactive'),
      unsupported: bySeverity('unsupported'),
      errors: bySeverity('error'),
      warnings: bySeverity('warning'),
      unknownAttackTags: runner.rules.unknownAttackTags,
      correlations: plan.correlations.length,
    },
    correlation: {
      matches: correlationMatches.length,
      untimed,
      missingGroup: correlated.stats.missingGroup,
      alerts: correlated.records.length,
    },
  };
  return { detections, summary };
}
