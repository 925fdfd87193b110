/**
 * The correlation engine: stateful evaluation of Sigma correlation rules over base-rule matches
 * in event-time order (`sigma-correlation-rules-specification.md` v2.1.0, "Correlation Types";
 * semantics in docs/correlation.md).
 *
 * Per correlation and group-by key it keeps a sliding window of the last `timespan` of matches
 * (inclusive bounds). Each arriving match is evaluated over the window that ends at it; when the
 * condition holds one alert fires at that match's time and the group's state is cleared.
 * Correlation alerts feed the correlations that reference them (chains).
 *
 * Pure: no clock, no I/O. Time only comes from the inputs, which must arrive in non-decreasing
 * time per group: an input older than its group's latest is counted as `late` and not
 * correlated (the service puts a bounded re-ordering buffer in front, `reorder.ts`; `vigil scan`
 * sorts). Groups of different sources may be at different times (a backfill beside live data).
 * Memory is bounded: at most `maxGroups` groups (at the bound, expired groups are dropped, then
 * the oldest group is shed) and `maxEventsPerGroup` matches per group (oldest shed first);
 * everything shed is counted. Groups whose window ran out are dropped every 4,096 inputs.
 */
import type { FieldValue, SigmaRule } from '../types.js';
import {
  addEntry,
  capEvents,
  type Entry,
  type Group,
  groupMetric,
  identity,
  type Item,
  newGroup,
  type Partial,
  removeOldest,
} from './group.js';
import { conditionHolds, numericValue, valueKey } from './metrics.js';
import type { CorrelationPlan } from './plan.js';
import { type CorrelationAlert, type CorrelationInput, METRIC_TYPES } from './types.js';

export interface CorrelatorOptions {
  /** Groups held across all correlations (default 100,000). */
  readonly maxGroups?: number;
  /** Matches held per group window (default 10,000). */
  readonly maxEventsPerGroup?: number;
}

/** Counters of the engine (monotonic except `groups` and `events`). */
export interface CorrelatorStats {
  /** Groups held now. */
  groups: number;
  /** Matches held now in group windows. */
  events: number;
  /** Inputs fed (base matches). */
  fed: number;
  /** Correlation alerts fired (chained ones included). */
  fired: number;
  /** Inputs older than their group's latest input (or without a time), not correlated. */
  late: number;
  /** Inputs without a value for a group-by field (not counted for that correlation). */
  missingGroup: number;
  /** Groups dropped because their window ran out (normal expiry). */
  expired: number;
  /** Groups shed because `maxGroups` was reached. */
  shedGroups: number;
  /** Matches shed from a window because `maxEventsPerGroup` was reached. */
  shedEvents: number;
}

/** A JSON-safe copy of the engine's state (for the service to persist). */
export interface CorrelatorSnapshot<R> {
  readonly version: 1;
  readonly maxTime: number | null;
  readonly stats: CorrelatorStats;
  readonly groups: readonly {
    readonly correlation: string;
    readonly key: string;
    readonly values: Record<string, FieldValue>;
    readonly last: number;
    readonly entries: readonly Entry<R>[];
    readonly steps: readonly (Partial<R> | null)[];
  }[];
}

/** Inputs between two sweeps of expired groups. */
const SWEEP_EVERY = 4096;

export class Correlator<R> {
  /** Per correlation: its groups by key, oldest first. */
  private readonly groups: Map<string, Group<R>>[];
  private maxTime = Number.NEGATIVE_INFINITY;
  private sweepIn = SWEEP_EVERY;
  /** Sweep periods so far; groups remember the period of their last update. */
  private epoch = 0;
  /** The sweep period of the last expiry scan made at `maxGroups`. */
  private shedScan = -1;
  /** Per correlation: the key of its most recently updated group (already last in its map). */
  private readonly lastKey: (string | undefined)[] = [];
  private readonly maxGroups: number;
  private readonly maxEvents: number;
  /** Per correlation and position: the group-by fields and condition fields read (aliases applied). */
  private readonly groupFields: (readonly string[])[][];
  private readonly valueFields: (readonly string[])[][];
  readonly stats: CorrelatorStats = {
    groups: 0,
    events: 0,
    fed: 0,
    fired: 0,
    late: 0,
    missingGroup: 0,
    expired: 0,
    shedGroups: 0,
    shedEvents: 0,
  };

  constructor(
    readonly plan: CorrelationPlan,
    options: CorrelatorOptions = {},
  ) {
    this.maxGroups = Math.max(1, options.maxGroups ?? 100_000);
    this.maxEvents = Math.max(1, options.maxEventsPerGroup ?? 10_000);
    this.groups = plan.correlations.map(() => new Map<string, Group<R>>());
    this.groupFields = plan.correlations.map((c, ci) =>
      c.rules.map((_r, step) => c.groupBy.map((f) => plan.fieldAt(ci, step, f))),
    );
    this.valueFields = plan.correlations.map((c, ci) =>
      c.rules.map((_r, step) => c.condition.fields.map((f) => plan.fieldAt(ci, step, f))),
    );
  }

  /** Latest input time fed (ms), or undefined before the first. */
  get watermark(): number | undefined {
    return Number.isFinite(this.maxTime) ? this.maxTime : undefined;
  }

  /**
   * Feeds one event's match of one or more base rules (all the rules the event matched: it
   * counts once per correlation).
   * @param rules - the matching rule(s) (resolved by id or name)
   * @returns the correlation alerts it completed (chained ones after the alerts they consume)
   */
  feed(
    rules: Pick<SigmaRule, 'id' | 'name'> | readonly Pick<SigmaRule, 'id' | 'name'>[],
    input: CorrelationInput<R>,
  ): CorrelationAlert<R>[] {
    const consumers = Array.isArray(rules)
      ? this.plan.consumersOfRules(rules)
      : this.plan.consumersOf(rules as Pick<SigmaRule, 'id' | 'name'>);
    if (consumers.length === 0) return [];
    this.stats.fed++;
    if (Number.isNaN(input.time)) {
      this.stats.late++;
      return [];
    }
    if (input.time > this.maxTime) this.maxTime = input.time;
    if (--this.sweepIn <= 0) {
      this.sweepIn = SWEEP_EVERY;
      this.epoch++;
      this.expire(this.maxTime, true);
    }
    const out: CorrelationAlert<R>[] = [];
    const item: Item<R> = { time: input.time, fields: input.fields, events: [input.ref], omitted: 0 };
    let previous = -1;
    for (const { correlation, step } of consumers) {
      // An event matching several referenced rules counts once (its latest-listed rule), except
      // in a sequence, where it may start one while completing another.
      const c = this.plan.correlations[correlation]!;
      if (correlation === previous && c.type !== 'temporal_ordered') continue;
      previous = correlation;
      this.consume(correlation, step, item, out);
    }
    return out;
  }

  /**
   * Drops every group whose window ran out at `now` (ms); returns how many.
   * @param idleOnly - only groups not updated during the last two sweep periods (a source whose
   *   clock is behind the others keeps its groups while its matches keep coming)
   */
  expire(now: number, idleOnly = false): number {
    let n = 0;
    for (const map of this.groups)
      for (const [k, g] of map) {
        if (this.expired(g, now) && (!idleOnly || g.epoch < this.epoch - 1)) {
          this.drop(k, g);
          this.stats.expired++;
          n++;
        }
      }
    return n;
  }

  private expired(g: Group<R>, now: number): boolean {
    return g.last < now - this.plan.correlations[g.ci]!.timespanMs;
  }

  private drop(k: string, g: Group<R>): void {
    this.groups[g.ci]!.delete(k);
    this.stats.groups--;
    this.stats.events -= g.entries.length - g.head;
  }

  private group(ci: number, step: number, item: Item<R>): { k: string; g: Group<R> } | undefined {
    const c = this.plan.correlations[ci]!;
    // A later step of a sequence with nothing before it starts nothing (no group for every login).
    const lookupOnly = c.type === 'temporal_ordered' && step > 0;
    const names = this.groupFields[ci]![step]!;
    // One group-by field (the usual case) keys by its text; several by their JSON list.
    let key: string;
    if (names.length === 1) {
      const v = item.fields[names[0]!];
      if (v === undefined || v === null || v === '') {
        this.stats.missingGroup++;
        return undefined;
      }
      key = valueKey(v);
    } else {
      const keys: string[] = [];
      for (const name of names) {
        const v = item.fields[name];
        if (v === undefined || v === null || v === '') {
          this.stats.missingGroup++;
          return undefined;
        }
        keys.push(valueKey(v));
      }
      key = JSON.stringify(keys);
    }
    const k = key;
    const map = this.groups[ci]!;
    let g = map.get(k);
    if (g) {
      // Least recently updated first: move the group to the end (unless it is already there).
      if (this.lastKey[ci] !== k) {
        map.delete(k);
        map.set(k, g);
        this.lastKey[ci] = k;
      }
    } else {
      if (lookupOnly) return undefined;
      if (this.stats.groups >= this.maxGroups) {
        // Idle expired groups go first (one scan per sweep period); then the least recently
        // updated group of the correlation holding the most.
        if (this.shedScan !== this.epoch) {
          this.shedScan = this.epoch;
          this.expire(this.maxTime, true);
        }
        if (this.stats.groups >= this.maxGroups) {
          let biggest = map;
          for (const m of this.groups) if (m.size > biggest.size) biggest = m;
          const [oldKey, old] = biggest.entries().next().value as [string, Group<R>];
          this.drop(oldKey, old);
          this.stats.shedGroups++;
        }
      }
      const values: Record<string, FieldValue> = {};
      c.groupBy.forEach((name, i) => (values[name] = item.fields[names[i]!]!));
      g = newGroup<R>(ci, key, values, item.time, this.epoch, c.rules.length);
      this.stats.groups++;
      map.set(k, g);
      this.lastKey[ci] = k;
    }
    return { k, g };
  }

  private evictOldest(g: Group<R>): void {
    removeOldest(g);
    this.stats.events--;
  }

  private consume(ci: number, step: number, item: Item<R>, out: CorrelationAlert<R>[]): void {
    const c = this.plan.correlations[ci]!;
    const found = this.group(ci, step, item);
    if (!found) return;
    const { k, g } = found;
    // Time must not go back within a group (a source whose clock is behind others is fine).
    if (item.time < g.last) {
      this.stats.late++;
      return;
    }
    g.last = item.time;
    g.epoch = this.epoch;
    const minT = item.time - c.timespanMs;
    if (c.type === 'temporal_ordered') {
      this.consumeOrdered(ci, step, item, k, g, minT, out);
      return;
    }
    while (g.head < g.entries.length && g.entries[g.head]!.t < minT) this.evictOldest(g);
    let value: string | number | undefined;
    const fields = this.valueFields[ci]![step]!;
    if (c.type === 'value_count') {
      const parts: string[] = [];
      for (const f of fields) {
        const v = item.fields[f];
        if (v === undefined || v === null || v === '') break;
        parts.push(valueKey(v));
      }
      if (parts.length === fields.length) value = parts.length === 1 ? parts[0]! : JSON.stringify(parts);
    } else if (METRIC_TYPES.has(c.type)) {
      value = numericValue(item.fields[fields[0]!]);
    }
    addEntry(g, { t: item.time, step, value, events: item.events, omitted: item.omitted });
    this.stats.events++;
    while (g.entries.length - g.head > this.maxEvents) {
      this.evictOldest(g);
      this.stats.shedEvents++;
    }
    const metric = groupMetric(c, g);
    if (!conditionHolds(c.condition, metric)) return;
    const live = g.entries.slice(g.head);
    const { events, omitted } = capEvents(
      live.map((e) => e.events),
      live.reduce((n, e) => n + e.omitted, 0),
    );
    this.drop(k, g);
    this.fire(ci, g.values, metric, live[0]!.t, item, events, omitted, out);
  }

  private consumeOrdered(
    ci: number,
    step: number,
    item: Item<R>,
    k: string,
    g: Group<R>,
    minT: number,
    out: CorrelationAlert<R>[],
  ): void {
    const n = this.plan.correlations[ci]!.rules.length;
    for (let i = 0; i < g.steps.length; i++)
      if (g.steps[i] && g.steps[i]!.start < minT) g.steps[i] = undefined;
    if (step === 0) {
      g.steps[0] = { start: item.time, events: item.events, omitted: item.omitted };
      return;
    }
    const prev = g.steps[step - 1];
    if (!prev) return;
    const { events, omitted } = capEvents([prev.events, item.events], prev.omitted + item.omitted);
    if (step === n - 1) {
      this.drop(k, g);
      this.fire(ci, g.values, n, prev.start, item, events, omitted, out);
      return;
    }
    const cur = g.steps[step];
    if (!cur || cur.start <= prev.start) g.steps[step] = { start: prev.start, events, omitted };
  }

  private fire(
    ci: number,
    group: Readonly<Record<string, FieldValue>>,
    value: number,
    start: number,
    last: Item<R>,
    events: R[],
    omitted: number,
    out: CorrelationAlert<R>[],
  ): void {
    const correlation = this.plan.correlations[ci]!;
    const fields = { ...last.fields, ...group };
    out.push({
      correlation,
      time: last.time,
      group,
      value,
      window: { start, end: last.time },
      events,
      omittedEvents: omitted,
      fields,
    });
    this.stats.fired++;
    const item: Item<R> = { time: last.time, fields, events, omitted };
    for (const { correlation: o, step } of this.plan.consumersOfCorrelation(ci))
      this.consume(o, step, item, out);
  }

  /** The state as JSON-safe data (evidence references must be JSON-safe). */
  snapshot(): CorrelatorSnapshot<R> {
    return {
      version: 1,
      maxTime: Number.isFinite(this.maxTime) ? this.maxTime : null,
      stats: { ...this.stats },
      groups: this.groups
        .flatMap((m) => [...m.values()])
        .map((g) => ({
          correlation: identity(this.plan.correlations[g.ci]!),
          key: g.key,
          values: { ...g.values },
          last: g.last,
          entries: g.entries.slice(g.head),
          steps: g.steps.map((s) => s ?? null),
        })),
    };
  }

  /**
   * Loads a snapshot taken by {@link snapshot}, into an empty engine. Groups of correlations the
   * current plan no longer has are left out.
   * @returns the number of groups left out
   */
  restore(snapshot: CorrelatorSnapshot<R>): number {
    const byIdentity = new Map(this.plan.correlations.map((c, i) => [identity(c), i]));
    let dropped = 0;
    Object.assign(this.stats, snapshot.stats, { groups: 0, events: 0 });
    this.maxTime = snapshot.maxTime ?? Number.NEGATIVE_INFINITY;
    for (const s of snapshot.groups) {
      const ci = byIdentity.get(s.correlation);
      const c = ci === undefined ? undefined : this.plan.correlations[ci];
      if (ci === undefined || !c) {
        dropped++;
        continue;
      }
      const g = newGroup<R>(ci, s.key, s.values, s.last, this.epoch, c.rules.length);
      g.steps = s.steps.map((x) => x ?? undefined);
      for (const e of s.entries) if (e.step < c.rules.length) addEntry(g, e);
      this.groups[ci]!.set(s.key, g);
      this.stats.groups++;
      this.stats.events += g.entries.length;
    }
    return dropped;
  }
}
