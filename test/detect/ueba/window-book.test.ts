import { describe, expect, it } from 'vitest';
import { uebaEvent } from '../../../src/detect/ueba/event-view.js';
import { WindowReplay } from '../../../src/detect/ueba/replay.js';
import { closeWindows, entityKey, ProcessCounts } from '../../../src/detect/ueba/close.js';
import { WindowBook } from '../../../src/detect/ueba/window-book.js';
import type { EntityWindow } from '../../../src/detect/ueba/window.js';
import type { Baseline } from '../../../src/detect/ueba/baseline.js';

const H = 3_600_000;
const T0 = Date.parse('2026-03-02T00:00:00Z');
const WALL = T0 + 10 * 86_400_000;

function ev(id: number, at: number, ip = '198.51.100.1', user = 'bob') {
  return uebaEvent(id, at, { source: { ip }, user: { name: user }, host: { name: 'h1' } });
}

describe('UEBA window book', () => {
  it('counts an event in the hourly window of each of its entities', () => {
    const book = new WindowBook({ windowMs: H, latenessMs: 60_000, maxOpen: 1000 });
    const touched = new Set<EntityWindow>();
    expect(book.add(ev(1, T0 + 5 * 60_000), WALL, touched)).toBe(true);
    expect([...touched].map((w) => [w.type, w.value, w.start])).toEqual([
      ['user', 'bob', T0],
      ['host', 'h1', T0],
      ['ip', '198.51.100.1', T0],
    ]);
    expect(book.size).toBe(3);
  });

  it('closes a window once the watermark passes its end plus the lateness, then refuses late events', () => {
    const book = new WindowBook({ windowMs: H, latenessMs: 10 * 60_000, maxOpen: 1000 });
    const t = new Set<EntityWindow>();
    book.add(ev(1, T0 + 50 * 60_000), WALL, t);
    book.add(ev(2, T0 + H + 5 * 60_000), WALL, t); // next hour, within the lateness
    expect(book.closeDue()).toEqual([]);
    book.add(ev(3, T0 + 55 * 60_000), WALL, t); // late but in time
    book.add(ev(4, T0 + H + 11 * 60_000), WALL, t);
    const closed = book.closeDue();
    expect(closed.map((w) => [w.type, w.start, w.events])).toEqual([
      ['user', T0, 2],
      ['host', T0, 2],
      ['ip', T0, 2],
    ]);
    expect(book.add(ev(5, T0 + 59 * 60_000), WALL, t)).toBe(false);
    expect(book.late).toBe(1);
    expect(book.clock()).toEqual({ watermark: T0 + H + 11 * 60_000, closedBefore: T0 + H + 60_000 });
  });

  it('closes at most the given number of due windows per call, oldest first', () => {
    const book = new WindowBook({ windowMs: H, latenessMs: 0, maxOpen: 1000 });
    const t = new Set<EntityWindow>();
    for (let i = 0; i < 5; i++) book.add(ev(i + 1, T0 + i, `198.51.100.${i + 1}`, `u${i}`), WALL, t);
    book.add(ev(9, T0 + H, '203.0.113.1', 'late'), WALL, t);
    expect(book.closeDue(4).length).toBe(4);
    expect(book.closeDue(100).length).toBe(5 + 1 + 5 - 4); // users, host h1, addresses of the first hour
    expect(book.closeDue(100)).toEqual([]);
  });

  it('ignores events more than a day ahead of the wall clock', () => {
    const book = new WindowBook({ windowMs: H, latenessMs: 0, maxOpen: 1000 });
    expect(book.add(ev(1, WALL + 2 * 86_400_000), WALL, new Set())).toBe(false);
    expect(book.future).toBe(1);
    expect(book.clock().watermark).toBeNull();
  });

  it('closes windows ended by a given time (a quiet stream) and sheds the oldest beyond the bound', () => {
    const book = new WindowBook({ windowMs: H, latenessMs: 0, maxOpen: 4 });
    const t = new Set<EntityWindow>();
    book.add(ev(1, T0, '198.51.100.1', 'a'), WALL, t);
    book.add(ev(2, T0 + H, '198.51.100.2', 'b'), WALL, t);
    expect(book.size).toBe(6);
    expect(book.shed().map((w) => w.start)).toEqual([T0, T0]);
    expect(book.size).toBe(4);
    expect(book.earliestEnd()).toBe(T0 + H);
    expect(book.closeEndedBy(T0 + 2 * H).length).toBe(4);
    expect(book.size).toBe(0);
  });

  it('restores its clock and windows', () => {
    const a = new WindowBook({ windowMs: H, latenessMs: 0, maxOpen: 100 });
    const t = new Set<EntityWindow>();
    a.add(ev(1, T0), WALL, t);
    const b = new WindowBook({ windowMs: H, latenessMs: 0, maxOpen: 100 });
    b.restore(a.clock(), [...t]);
    b.add(ev(2, T0 + 60_000), WALL, new Set());
    expect(b.closeEndedBy(T0 + H).map((w) => w.events)).toEqual([2, 2, 2]);
  });
});

describe('UEBA replay (training) and closing (detection) agree', () => {
  it('gives the features the stage computes window by window', () => {
    const events = [];
    let id = 0;
    for (let h = 0; h < 30; h++)
      for (let k = 0; k < 1 + (h % 4); k++)
        events.push(ev(++id, T0 + h * H + k * 60_000, `198.51.100.${1 + (k % 2)}`, k ? 'bob' : 'amy'));
    const replay = new WindowReplay(H);
    for (const e of events) replay.add(e);
    const offline = replay.finish();

    const book = new WindowBook({ windowMs: H, latenessMs: 0, maxOpen: 1000 });
    const baselines = new Map<string, Baseline>();
    const pops = new Map<string, Baseline>();
    const live: Record<string, Record<string, number>[]> = { user: [], host: [], ip: [] };
    for (const e of [...events, ev(id + 1, T0 + 40 * H, '203.0.113.1', 'zed')]) {
      book.add(e, WALL, new Set());
      const closed = book.closeDue();
      if (closed.length === 0) continue;
      const r = closeWindows(closed, {
        baseline: (type, value) => baselines.get(entityKey(type, value)),
        population: (type) => pops.get(type),
        processes: new ProcessCounts(),
      });
      for (const c of r.closed) live[c.window.type]!.push(c.features);
      for (const [k, b] of r.baselines) baselines.set(k, b);
      for (const [k, b] of r.populations) pops.set(k, b);
    }
    for (const type of ['user', 'host', 'ip'] as const)
      expect(live[type]).toEqual(offline[type].map((c) => c.features));
    expect(offline.ip.length).toBe(30 + 22); // .1 every hour, .2 in the 22 hours with h % 4 ≠ 0
  });
});
