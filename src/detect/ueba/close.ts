/**
 * Closing windows: the features of each closed window against its entity's baseline as it was
 * before, then the baselines, population baselines and global process counts updated with it.
 * The one implementation behind both the detection stage (baselines read from the store) and
 * training (baselines rebuilt in memory from the training window's events). Pure.
 */
import { type Baseline, updateBaseline, updatePopulation } from './baseline.js';
import type { EntityType } from './entities.js';
import { type ProcessFrequency, windowFeatures } from './features.js';
import type { EntityWindow } from './window.js';

/** `type` + U+0001 + `value`: the key of an entity in maps. */
export function entityKey(type: EntityType, value: string): string {
  return `${type}\u0001${value}`;
}

/** A closed window with its features and the baselines it was compared with. */
export interface ClosedWindow {
  readonly window: EntityWindow;
  /** Feature name → value (NaN = unknown). */
  readonly features: Record<string, number>;
  /** The entity's baseline before this window (undefined: first window). */
  readonly baseline: Baseline | undefined;
  /** The entity type's population baseline before this window. */
  readonly population: Baseline | undefined;
  /** Whether the window is scored (and trained on): see {@link isScored}. */
  readonly scored: boolean;
}

/**
 * Whether a closed window is scored: always for hosts and addresses; for a user name only once it
 * did more than try to authenticate (a successful logon, or any event that is not an
 * authentication, in this window or before).
 * A name that only ever failed (`invalid user admin3` in a brute force) is not an account whose
 * behaviour can be profiled; its failures are counted, and scored, on the source address and the
 * host — one alert per attack instead of one per guessed name.
 */
export function isScored(w: EntityWindow, baseline: Baseline | undefined): boolean {
  if (w.type !== 'user') return true;
  return baseline?.established === true || w.successes > 0 || w.events > w.attempts;
}

/** What closing a group of windows changes. */
export interface CloseResult {
  readonly closed: ClosedWindow[];
  /** Updated baselines by {@link entityKey}. */
  readonly baselines: Map<string, Baseline>;
  readonly populations: Map<EntityType, Baseline>;
  /** Process starts to add to the global counts, by name (from host windows only, so each start counts once). */
  readonly processCounts: Map<string, number>;
  readonly processTotal: number;
}

/** Where {@link closeWindows} reads the state before the group. */
export interface CloseLookup {
  baseline(type: EntityType, value: string): Baseline | undefined;
  population(type: EntityType): Baseline | undefined;
  readonly processes: ProcessFrequency;
}

/**
 * Closes a group of windows (those a batch closes): windows are taken oldest first, an entity's
 * second window in the group is compared with the baseline including its first; process
 * frequencies are those before the group.
 */
export function closeWindows(windows: readonly EntityWindow[], lookup: CloseLookup): CloseResult {
  const sorted = [...windows].sort((a, b) => a.start - b.start || a.end - b.end);
  const baselines = new Map<string, Baseline>();
  const populations = new Map<EntityType, Baseline>();
  const processCounts = new Map<string, number>();
  let processTotal = 0;
  const closed: ClosedWindow[] = [];
  for (const w of sorted) {
    const key = entityKey(w.type, w.value);
    const baseline = baselines.get(key) ?? lookup.baseline(w.type, w.value);
    const population = populations.get(w.type) ?? lookup.population(w.type);
    const features = windowFeatures(w, baseline, population, lookup.processes);
    const scored = isScored(w, baseline);
    closed.push({ window: w, features, baseline, population, scored });
    baselines.set(key, updateBaseline(baseline, w, features));
    if (scored) populations.set(w.type, updatePopulation(population, w, features));
    if (w.type === 'host') {
      for (const [name, n] of w.processes) processCounts.set(name, (processCounts.get(name) ?? 0) + n);
      processTotal += w.processStarts;
    }
  }
  return { closed, baselines, populations, processCounts, processTotal };
}

/** Global process counts in memory (training). */
export class ProcessCounts implements ProcessFrequency {
  private readonly counts = new Map<string, number>();
  total = 0;

  count(name: string): number {
    return this.counts.get(name) ?? 0;
  }

  add(counts: ReadonlyMap<string, number>, total: number): void {
    for (const [k, n] of counts) this.counts.set(k, (this.counts.get(k) ?? 0) + n);
    this.total += total;
  }
}
