/**
 * Compiles one detection item (after its modifiers) into a test over the current event: string
 * patterns folded and merged (a set for equality, one native alternation for substrings), numeric
 * comparisons, CIDR ranges, time parts, field references, `null`, `exists` and `neq`.
 */
import ipaddr from 'ipaddr.js';
import type { Test } from './compile.js';
import { datePart } from './dates.js';
import type { EventCache, FieldStrings, FieldTable } from './event-cache.js';
import type { ItemSpec, Operand } from './modifiers.js';
import { compileRegex } from './regex.js';
import { compileStringPattern, type PatternShape } from './string-match.js';
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
export function compileItemTest(
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
