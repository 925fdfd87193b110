/**
 * Conformance: the condition language.
 *
 * Spec: Sigma specification v2.1, `sigma-rules-specification.md`, section "Condition".
 */
import { describe, expect, it } from 'vitest';
import { matcher, problems } from '../../helpers/sigma.js';

/**
 * A rule whose every search identifier `name` is `{ name: 'hit' }`, so an event makes exactly the
 * identifiers listed in `truths` true. Returns `(truths) => does the condition hold`.
 */
function condition(text: string, identifiers: readonly string[]): (...truths: string[]) => boolean {
  const body = identifiers.map((name) => `    ${name}:\n        ${name}: hit`).join('\n');
  const m = matcher(`${body}\n    condition: ${text}`);
  return (...truths) => m(Object.fromEntries(truths.map((name) => [name, 'hit'])));
}

describe('condition: logical operators', () => {
  it('and needs both sides, or needs one', () => {
    const and = condition('a and b', ['a', 'b']);
    expect(and('a', 'b')).toBe(true);
    expect(and('a')).toBe(false);
    expect(and('b')).toBe(false);
    const or = condition('a or b', ['a', 'b']);
    expect(or('a')).toBe(true);
    expect(or('b')).toBe(true);
    expect(or()).toBe(false);
  });

  it('not negates', () => {
    const c = condition('a and not b', ['a', 'b']);
    expect(c('a')).toBe(true);
    expect(c('a', 'b')).toBe(false);
  });

  it('keywords are case-insensitive (AND, Or, Not, ALL OF THEM)', () => {
    const c = condition('a AND Not b Or c', ['a', 'b', 'c']);
    expect(c('a')).toBe(true);
    expect(c('a', 'b')).toBe(false);
    expect(c('c', 'b')).toBe(true);
    const all = condition('ALL OF THEM', ['a', 'b']);
    expect(all('a', 'b')).toBe(true);
    expect(all('a')).toBe(false);
  });
});

describe('condition: operator precedence (least to most binding: or, and, not, x of, ( ))', () => {
  it('and binds tighter than or: `a or b and c` is `a or (b and c)`', () => {
    const c = condition('a or b and c', ['a', 'b', 'c']);
    // (a or b) and c would be false here.
    expect(c('a')).toBe(true);
    expect(c('b')).toBe(false);
    expect(c('b', 'c')).toBe(true);
  });

  it('and binds tighter than or on the left too: `a and b or c` is `(a and b) or c`', () => {
    const c = condition('a and b or c', ['a', 'b', 'c']);
    // a and (b or c) would be false here.
    expect(c('c')).toBe(true);
    expect(c('a')).toBe(false);
  });

  it('not binds tighter than and: `not a and b` is `(not a) and b`', () => {
    const c = condition('not a and b', ['a', 'b']);
    // not (a and b) would be true for the empty event.
    expect(c()).toBe(false);
    expect(c('b')).toBe(true);
    expect(c('a', 'b')).toBe(false);
  });

  it('not binds tighter than or: `not a or b` is `(not a) or b`', () => {
    const c = condition('not a or b', ['a', 'b']);
    // not (a or b) would be false here.
    expect(c('a', 'b')).toBe(true);
    expect(c('a')).toBe(false);
  });

  it('x of binds tighter than not: `not 1 of sel*` is `not (1 of sel*)`', () => {
    const c = condition('not 1 of sel*', ['sel1', 'sel2']);
    // "one of the negated selections" would be true when only sel1 holds.
    expect(c('sel1')).toBe(false);
    expect(c()).toBe(true);
    const all = condition('not all of sel*', ['sel1', 'sel2']);
    // "all of the negated selections" would be false when only sel1 holds.
    expect(all('sel1')).toBe(true);
    expect(all('sel1', 'sel2')).toBe(false);
  });

  it('x of binds tighter than and/or: `1 of sel* and f` is `(1 of sel*) and f`', () => {
    const c = condition('1 of sel* and f', ['sel1', 'sel2', 'f']);
    expect(c('sel2', 'f')).toBe(true);
    expect(c('sel2')).toBe(false);
    expect(c('f')).toBe(false);
  });

  it('parentheses bind tightest: `not (a or b)` differs from `not a or b`', () => {
    const grouped = condition('not (a or b)', ['a', 'b']);
    expect(grouped('b')).toBe(false);
    expect(grouped()).toBe(true);
    const ungrouped = condition('not a or b', ['a', 'b']);
    expect(ungrouped('b')).toBe(true);
  });

  it('parentheses override and-over-or: `(a or b) and c`', () => {
    const c = condition('(a or b) and c', ['a', 'b', 'c']);
    expect(c('a')).toBe(false);
    expect(c('a', 'c')).toBe(true);
    expect(c('b', 'c')).toBe(true);
    expect(c('c')).toBe(false);
  });

  it('nested parentheses', () => {
    const c = condition('a and ((b or c) and not (d))', ['a', 'b', 'c', 'd']);
    expect(c('a', 'c')).toBe(true);
    expect(c('a', 'c', 'd')).toBe(false);
    expect(c('a')).toBe(false);
  });
});

describe('condition: 1/all of search-identifier-pattern', () => {
  it('1 of sel* is true when any matching identifier holds', () => {
    const c = condition('1 of sel*', ['sel_a', 'sel_b', 'other']);
    expect(c('sel_b')).toBe(true);
    expect(c('other')).toBe(false);
  });

  it('all of sel* needs every matching identifier and ignores the others', () => {
    const c = condition('all of sel*', ['sel_a', 'sel_b', 'other']);
    expect(c('sel_a', 'sel_b')).toBe(true);
    expect(c('sel_a', 'other')).toBe(false);
  });

  it('the * wildcard may stand anywhere in the pattern', () => {
    const c = condition('1 of *_proc and 1 of sel*x', ['a_proc', 'b_proc', 'sel_1x', 'sel_2y']);
    expect(c('b_proc', 'sel_1x')).toBe(true);
    expect(c('b_proc', 'sel_2y')).toBe(false);
    expect(c('sel_1x')).toBe(false);
  });

  it('`1 of selection* and not 1 of filter*` (spec example)', () => {
    const c = condition('1 of selection* and not 1 of filter*', [
      'selection1',
      'selection2',
      'filter1',
      'filter2',
    ]);
    expect(c('selection2')).toBe(true);
    expect(c('selection2', 'filter2')).toBe(false);
    expect(c('filter1')).toBe(false);
  });

  it('N of means at least N', () => {
    const c = condition('2 of sel*', ['sel1', 'sel2', 'sel3']);
    expect(c('sel1')).toBe(false);
    expect(c('sel1', 'sel3')).toBe(true);
    expect(c('sel1', 'sel2', 'sel3')).toBe(true);
  });

  it('N of with N larger than the number of identifiers never holds', () => {
    const c = condition('3 of sel*', ['sel1', 'sel2']);
    expect(c('sel1', 'sel2')).toBe(false);
  });

  it('a pattern matching no identifier is an error', () => {
    const diagnostics = problems('    sel:\n        a: 1\n    condition: 1 of filter*');
    expect(diagnostics).toMatchObject([
      { severity: 'error', code: 'VIGIL_ERR_RULE_CONDITION', path: 'detection.condition' },
    ]);
  });
});

describe('condition: 1/all of them', () => {
  it('1 of them is the OR of all search identifiers', () => {
    const c = condition('1 of them', ['a', 'b']);
    expect(c('b')).toBe(true);
    expect(c()).toBe(false);
  });

  it('all of them is the AND of all search identifiers', () => {
    const c = condition('all of them', ['a', 'b']);
    expect(c('a', 'b')).toBe(true);
    expect(c('b')).toBe(false);
  });

  it('identifiers starting with _ are excluded from them', () => {
    const all = condition('all of them', ['a', '_helper']);
    expect(all('a')).toBe(true);
    const one = condition('1 of them', ['a', '_helper']);
    expect(one('_helper')).toBe(false);
  });

  it('identifiers starting with _ stay reachable by name', () => {
    const c = condition('a and not _helper', ['a', '_helper']);
    expect(c('a')).toBe(true);
    expect(c('a', '_helper')).toBe(false);
  });

  it('identifiers starting with _ stay reachable by an explicit pattern', () => {
    const c = condition('1 of _h*', ['a', '_h1', '_h2']);
    expect(c('_h2')).toBe(true);
    expect(c('a')).toBe(false);
  });

  it('them with only _ identifiers is an error', () => {
    const diagnostics = problems('    _only:\n        a: 1\n    condition: 1 of them');
    expect(diagnostics).toMatchObject([{ severity: 'error', code: 'VIGIL_ERR_RULE_CONDITION' }]);
  });
});

describe('condition: a list of conditions', () => {
  it('conditions in a list are OR-linked', () => {
    const c = condition('\n        - a and b\n        - c', ['a', 'b', 'c']);
    expect(c('a', 'b')).toBe(true);
    expect(c('c')).toBe(true);
    expect(c('a')).toBe(false);
  });

  it('an error in the second condition names its index', () => {
    const diagnostics = problems('    a:\n        a: 1\n    condition:\n        - a\n        - b');
    expect(diagnostics).toMatchObject([
      { severity: 'error', code: 'VIGIL_ERR_RULE_CONDITION', path: 'detection.condition[1]' },
    ]);
  });
});

describe('condition: errors', () => {
  const errorOf = (text: string) => problems(`    sel:\n        a: 1\n    condition: ${text}`);

  it('an unknown identifier is an error at detection.condition', () => {
    const [d, ...rest] = errorOf('sel and missing');
    expect(rest).toEqual([]);
    expect(d).toMatchObject({
      severity: 'error',
      code: 'VIGIL_ERR_RULE_CONDITION',
      path: 'detection.condition',
      ruleId: '00000000-0000-4000-8000-000000000001',
      source: { path: 'test.yml', document: 0 },
      line: 9,
    });
    expect(d!.message).toContain('missing');
  });

  it('identifier names are case-sensitive', () => {
    expect(errorOf('SEL')).toMatchObject([{ severity: 'error', code: 'VIGIL_ERR_RULE_CONDITION' }]);
  });

  it.each([
    ['a dangling operator', 'sel and'],
    ['an unclosed parenthesis', '(sel'],
    ['a stray closing parenthesis', 'sel)'],
    ['two identifiers without an operator', 'sel sel'],
    ['a quantifier that is not a number', 'some of sel*'],
    ['zero of', '0 of sel*'],
    ['of without a target', '1 of'],
    ['an empty condition', "''"],
  ])('%s is an error', (_label, text) => {
    expect(errorOf(text)).toMatchObject([{ severity: 'error', code: 'VIGIL_ERR_RULE_CONDITION' }]);
  });

  it('a Sigma 1.x aggregation (`| count() > 5`) is unsupported, not an error', () => {
    expect(errorOf('sel | count() > 5')).toMatchObject([
      { severity: 'unsupported', code: 'VIGIL_ERR_RULE_UNSUPPORTED', path: 'detection.condition' },
    ]);
  });

  it('a valid condition yields no diagnostic', () => {
    expect(errorOf('sel')).toEqual([]);
  });
});
