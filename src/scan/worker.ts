/**
 * Worker thread entry of `vigil scan`: compiles the rules it is given once, then processes batch
 * jobs posted by the orchestrator and posts back their results.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { createDetector } from '../detect/sigma/detector.js';
import '../pipeline/decoders/register.js';
import { createWindowsJsonPrefilter } from '../pipeline/prefilter.js';
import { processBatch } from './process-batch.js';
import { rulesInfo, type WorkerInit } from './runner.js';
import type { BatchJob } from './types.js';

const init = workerData as WorkerInit;
const detector = createDetector(init.rules, {
  filters: init.filters,
  placeholders: new Map(init.placeholders),
});
const prefilter = init.options.prefilter ? createWindowsJsonPrefilter(detector) : undefined;
const port = parentPort!;
port.on('message', (job: BatchJob) => {
  try {
    port.postMessage({ ok: true, result: processBatch(job, detector, init.options, prefilter) });
  } catch (err) {
    port.postMessage({
      ok: false,
      seq: job.seq,
      error: err instanceof Error ? (err.stack ?? err.message) : String(err),
    });
  }
});
port.postMessage({ ready: true, rules: rulesInfo(detector) });
