/**
 * Resolves correlation rules against the loaded rules: references by `id` or `name` (spec,
 * "Related rules"), chains of correlations, cycles, `generate`, and the fields each referenced
 * rule's matches must carry (group-by fields through `aliases`, condition fields).
 */
import { ErrorCodes, errorMessage } from '../../../errors.js';
import type { Diagnostic, SigmaRule } from '../types.js';
import type { SigmaCorrelation } from './types.js';

/** What a correlation consumes at one position of its `rules` list. */
export type Target =
  | { readonly kind: 'rule'; readonly rule: SigmaRule }
  | { readonly kind: 'correlation'; readonly index: number };

/** A consumer of a rule's (or correlation's) matches: correlation index and position in its `rules`. */
export interface Consumer {
  readonly correlation: number;
  readonly step: number;
}

/** The rules of a correlation set, resolved. */
export interface CorrelationPlan {
  /** The correlations that resolved, in load order (indexes used by {@link Consumer}). */
  readonly correlations: readonly SigmaCorrelation[];
  /** Per correlation and position: what it consumes. */
  readonly targets: readonly (readonly Target[])[];
  /** Unresolved references, cycles, aliases on unknown rules. */
  readonly diagnostics: readonly Diagnostic[];
  /** Correlations consuming this base rule's matches (empty for a rule no correlation references). */
  consumersOf(rule: Pick<SigmaRule, 'id' | 'name'>): readonly Consumer[];
  /**
   * Correlations consuming the matches of an event that matched all these rules, in evaluation
   * order (outer correlations first, later positions first).
   */
  consumersOfRules(rules: readonly Pick<SigmaRule, 'id' | 'name'>[]): readonly Consumer[];
  /** Correlations consuming this correlation's alerts. */
  consumersOfCorrelation(index: number): readonly Consumer[];
  /** Fields (Sigma names) a base rule's matches must carry, sorted. */
  fieldsFor(rule: Pick<SigmaRule, 'id' | 'name'>): readonly string[];
  /** The field read for `field` (a group-by name or condition field) at a position (aliases applied). */
  fieldAt(correlation: number, step: number, field: string): string;
  /** False when the rule is referenced only by correlations without `generate: true`. */
  standalone(rule: Pick<SigmaRule, 'id' | 'name'>): boolean;
  /** False when the correlation is referenced only by correlations without `generate: true`. */
  correlationStandalone(index: number): boolean;
}

const NONE: readonly Consumer[] = Object.freeze([]);

/** The id a correlation's alerts and enabled state are keyed by: its `id`, else its title. */
export function correlationKey(c: SigmaCorrelation): string {
  return c.id ?? c.title;
}

function diagnostic(c: SigmaCorrelation, message: string, path: string): Diagnostic {
  return {
    severity: 'error',
    code: ErrorCodes.RULE_INVALID.code,
    message: errorMessage(ErrorCodes.RULE_INVALID, message),
    source: c.source,
    ruleId: c.id,
    title: c.title,
    path,
  };
}

/**
 * Builds the plan. A correlation with a reference that resolves to nothing (or to a rule that did
 * not load), or that is part of a reference cycle, is left out with an `error` diagnostic, and so
 * is every correlation that references it.
 * @param rules - the active base rules (ids and names must be unique; the first one wins)
 * @param correlations - parsed correlation rules, in load order
 */
export function planCorrelations(
  rules: readonly SigmaRule[],
  correlations: readonly SigmaCorrelation[],
): CorrelationPlan {
  const diagnostics: Diagnostic[] = [];
  const byRef = new Map<
    string,
    { kind: 'rule'; rule: SigmaRule } | { kind: 'correlation'; c: SigmaCorrelation }
  >();
  for (const r of rules) {
    if (r.id !== undefined && !byRef.has(r.id)) byRef.set(r.id, { kind: 'rule', rule: r });
    if (r.name !== undefined && !byRef.has(r.name)) byRef.set(r.name, { kind: 'rule', rule: r });
  }
  for (const c of correlations) {
    if (c.id !== undefined && !byRef.has(c.id)) byRef.set(c.id, { kind: 'correlation', c });
    if (c.name !== undefined && !byRef.has(c.name)) byRef.set(c.name, { kind: 'correlation', c });
  }
  // Depth-first validity: unresolved references and cycles invalidate a correlation and its users.
  const state = new Map<SigmaCorrelation, 'visiting' | 'ok' | 'bad'>();
  const visit = (c: SigmaCorrelation): boolean => {
    const s = state.get(c);
    if (s === 'ok') return true;
    if (s === 'bad') return false;
    if (s === 'visiting') {
      diagnostics.push(
        diagnostic(c, 'correlation rules reference each other in a cycle', 'correlation.rules'),
      );
      state.set(c, 'bad');
      return false;
    }
    state.set(c, 'visiting');
    let ok = true;
    c.rules.forEach((ref, i) => {
      const t = byRef.get(ref);
      if (!t) {
        diagnostics.push(
          diagnostic(
            c,
            `"${ref}" is not the id or name of a loaded rule or correlation`,
            `correlation.rules[${i}]`,
          ),
        );
        ok = false;
      } else if (t.kind === 'correlation' && !visit(t.c)) {
        if (state.get(c) !== 'bad')
          diagnostics.push(
            diagnostic(c, `references the invalid correlation "${ref}"`, `correlation.rules[${i}]`),
          );
        ok = false;
      }
    });
    if (state.get(c) === 'bad') ok = false;
    state.set(c, ok ? 'ok' : 'bad');
    return ok;
  };
  const valid = correlations.filter((c) => visit(c));
  const indexOf = new Map(valid.map((c, i) => [c, i]));
  const targets: Target[][] = valid.map((c) =>
    c.rules.map((ref): Target => {
      const t = byRef.get(ref)!;
      return t.kind === 'rule' ? t : { kind: 'correlation', index: indexOf.get(t.c)! };
    }),
  );

  const ruleConsumers = new Map<SigmaRule, Consumer[]>();
  const corrConsumers: Consumer[][] = valid.map(() => []);
  const ruleGenerate = new Map<SigmaRule, boolean>();
  const corrGenerate = valid.map(() => true);
  const corrReferenced = valid.map(() => false);
  targets.forEach((list, ci) =>
    list.forEach((t, step) => {
      const gen = valid[ci]!.generate;
      if (t.kind === 'rule') {
        let l = ruleConsumers.get(t.rule);
        if (!l) ruleConsumers.set(t.rule, (l = []));
        l.push({ correlation: ci, step });
        ruleGenerate.set(t.rule, (ruleGenerate.get(t.rule) ?? false) || gen);
      } else {
        corrConsumers[t.index]!.push({ correlation: ci, step });
        corrGenerate[t.index] = (corrReferenced[t.index] ? corrGenerate[t.index]! : false) || gen;
        corrReferenced[t.index] = true;
      }
    }),
  );

  // Outer correlations before the inner ones they read (an inner alert made by an event must not
  // let that same event complete the outer one), then per correlation later positions first: one
  // event never completes two steps of a sequence.
  const rank = new Map<number, number>();
  const rankOf = (ci: number): number => {
    let r = rank.get(ci);
    if (r !== undefined) return r;
    r = 0;
    for (const { correlation } of corrConsumers[ci]!) r = Math.max(r, rankOf(correlation) + 1);
    rank.set(ci, r);
    return r;
  };
  const order = (a: Consumer, b: Consumer): number =>
    rankOf(a.correlation) - rankOf(b.correlation) || a.correlation - b.correlation || b.step - a.step;
  for (const l of ruleConsumers.values()) l.sort(order);
  for (const l of corrConsumers) l.sort(order);

  const fieldAt = (ci: number, step: number, field: string): string => {
    const c = valid[ci]!;
    const alias = c.aliases.get(field);
    if (!alias) return field;
    const ref = c.rules[step]!;
    const direct = alias.get(ref);
    if (direct !== undefined) return direct;
    // The alias may name the target by its other identifier (id vs name).
    const t = targets[ci]![step]!;
    const other = t.kind === 'rule' ? [t.rule.id, t.rule.name] : [valid[t.index]!.id, valid[t.index]!.name];
    for (const o of other) if (o !== undefined && alias.has(o)) return alias.get(o)!;
    return field;
  };
  const ownFields = (ci: number, step: number): string[] => {
    const c = valid[ci]!;
    return [...c.groupBy, ...c.condition.fields].map((f) => fieldAt(ci, step, f));
  };
  // Fields needed from the inputs of correlation ci (its own, plus what its consumers read from its alerts).
  const neededIn = new Map<number, Set<string>>();
  const needIn = (ci: number): Set<string> => {
    let set = neededIn.get(ci);
    if (set) return set;
    set = new Set<string>();
    neededIn.set(ci, set);
    for (let step = 0; step < valid[ci]!.rules.length; step++)
      for (const f of ownFields(ci, step)) set.add(f);
    for (const { correlation, step } of corrConsumers[ci]!) {
      for (const f of ownFields(correlation, step)) set.add(f);
      for (const f of needIn(correlation)) set.add(f);
    }
    return set;
  };
  const ruleFields = new Map<SigmaRule, string[]>();
  for (const [rule, consumers] of ruleConsumers) {
    const set = new Set<string>();
    for (const { correlation, step } of consumers) {
      for (const f of ownFields(correlation, step)) set.add(f);
      for (const f of needIn(correlation)) set.add(f);
    }
    ruleFields.set(rule, [...set].sort());
  }

  // Lookup by id or name, so a filtered copy of a rule (applyFilters) resolves like the original.
  const find = (rule: Pick<SigmaRule, 'id' | 'name'>): SigmaRule | undefined => {
    for (const ref of [rule.id, rule.name]) {
      if (ref === undefined) continue;
      const t = byRef.get(ref);
      if (t?.kind === 'rule') return t.rule;
    }
    return undefined;
  };
  return {
    correlations: valid,
    targets,
    diagnostics,
    consumersOf: (rule) => {
      const r = find(rule);
      return (r && ruleConsumers.get(r)) ?? NONE;
    },
    consumersOfCorrelation: (index) => corrConsumers[index] ?? NONE,
    consumersOfRules: (list) => {
      if (list.length === 1) {
        const r = find(list[0]!);
        return (r && ruleConsumers.get(r)) ?? NONE;
      }
      const all: Consumer[] = [];
      for (const rule of list) {
        const r = find(rule);
        if (r) all.push(...(ruleConsumers.get(r) ?? NONE));
      }
      return all.sort(order);
    },
    fieldsFor: (rule) => {
      const r = find(rule);
      return (r && ruleFields.get(r)) ?? [];
    },
    fieldAt,
    standalone: (rule) => {
      const r = find(rule);
      return r === undefined || !ruleConsumers.has(r) || ruleGenerate.get(r) === true;
    },
    correlationStandalone: (index) => !corrReferenced[index] || corrGenerate[index] === true,
  };
}
