/**
 * The detector: compiled, indexed rules that match events.
 *
 * `createDetector(rules, options)` applies Sigma filters, resolves placeholders, compiles every
 * rule once and reports per-rule diagnostics; `detector.match(event)` returns the rules that
 * match, evaluating only the candidates routed by logsource and `EventID`; `detector.explain`
 * says why a rule matched (built only for matches).
 */
import type { AttackLookup } from '../attack/catalog.js';
import { type ThreatInfo, threatFromTags } from '../attack/threat.js';
import { type CompiledNode, type CompiledRule, CompileError, compileRule } from './compile.js';
import { EventCache, FieldTable } from './event-cache.js';
import { applyFilters } from './filters.js';
import { compileRegex } from './regex.js';
import { buildRoute, candidates, logsourceMatches, type Route, requiredValues } from './rule-index.js';
import { compileStringPattern } from './string-match.js';
import type { Diagnostic, EventLogSource, FieldValue, SigmaEvent, SigmaFilter, SigmaRule } from './types.js';

/** A rule the detector runs. `index` is its position in load order (matches are reported in it). */
export interface ActiveRule {
  readonly index: number;
  readonly rule: SigmaRule;
  readonly threat: ThreatInfo;
  readonly compiled: CompiledRule;
}

/** Why a rule matched an event. */
export interface Explanation {
  /** Search identifiers that evaluated true, in rule order. */
  readonly selections: readonly string[];
  /** Fields tested by the true identifiers' matching items, with the event's values. */
  readonly fields: Readonly<Record<string, FieldValue | undefined>>;
  /** Keyword values (as written in the rule) that were found in the event. */
  readonly keywords: readonly string[];
}

export interface DetectorOptions {
  /** Sigma global filters to merge into the rules they name. */
  readonly filters?: readonly SigmaFilter[];
  /** Values of `%name%` placeholders for the `expand` modifier (name without `%`). */
  readonly placeholders?: ReadonlyMap<string, readonly string[]>;
  /** What `attack.*` tags resolve against (default: the built-in ATT&CK table). */
  readonly attack?: AttackLookup;
}

export interface Detector {
  /** Rules that compiled and are active, in load order. */
  readonly rules: readonly ActiveRule[];
  /** Diagnostics from compiling (errors, inactive rules, unsupported features, filter warnings). */
  readonly diagnostics: readonly Diagnostic[];
  /**
   * Rules matching `event`, in load order. The returned array is fresh when non-empty and a
   * shared empty array otherwise.
   * @param only - indexes of the rules that may match (from a pre-filter); the others are not
   *   evaluated. Routing still applies: a rule outside the event's route is never evaluated.
   */
  match(event: SigmaEvent, only?: readonly number[]): readonly ActiveRule[];
  /** Explains a match found by {@link Detector.match} for the same event. */
  explain(event: SigmaEvent, rule: ActiveRule): Explanation;
  /**
   * The rules an event of this logsource with this `EventID` (text, case-folded; `undefined` when
   * absent) would be evaluated against — the routing `match` uses, without evaluating. For
   * pre-filters.
   */
  candidates(logsource: EventLogSource, eventId: string | undefined): readonly ActiveRule[];
}

const NONE: readonly ActiveRule[] = Object.freeze([]);

function explainNode(
  node: CompiledNode,
  cache: EventCache,
  fields: FieldTable,
  out: Record<string, FieldValue | undefined>,
  keywords: string[],
): void {
  if (!node.test(cache)) return;
  if (node.kind !== 'item') {
    for (const c of node.children) explainNode(c, cache, fields, out, keywords);
    return;
  }
  const { item } = node;
  if (item.fieldId !== null) {
    // null for an absent field, so the explanation survives a JSON round trip.
    out[fields.names[item.fieldId]!] = cache.raw(item.fieldId) ?? null;
    for (const alternatives of item.spec.values) {
      for (const o of alternatives) {
        if (o.kind === 'fieldref') out[o.field] = cache.raw(fields.id(o.field)) ?? null;
      }
    }
    return;
  }
  // Which of the item's values were found: re-test each value's alternatives (only for matches).
  const hay = item.spec.cased ? cache.keywords() : cache.keywordsLower();
  item.spec.values.forEach((alternatives, i) => {
    const hit = alternatives.some((o) => {
      if (o.kind === 'string') return hay.some(compileStringPattern(o.s, item.spec.cased).test);
      if (o.kind === 'regex') {
        const re = compileRegex(o.pattern, o);
        return cache.keywords().some((k) => re.test(k));
      }
      return false;
    });
    if (hit) keywords.push(String(item.raw[i]));
  });
}

/**
 * Compiles rules into a detector.
 *
 * Never throws for a bad rule: it is left out and a diagnostic says why (`error`, `inactive` for
 * unconfigured placeholders, `unsupported` for valid Sigma this engine cannot run).
 *
 * @param rules - parsed rules, in the order matches should be reported
 */
export function createDetector(rules: readonly SigmaRule[], options: DetectorOptions = {}): Detector {
  const diagnostics: Diagnostic[] = [];
  const fields = new FieldTable();
  const eventIdField = fields.id('EventID');
  const placeholders = options.placeholders ?? new Map<string, readonly string[]>();
  // A filter that does not compile is dropped with its own diagnostic; the rules it names stay.
  const filters = (options.filters ?? []).filter((filter) => {
    try {
      compileRule(
        {
          ...filter,
          kind: 'rule',
          references: [],
          tags: [],
          falsepositives: [],
          fields: [],
          related: [],
          scope: [],
        },
        fields,
        placeholders,
      );
      return true;
    } catch (err) {
      if (!(err instanceof CompileError)) throw err;
      diagnostics.push({
        severity: err.severity === 'inactive' ? 'inactive' : 'error',
        code: err.code,
        message: `${err.message} (the filter is not applied)`,
        source: filter.source,
        ruleId: filter.id,
        title: filter.title,
        path: err.path,
        line: err.line,
      });
      return false;
    }
  });
  const merged = applyFilters(rules, filters, diagnostics);
  const active: ActiveRule[] = [];
  for (const rule of merged) {
    try {
      const compiled = compileRule(rule, fields, placeholders);
      active.push({
        index: active.length,
        rule,
        threat: threatFromTags(rule.tags, options.attack),
        compiled,
      });
    } catch (err) {
      if (!(err instanceof CompileError)) throw err;
      diagnostics.push({
        severity: err.severity,
        code: err.code,
        message: err.message,
        source: rule.source,
        ruleId: rule.id,
        title: rule.title,
        path: err.path,
        line: err.line,
      });
    }
  }
  const required = new Map(active.map((r) => [r, requiredValues(r.compiled, eventIdField)]));
  const cache = new EventCache(fields);
  const routes = new Map<string, Route<ActiveRule>>();

  const routeFor = (event: { readonly logsource: EventLogSource }): Route<ActiveRule> => {
    const ls = event.logsource;
    let route = routes.get(ls.key);
    if (!route) {
      const inScope = active.filter((r) => logsourceMatches(r.rule.logsource, ls));
      route = buildRoute(inScope, (r) => required.get(r) ?? null);
      routes.set(ls.key, route);
    }
    return route;
  };

  // Epoch stamps per rule index for `only`: a rule is allowed when its stamp equals the epoch.
  const allowed = new Uint32Array(active.length);
  let allowEpoch = 0;

  const match = (event: SigmaEvent, only?: readonly number[]): readonly ActiveRule[] => {
    const route = routeFor(event);
    if (route.any.length === 0 && route.byValue.size === 0) return NONE;
    if (only !== undefined) {
      if (only.length === 0) return NONE;
      allowEpoch = (allowEpoch + 1) >>> 0 || 1;
      for (let i = 0; i < only.length; i++) allowed[only[i]!] = allowEpoch;
    }
    cache.reset(event);
    let list: readonly ActiveRule[];
    if (route.byValue.size === 0) list = route.any;
    else {
      const id = cache.lower(eventIdField);
      if (typeof id === 'string') list = candidates(route, id);
      else if (id === undefined || id === null) list = route.any;
      else {
        const set = new Set<ActiveRule>(route.any);
        for (const v of id) for (const r of route.byValue.get(v) ?? []) set.add(r);
        list = [...set].sort((a, b) => a.index - b.index);
      }
    }
    let out: ActiveRule[] | undefined;
    for (let i = 0; i < list.length; i++) {
      const r = list[i]!;
      if (only !== undefined && allowed[r.index] !== allowEpoch) continue;
      if (r.compiled.test(cache)) {
        out ??= [];
        out.push(r);
      }
    }
    return out ?? NONE;
  };

  const explain = (event: SigmaEvent, rule: ActiveRule): Explanation => {
    cache.reset(event);
    const selections: string[] = [];
    const out: Record<string, FieldValue | undefined> = {};
    const keywords: string[] = [];
    for (const [name, node] of rule.compiled.identifiers) {
      if (!node.test(cache)) continue;
      selections.push(name);
      explainNode(node, cache, fields, out, keywords);
    }
    return { selections, fields: out, keywords };
  };

  const candidatesFor = (logsource: EventLogSource, eventId: string | undefined): readonly ActiveRule[] =>
    candidates(routeFor({ logsource }), eventId);

  return { rules: active, diagnostics, match, explain, candidates: candidatesFor };
}
