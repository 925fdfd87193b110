/**
 * The re-ordering buffer in front of live correlation (docs/correlation.md, "Lateness").
 */
import { describe, expect, it } from 'vitest';
import { ReorderBuffer } from '../../../../src/detect/sigma/correlation/reorder.js';

describe('ReorderBuffer', () => {
  it('releases in event-time order once the watermark (latest − lateness) passes', () => {
    const b = new ReorderBuffer<string>(10, 100);
    b.push(100, 'a', 0);
    b.push(95, 'b', 0);
    b.push(103, 'c', 0);
    expect(b.release(1)).toEqual([]);
    b.push(112, 'd', 1);
    // watermark 102: 95 and 100 are due, 103 is not.
    expect(b.release(2)).toEqual(['b', 'a']);
    expect(b.size).toBe(2);
  });

  it('refuses (and counts) an item older than the last released one', () => {
    const b = new ReorderBuffer<string>(0, 100);
    b.push(100, 'a', 0);
    expect(b.release(0)).toEqual(['a']);
    expect(b.push(99, 'late', 0)).toBe(false);
    expect(b.push(100, 'tie', 0)).toBe(true);
    expect(b.late).toBe(1);
    expect(b.release(0)).toEqual(['tie']);
  });

  it('flushes a quiet stream after the lateness in wall time', () => {
    const b = new ReorderBuffer<string>(1000, 100);
    b.push(5000, 'x', 10);
    expect(b.release(500)).toEqual([]);
    expect(b.release(1010)).toEqual(['x']);
  });

  it('releases the earliest early when full, and counts it', () => {
    const b = new ReorderBuffer<number>(1_000_000, 2);
    for (const t of [3, 1, 2]) b.push(t, t, 0);
    expect(b.release(0)).toEqual([1]);
    expect(b.forced).toBe(1);
  });

  it('ties keep arrival order; a snapshot restores the held items and the watermark', () => {
    const b = new ReorderBuffer<string>(5, 100);
    b.push(10, 'first', 0);
    b.push(10, 'second', 0);
    b.push(30, 'later', 0);
    const copy = new ReorderBuffer<string>(5, 100);
    copy.restore(JSON.parse(JSON.stringify(b.snapshot())), 0);
    expect(copy.release(0)).toEqual(['first', 'second']);
    expect(copy.drain()).toEqual(['later']);
    expect(copy.push(29, 'too late', 0)).toBe(false);
  });
});
