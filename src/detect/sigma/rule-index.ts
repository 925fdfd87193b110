/**
 * Rule routing: which rules an event can possibly match.
 *
 * Two levels, both decided at compile time and memoized per distinct event shape:
 * 1. logsource — a rule only sees events of its logsource (product, service, category; spec
 *    "LogSource" and the taxonomy appendix);
 * 2. a discriminating literal — when a rule's condition can only be true for certain `EventID`
 *    values (e.g. `selection: {EventID: 4625}` with `condition: selection and not filter`), the
 *    rule is filed under those values and skipped for every other event.
 */
import type { CompiledNode, CompiledRule } from './compile.js';
import { necessary } from './condition.js';
import type { EventLogSource, LogSource } from './types.js';

/** Field → allowed lower-case values that must hold for a condition to be true. */
type Requirements = Map<number, Set<string>>;

function intersectReq(a: Requirements | null, b: Requirements | null): Requirements | null {
  // AND: every requirement of either side holds; values of a shared field intersect.
  if (a === null) return b;
  if (b === null) return a;
  const out: Requirements = new Map(a);
  for (const [f, vals] of b) {
    const prev = out.get(f);
    out.set(f, prev ? new Set([...prev].filter((v) => vals.has(v))) : vals);
  }
  return out;
}

function unionReq(list: (Requirements | null)[]): Requirements | null {
  // OR: only fields every branch requires stay required; their allowed values merge.
  if (list.length === 0 || list.some((r) => r === null)) return null;
  const [first, ...rest] = list as Requirements[];
  const out: Requirements = new Map();
  for (const [f, vals] of first!) {
    if (rest.every((r) => r.has(f))) {
      const merged = new Set(vals);
      for (const r of rest) for (const v of r.get(f)!) merged.add(v);
      out.set(f, merged);
    }
  }
  return out.size > 0 ? out : null;
}

function nodeReq(node: CompiledNode): Requirements | null {
  if (node.kind === 'item') {
    const { item } = node;
    if (item.fieldId === null || item.shapes === undefined || item.spec.cased) return null;
    if (item.spec.all && item.spec.values.length > 1) return null;
    if (item.shapes.length === 0 || item.shapes.some((s) => s.op !== 'equals')) return null;
    const values = new Set<string>();
    for (const s of item.shapes) if (s.op === 'equals') values.add(s.text);
    return new Map([[item.fieldId, values]]);
  }
  if (node.kind === 'and') return node.children.map(nodeReq).reduce(intersectReq, null);
  return unionReq(node.children.map(nodeReq));
}

/**
 * The lower-case values `field` must take for the rule to match, or `null` when the rule does
 * not constrain that field to fixed values.
 */
export function requiredValues(rule: CompiledRule, fieldId: number): ReadonlySet<string> | null {
  const ids = new Map<string, Requirements | null>();
  for (const [name, node] of rule.identifiers) ids.set(name, nodeReq(node));
  const req = unionReq(
    rule.conditions.map((c) =>
      necessary(
        c,
        (n) => ids.get(n) ?? null,
        (parts) => parts.reduce(intersectReq, null),
        unionReq,
      ),
    ),
  );
  return req?.get(fieldId) ?? null;
}

/** True when a rule's logsource admits an event's logsource. */
export function logsourceMatches(rule: LogSource, event: EventLogSource): boolean {
  if (rule.product !== undefined && rule.product !== event.product) return false;
  if (rule.service !== undefined && !event.services.includes(rule.service)) return false;
  if (rule.category !== undefined && !event.categories.includes(rule.category)) return false;
  return true;
}

/** Rules of one logsource, split by the `EventID` values they require. */
export interface Route<R> {
  readonly any: readonly R[];
  readonly byValue: ReadonlyMap<string, readonly R[]>;
  /** Memo of `any ∪ byValue[v]` per value seen. */
  readonly merged: Map<string, readonly R[]>;
}

/** Max distinct values memoized per route; beyond it candidate lists are merged per event. */
export const ROUTE_MEMO_LIMIT = 10_000;

export function buildRoute<R extends { readonly index: number }>(
  rules: readonly R[],
  required: (rule: R) => ReadonlySet<string> | null,
): Route<R> {
  const any: R[] = [];
  const byValue = new Map<string, R[]>();
  for (const r of rules) {
    const values = required(r);
    if (values === null || values.size === 0) {
      any.push(r);
      continue;
    }
    for (const v of values) {
      const list = byValue.get(v);
      if (list) list.push(r);
      else byValue.set(v, [r]);
    }
  }
  return { any, byValue, merged: new Map() };
}

/** Candidates of a route for one discriminating value, in rule order. */
export function candidates<R extends { readonly index: number }>(
  route: Route<R>,
  value: string | undefined,
): readonly R[] {
  if (value === undefined) return route.any;
  const memo = route.merged.get(value);
  if (memo) return memo;
  const specific = route.byValue.get(value);
  if (!specific) return route.any;
  const merged = [...route.any, ...specific].sort((a, b) => a.index - b.index);
  if (route.merged.size < ROUTE_MEMO_LIMIT) route.merged.set(value, merged);
  return merged;
}
