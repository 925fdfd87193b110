/**
 * When a column of a Drain cluster (a position where its messages differ) holds constants of
 * different templates rather than a variable. After Brain (Yu, He, Chen, Wang, Lyu, "Brain: Log
 * Parsing with Bidirectional Parallel Tree", IEEE TSC 2023, §III-C, child direction: a column with
 * fewer distinct values than a threshold is split into templates), with one threshold for every
 * source and three guards measured on Loghub-2k (docs/templates.md): upper-case state names may
 * be more, a number-only difference or a masked `key=value` makes a variable.
 *
 * Pure; no I/O.
 */
import { WILDCARD } from './masking.js';

/** A column value that may name a constant: a letter outside the masked spans. */
export function splittable(value: string): boolean {
  return /[A-Za-z]/.test(value.split(WILDCARD).join(''));
}

/**
 * True when two values are the same `key=` and one of them has its whole value masked
 * (`name=<*>,` beside `name=android,`): the key holds variables.
 */
function sameKeyMasked(a: string, b: string): boolean {
  const i = a.lastIndexOf('=');
  if (i < 0 || b.lastIndexOf('=') !== i || a.slice(0, i) !== b.slice(0, i)) return false;
  const masked = (v: string): boolean => /^["']?<\*>["']?[,;)\]}]*$/.test(v.slice(i + 1));
  return masked(a) || masked(b);
}

/** An upper-case word such as `RUNNING` or `CONTAINER_REMOTE_LAUNCH`: a state name, a constant. */
const ENUM = /^[A-Z][A-Z_]*[A-Z]$/;
/** Distinct upper-case words a column may hold and still split. */
const ENUM_LIMIT = 16;

/** The value with its digit runs replaced: `bglio716` and `bglio91` share `bglio#`. */
function skeleton(value: string): string {
  return value.replace(/\d+/g, '#');
}

/**
 * True when a new value keeps the column splitting: fewer than `k` values so far (or fewer than
 * {@link ENUM_LIMIT} upper-case words), the new one splittable, not a numbered variant of a value
 * there (`U01` beside `U11` is a variable) and not a masked variant of a `key=value` there.
 */
export function joins(column: ReadonlySet<string>, value: string, k: number): boolean {
  if (!splittable(value)) return false;
  if (
    column.size >= k &&
    !(column.size < ENUM_LIMIT && ENUM.test(value) && [...column].every((v) => ENUM.test(v)))
  )
    return false;
  const s = skeleton(value);
  for (const v of column) if (skeleton(v) === s || sameKeyMasked(v, value)) return false;
  return true;
}
