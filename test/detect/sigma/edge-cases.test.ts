/**
 * Edge cases found by the conformance review (robustness of the parser, regex classification,
 * strict number and IP parsing, Unicode `?`, big integers, filter isolation). Each states the spec
 * passage or the engine contract it checks.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createDetector } from '../../../src/detect/sigma/detector.js';
import { createEvent } from '../../../src/detect/sigma/event.js';
import { parseRules } from '../../../src/detect/sigma/parse.js';
import { load, matcher, problems, ruleWith, TEST_LOGSOURCE } from '../../helpers/sigma.js';

function item(key: string, yamlValue: string) {
  return matcher(`    selection:\n        ${key}: ${yamlValue}\n    condition: selection`);
}

/** parseRules then createDetector; returns the error either throws instead of a result. */
function loadOrThrown(text: string): unknown {
  try {
    const parsed = parseRules(text, 'fuzz.yml');
    createDetector(parsed.rules, { filters: parsed.filters });
    return undefined;
  } catch (err) {
    return err;
  }
}

describe('parse.test.ts — parser robustness (STYLE.md: any input yields a value or a typed error)', () => {
  it('an alias to an undefined anchor is a diagnostic, not a thrown ReferenceError', () => {
    expect(loadOrThrown('*!')).toBeUndefined();
    expect(loadOrThrown('title: *x\n')).toBeUndefined();
    expect(parseRules('title: *x\n', 'f.yml').diagnostics).toMatchObject([{ code: 'VIGIL_ERR_RULE_YAML' }]);
  });

  it('an alias bomb is a diagnostic, not a thrown ReferenceError', () => {
    const bomb = `a: &a [x, x, x, x, x, x, x, x, x, x]
b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]
c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]
d: [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]
`;
    expect(loadOrThrown(bomb)).toBeUndefined();
  });

  it('a deeply nested condition is a diagnostic, not a stack overflow', () => {
    const depth = 5_000;
    expect(
      loadOrThrown(
        ruleWith(`    sel:\n        a: 1\n    condition: ${'('.repeat(depth)}sel${')'.repeat(depth)}`),
      ),
    ).toBeUndefined();
    expect(
      loadOrThrown(ruleWith(`    sel:\n        a: 1\n    condition: ${'not '.repeat(depth)}sel`)),
    ).toBeUndefined();
  });

  it('arbitrary text given to parseRules never throws, nor does createDetector (fast-check)', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), (text) => loadOrThrown(text) === undefined),
      { numRuns: 2_000 },
    );
  });
});

describe('parse.test.ts — diagnostics carry the 1-based line', () => {
  it('a YAML syntax error carries its line', () => {
    const text = 'title: x\nlogsource:\n    product: test\ndetection:\n    sel: [a\n';
    const [d] = parseRules(text, 'f.yml').diagnostics;
    expect(d).toMatchObject({ code: 'VIGIL_ERR_RULE_YAML' });
    expect(d!.line).toBeGreaterThanOrEqual(5);
  });

  it('a modifier error found when compiling carries the line of its item', () => {
    expect(problems('    selection:\n        F|sartswith: x\n    condition: selection')).toMatchObject([
      { code: 'VIGIL_ERR_RULE_MODIFIER', path: 'detection.selection.F|sartswith', line: 8 },
    ]);
  });
});

describe('regex.test.ts — look-behind is unsupported like look-ahead', () => {
  it.each(['(?<!x)a', '(?<=x)a'])('%s yields an unsupported VIGIL_ERR_RULE_REGEX diagnostic', (pattern) => {
    expect(problems(`    selection:\n        F|re: '${pattern}'\n    condition: selection`)).toMatchObject([
      { severity: 'unsupported', code: 'VIGIL_ERR_RULE_REGEX' },
    ]);
  });
});

describe('modifiers-typed.test.ts — cidr: values that are not IP addresses do not match', () => {
  const m = item('DestinationIp|cidr', '10.0.0.0/8');

  it('a bare integer (167772161, i.e. 10.0.0.1 as a number) is not an IP address', () => {
    expect(m({ DestinationIp: '167772161' })).toBe(false);
  });

  it('a three-part address (10.1.2) is not an IP address', () => {
    expect(m({ DestinationIp: '10.1.2' })).toBe(false);
  });

  it('a zero-padded octet is not read as octal (010.1.2.3 is not in 8.0.0.0/8)', () => {
    expect(item('DestinationIp|cidr', '8.0.0.0/8')({ DestinationIp: '010.1.2.3' })).toBe(false);
  });
});

describe('modifiers-typed.test.ts — lt/lte/gt/gte: non-numeric event values do not match', () => {
  it.each(['Infinity', '-Infinity', '0b101', '0o17'])('%s is not a number', (F) => {
    expect(item('F|gt', '-1000000')({ F })).toBe(false);
    expect(item('F|lt', '1000000')({ F })).toBe(false);
  });
});

describe('modifiers-typed.test.ts — fieldref|neq with a missing referenced field', () => {
  it('does not match, like neq on a missing field and fieldref with a missing reference', () => {
    expect(item('TargetUserName|fieldref|neq', 'SubjectUserName')({ TargetUserName: 'bob' })).toBe(false);
  });
});

describe('values.test.ts — ? replaces exactly one character', () => {
  it('matches a character whose lower case is longer (İ, U+0130)', () => {
    expect(item('F', "'x?y'")({ F: 'x\u0130y' })).toBe(true);
  });

  it('matches a character outside the Basic Multilingual Plane (one emoji)', () => {
    expect(item('F', "'x?y'")({ F: 'x\u{1F600}y' })).toBe(true);
  });
});

describe('values.test.ts — numbers: values are compared as strings, so no digit may be lost', () => {
  it('an integer beyond 2^53 (9007199254740993) matches its own digits only', () => {
    const m = item('F', '9007199254740993');
    expect(m({ F: '9007199254740993' })).toBe(true);
    expect(m({ F: '9007199254740992' })).toBe(false);
  });
});

describe('detector.test.ts — explain gives keywords as written in the rule', () => {
  it('a matched keyword is reported as written, without the engine-added * wildcards', () => {
    const { detector } = load(ruleWith("    kw:\n        - mimikatz\n        - 'a\\*b'\n    condition: kw"));
    const event = createEvent({ CommandLine: 'run mimikatz', Other: 'a*b' }, TEST_LOGSOURCE);
    expect(detector.explain(event, detector.match(event)[0]!).keywords).toEqual(['mimikatz', 'a\\*b']);
  });
});

describe('filters.test.ts — a broken filter', () => {
  const rules = parseRules(
    'title: r\nid: r-1\nlogsource:\n    product: windows\ndetection:\n    sel:\n        Image: x\n    condition: sel\n',
    'rules/r.yml',
  );
  const filters = parseRules(
    'title: f\nid: f-1\nlogsource:\n    product: windows\nfilter:\n    rules: [r-1]\n    selection:\n        User|bogus: adm_\n    condition: selection\n',
    'filters/f.yml',
  );
  const detector = createDetector(rules.rules, { filters: filters.filters });

  it('is reported against the filter file and filter id, not the rule file', () => {
    expect(detector.diagnostics).toMatchObject([
      {
        severity: 'error',
        source: { path: 'filters/f.yml' },
        ruleId: 'f-1',
        path: 'filter.selection.User|bogus',
      },
    ]);
  });

  it('does not disable the rule it names (pySigma rejects the filter, not the rule)', () => {
    expect(detector.rules.map((r) => r.rule.id)).toEqual(['r-1']);
  });
});
