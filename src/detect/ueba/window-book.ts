/**
 * The open entity windows and when they close. Pure: times are passed in.
 *
 * Windows are tumbling buckets of event time, `[k·W, (k+1)·W)` per entity (W =
 * `Config.ml.uebaWindowMs`). The watermark is the latest event time seen (events more than a day
 * ahead of the wall clock are ignored: a skewed clock must not close everyone's windows). A window
 * closes when the watermark passes its end plus the allowed lateness; an event whose window has
 * already closed that way is late and not counted (`late`). On a quiet stream the caller closes
 * the windows that ended by the wall clock ({@link closeEndedBy}); if more events of such a window
 * arrive later they open a second window for it. When more than `maxOpen` windows are open, the
 * oldest close early ({@link shed}).
 */
import { ENTITY_TYPES, type EntityType } from './entities.js';
import type { UebaEvent } from './event-view.js';
import { EntityWindow } from './window.js';

/** How far ahead of the wall clock an event time may be and still count, ms. */
export const MAX_FUTURE_MS = 86_400_000;

export interface WindowBookOptions {
  /** Window length W, ms. */
  readonly windowMs: number;
  /** How long after its end (event time) a window waits for late events, ms. */
  readonly latenessMs: number;
  /** Open windows kept at most. */
  readonly maxOpen: number;
}

/** The book's clock, persisted with the open windows. */
export interface BookClock {
  /** Latest event time seen, ms (null before any). */
  readonly watermark: number | null;
  /** Every window ending at or before this has closed, ms (null before any). */
  readonly closedBefore: number | null;
}

function keyOf(type: EntityType, value: string, start: number): string {
  return `${type}\u0001${value}\u0001${start}`;
}

/** The key of a window (type, value, start), as {@link WindowBook} files it. */
export function windowKey(w: Pick<EntityWindow, 'type' | 'value' | 'start'>): string {
  return keyOf(w.type, w.value, w.start);
}

export class WindowBook {
  private readonly open = new Map<string, EntityWindow>();
  /** Open windows by end time (few distinct ends: the current window and late ones). */
  private readonly byEnd = new Map<number, Set<string>>();
  private watermark = Number.NEGATIVE_INFINITY;
  private closedBefore = Number.NEGATIVE_INFINITY;
  /** Events not counted because their window had closed. */
  late = 0;
  /** Events not counted because they were too far ahead of the wall clock. */
  future = 0;

  constructor(readonly options: WindowBookOptions) {}

  get size(): number {
    return this.open.size;
  }

  clock(): BookClock {
    return {
      watermark: Number.isFinite(this.watermark) ? this.watermark : null,
      closedBefore: Number.isFinite(this.closedBefore) ? this.closedBefore : null,
    };
  }

  /** Loads persisted state (before any event). */
  restore(clock: BookClock, windows: Iterable<EntityWindow>): void {
    this.watermark = clock.watermark ?? Number.NEGATIVE_INFINITY;
    this.closedBefore = clock.closedBefore ?? Number.NEGATIVE_INFINITY;
    for (const w of windows) this.put(w);
  }

  private put(w: EntityWindow): void {
    const key = windowKey(w);
    this.open.set(key, w);
    let set = this.byEnd.get(w.end);
    if (!set) this.byEnd.set(w.end, (set = new Set()));
    set.add(key);
  }

  private take(key: string): EntityWindow | undefined {
    const w = this.open.get(key);
    if (!w) return undefined;
    this.open.delete(key);
    const set = this.byEnd.get(w.end);
    set?.delete(key);
    if (set?.size === 0) this.byEnd.delete(w.end);
    return w;
  }

  /**
   * Counts an event in the window of each of its entities.
   * @param touched - receives the windows the event was counted in
   * @returns false when the event was not counted (late, too far in the future, no entity)
   */
  add(e: UebaEvent, wallNow: number, touched: Set<EntityWindow>): boolean {
    if (!Number.isFinite(e.time)) return false;
    if (e.time > wallNow + MAX_FUTURE_MS) {
      this.future++;
      return false;
    }
    const W = this.options.windowMs;
    const start = Math.floor(e.time / W) * W;
    const end = start + W;
    if (end <= this.closedBefore) {
      if (e.user !== undefined || e.host !== undefined || e.ip !== undefined) this.late++;
      return false;
    }
    if (e.time > this.watermark) this.watermark = e.time;
    let counted = false;
    for (const type of ENTITY_TYPES) {
      const value = type === 'user' ? e.user : type === 'host' ? e.host : e.ip;
      if (value === undefined) continue;
      const key = keyOf(type, value, start);
      let w = this.open.get(key);
      if (!w) {
        w = new EntityWindow(type, value, start, end);
        this.put(w);
      }
      w.add(e);
      touched.add(w);
      counted = true;
    }
    return counted;
  }

  private closeWhere(due: (end: number) => boolean, limit: number): EntityWindow[] {
    const out: EntityWindow[] = [];
    const ends = [...this.byEnd.keys()].filter(due).sort((a, b) => a - b);
    for (const end of ends)
      for (const key of [...this.byEnd.get(end)!]) {
        if (out.length >= limit) return out;
        out.push(this.take(key)!);
      }
    return out;
  }

  /**
   * Closes (removes and returns) the windows the watermark has passed by the lateness, oldest
   * first, at most `limit` (the others stay due for the next call; their late events are not
   * counted any more).
   */
  closeDue(limit = Number.POSITIVE_INFINITY): EntityWindow[] {
    const bound = this.watermark - this.options.latenessMs;
    if (!Number.isFinite(bound)) return [];
    if (bound > this.closedBefore) this.closedBefore = bound;
    return this.closeWhere((end) => end <= bound, limit);
  }

  /** Closes the windows that ended at or before `time` (a quiet stream: `time` from the wall clock). */
  closeEndedBy(time: number): EntityWindow[] {
    return this.closeWhere((end) => end <= time, Number.POSITIVE_INFINITY);
  }

  /** The earliest end of an open window, ms (undefined when none is open). */
  earliestEnd(): number | undefined {
    let min: number | undefined;
    for (const end of this.byEnd.keys()) if (min === undefined || end < min) min = end;
    return min;
  }

  /** Closes the oldest windows while more than `maxOpen` are open. */
  shed(): EntityWindow[] {
    const out: EntityWindow[] = [];
    if (this.open.size <= this.options.maxOpen) return out;
    const ends = [...this.byEnd.keys()].sort((a, b) => a - b);
    for (const end of ends) {
      for (const key of [...this.byEnd.get(end)!]) {
        if (this.open.size <= this.options.maxOpen) return out;
        out.push(this.take(key)!);
      }
    }
    return out;
  }
}
