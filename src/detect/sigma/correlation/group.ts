/**
 * The state of one correlation group (one group-by key of one correlation) and its aggregates,
 * kept incrementally as matches enter and leave the window (see engine.ts).
 */
import type { FieldValue } from '../types.js';
import { percentile } from './metrics.js';
import { MAX_ALERT_EVENTS, type SigmaCorrelation } from './types.js';

/** What moves through the engine: a base match or a correlation alert, with its evidence. */
export interface Item<R> {
  readonly time: number;
  readonly fields: Readonly<Record<string, FieldValue>>;
  readonly events: readonly R[];
  readonly omitted: number;
}

export interface Entry<R> {
  readonly t: number;
  readonly step: number;
  /** value_count: the value's key; metric types: the number; otherwise undefined. */
  readonly value: string | number | undefined;
  readonly events: readonly R[];
  readonly omitted: number;
}

export interface Partial<R> {
  readonly start: number;
  readonly events: readonly R[];
  readonly omitted: number;
}

export interface Group<R> {
  readonly ci: number;
  readonly key: string;
  readonly values: Readonly<Record<string, FieldValue>>;
  entries: Entry<R>[];
  head: number;
  last: number;
  /** Sweep period of the last update. */
  epoch: number;
  distinct: Map<string, number>;
  sum: number;
  numeric: number;
  ruleCounts: number[];
  /** temporal_ordered: the latest-starting partial sequence that reached each position. */
  steps: (Partial<R> | undefined)[];
}

/**
 * The correlation's identity in snapshots: id (else name, else title) and its definition, so
 * state saved under an edited correlation (other rules, order, grouping, condition, timespan) is
 * not read under the new one.
 */
export function identity(c: SigmaCorrelation): string {
  const definition = JSON.stringify([
    c.type,
    c.rules,
    c.groupBy,
    c.timespanMs,
    c.condition,
    [...c.aliases].map(([alias, m]) => [alias, [...m]]),
  ]);
  return `${c.id ?? c.name ?? c.title} ${definition}`;
}

/** The latest {@link MAX_ALERT_EVENTS} evidence references of `lists`, and how many were left out. */
export function capEvents<R>(
  lists: readonly (readonly R[])[],
  omitted: number,
): { events: R[]; omitted: number } {
  let total = omitted;
  for (const l of lists) total += l.length;
  const events: R[] = [];
  // The latest matches are kept: they are what completed the condition.
  for (let i = lists.length - 1; i >= 0 && events.length < MAX_ALERT_EVENTS; i--) {
    const l = lists[i]!;
    for (let j = l.length - 1; j >= 0 && events.length < MAX_ALERT_EVENTS; j--) events.push(l[j]!);
  }
  events.reverse();
  return { events, omitted: total - events.length };
}

/** An empty group. */
export function newGroup<R>(
  ci: number,
  key: string,
  values: Readonly<Record<string, FieldValue>>,
  last: number,
  epoch: number,
  ruleCount: number,
): Group<R> {
  return {
    ci,
    key,
    values,
    entries: [],
    head: 0,
    last,
    epoch,
    distinct: new Map(),
    sum: 0,
    numeric: 0,
    ruleCounts: new Array<number>(ruleCount).fill(0),
    steps: [],
  };
}

/** Appends a match to the window and updates the aggregates. */
export function addEntry<R>(g: Group<R>, e: Entry<R>): void {
  g.entries.push(e);
  g.ruleCounts[e.step]!++;
  if (typeof e.value === 'string') g.distinct.set(e.value, (g.distinct.get(e.value) ?? 0) + 1);
  else if (typeof e.value === 'number') {
    g.sum += e.value;
    g.numeric++;
  }
}

/** Removes the oldest match of the window and updates the aggregates. */
export function removeOldest<R>(g: Group<R>): void {
  const e = g.entries[g.head]!;
  g.head++;
  g.ruleCounts[e.step]!--;
  if (typeof e.value === 'string') {
    const n = g.distinct.get(e.value)! - 1;
    if (n === 0) g.distinct.delete(e.value);
    else g.distinct.set(e.value, n);
  } else if (typeof e.value === 'number') {
    g.sum -= e.value;
    g.numeric--;
  }
  if (g.head > 1024 && g.head * 2 > g.entries.length) {
    g.entries = g.entries.slice(g.head);
    g.head = 0;
  }
}

/** The correlation's metric over the group's window (NaN when undefined, e.g. an average of nothing). */
export function groupMetric<R>(c: SigmaCorrelation, g: Group<R>): number {
  switch (c.type) {
    case 'event_count':
      return g.entries.length - g.head;
    case 'value_count':
      return g.distinct.size;
    case 'temporal':
      return g.ruleCounts.filter((n) => n > 0).length;
    case 'value_sum':
      return g.sum;
    case 'value_avg':
      return g.numeric > 0 ? g.sum / g.numeric : Number.NaN;
    case 'value_percentile':
    case 'value_median': {
      const values: number[] = [];
      for (let i = g.head; i < g.entries.length; i++) {
        const v = g.entries[i]!.value;
        if (typeof v === 'number') values.push(v);
      }
      return percentile(values, c.condition.percentile ?? 50);
    }
    default:
      return Number.NaN;
  }
}
