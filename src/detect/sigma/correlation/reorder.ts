/**
 * A bounded re-ordering buffer in front of the correlation engine for live streams: matches are
 * held up to the allowed lateness and released in event-time order, so events that arrive a
 * little out of order (several shippers, batching) still correlate exactly.
 *
 * Released when the event-time watermark (latest time seen − lateness) has passed them, or when
 * no new match arrived for a while in wall time (a quiet stream is flushed), or when the buffer
 * is full (the earliest first; counted). A match older than the last released one is late: it is
 * counted and handed back to the caller, not correlated. Pure: both clocks are passed in.
 */

interface Held<T> {
  readonly time: number;
  readonly seq: number;
  readonly item: T;
}

/** A JSON-safe copy of the buffer. */
export interface ReorderSnapshot<T> {
  readonly released: number | null;
  readonly maxTime: number | null;
  readonly held: readonly { readonly time: number; readonly item: T }[];
}

export class ReorderBuffer<T> {
  private heap: Held<T>[] = [];
  private seq = 0;
  private maxTime = Number.NEGATIVE_INFINITY;
  /** Time of the last released item: anything older is late. */
  private released = Number.NEGATIVE_INFINITY;
  private lastArrival = 0;
  /** Items released early because the buffer was full. */
  forced = 0;
  /** Items refused as late. */
  late = 0;

  /**
   * @param latenessMs - how far behind the latest event time an event may arrive (ms)
   * @param maxHeld - items held at most
   * @param quietMs - wall time without a new item after which everything held is released
   *   (default: the lateness, at most 5 s)
   */
  constructor(
    private readonly latenessMs: number,
    private readonly maxHeld: number,
    private readonly quietMs: number = Math.min(latenessMs, 5000),
  ) {}

  get size(): number {
    return this.heap.length;
  }

  /**
   * Adds an item.
   * @param time - event time, ms
   * @param wallNow - wall clock, ms
   * @returns false when the item is late (not held)
   */
  push(time: number, item: T, wallNow: number): boolean {
    if (time < this.released || Number.isNaN(time)) {
      this.late++;
      return false;
    }
    if (time > this.maxTime) this.maxTime = time;
    this.lastArrival = wallNow;
    this.up({ time, seq: this.seq++, item });
    return true;
  }

  /** Items due at `wallNow`, in event-time order (ties in arrival order). */
  release(wallNow: number): T[] {
    const out: T[] = [];
    const quiet = wallNow - this.lastArrival >= Math.min(this.quietMs, this.latenessMs);
    const watermark = this.maxTime - this.latenessMs;
    while (this.heap.length > 0) {
      const top = this.heap[0]!;
      const full = this.heap.length > this.maxHeld;
      if (!(quiet || full || top.time <= watermark)) break;
      if (full && !quiet && top.time > watermark) this.forced++;
      out.push(this.pop().item);
      this.released = top.time;
    }
    return out;
  }

  /** Everything held, in order (at shutdown, or before a snapshot that must not hold items). */
  drain(): T[] {
    const out: T[] = [];
    while (this.heap.length > 0) {
      const h = this.pop();
      this.released = h.time;
      out.push(h.item);
    }
    return out;
  }

  snapshot(): ReorderSnapshot<T> {
    const held = [...this.heap].sort((a, b) => a.time - b.time || a.seq - b.seq);
    return {
      released: Number.isFinite(this.released) ? this.released : null,
      maxTime: Number.isFinite(this.maxTime) ? this.maxTime : null,
      held: held.map((h) => ({ time: h.time, item: h.item })),
    };
  }

  restore(s: ReorderSnapshot<T>, wallNow: number): void {
    this.released = s.released ?? Number.NEGATIVE_INFINITY;
    this.maxTime = s.maxTime ?? Number.NEGATIVE_INFINITY;
    this.lastArrival = wallNow;
    for (const h of s.held) this.up({ time: h.time, seq: this.seq++, item: h.item });
  }

  private less(a: Held<T>, b: Held<T>): boolean {
    return a.time < b.time || (a.time === b.time && a.seq < b.seq);
  }

  private up(h: Held<T>): void {
    const heap = this.heap;
    heap.push(h);
    let i = heap.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(heap[i]!, heap[p]!)) break;
      [heap[i], heap[p]] = [heap[p]!, heap[i]!];
      i = p;
    }
  }

  private pop(): Held<T> {
    const heap = this.heap;
    const top = heap[0]!;
    const last = heap.pop()!;
    if (heap.length > 0) {
      heap[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < heap.length && this.less(heap[l]!, heap[m]!)) m = l;
        if (r < heap.length && this.less(heap[r]!, heap[m]!)) m = r;
        if (m === i) break;
        [heap[i], heap[m]] = [heap[m]!, heap[i]!];
        i = m;
      }
    }
    return top;
  }
}
