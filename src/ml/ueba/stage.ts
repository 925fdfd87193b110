/**
 * UEBA in the detection stage (`docs/ueba.md`): each batch's events are counted into per-entity
 * windows in memory; windows the watermark has passed close, get their features against the
 * entity's persisted baseline, are scored by the active model of their entity type (and its
 * shadows) and, at or above the threshold, become alert matches that the stage records like rule
 * matches.
 *
 * Persistence, inside the detection transaction (so it commits or rolls back with the cursor):
 * a snapshot of the changed open windows and the last counted event id (`ueba_state.position`) is
 * written whenever windows close (with the baselines they change) and otherwise at most every
 * `snapshotMs`. After a restart, or a batch that did not commit, the scorer reloads the snapshot
 * and replays the stored events between its position and the committed detection cursor, so
 * nothing is lost and nothing counted twice; events the stage hands it again (the cursor moved
 * back to an older correlation snapshot) are skipped by id.
 */
import type { Kysely } from 'kysely';
import type { AttackLookup } from '../../detect/attack/catalog.js';
import type { EntityType } from '../../detect/ueba/entities.js';
import { uebaEvent } from '../../detect/ueba/event-view.js';
import { windowKey, WindowBook } from '../../detect/ueba/window-book.js';
import { EntityWindow } from '../../detect/ueba/window.js';
import type { BehaviourResult, BehaviourStage, StoredItem } from '../../pipeline/detect-stage.js';
import { DETECTION_CURSOR } from '../../pipeline/detect-stage.js';
import type { AlertMatch } from '../../store/alerts.js';
import { readCursor } from '../../store/cursors.js';
import type { DatabaseSchema } from '../../store/schema.js';
import {
  deleteOpenWindows,
  readOpenWindows,
  readUebaState,
  saveOpenWindows,
  writeUebaState,
} from '../../store/ueba.js';
import type { ActiveModels, ModelVersion } from '../types.js';
import { readEventsById } from './events-pass.js';
import { type UebaResult, UebaScorer } from './scorer.js';

export type { UebaResult } from './scorer.js';

type Db = Kysely<DatabaseSchema>;

/** The `ueba_state` row of the detection stage's scorer. */
export const UEBA_STATE = 'detection';
/** Default bound on open windows (entity × window), about 1 KB each in memory. */
export const UEBA_MAX_OPEN = 200_000;
/** Default interval between snapshots of the open windows when none closes, ms. */
export const UEBA_SNAPSHOT_MS = 30_000;
/** Windows a batch closes at least when more are due (else at most a quarter of its events). */
export const MIN_CLOSE = 64;
/** Events replayed at most after a restart (the latest ones; older ones are not counted). */
export const UEBA_MAX_REPLAY = 500_000;

export interface UebaStageOptions {
  /** The registry's live versions. */
  readonly models: ActiveModels;
  /** Window length, ms (`Config.ml.uebaWindowMs`). */
  readonly windowMs: number;
  /** Event-time wait after a window's end for late events, ms (`Config.ml.uebaLatenessMs`). */
  readonly latenessMs: number;
  /** Wall time without new events after which windows ended by the wall clock close, ms (`Config.ml.uebaIdleMs`). */
  readonly idleMs: number;
  /** Score at or above which a window alerts (`Config.ml.uebaThreshold`). */
  readonly threshold: number;
  /** Open windows kept at most (the oldest close early beyond; default {@link UEBA_MAX_OPEN}). */
  readonly maxOpen?: number;
  /** Snapshot interval when no window closes, ms (default {@link UEBA_SNAPSHOT_MS}; 0 = every batch). */
  readonly snapshotMs?: number;
  /** The ATT&CK lookup of the loaded rules (threat names of brute-force tags). */
  readonly attack?: () => AttackLookup | undefined;
  /**
   * Closed windows by entity type and result: `alerted`, `normal`, `cold` (no active model),
   * `unscored` (a user name that only ever tried to log on). Called after the commit.
   */
  readonly onWindows?: (type: EntityType, result: UebaResult, n: number) => void;
  readonly onInvalidModel?: (version: ModelVersion, err: Error) => void;
}

/** Counters for metrics. */
export interface UebaStats {
  /** Open windows, as committed. */
  readonly open: number;
  /** Events not counted: late (their window had closed), or more than a day in the future. */
  readonly late: number;
  readonly future: number;
  /** Id of the last event counted. */
  readonly position: number;
  /** Events replayed from the store after restarts. */
  readonly replayed: number;
}

export class UebaStage implements BehaviourStage {
  private book: WindowBook;
  private position = 0;
  private processTotal = 0;
  /** The in-memory state is the committed one plus the batches committed since the snapshot. */
  private loaded = false;
  private lastActivity: number | undefined;
  private snapshotAt = Number.NEGATIVE_INFINITY;
  /** Open windows changed since the last snapshot, and closed ones to delete. */
  private dirty = new Set<EntityWindow>();
  private closedSince: EntityWindow[] = [];
  private committedOpen = 0;
  private replayed = 0;
  private readonly scorer: UebaScorer;

  constructor(private readonly o: UebaStageOptions) {
    this.book = this.newBook();
    this.scorer = new UebaScorer({
      models: o.models,
      threshold: o.threshold,
      attack: o.attack,
      onInvalidModel: o.onInvalidModel,
    });
  }

  private newBook(): WindowBook {
    return new WindowBook({
      windowMs: this.o.windowMs,
      latenessMs: this.o.latenessMs,
      maxOpen: this.o.maxOpen ?? UEBA_MAX_OPEN,
    });
  }

  stats(): UebaStats {
    return {
      open: this.committedOpen,
      late: this.book.late,
      future: this.book.future,
      position: this.position,
      replayed: this.replayed,
    };
  }

  due(wallNow: number): boolean {
    if (!this.loaded) return true; // load the snapshot (and flush it if the stream stays quiet)
    this.lastActivity ??= wallNow;
    if (wallNow - this.lastActivity < this.o.idleMs) return false;
    const end = this.book.earliestEnd();
    return end !== undefined && end <= wallNow - this.o.latenessMs;
  }

  /** Loads the snapshot and replays the events after it up to the committed detection cursor. */
  private async load(db: Db, wallNow: number): Promise<void> {
    const state = await readUebaState(db, UEBA_STATE);
    const cursor = await readCursor(db, DETECTION_CURSOR);
    const { late, future } = this.book;
    this.book = this.newBook();
    this.book.late = late;
    this.book.future = future;
    this.scorer.reset();
    this.dirty = new Set();
    this.closedSince = [];
    // First start: count from the events detection has not seen yet, not the whole history.
    this.position = state?.position ?? cursor;
    this.processTotal = state?.processTotal ?? 0;
    this.book.restore(
      state?.clock ?? { watermark: null, closedBefore: null },
      (await readOpenWindows(db)).map((j) => EntityWindow.fromJSON(j)),
    );
    const from = Math.max(this.position, cursor - UEBA_MAX_REPLAY);
    if (cursor > from) {
      this.replayed += await readEventsById(db, from, cursor, 5000, (e) =>
        this.book.add(e, wallNow, this.dirty),
      );
      this.position = cursor;
    }
  }

  async process(trx: Db, items: readonly StoredItem[], now: Date): Promise<BehaviourResult> {
    const wall = now.getTime();
    if (!this.loaded) await this.load(trx, wall);
    this.loaded = false; // until this batch commits
    let position = this.position;
    for (const item of items) {
      if (item.id <= position) continue; // counted already (a replayed batch)
      position = item.id;
      const event = item.event;
      this.book.add(
        uebaEvent(
          item.id,
          Date.parse(item.row.timestamp),
          item.row.ecs,
          event ? (n) => event.get(n) : undefined,
        ),
        wall,
        this.dirty,
      );
    }
    this.position = position;
    const idle =
      items.length === 0 && this.lastActivity !== undefined && wall - this.lastActivity >= this.o.idleMs;
    if (items.length > 0 || this.lastActivity === undefined) this.lastActivity = wall;
    // Closing costs database writes per window: a batch closes at most a quarter as many windows
    // as it has events (at least MIN_CLOSE), so an hour boundary's closes spread over the next
    // batches instead of landing on one; a quiet stream closes everything due.
    const closed = idle
      ? [...this.book.closeDue(), ...this.book.closeEndedBy(wall - this.o.latenessMs)]
      : this.book.closeDue(Math.max(MIN_CLOSE, Math.ceil(items.length / 4)));
    closed.push(...this.book.shed());
    let matches: AlertMatch[] = [];
    let tally = new Map<string, number>();
    if (closed.length > 0) {
      const group = await this.scorer.close(trx, closed, this.processTotal, now);
      this.processTotal += group.processStarts;
      matches = group.matches;
      tally = group.tally;
      for (const w of closed) this.dirty.delete(w);
      this.closedSince.push(...closed);
    }
    // Empty batches (a quiet stream) write nothing unless windows close.
    const snapshot =
      closed.length > 0 ||
      (items.length > 0 && wall - this.snapshotAt >= (this.o.snapshotMs ?? UEBA_SNAPSHOT_MS));
    if (snapshot) {
      // A window that closed and reopened (late events after an idle flush) is saved, not deleted.
      const open = new Set([...this.dirty].map((w) => windowKey(w)));
      const gone = this.closedSince.filter((w) => !open.has(windowKey(w)));
      if (gone.length > 0) await deleteOpenWindows(trx, gone);
      if (this.dirty.size > 0)
        await saveOpenWindows(
          trx,
          [...this.dirty].map((w) => w.toJSON()),
          now,
        );
      await writeUebaState(
        trx,
        UEBA_STATE,
        { position, clock: this.book.clock(), processTotal: this.processTotal },
        now,
      );
    }
    return {
      matches,
      committed: () => {
        this.loaded = true;
        this.committedOpen = this.book.size;
        if (snapshot) {
          this.dirty.clear();
          this.closedSince = [];
          this.snapshotAt = wall;
        }
        for (const [k, n] of tally) {
          const [type, result] = k.split('\u0001') as [EntityType, UebaResult];
          this.o.onWindows?.(type, result, n);
        }
      },
    };
  }
}
