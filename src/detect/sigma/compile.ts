/**
 * Compiles parsed rules into matcher closures.
 *
 * Everything that can be decided once is decided here: modifiers are applied, patterns are
 * lower-cased and classified (equals / startswith / endswith / contains / glob), regexes are
 * compiled on RE2, CIDRs parsed, field names interned. Matching an event then only runs the
 * closures against the per-event {@link EventCache}; nothing is allocated per rule tried.
 */
import { ErrorCodes, errorMessage } from '../../errors.js';
import { CompileError, toCompileError } from './compile-error.js';
import type { EventCache, FieldTable } from './event-cache.js';
import { compileItemTest } from './item-test.js';
import { applyModifiers, type ItemSpec } from './modifiers.js';
import type { PatternShape } from './string-match.js';
import type { ConditionNode, DetectionNode, SigmaRule, SigmaScalar } from './types.js';

export { CompileError } from './compile-error.js';

/** A compiled boolean test over the current event. */
export type Test = (cache: EventCache) => boolean;

export interface CompiledItem {
  readonly spec: ItemSpec;
  /** Interned field id, or null for keyword searches. */
  readonly fieldId: number | null;
  readonly path: string;
  /** The item's values as written in the rule (index-aligned with `spec.values`). */
  readonly raw: readonly SigmaScalar[];
  /** Shapes of the string patterns, for the rule index (`undefined` when not plain strings). */
  readonly shapes: readonly PatternShape[] | undefined;
  readonly test: Test;
}

export type CompiledNode =
  | { readonly kind: 'and' | 'or'; readonly children: readonly CompiledNode[]; readonly test: Test }
  | { readonly kind: 'item'; readonly item: CompiledItem; readonly test: Test };

export interface CompiledRule {
  readonly rule: SigmaRule;
  readonly identifiers: ReadonlyMap<string, CompiledNode>;
  /** The rule's condition(s), OR-linked. */
  readonly conditions: readonly ConditionNode[];
  readonly test: Test;
}

function compileNode(
  node: DetectionNode,
  fields: FieldTable,
  placeholders: ReadonlyMap<string, readonly string[]>,
): CompiledNode {
  if (node.kind === 'item') {
    let spec: ItemSpec;
    let compiled: ReturnType<typeof compileItemTest>;
    try {
      spec = applyModifiers(node.item, placeholders);
      compiled = compileItemTest(spec, fields);
    } catch (err) {
      throw toCompileError(err, node.item.path, node.item.line);
    }
    const { test, shapes } = compiled;
    const item: CompiledItem = {
      spec,
      fieldId: spec.field === null ? null : fields.id(spec.field),
      path: node.item.path,
      raw: node.item.values,
      shapes,
      test,
    };
    return { kind: 'item', item, test };
  }
  const children: CompiledNode[] = [];
  const inactive: CompileError[] = [];
  for (const child of node.children) {
    try {
      children.push(compileNode(child, fields, placeholders));
    } catch (err) {
      if (err instanceof CompileError && err.severity === 'inactive') inactive.push(err);
      else throw err;
    }
  }
  if (inactive.length > 0) {
    throw new CompileError(
      inactive.map((e) => e.message).join('; '),
      inactive.map((e) => e.path).join(', '),
      'inactive',
      inactive[0]!.code,
      inactive[0]!.line,
    );
  }
  const tests = children.map((c) => c.test);
  const test: Test =
    node.kind === 'and'
      ? (c) => {
          for (let i = 0; i < tests.length; i++) if (!tests[i]!(c)) return false;
          return true;
        }
      : (c) => {
          for (let i = 0; i < tests.length; i++) if (tests[i]!(c)) return true;
          return false;
        };
  return { kind: node.kind, children, test };
}

function compileCondition(node: ConditionNode, identifiers: ReadonlyMap<string, CompiledNode>): Test {
  switch (node.kind) {
    case 'ref':
      return identifiers.get(node.name)!.test;
    case 'not': {
      const inner = compileCondition(node.child, identifiers);
      return (c) => !inner(c);
    }
    case 'of': {
      const tests = node.names.map((n) => identifiers.get(n)!.test);
      const need = node.count === 'all' ? tests.length : Math.min(node.count, tests.length + 1);
      if (node.count === 'all') {
        return (c) => {
          for (let i = 0; i < tests.length; i++) if (!tests[i]!(c)) return false;
          return true;
        };
      }
      return (c) => {
        let hits = 0;
        for (let i = 0; i < tests.length; i++) if (tests[i]!(c) && ++hits >= need) return true;
        return false;
      };
    }
    case 'and': {
      const tests = node.children.map((ch) => compileCondition(ch, identifiers));
      return (c) => {
        for (let i = 0; i < tests.length; i++) if (!tests[i]!(c)) return false;
        return true;
      };
    }
    case 'or': {
      const tests = node.children.map((ch) => compileCondition(ch, identifiers));
      return (c) => {
        for (let i = 0; i < tests.length; i++) if (tests[i]!(c)) return true;
        return false;
      };
    }
  }
}

/**
 * Compiles one rule.
 * @param rule - a parsed rule (filters already merged into its detection)
 * @param fields - the detector's field table (shared by all rules)
 * @param placeholders - values for `expand` placeholders
 * @throws ModifierError, RegexError or Error with the reason the rule cannot be compiled
 */
export function compileRule(
  rule: SigmaRule,
  fields: FieldTable,
  placeholders: ReadonlyMap<string, readonly string[]>,
): CompiledRule {
  const identifiers = new Map<string, CompiledNode>();
  // Unconfigured placeholders are collected over the whole rule so the diagnostic names them all.
  const inactive: CompileError[] = [];
  for (const [name, node] of rule.detection.identifiers) {
    try {
      identifiers.set(name, compileNode(node, fields, placeholders));
    } catch (err) {
      if (err instanceof CompileError && err.severity === 'inactive') inactive.push(err);
      else throw err;
    }
  }
  if (inactive.length > 0) {
    const first = inactive[0]!;
    const names = [...new Set(inactive.flatMap((e) => e.message.match(/%[^%\s]+%/g) ?? []))];
    throw new CompileError(
      errorMessage(
        ErrorCodes.RULE_PLACEHOLDER,
        `${names.join(', ')} (rule loads as inactive until --placeholders gives values)`,
      ),
      inactive.map((e) => e.path).join(', '),
      'inactive',
      first.code,
      first.line,
    );
  }
  const tests = rule.detection.conditions.map((c) => compileCondition(c, identifiers));
  const test: Test =
    tests.length === 1
      ? tests[0]!
      : (c) => {
          for (let i = 0; i < tests.length; i++) if (tests[i]!(c)) return true;
          return false;
        };
  return { rule, identifiers, conditions: rule.detection.conditions, test };
}
