/**
 * The comparisons and aggregates of correlation conditions (spec "Condition"; metric types of
 * v2.1).
 */
import type { FieldValue } from '../types.js';
import type { CorrelationCondition } from './types.js';

/** True when `value` satisfies every comparison (they are linked by AND). NaN satisfies none. */
export function conditionHolds(condition: CorrelationCondition, value: number): boolean {
  if (Number.isNaN(value)) return false;
  for (const { op, value: v } of condition.comparisons) {
    switch (op) {
      case 'gt':
        if (!(value > v)) return false;
        break;
      case 'gte':
        if (!(value >= v)) return false;
        break;
      case 'lt':
        if (!(value < v)) return false;
        break;
      case 'lte':
        if (!(value <= v)) return false;
        break;
      case 'eq':
        if (value !== v) return false;
        break;
      case 'neq':
        if (value === v) return false;
        break;
    }
  }
  return true;
}

/** A number from a field value: numbers, bigints and numeric strings; otherwise undefined. */
export function numericValue(v: FieldValue | undefined): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'string' && v.trim() !== '') {
    const n = Number(v);
    return Number.isFinite(n) ? n : undefined;
  }
  return undefined;
}

/**
 * The p-th percentile (0–100) of `values` by linear interpolation between closest ranks
 * (Hyndman & Fan 1996, definition 7: NumPy's and Elasticsearch's exact default). Sorts `values`
 * in place. NaN for an empty list.
 */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  values.sort((a, b) => a - b);
  const h = (values.length - 1) * (p / 100);
  const lo = Math.floor(h);
  const hi = Math.ceil(h);
  return values[lo]! + (h - lo) * (values[hi]! - values[lo]!);
}

/** The text a value is compared by in `value_count` and group keys (strings as they are). */
export function valueKey(v: FieldValue): string {
  return typeof v === 'string' ? v : typeof v === 'bigint' ? v.toString() : JSON.stringify(v);
}
