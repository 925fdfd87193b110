/**
 * Replaying stored events into closed windows with features, for training: every event is counted
 * in its entities' windows (no lateness: training sees the whole span at once), then the windows
 * are closed in order of end time through {@link closeWindows}, with baselines and process counts
 * rebuilt from nothing — the same code and the same order as the detection stage. Pure.
 */
import type { Baseline } from './baseline.js';
import { type ClosedWindow, closeWindows, entityKey, ProcessCounts } from './close.js';
import { ENTITY_TYPES, type EntityType } from './entities.js';
import type { UebaEvent } from './event-view.js';
import { windowKey } from './window-book.js';
import { EntityWindow } from './window.js';

export class WindowReplay {
  private readonly windows = new Map<string, EntityWindow>();
  /** Events counted in at least one window. */
  events = 0;

  /** @param windowMs - window length W, ms (as `Config.ml.uebaWindowMs`) */
  constructor(readonly windowMs: number) {}

  /** Windows collected so far. */
  get size(): number {
    return this.windows.size;
  }

  add(e: UebaEvent): void {
    if (!Number.isFinite(e.time)) return;
    const start = Math.floor(e.time / this.windowMs) * this.windowMs;
    let counted = false;
    for (const type of ENTITY_TYPES) {
      const value = type === 'user' ? e.user : type === 'host' ? e.host : e.ip;
      if (value === undefined) continue;
      const key = windowKey({ type, value, start });
      let w = this.windows.get(key);
      if (!w) this.windows.set(key, (w = new EntityWindow(type, value, start, start + this.windowMs)));
      w.add(e);
      counted = true;
    }
    if (counted) this.events++;
  }

  /**
   * Closes every window, grouped by end time (oldest first), and returns the closed windows per
   * entity type in that order.
   */
  finish(): Record<EntityType, ClosedWindow[]> {
    const groups = new Map<number, EntityWindow[]>();
    for (const w of this.windows.values()) {
      const g = groups.get(w.end);
      if (g) g.push(w);
      else groups.set(w.end, [w]);
    }
    const baselines = new Map<string, Baseline>();
    const populations = new Map<EntityType, Baseline>();
    const processes = new ProcessCounts();
    const out: Record<EntityType, ClosedWindow[]> = { user: [], host: [], ip: [] };
    for (const end of [...groups.keys()].sort((a, b) => a - b)) {
      const r = closeWindows(groups.get(end)!, {
        baseline: (type, value) => baselines.get(entityKey(type, value)),
        population: (type) => populations.get(type),
        processes,
      });
      for (const c of r.closed) out[c.window.type].push(c);
      for (const [k, b] of r.baselines) baselines.set(k, b);
      for (const [t, b] of r.populations) populations.set(t, b);
      processes.add(r.processCounts, r.processTotal);
    }
    return out;
  }
}
