/**
 * Sigma global filters: merge a filter's exclusion into the rules it names.
 *
 * Source: Sigma specification v2.1, `sigma-filters-specification.md`. As in pySigma
 * (`sigma/filters.py`), a filter applies to a rule named in `filter.rules` (by `id` or `name`)
 * whose logsource it is compatible with, and the rule's condition becomes
 * `(rule condition) and not (filter condition)`. The filter's search identifiers are renamed
 * `<name>@filter:<filter id or title>` so they cannot clash with the rule's.
 */
import { ErrorCodes, errorMessage } from '../../errors.js';
import type { ConditionNode, DetectionNode, Diagnostic, LogSource, SigmaFilter, SigmaRule } from './types.js';

function compatible(filter: LogSource, rule: LogSource): boolean {
  for (const key of ['product', 'category', 'service'] as const) {
    if (filter[key] !== undefined && filter[key] !== rule[key]) return false;
  }
  return true;
}

function rename(node: ConditionNode, map: (name: string) => string): ConditionNode {
  switch (node.kind) {
    case 'ref':
      return { kind: 'ref', name: map(node.name) };
    case 'of':
      return { kind: 'of', count: node.count, names: node.names.map(map) };
    case 'not':
      return { kind: 'not', child: rename(node.child, map) };
    default:
      return { kind: node.kind, children: node.children.map((c) => rename(c, map)) };
  }
}

function applyOne(rule: SigmaRule, filter: SigmaFilter): SigmaRule {
  const tag = `@filter:${filter.id ?? filter.title}`;
  const map = (name: string): string => `${name}${tag}`;
  const identifiers = new Map<string, DetectionNode>(rule.detection.identifiers);
  for (const [name, node] of filter.detection.identifiers) identifiers.set(map(name), node);
  const ruleCondition: ConditionNode =
    rule.detection.conditions.length === 1
      ? rule.detection.conditions[0]!
      : { kind: 'or', children: rule.detection.conditions };
  const filterConditions = filter.detection.conditions.map((c) => rename(c, map));
  const filterCondition: ConditionNode =
    filterConditions.length === 1 ? filterConditions[0]! : { kind: 'or', children: filterConditions };
  return {
    ...rule,
    detection: {
      identifiers,
      conditions: [{ kind: 'and', children: [ruleCondition, { kind: 'not', child: filterCondition }] }],
      conditionText: [
        `(${rule.detection.conditionText.join(') or (')}) and not (${filter.detection.conditionText.join(') or (')})`,
      ],
    },
  };
}

/**
 * Returns the rules with every applicable filter merged in. Filters naming no loaded rule, or a
 * rule whose logsource they do not fit, are reported as warnings in `diagnostics`.
 */
export function applyFilters(
  rules: readonly SigmaRule[],
  filters: readonly SigmaFilter[],
  diagnostics: Diagnostic[],
): SigmaRule[] {
  if (filters.length === 0) return [...rules];
  const byRef = new Map<string, number[]>();
  rules.forEach((r, i) => {
    for (const key of [r.id, r.name]) {
      if (key === undefined) continue;
      const list = byRef.get(key) ?? [];
      list.push(i);
      byRef.set(key, list);
    }
  });
  const out = [...rules];
  for (const filter of filters) {
    for (const ref of filter.rules) {
      const targets = byRef.get(ref);
      const warn = (message: string): void => {
        diagnostics.push({
          severity: 'warning',
          code: ErrorCodes.RULE_FILTER.code,
          message: errorMessage(ErrorCodes.RULE_FILTER, message),
          source: filter.source,
          ruleId: filter.id,
          title: filter.title,
          path: 'filter.rules',
        });
      };
      if (!targets) {
        warn(`rule "${ref}" is not loaded; the filter does not apply to it`);
        continue;
      }
      for (const i of targets) {
        if (!compatible(filter.logsource, out[i]!.logsource)) {
          warn(`logsource of rule "${ref}" does not fit the filter's logsource; not applied`);
          continue;
        }
        out[i] = applyOne(out[i]!, filter);
      }
    }
  }
  return out;
}
