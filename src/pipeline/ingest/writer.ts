/**
 * The event writer: the one place events are appended. Submissions wait in a bounded queue; a
 * single loop appends them in batches (COPY) and resolves each submission once its events are
 * committed, so an acknowledgement means the events are durable. A full queue refuses new work
 * with `VIGIL_ERR_BUSY` (HTTP 429) instead of growing memory.
 */
import { ErrorCodes, VigilError } from '../../errors.js';
import type { EventStore } from '../../store/events.js';
import type { PreparedEvent } from './prepare.js';

/** Events committed together, in id order. */
export interface StoredBatch {
  readonly firstId: number;
  readonly events: readonly PreparedEvent[];
}

interface Submission {
  readonly events: readonly PreparedEvent[];
  /** Append without merging (a retry after a merged batch failed). */
  readonly alone?: boolean;
  resolve(firstId: number): void;
  reject(err: unknown): void;
}

export interface WriterOptions {
  /** Events waiting before `submit` refuses. */
  readonly maxQueued: number;
  /** Events per append (a larger single submission is appended whole). */
  readonly batchEvents: number;
  /** Called after each commit, in id order (detection, live stream, metrics). */
  readonly onStored: (batch: StoredBatch) => void;
  /** Called with the append latency (ms) and size of each batch. */
  readonly onBatch?: (ms: number, events: number) => void;
  /**
   * Runs before each append and returns the events to store in their place, same length and
   * order (log templates enrich rows here). A rejection fails the append like a database error.
   */
  readonly beforeAppend?: (events: readonly PreparedEvent[]) => Promise<readonly PreparedEvent[]>;
  /** Runs after each commit, before `onStored`; must not reject (its events are stored). */
  readonly afterAppend?: (batch: StoredBatch) => Promise<void>;
}

export class EventWriter {
  private readonly queue: Submission[] = [];
  private queued = 0;
  private running: Promise<void> | undefined;
  private closed = false;

  constructor(
    private readonly store: EventStore,
    private readonly options: WriterOptions,
  ) {}

  /** Events waiting to be written. */
  get depth(): number {
    return this.queued;
  }

  /** True when `n` more events fit in the queue now (a submission into an empty queue always fits). */
  accepts(n: number): boolean {
    return !this.closed && (this.queued === 0 || this.queued + n <= this.options.maxQueued);
  }

  /**
   * Queues events and resolves with the first one's id once all are committed.
   * @throws VigilError `VIGIL_ERR_BUSY` when the queue is full, `VIGIL_ERR_UNAVAILABLE` after close;
   *   rejects with the database error when the append fails (nothing of the batch is stored)
   */
  submit(events: readonly PreparedEvent[]): Promise<number> {
    if (this.closed) return Promise.reject(new VigilError(ErrorCodes.UNAVAILABLE, 'shutting down'));
    if (events.length === 0) return Promise.resolve(0);
    if (this.queued > 0 && this.queued + events.length > this.options.maxQueued)
      return Promise.reject(new VigilError(ErrorCodes.BUSY, this.queued, 1));
    return new Promise<number>((resolve, reject) => {
      this.queue.push({ events, resolve, reject });
      this.queued += events.length;
      this.kick();
    });
  }

  /** Starts the drain loop unless it runs; restarts it for work queued while it was finishing. */
  private kick(): void {
    if (this.running) return;
    this.running = this.drain().finally(() => {
      this.running = undefined;
      if (this.queue.length > 0) this.kick();
    });
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const take: Submission[] = [];
      let n = 0;
      while (
        this.queue.length > 0 &&
        (n === 0 ||
          (!this.queue[0]!.alone &&
            !take[0]!.alone &&
            n + this.queue[0]!.events.length <= this.options.batchEvents))
      ) {
        const s = this.queue.shift()!;
        take.push(s);
        n += s.events.length;
      }
      const events = take.length === 1 ? take[0]!.events : take.flatMap((s) => s.events);
      const started = performance.now();
      try {
        // One large submission is appended in batches too: PGlite runs a COPY synchronously on
        // the event loop, so a 60k-event COPY would stall every listener for seconds. The ids
        // stay contiguous (single writer); a failure after some batches leaves those stored and
        // rejects the submission, so a retrying client may store them twice (at least once).
        let firstId = -1;
        for (let i = 0; i < events.length; i += this.options.batchEvents) {
          const part =
            events.length <= this.options.batchEvents
              ? events
              : events.slice(i, i + this.options.batchEvents);
          const ready = this.options.beforeAppend ? await this.options.beforeAppend(part) : part;
          const id = await this.store.append(ready.map((e) => e.row));
          if (firstId < 0) firstId = id;
          await this.options.afterAppend?.({ firstId: id, events: ready });
          this.options.onStored({ firstId: id, events: ready });
        }
        this.queued -= n;
        this.options.onBatch?.(performance.now() - started, n);
        let id = firstId;
        for (const s of take) {
          s.resolve(id);
          id += s.events.length;
        }
      } catch (err) {
        if (take.length > 1) {
          // One client's bad record must not fail the others merged into this batch: put the
          // submissions back, each to be appended alone (they fit: they were queued).
          this.queue.unshift(...take.map((s) => ({ ...s, alone: true })));
          continue;
        }
        this.queued -= n;
        for (const s of take) s.reject(err);
      }
    }
  }

  /** Refuses new submissions and waits for the queued ones to be written. */
  async close(): Promise<void> {
    this.closed = true;
    while (this.running) await this.running;
  }
}
