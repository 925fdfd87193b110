/**
 * Compiles parsed rules into matcher closures.
 *
 * Everything that can be decided once is decided here: modifiers are applied, patterns are
 * lower-cased and classified (equals / startswith / endswith / contains / glob), regexes are
 * compiled on RE2, CIDRs parsed, field names interned. Matching an event then only runs the
 * closures against the per-event {@link EventCache}; nothing is allocated per rule tried.
 */
import ipaddr from 'ipaddr.js';
import { ErrorCodes, errorMessage } from '../../errors.js';
import { datePart } from './dates.js';
import type { EventCache, FieldStrings, FieldTable } from './event-cache.js';
import { applyModifiers, type ItemSpec, ModifierError, type Operand } from './modifiers.js';
import { compileRegex, RegexError } from './regex.js';
import { compileStringPattern, type PatternShape } from './string-match.js';
import type { ConditionNode, DetectionNode, SigmaRule, SigmaScalar } from './types.js';

/** Why a rule could not be compiled, with the YAML path of the offending detection item. */
export class CompileError extends Error {
  constructor(
    message: string,
    readonly path: string,
    readonly severity: 'error' | 'inactive' | 'unsupported',
    readonly code: string,
    /** 1-based line of the offending item in its file. */
    readonly line?: number,
  ) {
    super(message);
    this.name = 'CompileError';
  }
}

/**
 * Regex features RE2 refuses by design (look-around, backreferences, possessive quantifiers,
 * `\Z`): such a rule is valid PCRE that a linear-time engine cannot run, so it is reported as
 * unsupported rather than invalid.
 */
const RE2_UNSUPPORTED = [
  /unsupported Perl syntax/,
  /invalid escape sequence: `\\[1-9Zk]/,
  /invalid named capture: `\(\?<[=!]/,
  /invalid nested repetition operator: `[^`]*\+`/,
];

function toCompileError(err: unknown, path: string, line: number | undefined): CompileError {
  if (err instanceof ModifierError) {
    return err.inactive
      ? new CompileError(err.message, path, 'inactive', ErrorCodes.RULE_PLACEHOLDER.code, line)
      : new CompileError(
          errorMessage(ErrorCodes.RULE_MODIFIER, err.message),
          path,
          'error',
          ErrorCodes.RULE_MODIFIER.code,
          line,
        );
  }
  if (err instanceof RegexError) {
    const unsupported = RE2_UNSUPPORTED.some((re) => re.test(err.message));
    return new CompileError(
      errorMessage(ErrorCodes.RULE_REGEX, err.message),
      path,
      unsupported ? 'unsupported' : 'error',
      ErrorCodes.RULE_REGEX.code,
      line,
    );
  }
  const message = err instanceof Error ? err.message : String(err);
  return new CompileError(
    errorMessage(ErrorCodes.RULE_INVALID, message),
    path,
    'error',
    ErrorCodes.RULE_INVALID.code,
    line,
  );
}

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

type StringPredicate = (s: string) => boolean;

function anyString(v: FieldStrings, pred: StringPredicate): boolean {
  if (typeof v === 'string') return pred(v);
  if (v === null || v === undefined) return false;
  for (let i = 0; i < v.length; i++) if (pred(v[i]!)) return true;
  return false;
}

/** From this many substrings on, one alternation (V8 irregexp, native) beats a loop of `includes`. */
const INFIX_REGEX_MIN = 3;

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * A test for "the input contains one of these substrings". Several substrings compile to one
 * native regular expression of literal alternatives: linear in the input (no quantifiers), and
 * much faster than repeated `includes` when needles are many.
 */
export function substringTest(needles: readonly string[]): StringPredicate {
  if (needles.length >= INFIX_REGEX_MIN) {
    const re = new RegExp(needles.map(escapeRegExp).join('|'));
    return (s) => re.test(s);
  }
  return (s) => {
    for (let i = 0; i < needles.length; i++) if (s.includes(needles[i]!)) return true;
    return false;
  };
}

/** Combines simple string patterns (all OR-linked) into one predicate with a set for equality. */
function unionOfPatterns(shapes: { shape: PatternShape; test: StringPredicate }[]): StringPredicate {
  const equals = new Set<string>();
  const prefixes: string[] = [];
  const suffixes: string[] = [];
  const infixes: string[] = [];
  const others: StringPredicate[] = [];
  for (const { shape, test } of shapes) {
    if (shape.op === 'equals') equals.add(shape.text);
    else if (shape.op === 'startswith') prefixes.push(shape.text);
    else if (shape.op === 'endswith') suffixes.push(shape.text);
    else if (shape.op === 'contains') infixes.push(shape.text);
    else if (shape.op === 'any') return () => true;
    else others.push(test);
  }
  const contains = infixes.length > 0 ? substringTest(infixes) : undefined;
  return (s) => {
    if (equals.size > 0 && equals.has(s)) return true;
    for (let i = 0; i < prefixes.length; i++) if (s.startsWith(prefixes[i]!)) return true;
    for (let i = 0; i < suffixes.length; i++) if (s.endsWith(suffixes[i]!)) return true;
    if (contains?.(s)) return true;
    for (let i = 0; i < others.length; i++) if (others[i]!(s)) return true;
    return false;
  };
}

function compareNumber(op: 'lt' | 'lte' | 'gt' | 'gte', n: number): (x: number) => boolean {
  switch (op) {
    case 'lt':
      return (x) => x < n;
    case 'lte':
      return (x) => x <= n;
    case 'gt':
      return (x) => x > n;
    case 'gte':
      return (x) => x >= n;
  }
}

/** Decimal numbers (with optional fraction and exponent) and `0x` hexadecimal, as Windows writes them. */
const NUMBER_TEXT = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$|^0[xX][0-9a-fA-F]+$/;

/** Reads a field value as a number; anything else (`Infinity`, `0b101`, text) is NaN. */
export function parseNumber(s: string): number {
  const t = s.trim();
  return NUMBER_TEXT.test(t) ? Number(t) : Number.NaN;
}

function cidrPredicate(cidr: string): StringPredicate {
  let range: [ipaddr.IPv4 | ipaddr.IPv6, number];
  try {
    range = cidr.includes('/') ? ipaddr.parseCIDR(cidr) : [ipaddr.parse(cidr), cidr.includes(':') ? 128 : 32];
  } catch {
    throw new Error(`invalid CIDR "${cidr}"`);
  }
  const [net, bits] = range;
  return (s) => {
    const text = s.trim();
    // Only dotted-quad IPv4 and IPv6 text: ipaddr.js also reads "167772161", "10.1.2" and octal "010.1.2.3".
    if (!ipaddr.IPv4.isValidFourPartDecimal(text) && !ipaddr.IPv6.isValid(text)) return false;
    const addr = ipaddr.process(text);
    if (addr.kind() !== net.kind()) return false;
    return (addr as ipaddr.IPv4).match(net as ipaddr.IPv4, bits);
  };
}

/** Which form of the field value an operand compares against. */
interface OperandPredicate {
  readonly lower: boolean;
  readonly test: StringPredicate;
  readonly shape?: PatternShape;
}

function operandPredicate(o: Operand, spec: ItemSpec): OperandPredicate {
  const wrapTime = (inner: (x: number) => boolean): StringPredicate => {
    const part = spec.timePart;
    if (part === undefined) {
      return (s) => {
        const n = parseNumber(s);
        return !Number.isNaN(n) && inner(n);
      };
    }
    return (s) => {
      const p = datePart(s, part);
      return p !== undefined && inner(p);
    };
  };
  switch (o.kind) {
    case 'string': {
      if (spec.timePart !== undefined) throw new Error('time modifiers need numeric values');
      const m = compileStringPattern(o.s, spec.cased);
      return { lower: !spec.cased, test: m.test, shape: m.shape };
    }
    case 'regex': {
      const re = compileRegex(o.pattern, o);
      return { lower: false, test: (s) => re.test(s) };
    }
    case 'compare':
      return { lower: false, test: wrapTime(compareNumber(o.op, o.n)) };
    case 'number':
      return { lower: false, test: wrapTime((x) => x === o.n) };
    case 'cidr':
      return { lower: false, test: cidrPredicate(o.cidr) };
    default:
      throw new Error(`operand ${o.kind} is handled by the item compiler`);
  }
}

function fieldrefTest(
  fieldId: number,
  refId: number,
  o: Extract<Operand, { kind: 'fieldref' }>,
  spec: ItemSpec,
): Test {
  const get = spec.cased
    ? (c: EventCache, id: number) => c.str(id)
    : (c: EventCache, id: number) => c.lower(id);
  const cmp = (a: string, b: string): boolean => {
    if (o.startswith && o.endswith) return a.includes(b);
    if (o.startswith) return a.startsWith(b);
    if (o.endswith) return a.endsWith(b);
    return a === b;
  };
  return (c) => {
    const ref = get(c, refId);
    if (ref === null || ref === undefined) return false;
    const refs = typeof ref === 'string' ? [ref] : ref;
    return anyString(get(c, fieldId), (a) => refs.some((b) => cmp(a, b)));
  };
}

/** Compiles one detection item (after modifiers) into a test. */
function compileItemTest(
  spec: ItemSpec,
  fields: FieldTable,
): { test: Test; shapes: PatternShape[] | undefined } {
  const fieldId = spec.field === null ? null : fields.id(spec.field);
  const flat = spec.values.flat();
  const onlyStrings = flat.every((o) => o.kind === 'string');

  if (fieldId !== null && flat.length === 1 && flat[0]!.kind === 'exists') {
    const want = flat[0]!.want;
    return { test: (c) => (c.raw(fieldId) !== undefined) === want, shapes: undefined };
  }
  if (flat.some((o) => o.kind === 'exists')) throw new Error('"exists" cannot be mixed with other values');

  // One test per value (outer list); each is the OR of its alternatives.
  const shapes: PatternShape[] = [];
  const valueTests: Test[] = spec.values.map((alternatives) => {
    const special: Test[] = [];
    const lowerPreds: { shape: PatternShape; test: StringPredicate }[] = [];
    const origPreds: { shape: PatternShape; test: StringPredicate }[] = [];
    for (const o of alternatives) {
      if (o.kind === 'null') {
        if (fieldId === null) throw new Error('null is not a keyword');
        special.push((c) => {
          const v = c.raw(fieldId);
          return v === null || v === undefined;
        });
        continue;
      }
      if (o.kind === 'fieldref') {
        if (fieldId === null) throw new Error('"fieldref" must be applied to a field');
        special.push(fieldrefTest(fieldId, fields.id(o.field), o, spec));
        continue;
      }
      const p = operandPredicate(o, spec);
      if (p.shape) shapes.push(p.shape);
      (p.lower ? lowerPreds : origPreds).push({
        shape: p.shape ?? { op: 'glob', literals: [] },
        test: p.test,
      });
    }
    const lowerTest = lowerPreds.length > 0 ? unionOfPatterns(lowerPreds) : undefined;
    const origTest = origPreds.length > 0 ? unionOfPatterns(origPreds) : undefined;
    const tests: Test[] = [...special];
    if (fieldId === null) {
      // Keyword substrings (the common case) are searched once in all values joined; other
      // patterns are tried value by value.
      const infixes = lowerPreds.filter((p) => p.shape.op === 'contains' && !p.shape.text.includes('\u0000'));
      const rest = lowerPreds.filter((p) => !infixes.includes(p));
      if (infixes.length > 0) {
        const anyNeedle = substringTest(infixes.map((p) => (p.shape as { text: string }).text));
        tests.push((c) => anyNeedle(c.keywordsJoinedLower()));
      }
      const restTest = rest.length > 0 ? unionOfPatterns(rest) : undefined;
      if (restTest) {
        tests.push((c) => {
          const kw = c.keywordsLower();
          for (let i = 0; i < kw.length; i++) if (restTest(kw[i]!)) return true;
          return false;
        });
      }
      if (origTest) {
        tests.push((c) => {
          const kw = c.keywords();
          for (let i = 0; i < kw.length; i++) if (origTest(kw[i]!)) return true;
          return false;
        });
      }
    } else {
      if (lowerTest) tests.push((c) => anyString(c.lower(fieldId), lowerTest));
      if (origTest) tests.push((c) => anyString(c.str(fieldId), origTest));
    }
    if (tests.length === 1) return tests[0]!;
    return (c) => {
      for (let i = 0; i < tests.length; i++) if (tests[i]!(c)) return true;
      return false;
    };
  });

  let test: Test;
  if (valueTests.length === 1) test = valueTests[0]!;
  else if (spec.all) {
    test = (c) => {
      for (let i = 0; i < valueTests.length; i++) if (!valueTests[i]!(c)) return false;
      return true;
    };
  } else {
    test = (c) => {
      for (let i = 0; i < valueTests.length; i++) if (valueTests[i]!(c)) return true;
      return false;
    };
  }
  if (spec.neq) {
    if (fieldId === null) throw new Error('"neq" must be applied to a field');
    const inner = test;
    // A comparison with a field the event lacks is not "different": it does not match, as for fieldref.
    const refIds = flat.flatMap((o) => (o.kind === 'fieldref' ? [fields.id(o.field)] : []));
    test = (c) => {
      const v = c.raw(fieldId);
      if (v === undefined || v === null) return false;
      for (let i = 0; i < refIds.length; i++) {
        const r = c.raw(refIds[i]!);
        if (r === undefined || r === null) return false;
      }
      return !inner(c);
    };
  }
  return { test, shapes: onlyStrings && !spec.neq ? shapes : undefined };
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
