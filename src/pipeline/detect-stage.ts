/**
 * The detection stage: reads stored events in id order from a persisted cursor, matches them
 * against the current rules and records alerts and the new cursor position in one transaction,
 * so after a crash it resumes where it stopped and never counts an event twice.
 *
 * Freshly written batches are handed over in memory (no re-read); after a restart, or when the
 * hand-over buffer overflowed, it reads the rows back and re-decodes their `original`.
 */
import { alertMatch } from '../alerts/match.js';
import type { RuleService } from '../rules/service.js';
import type { FieldValue } from '../detect/sigma/types.js';
import {
  type AlertChange,
  type AlertMatch,
  MAX_EVIDENCE,
  readEvidence,
  recordMatches,
} from '../store/alerts.js';
import { readCorrelationState, writeCorrelationState } from '../store/correlation-state.js';
import { readCursor, writeCursor } from '../store/cursors.js';
import type { Kysely } from 'kysely';
import type { Database } from '../store/database.js';
import type { DatabaseSchema } from '../store/schema.js';
import type { EventStore, NewEvent } from '../store/events.js';
import type { DecodedEvent, DecodeOptions } from './decoders/types.js';
import { redecode } from './ingest/prepare.js';
import type { StoredBatch } from './ingest/writer.js';
import { correlationAlertMatch, type LiveCorrelation, type LiveMatch } from './correlate-stage.js';

export const DETECTION_CURSOR = 'detection';

/** A stored event with its decoded form. */
export interface StoredItem {
  readonly id: number;
  readonly row: NewEvent;
  readonly event: DecodedEvent | undefined;
}

export interface DetectionStageOptions {
  readonly database: Database;
  readonly events: EventStore;
  readonly rules: RuleService;
  /** Decode options for re-decoding stored originals (RFC 3164 year and zone). */
  readonly decodeOptions: () => DecodeOptions;
  /** Alert suppression window, ms (0 = every match is its own alert). */
  readonly suppressMs: number;
  /** Events per transaction when reading back from the store. */
  readonly batchEvents: number;
  /** Events held in the hand-over buffer before it is dropped in favour of reading back. */
  readonly maxBuffered: number;
  readonly now?: () => Date;
  /** Correlation rules' live state (absent: correlation rules do not run). */
  readonly correlation?: LiveCorrelation;
  /** After each committed batch: the events (in id order) and the alert changes. */
  readonly onDetected?: (items: readonly StoredItem[], changes: readonly AlertChange[], ms: number) => void;
  /**
   * Runs inside the detection transaction after the alerts are recorded (incidents, risk): what
   * it writes commits or rolls back with them. It may return a callback run after the commit
   * (to publish what it changed).
   */
  readonly afterRecord?: AlertHook;
  /** Behaviour analytics (UEBA) run in each detection transaction (absent: none). */
  readonly behaviour?: BehaviourStage;
  /** Errors of the loop (it retries after a pause). */
  readonly onError?: (err: unknown) => void;
}

/**
 * Behaviour analytics run inside the detection transaction, before the batch's alerts are
 * recorded: the matches it returns go through suppression, risk and incidents like rule matches,
 * and what it writes commits or rolls back with the cursor.
 */
export interface BehaviourStage {
  /** Whether an empty batch should run now on a quiet stream (state to load, windows to close). */
  due(wallNow: number): boolean;
  /** Takes a batch's events (none on a quiet stream) inside the detection transaction. */
  process(trx: Kysely<DatabaseSchema>, items: readonly StoredItem[], now: Date): Promise<BehaviourResult>;
}

export interface BehaviourResult {
  readonly matches: readonly AlertMatch[];
  /** Run after the transaction committed (the stage's in-memory state is then current). */
  readonly committed: () => void;
}

/** Work done inside the detection transaction with the alert changes of a batch. */
export type AlertHook = (
  trx: Kysely<DatabaseSchema>,
  changes: readonly AlertChange[],
  now: Date,
) => Promise<(() => void) | void>;

export class DetectionStage {
  private cursor = 0;
  private lastStored = 0;
  private buffer: StoredBatch[] = [];
  private buffered = 0;
  private wake: (() => void) | undefined;
  private stopping = false;
  private loop: Promise<void> | undefined;
  /** A batch failed: the correlation state must be reloaded before the next one. */
  private needsRecovery = false;
  /** Wall time (ms) of the last correlation state snapshot (the first batch always saves one). */
  private savedAt = Number.NEGATIVE_INFINITY;

  constructor(private readonly o: DetectionStageOptions) {}

  /** Id of the last event detection has finished with. */
  get position(): number {
    return this.cursor;
  }

  /** Stored events not yet through detection. */
  get lag(): number {
    return Math.max(0, this.lastStored - this.cursor);
  }

  get running(): boolean {
    return this.loop !== undefined && !this.stopping;
  }

  async start(): Promise<void> {
    this.cursor = await readCursor(this.o.database.db, DETECTION_CURSOR);
    const correlation = this.o.correlation;
    if (correlation) {
      const saved = await readCorrelationState(this.o.database.db, DETECTION_CURSOR);
      if (saved) {
        correlation.restore(this.o.rules.current().correlation, saved.state, this.wallNow());
        // Events after the saved state are replayed: alerts already recorded are not recorded twice.
        this.cursor = Math.min(this.cursor, saved.cursor);
      }
    }
    this.lastStored = await this.o.events.lastId();
    this.loop = this.run();
  }

  /** Hands over a batch the writer has committed. */
  push(batch: StoredBatch): void {
    this.lastStored = Math.max(this.lastStored, batch.firstId + batch.events.length - 1);
    if (this.buffered + batch.events.length > this.o.maxBuffered) {
      this.buffer = []; // read back from the store instead
      this.buffered = 0;
    } else {
      this.buffer.push(batch);
      this.buffered += batch.events.length;
    }
    this.signal();
  }

  private signal(): void {
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }

  private async next(): Promise<StoredItem[]> {
    while (this.buffer.length > 0) {
      const b = this.buffer[0]!;
      const last = b.firstId + b.events.length - 1;
      if (last <= this.cursor) {
        this.buffer.shift();
        this.buffered -= b.events.length;
        continue;
      }
      if (b.firstId > this.cursor + 1) break; // a gap: read it back
      this.buffer.shift();
      this.buffered -= b.events.length;
      const skip = this.cursor + 1 - b.firstId;
      return b.events.slice(skip).map((e, i) => ({ id: b.firstId + skip + i, row: e.row, event: e.event }));
    }
    const rows = await this.o.events.readAfter(this.cursor, this.o.batchEvents);
    return rows.map((r) => ({
      id: r.id,
      row: r,
      event: redecode(r.format, r.original, this.o.decodeOptions()),
    }));
  }

  private async run(): Promise<void> {
    while (true) {
      let items: StoredItem[];
      try {
        if (this.needsRecovery) {
          await this.recoverCorrelation();
          this.needsRecovery = false;
        }
        items = await this.next();
        if (items.length === 0) {
          if (this.stopping) return;
          // Matches held for lateness are released on a quiet stream too.
          if ((this.o.correlation?.held ?? 0) > 0 || this.o.behaviour?.due(this.wallNow()))
            await this.process([]);
          await new Promise<void>((resolve) => {
            this.wake = resolve;
            setTimeout(resolve, 1000).unref();
          });
          continue;
        }
        await this.process(items);
      } catch (err) {
        this.o.onError?.(err);
        // The batch may have fed the correlation engine before its transaction failed: before any
        // other batch, go back to the saved state and replay from its cursor (recording alerts is
        // idempotent). Until that succeeds (the database may still be down) nothing is processed.
        if (this.o.correlation) this.needsRecovery = true;
        if (this.stopping) return;
        await new Promise((r) => setTimeout(r, 1000).unref());
      }
    }
  }

  private wallNow(): number {
    return (this.o.now ?? (() => new Date()))().getTime();
  }

  private async process(items: readonly StoredItem[]): Promise<void> {
    const started = performance.now();
    const { detector, correlation: plan, attack } = this.o.rules.current();
    const live = this.o.correlation;
    const matches: AlertMatch[] = [];
    const correlated: LiveMatch[] = [];
    for (const item of items) {
      if (!item.event) continue;
      const hits = detector.match(item.event);
      // One correlation input per event, with every rule it matched that correlations read.
      let read: LiveMatch | undefined;
      for (let i = 0; i < hits.length; i++) {
        const hit = hits[i]!;
        if (live && plan.consumersOf(hit.rule).length > 0) {
          read ??= {
            rules: [],
            time: Date.parse(item.row.timestamp),
            fields: {},
            ref: { id: item.id, timestamp: item.row.timestamp, source: item.row.source },
          };
          (read.rules as { id?: string; name?: string }[]).push({ id: hit.rule.id, name: hit.rule.name });
          const fields = read.fields as Record<string, FieldValue>;
          for (const f of plan.fieldsFor(hit.rule)) {
            const v = item.event.get(f);
            if (v !== undefined) fields[f] = v;
          }
          if (!plan.standalone(hit.rule)) continue;
        }
        matches.push(alertMatch(detector, hit, item.event, item.id, item.row));
      }
      if (read) correlated.push(read);
    }
    const last = items.length > 0 ? items[items.length - 1]!.id : this.cursor;
    const now = (this.o.now ?? (() => new Date()))();
    const fired = live && plan.correlations.length > 0 ? live.process(plan, correlated, now.getTime()) : [];
    if (items.length === 0 && fired.length === 0 && !this.o.behaviour?.due(now.getTime())) return;
    let snapshot: string | undefined;
    if (live !== undefined && now.getTime() - this.savedAt >= live.settings.snapshotMs) {
      try {
        snapshot = JSON.stringify(live.snapshot());
      } catch (err) {
        // Too large to serialize: the batch goes on; the last saved state stays (and is replayed
        // from after a crash). Retried after the interval.
        this.savedAt = now.getTime();
        this.o.onError?.(err);
      }
    }
    const { changes, published, behaviour } = await this.o.database.db.transaction().execute(async (trx) => {
      for (const alert of fired) {
        if (!plan.correlationStandalone(plan.correlations.indexOf(alert.correlation))) continue;
        const ids = alert.events.slice(-MAX_EVIDENCE).map((e) => e.id);
        const rows = await readEvidence(trx, ids);
        matches.push(correlationAlertMatch(alert, plan, rows, attack));
      }
      const b = this.o.behaviour ? await this.o.behaviour.process(trx, items, now) : undefined;
      if (b) matches.push(...b.matches);
      const c = matches.length > 0 ? await recordMatches(trx, matches, this.o.suppressMs, now) : [];
      const p = c.length > 0 && this.o.afterRecord ? await this.o.afterRecord(trx, c, now) : undefined;
      await writeCursor(trx, DETECTION_CURSOR, last);
      if (snapshot !== undefined) await writeCorrelationState(trx, DETECTION_CURSOR, last, snapshot, now);
      return { changes: c, published: p, behaviour: b };
    });
    if (snapshot !== undefined) this.savedAt = now.getTime();
    this.cursor = last;
    this.lastStored = Math.max(this.lastStored, last);
    behaviour?.committed();
    if (published) published();
    if (items.length > 0 || changes.length > 0)
      this.o.onDetected?.(items, changes, performance.now() - started);
  }

  private async recoverCorrelation(): Promise<void> {
    const live = this.o.correlation;
    if (!live) return;
    // Read first: if this fails, the state in memory is kept and recovery is retried.
    const saved = await readCorrelationState(this.o.database.db, DETECTION_CURSOR);
    live.reset();
    if (saved) {
      live.restore(this.o.rules.current().correlation, saved.state, this.wallNow());
      this.cursor = Math.min(this.cursor, saved.cursor);
    }
  }

  /** Saves the correlation state with the current cursor (at shutdown). */
  private async saveCorrelation(): Promise<void> {
    const live = this.o.correlation;
    // A state that failed to recover is not saved: the saved one (and a replay) is the truth.
    if (!live || this.needsRecovery) return;
    const now = (this.o.now ?? (() => new Date()))();
    await this.o.database.db.transaction().execute(async (trx) => {
      await writeCorrelationState(trx, DETECTION_CURSOR, this.cursor, JSON.stringify(live.snapshot()), now);
    });
  }

  /** Finishes the stored events (drains) and stops. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.signal();
    await this.loop;
    this.loop = undefined;
    await this.saveCorrelation();
  }
}
