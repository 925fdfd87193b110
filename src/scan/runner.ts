/**
 * Runs batch jobs inline or on a pool of worker threads. Either way `run(job)` resolves with the
 * job's result; the orchestrator awaits results in submission order, so output order is input
 * order whatever thread did the work.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Detector } from '../detect/sigma/detector.js';
import type { Diagnostic, SigmaFilter, SigmaRule } from '../detect/sigma/types.js';
import { createWindowsJsonPrefilter } from '../pipeline/prefilter.js';
import { processBatch } from './process-batch.js';
import { unknownAttackTags } from './summary.js';
import type { BatchJob, BatchResult, ProcessOptions } from './types.js';

/** What every worker needs to build its own detector. */
export interface WorkerInit {
  readonly rules: readonly SigmaRule[];
  readonly filters: readonly SigmaFilter[];
  readonly placeholders: readonly (readonly [string, readonly string[]])[];
  readonly options: ProcessOptions;
}

/** What became of the rules, as compiled by the runner's detector(s). */
export interface RulesInfo {
  readonly loaded: number;
  readonly diagnostics: readonly Diagnostic[];
  readonly unknownAttackTags: Record<string, number>;
}

/** Summarizes a detector for the scan summary. */
export function rulesInfo(detector: Detector): RulesInfo {
  return {
    loaded: detector.rules.length,
    diagnostics: detector.diagnostics,
    unknownAttackTags: unknownAttackTags(detector.rules),
  };
}

export interface BatchRunner {
  readonly threads: number;
  readonly rules: RulesInfo;
  run(job: BatchJob): Promise<BatchResult>;
  close(): Promise<void>;
}

/** Processes jobs on the calling thread. */
export function inlineRunner(detector: Detector, options: ProcessOptions): BatchRunner {
  const prefilter = options.prefilter ? createWindowsJsonPrefilter(detector) : undefined;
  return {
    threads: 1,
    rules: rulesInfo(detector),
    run: async (job) => processBatch(job, detector, options, prefilter),
    close: async () => {},
  };
}

const WORKER_URL = new URL('./worker.js', import.meta.url);

/**
 * Heap limits of a scan worker (MiB). The compiled SigmaHQ Windows rules take ~60 MiB; the rest is
 * working space for 64 KiB batches. Without limits V8 sizes each isolate's heap from the machine's
 * memory and collects late, which multiplies resident memory by the thread count.
 */
const WORKER_HEAP = { maxOldGenerationSizeMb: 112, maxYoungGenerationSizeMb: 4 };

/** True when the compiled worker script exists (not the case when running from TypeScript sources). */
export function workersAvailable(): boolean {
  return WORKER_URL.protocol === 'file:' && existsSync(fileURLToPath(WORKER_URL));
}

type Reply =
  | { ready: true; rules: RulesInfo }
  | { ok: true; result: BatchResult }
  | { ok: false; seq: number; error: string };

interface Slot {
  readonly worker: Worker;
  /** Why the worker died (crash, out of memory), once it has. */
  dead?: Error;
  readonly pending: Map<number, { resolve: (r: BatchResult) => void; reject: (e: Error) => void }>;
}

/**
 * Starts `threads` workers and waits until each has compiled the rules.
 * @throws Error when a worker fails to start
 */
export async function workerRunner(init: WorkerInit, threads: number): Promise<BatchRunner> {
  const slots: Slot[] = [];
  const ready: Promise<RulesInfo>[] = [];
  for (let i = 0; i < threads; i++) {
    // Bounded heaps: V8 otherwise lets garbage grow towards its default limit before collecting.
    const worker = new Worker(WORKER_URL, { workerData: init, resourceLimits: WORKER_HEAP });
    const slot: Slot = { worker, pending: new Map() };
    slots.push(slot);
    ready.push(
      new Promise<RulesInfo>((resolve, reject) => {
        worker.once('error', reject);
        worker.on('message', (msg: Reply) => {
          if ('ready' in msg) {
            resolve(msg.rules);
            return;
          }
          const seq = msg.ok ? msg.result.seq : msg.seq;
          const p = slot.pending.get(seq);
          if (!p) return;
          slot.pending.delete(seq);
          if (msg.ok) p.resolve(msg.result);
          else p.reject(new Error(`worker failed on batch ${seq}: ${msg.error}`));
        });
        const fail = (err: Error): void => {
          reject(err); // a worker that dies before it is ready fails the start-up
          slot.dead ??= err;
          for (const p of slot.pending.values()) p.reject(err);
          slot.pending.clear();
        };
        worker.on('error', fail);
        worker.on('exit', (code) => fail(new Error(`scan worker exited (code ${code})`)));
      }),
    );
  }
  // Every worker compiled the same rules; the first one's account stands for all.
  const [info] = await Promise.all(ready);
  return {
    threads,
    rules: info!,
    run: (job) =>
      new Promise<BatchResult>((resolve, reject) => {
        // The least busy live worker; a dead one (crashed, out of memory) takes no more work.
        let best: Slot | undefined;
        for (const s of slots)
          if (!s.dead && (best === undefined || s.pending.size < best.pending.size)) best = s;
        if (best === undefined) {
          reject(new Error(`every scan worker has died: ${slots[0]?.dead?.message ?? 'unknown reason'}`));
          return;
        }
        best.pending.set(job.seq, { resolve, reject });
        best.worker.postMessage(job);
      }),
    close: async () => {
      for (const s of slots) s.dead ??= new Error('closed');
      await Promise.all(slots.map((s) => s.worker.terminate()));
    },
  };
}
