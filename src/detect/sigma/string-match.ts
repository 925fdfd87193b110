/**
 * Compiles Sigma string patterns (literals with `*` and `?` wildcards) into matchers.
 *
 * The common shapes compile to one native string operation: `lit` → `===`, `lit*` →
 * `startsWith`, `*lit` → `endsWith`, `*lit*` → `includes`. Anything else runs a glob matcher:
 * the first and last literal segments are anchored, the middle ones are found left to right
 * (greedy leftmost is exact for `*`), and `?` matches one UTF-16 code unit. Case-insensitive
 * patterns are lower-cased once here; the caller passes lower-cased input.
 */
import { foldCase } from './case-fold.js';
import { QMARK, type SigmaString, STAR } from './sigma-string.js';

/** The shape a pattern compiled to; the rule index reads it to find required literals. */
export type PatternShape =
  | { readonly op: 'equals' | 'startswith' | 'endswith' | 'contains'; readonly text: string }
  | { readonly op: 'any' }
  | { readonly op: 'glob'; readonly literals: readonly string[] };

export interface StringMatcher {
  readonly shape: PatternShape;
  test(input: string): boolean;
}

/** A literal run in which `?` positions are marked. */
interface Segment {
  readonly text: string;
  /** Indexes of `?` in `text` (those chars are placeholders), or null when none. */
  readonly any: readonly boolean[] | null;
}

function segmentAt(input: string, at: number, seg: Segment): boolean {
  if (at < 0 || at + seg.text.length > input.length) return false;
  if (seg.any === null) return input.startsWith(seg.text, at);
  for (let i = 0; i < seg.text.length; i++) {
    if (!seg.any[i] && input.charCodeAt(at + i) !== seg.text.charCodeAt(i)) return false;
  }
  return true;
}

function findSegment(input: string, from: number, to: number, seg: Segment): number {
  if (seg.any === null) {
    const i = input.indexOf(seg.text, from);
    return i >= 0 && i + seg.text.length <= to ? i : -1;
  }
  for (let i = from; i + seg.text.length <= to; i++) if (segmentAt(input, i, seg)) return i;
  return -1;
}

function buildSegments(parts: readonly (string | typeof STAR | typeof QMARK)[]): {
  segments: Segment[];
  leadingStar: boolean;
  trailingStar: boolean;
} {
  const segments: Segment[] = [];
  let text = '';
  let any: boolean[] = [];
  let hasAny = false;
  const flush = (): void => {
    segments.push({ text, any: hasAny ? any : null });
    text = '';
    any = [];
    hasAny = false;
  };
  for (const p of parts) {
    if (p === STAR) flush();
    else if (p === QMARK) {
      text += '?';
      any.push(true);
      hasAny = true;
    } else {
      text += p;
      for (let i = 0; i < p.length; i++) any.push(false);
    }
  }
  flush();
  return { segments, leadingStar: parts[0] === STAR, trailingStar: parts[parts.length - 1] === STAR };
}

const SURROGATE = /[\uD800-\uDFFF]/;

/**
 * Glob match over code points, for inputs with surrogate pairs when the pattern has `?` (which
 * stands for one character, not one UTF-16 code unit). Same algorithm as {@link globMatcher}.
 */
function globByCodePoint(parts: readonly (string | typeof STAR | typeof QMARK)[], input: string): boolean {
  type Seg = (string | null)[];
  const segs: Seg[] = [[]];
  for (const p of parts) {
    if (p === STAR) segs.push([]);
    else if (p === QMARK) segs[segs.length - 1]!.push(null);
    else segs[segs.length - 1]!.push(...Array.from(p));
  }
  const chars = Array.from(input);
  const at = (i: number, seg: Seg): boolean => {
    if (i < 0 || i + seg.length > chars.length) return false;
    for (let k = 0; k < seg.length; k++) if (seg[k] !== null && seg[k] !== chars[i + k]) return false;
    return true;
  };
  const first = segs[0]!;
  const last = segs[segs.length - 1]!;
  if (segs.length === 1) return chars.length === first.length && at(0, first);
  if (chars.length < first.length + last.length || !at(0, first)) return false;
  const end = chars.length - last.length;
  if (!at(end, last)) return false;
  let pos = first.length;
  for (const seg of segs.slice(1, -1)) {
    if (seg.length === 0) continue;
    let found = -1;
    for (let i = pos; i + seg.length <= end; i++) {
      if (at(i, seg)) {
        found = i;
        break;
      }
    }
    if (found < 0) return false;
    pos = found + seg.length;
  }
  return true;
}

function globMatcher(parts: readonly (string | typeof STAR | typeof QMARK)[]): (input: string) => boolean {
  const units = globByCodeUnit(parts);
  if (!parts.includes(QMARK)) return units;
  return (input) => (SURROGATE.test(input) ? globByCodePoint(parts, input) : units(input));
}

function globByCodeUnit(parts: readonly (string | typeof STAR | typeof QMARK)[]): (input: string) => boolean {
  const { segments } = buildSegments(parts);
  // segments.length >= 1; with n stars there are n+1 segments (possibly empty at the ends).
  const first = segments[0]!;
  const last = segments[segments.length - 1]!;
  if (segments.length === 1) {
    return (input) => input.length === first.text.length && segmentAt(input, 0, first);
  }
  const middle = segments.slice(1, -1).filter((s) => s.text.length > 0);
  const minLength = first.text.length + last.text.length;
  return (input) => {
    if (input.length < minLength) return false;
    if (!segmentAt(input, 0, first)) return false;
    const end = input.length - last.text.length;
    if (!segmentAt(input, end, last)) return false;
    let pos = first.text.length;
    for (const seg of middle) {
      const at = findSegment(input, pos, end, seg);
      if (at < 0) return false;
      pos = at + seg.text.length;
    }
    return true;
  };
}

/**
 * Compiles a wildcard pattern.
 * @param s - the pattern, placeholders already resolved
 * @param cased - false for Sigma's default case-insensitive matching (input must be lower-cased)
 */
export function compileStringPattern(s: SigmaString, cased: boolean): StringMatcher {
  const parts = s.parts.map((p) => {
    if (typeof p === 'string') return cased ? p : foldCase(p);
    if (p === STAR || p === QMARK) return p;
    throw new TypeError('unresolved placeholder');
  });
  const literalOnly = parts.every((p) => typeof p === 'string');
  if (literalOnly) {
    const text = parts.join('');
    return { shape: { op: 'equals', text }, test: (input) => input === text };
  }
  if (parts.every((p) => p === STAR)) return { shape: { op: 'any' }, test: () => true };
  const inner = parts.filter((p) => p !== STAR);
  const lead = parts[0] === STAR;
  const trail = parts[parts.length - 1] === STAR;
  const innerStars = parts.slice(lead ? 1 : 0, trail ? -1 : undefined).some((p) => p === STAR);
  if (!innerStars && inner.every((p) => typeof p === 'string')) {
    const text = inner.join('');
    if (lead && trail) return { shape: { op: 'contains', text }, test: (input) => input.includes(text) };
    if (lead) return { shape: { op: 'endswith', text }, test: (input) => input.endsWith(text) };
    return { shape: { op: 'startswith', text }, test: (input) => input.startsWith(text) };
  }
  const literals = parts.filter((p): p is string => typeof p === 'string');
  return { shape: { op: 'glob', literals }, test: globMatcher(parts) };
}
