/**
 * Entity baselines: what an entity usually does, learnt window by window — the number of windows
 * seen, the UTC hours of day it is active in, the countries, autonomous systems and processes it
 * was seen with, and a running mean and variance of every feature. Pure; persisted by the service
 * (`ueba_baselines`), rebuilt from events by training.
 *
 * Running mean and variance: Welford's online algorithm (B. P. Welford, "Note on a method for
 * calculating corrected sums of squares and products", Technometrics 4(3), 1962; Knuth, TAOCP
 * vol. 2, 3rd ed., §4.2.2, eqs. 15–16), numerically stable for long streams.
 */
import type { EntityWindow } from './window.js';

/** Distinct countries and AS numbers remembered per entity. */
export const GEO_CAP = 256;
/** Distinct process names remembered per entity (later names count as new). */
export const BASELINE_PROCESS_CAP = 500;

/** Welford's running statistics of one feature: count, mean and sum of squared deviations. */
export interface RunningStat {
  readonly n: number;
  readonly mean: number;
  readonly m2: number;
}

/** One entity's baseline (also the population baseline of an entity type). Stored as JSON. */
export interface Baseline {
  /** Windows folded in. */
  readonly windows: number;
  /** Start of the first and end of the last window folded in, ms (null before any). */
  readonly firstSeen: number | null;
  readonly lastSeen: number | null;
  /** Per UTC hour of day (24 cells): windows with events in that hour. */
  readonly hours: readonly number[];
  readonly countries: readonly string[];
  readonly asns: readonly string[];
  readonly processes: readonly string[];
  /** Feature name → running statistics of its non-missing values. */
  readonly stats: Readonly<Record<string, RunningStat>>;
  /**
   * Whether the entity ever did more than try to authenticate (a successful logon, or an event
   * that is not an authentication). Users that never did are not scored (`isScored`, `close.ts`).
   */
  readonly established?: boolean;
}

export function emptyBaseline(): Baseline {
  return {
    windows: 0,
    firstSeen: null,
    lastSeen: null,
    hours: new Array<number>(24).fill(0),
    countries: [],
    asns: [],
    processes: [],
    stats: {},
  };
}

/** Welford's update: the statistics after one more value `x`. */
export function welford(s: RunningStat | undefined, x: number): RunningStat {
  const n = (s?.n ?? 0) + 1;
  const mean0 = s?.mean ?? 0;
  const delta = x - mean0;
  const mean = mean0 + delta / n;
  return { n, mean, m2: (s?.m2 ?? 0) + delta * (x - mean) };
}

/** Sample standard deviation (n − 1 in the denominator); 0 below two values. */
export function stdOf(s: RunningStat): number {
  return s.n < 2 ? 0 : Math.sqrt(Math.max(0, s.m2 / (s.n - 1)));
}

/**
 * How far `x` lies from a running statistic, in standard deviations: `(x − mean) / max(std,
 * floor)`. The floor (the feature's smallest meaningful spread, e.g. 1 event for counts) keeps a
 * feature that never varied (std 0, always 0 failures) finite while still growing with the change.
 * @returns null when fewer than two values were seen or `x` is missing
 */
export function zScore(s: RunningStat | undefined, x: number, floor: number): number | null {
  if (s === undefined || s.n < 2 || !Number.isFinite(x)) return null;
  return (x - s.mean) / Math.max(stdOf(s), floor);
}

function mergeCapped(known: readonly string[], add: Iterable<string>, cap: number): readonly string[] {
  let out: string[] | undefined;
  const seen = new Set(known);
  for (const v of add) {
    if (seen.has(v) || seen.size >= cap) continue;
    seen.add(v);
    (out ??= [...known]).push(v);
  }
  return out ?? known;
}

/**
 * The baseline after one more closed window of the entity: windows, active hours, countries,
 * AS numbers, processes and feature statistics (missing values — NaN — are not folded in).
 * Returns a new object; `b` is not changed.
 */
export function updateBaseline(
  b: Baseline | undefined,
  w: EntityWindow,
  features: Readonly<Record<string, number>>,
): Baseline {
  const base = b ?? emptyBaseline();
  return {
    ...foldWindow(base, w, features),
    countries: mergeCapped(base.countries, w.countries, GEO_CAP),
    asns: mergeCapped(base.asns, w.asns, GEO_CAP),
    processes: mergeCapped(base.processes, w.processes.keys(), BASELINE_PROCESS_CAP),
    established: base.established === true || w.successes > 0 || w.events > w.attempts,
  };
}

/** The population baseline after one more window of any entity of the type (statistics and active hours). */
export function updatePopulation(
  p: Baseline | undefined,
  w: EntityWindow,
  features: Readonly<Record<string, number>>,
): Baseline {
  const base = p ?? emptyBaseline();
  return { ...base, ...foldWindow(base, w, features) };
}

/** What every baseline folds in from a window: count, time span, active hours, feature statistics. */
function foldWindow(
  base: Baseline,
  w: EntityWindow,
  features: Readonly<Record<string, number>>,
): Pick<Baseline, 'windows' | 'firstSeen' | 'lastSeen' | 'hours' | 'stats'> {
  const hours = [...base.hours];
  for (let h = 0; h < 24; h++) if ((w.hours >>> h) & 1) hours[h] = (hours[h] ?? 0) + 1;
  const stats: Record<string, RunningStat> = { ...base.stats };
  for (const [name, x] of Object.entries(features))
    if (Number.isFinite(x)) stats[name] = welford(stats[name], x);
  return {
    windows: base.windows + 1,
    firstSeen: base.firstSeen === null ? w.start : Math.min(base.firstSeen, w.start),
    lastSeen: base.lastSeen === null ? w.end : Math.max(base.lastSeen, w.end),
    hours,
    stats,
  };
}
