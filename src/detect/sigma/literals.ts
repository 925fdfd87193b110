/**
 * Necessary literals of a rule: strings at least one of which occurs (case-folded) in some value
 * of every event the rule matches. A pre-filter can then skip an event — even before parsing it —
 * when none of a rule's literals occurs in its raw text.
 *
 * Derived from the compiled condition: an item contributes the literal parts of its string
 * patterns (OR over values: all of them are needed; `all`: any one value's); `and` and `x of all`
 * take the most selective child; `or`, `1 of` and several conditions take the union; `not`,
 * regexes, numeric, CIDR, `null`, `exists`, `fieldref` and `neq` give no guarantee (`null`).
 */
import type { CompiledNode, CompiledRule } from './compile.js';
import { necessary } from './condition.js';
import type { PatternShape } from './string-match.js';

/** A set of alternatives (any one suffices), or null for "no guarantee". */
type LiteralSet = readonly string[] | null;

/**
 * How selective a set is: the shortest literal's length, then fewer alternatives. Longer literals
 * are rarer in logs.
 */
function score(set: readonly string[]): number {
  let min = Number.POSITIVE_INFINITY;
  for (const s of set) min = Math.min(min, s.length);
  return min * 1000 - Math.min(set.length, 999);
}

function best(sets: LiteralSet[]): LiteralSet {
  let out: LiteralSet = null;
  for (const s of sets) if (s !== null && (out === null || score(s) > score(out))) out = s;
  return out;
}

function union(sets: LiteralSet[]): LiteralSet {
  if (sets.length === 0 || sets.some((s) => s === null)) return null;
  return [...new Set((sets as (readonly string[])[]).flat())];
}

function shapeLiteral(shape: PatternShape, minLength: number): string | null {
  if (shape.op === 'any') return null;
  const text =
    shape.op === 'glob' ? shape.literals.reduce((a, b) => (b.length > a.length ? b : a), '') : shape.text;
  return text.length >= minLength ? text : null;
}

function nodeLiterals(node: CompiledNode, minLength: number): LiteralSet {
  if (node.kind !== 'item') {
    const sets = node.children.map((c) => nodeLiterals(c, minLength));
    return node.kind === 'and' ? best(sets) : union(sets);
  }
  const { item } = node;
  if (item.shapes === undefined || item.spec.neq || item.spec.timePart !== undefined) return null;
  // One set per rule value (its alternatives, e.g. windash variants, are OR-ed). `shapes` holds
  // one shape per string operand, values flattened in order.
  let next = 0;
  const perValue: LiteralSet[] = item.spec.values.map((alternatives) => {
    const lits: string[] = [];
    let ok = true;
    for (const o of alternatives) {
      const shape = item.shapes![next++];
      const lit = o.kind === 'string' && shape !== undefined ? shapeLiteral(shape, minLength) : null;
      if (lit === null) ok = false;
      else lits.push(lit);
    }
    return ok ? lits : null;
  });
  return item.spec.all ? best(perValue) : union(perValue);
}

/**
 * The rule's necessary literals (case-folded as the engine compares them), or `null` when the
 * rule can match an event without any particular text in it.
 * @param minLength - shorter literals do not count (they filter nothing)
 */
export function requiredLiterals(rule: CompiledRule, minLength = 3): readonly string[] | null {
  const ids = new Map<string, LiteralSet>();
  for (const [name, node] of rule.identifiers) ids.set(name, nodeLiterals(node, minLength));
  return union(rule.conditions.map((c) => necessary(c, (n) => ids.get(n) ?? null, best, union)));
}
