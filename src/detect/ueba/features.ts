/**
 * The UEBA behaviour features of one entity window, with their definitions and ECS sources
 * (`docs/ueba.md`, Features). One implementation, used by the detection stage when a window closes
 * and by training over stored events. Pure. Every value is a number; NaN means unknown (no
 * authentication in the window for a ratio, no geography, no byte counts, no processes).
 */
import type { Baseline } from './baseline.js';
import type { EntityType } from './entities.js';
import type { EntityWindow } from './window.js';

export interface FeatureDefinition {
  /** Feature (model column) name. */
  readonly name: string;
  /** Entity types that have it. */
  readonly entities: readonly EntityType[];
  readonly description: string;
  /** ECS fields it is computed from. */
  readonly sources: readonly string[];
  /** Smallest meaningful spread, in the feature's unit (the floor of the z-score's deviation). */
  readonly floor: number;
  /**
   * How the model reads it: `log1p` for counts and bytes (heavy-tailed: on a raw scale the
   * forest's uniform split points would rarely fall between 0 and a moderate outlier once one
   * window has hundreds), `linear` for ratios, flags and rarities (already logarithmic).
   */
  readonly scale: 'log1p' | 'linear';
}

const ALL: readonly EntityType[] = ['user', 'host', 'ip'];

/** Every UEBA feature, in model column order. */
export const FEATURES: readonly FeatureDefinition[] = [
  {
    name: 'events',
    entities: ALL,
    description: 'events naming the entity in the window',
    sources: ['user.name', 'host.name', 'source.ip'],
    floor: 1,
    scale: 'log1p',
  },
  {
    name: 'logon_attempts',
    entities: ALL,
    description: 'authentication events: successes, failures and attempts without an outcome',
    sources: ['event.category', 'event.outcome', 'event.code'],
    floor: 1,
    scale: 'log1p',
  },
  {
    name: 'logon_failures',
    entities: ALL,
    description: 'authentication events with a failure outcome',
    sources: ['event.category', 'event.outcome', 'event.code'],
    floor: 1,
    scale: 'log1p',
  },
  {
    name: 'failure_ratio',
    entities: ALL,
    description: 'logon_failures / logon_attempts (unknown without attempts)',
    sources: ['event.category', 'event.outcome', 'event.code'],
    floor: 0.1,
    scale: 'linear',
  },
  {
    name: 'distinct_users',
    entities: ['host', 'ip'],
    description: 'distinct user names (service identities and machine accounts excluded)',
    sources: ['user.name'],
    floor: 1,
    scale: 'log1p',
  },
  {
    name: 'distinct_sources',
    entities: ['user', 'host'],
    description: 'distinct source addresses',
    sources: ['source.ip'],
    floor: 1,
    scale: 'log1p',
  },
  {
    name: 'distinct_destinations',
    entities: ['user', 'ip'],
    description: 'distinct hosts logged on to or reporting the entity, and destination addresses',
    sources: ['host.name', 'destination.ip'],
    floor: 1,
    scale: 'log1p',
  },
  {
    name: 'new_country',
    entities: ['user', 'host'],
    description: '1 when a source country is not in the baseline, 0 when all are (unknown without geo data)',
    sources: ['source.geo.country_iso_code'],
    floor: 0.1,
    scale: 'linear',
  },
  {
    name: 'new_asn',
    entities: ['user', 'host'],
    description:
      '1 when a source autonomous system is not in the baseline, 0 when all are (unknown without AS data)',
    sources: ['source.as.number'],
    floor: 0.1,
    scale: 'linear',
  },
  {
    name: 'hour_rarity',
    entities: ALL,
    description:
      "mean −ln p(hour) over the window's active UTC hours, p the entity's hour-of-day activity frequency smoothed towards its type's",
    sources: ['@timestamp'],
    floor: 0.25,
    scale: 'linear',
  },
  {
    name: 'bytes_out',
    entities: ALL,
    description: 'bytes sent by the source (unknown when no event carried a byte count)',
    sources: ['source.bytes', 'network.bytes'],
    floor: 1024,
    scale: 'log1p',
  },
  {
    name: 'process_rarity',
    entities: ['user', 'host'],
    description: 'mean −ln p(process) over started processes, p the global frequency of the process name',
    sources: ['process.executable', 'process.name'],
    floor: 0.25,
    scale: 'linear',
  },
  {
    name: 'new_processes',
    entities: ['user', 'host'],
    description: "distinct started process names not in the entity's baseline",
    sources: ['process.executable', 'process.name'],
    floor: 1,
    scale: 'log1p',
  },
  {
    name: 'distinct_templates',
    entities: ['host'],
    description: 'distinct log templates of lines no decoder knew (unknown when there were none)',
    sources: ['vigil.template.id'],
    floor: 1,
    scale: 'log1p',
  },
];

const BY_NAME = new Map(FEATURES.map((f) => [f.name, f]));

/** A feature's definition, or undefined for a name UEBA does not compute. */
export function featureDefinition(name: string): FeatureDefinition | undefined {
  return BY_NAME.get(name);
}

/** The feature names of an entity type, in model column order. */
export const ENTITY_FEATURES: Readonly<Record<EntityType, readonly string[]>> = {
  user: FEATURES.filter((f) => f.entities.includes('user')).map((f) => f.name),
  host: FEATURES.filter((f) => f.entities.includes('host')).map((f) => f.name),
  ip: FEATURES.filter((f) => f.entities.includes('ip')).map((f) => f.name),
};

/**
 * The values a model reads for a window's features: `log1p` features as ln(1 + x), the others
 * unchanged (NaN stays NaN). Feature values are recorded and explained in their own units; only
 * the model sees this scale (`MODEL_INPUT` names it in model files).
 */
export function modelInput(features: Readonly<Record<string, number>>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, x] of Object.entries(features))
    out[name] = BY_NAME.get(name)?.scale === 'log1p' ? Math.log1p(x) : x;
  return out;
}

/** The input scaling of {@link modelInput}, stored in model files' parameters. */
export const MODEL_INPUT = 'ueba-log1p-counts-v1';

/** Global counts of started process names (the process rarity reference). */
export interface ProcessFrequency {
  /** Process starts counted. */
  readonly total: number;
  /** Starts of this lower-case file name. */
  count(name: string): number;
}

/**
 * −ln of a process name's estimated frequency: the Krichevsky–Trofimov estimate
 * `(count + ½) / (total + 1)` (Krichevsky, Trofimov, IEEE Trans. Inf. Theory 27(2), 1981), which
 * gives a name never seen a finite rarity of ln(2·total + 2).
 */
export function processRarity(count: number, total: number): number {
  return -Math.log((count + 0.5) / (total + 1));
}

/** Pseudo-windows of the population's hour profile mixed into an entity's own (the prior's weight). */
export const HOUR_PRIOR_WINDOWS = 4;

/**
 * Mean over the UTC hours of day active in the window (bit h of `mask`) of −ln p(h), where p is
 * the entity's hour-of-day activity frequency smoothed towards its type's population profile:
 * `p(h) = (E[h] + α·q(h)) / (ΣE + α)`, `q(h) = (P[h] + 1) / (ΣP + 24)` (Laplace), α =
 * {@link HOUR_PRIOR_WINDOWS}; E and P count windows active in each hour. A new entity is judged by
 * its population's hours (3 am is rare where everyone works 9 to 5), an established one by its own;
 * with no history at all every hour gives ln 24 ≈ 3.18.
 * @returns NaN when no hour is active
 */
export function hourRarity(
  mask: number,
  entityHours: readonly number[] | undefined,
  populationHours?: readonly number[],
): number {
  let e = 0;
  let p = 0;
  for (let h = 0; h < 24; h++) {
    e += entityHours?.[h] ?? 0;
    p += populationHours?.[h] ?? 0;
  }
  let sum = 0;
  let k = 0;
  for (let h = 0; h < 24; h++) {
    if (((mask >>> h) & 1) === 0) continue;
    const q = ((populationHours?.[h] ?? 0) + 1) / (p + 24);
    sum -= Math.log(((entityHours?.[h] ?? 0) + HOUR_PRIOR_WINDOWS * q) / (e + HOUR_PRIOR_WINDOWS));
    k++;
  }
  return k === 0 ? NaN : sum / k;
}

function newValue(seen: ReadonlySet<string>, known: readonly string[] | undefined): number {
  if (seen.size === 0) return NaN;
  if (!known || known.length === 0) return 1;
  const k = new Set(known);
  for (const v of seen) if (!k.has(v)) return 1;
  return 0;
}

/**
 * The features of a closed window, compared with the entity's baseline before this window.
 * @param baseline - the entity's baseline (undefined: a new entity)
 * @param population - the entity type's population baseline (its hour-of-day profile)
 * @param processes - global process name counts before this window
 * @returns feature name → value (NaN = unknown), the entity type's features only
 */
export function windowFeatures(
  w: EntityWindow,
  baseline: Baseline | undefined,
  population: Baseline | undefined,
  processes: ProcessFrequency,
): Record<string, number> {
  const all: Record<string, number> = {
    events: w.events,
    logon_attempts: w.attempts,
    logon_failures: w.failures,
    failure_ratio: w.attempts > 0 ? w.failures / w.attempts : NaN,
    distinct_users: w.users.size,
    distinct_sources: w.sources.size,
    distinct_destinations: w.destinations.size,
    new_country: newValue(w.countries, baseline?.countries),
    new_asn: newValue(w.asns, baseline?.asns),
    hour_rarity: hourRarity(w.hours, baseline?.hours, population?.hours),
    bytes_out: w.bytesEvents > 0 ? w.bytesOut : NaN,
    process_rarity: NaN,
    new_processes: NaN,
    distinct_templates: w.templates.size > 0 ? w.templates.size : NaN,
  };
  if (w.processStarts > 0) {
    let sum = w.otherProcesses * processRarity(0, processes.total);
    for (const [name, n] of w.processes) sum += n * processRarity(processes.count(name), processes.total);
    all.process_rarity = sum / w.processStarts;
    const known = new Set(baseline?.processes ?? []);
    let fresh = 0;
    for (const name of w.processes.keys()) if (!known.has(name)) fresh++;
    all.new_processes = fresh;
  }
  const out: Record<string, number> = {};
  for (const name of ENTITY_FEATURES[w.type]) out[name] = all[name]!;
  return out;
}
