/**
 * Conformance of correlation rule parsing: `sigma-correlation-rules-specification.md` v2.1.0,
 * "Correlation section" (type, rules, aliases, group-by, timespan, condition, generate). The
 * spec's own examples are parsed in test/corpus/correlation.corpus.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { parseTimespan } from '../../../../src/detect/sigma/correlation/parse.js';
import { parseRules } from '../../../../src/detect/sigma/parse.js';

const doc = (correlation: string, top = ''): string =>
  `title: t\nid: c\n${top}correlation:\n${correlation.replace(/^/gm, '    ')}\n`;

function problems(yaml: string): string[] {
  return parseRules(yaml, 'c.yml').diagnostics.map((d) => `${d.severity} ${d.path ?? ''}: ${d.message}`);
}

describe('correlation parsing', () => {
  it('reads every attribute', () => {
    const { correlations } = parseRules(
      doc(
        'type: value_count\nrules: [r1, r2]\ngroup-by: [ComputerName, WorkstationName]\ntimespan: 1d\ncondition:\n    field: User\n    gte: 100\naliases:\n    host:\n        r1: ComputerName',
        'level: high\nstatus: test\ngenerate: true\ntags: [attack.T1110]\n',
      ),
      'c.yml',
    );
    const c = correlations[0]!;
    expect(c).toMatchObject({
      type: 'value_count',
      rules: ['r1', 'r2'],
      groupBy: ['ComputerName', 'WorkstationName'],
      timespanMs: 86_400_000,
      timespan: '1d',
      condition: { comparisons: [{ op: 'gte', value: 100 }], fields: ['User'] },
      generate: true,
      level: 'high',
      status: 'test',
      tags: ['attack.t1110'],
    });
    expect(c.aliases.get('host')?.get('r1')).toBe('ComputerName');
  });

  it('timespan: number and unit', () => {
    expect([parseTimespan('30s'), parseTimespan('5m'), parseTimespan('2h'), parseTimespan('1d')]).toEqual([
      30_000, 300_000, 7_200_000, 86_400_000,
    ]);
    expect(() => parseTimespan('5')).toThrow(/timespan/);
    expect(() => parseTimespan('1.5h')).toThrow(/timespan/);
    expect(() => parseTimespan('0s')).toThrow(/positive/);
  });

  it('temporal types default to "all rules"; value_percentile needs a percentile; value_median is p50', () => {
    const t = parseRules(doc('type: temporal\nrules: [a, b, c]\ntimespan: 5m'), 'c.yml').correlations[0]!;
    expect(t.condition.comparisons).toEqual([{ op: 'gte', value: 3 }]);
    const m = parseRules(
      doc('type: value_median\nrules: [a]\ntimespan: 5m\ncondition:\n    field: x\n    gt: 1'),
      'c.yml',
    ).correlations[0]!;
    expect(m.condition.percentile).toBe(50);
    const p = parseRules(
      doc(
        'type: value_percentile\nrules: [a]\ntimespan: 5m\ncondition:\n    field: x\n    percentile: 95\n    gt: 1',
      ),
      'c.yml',
    ).correlations[0]!;
    expect(p.condition.percentile).toBe(95);
  });

  it.each([
    ['an unknown type', 'type: sequence\nrules: [a]\ntimespan: 5m', /correlation.type/],
    ['no rules', 'type: event_count\ntimespan: 5m\ncondition:\n    gte: 1', /at least one rule/],
    ['no timespan', 'type: event_count\nrules: [a]\ncondition:\n    gte: 1', /timespan/],
    [
      'no condition for event_count',
      'type: event_count\nrules: [a]\ntimespan: 5m',
      /"condition" is required/,
    ],
    [
      'a condition without operator',
      'type: event_count\nrules: [a]\ntimespan: 5m\ncondition:\n    field: x',
      /needs one of/,
    ],
    [
      'a non-numeric threshold',
      'type: event_count\nrules: [a]\ntimespan: 5m\ncondition:\n    gte: many',
      /must be a number/,
    ],
    [
      'an unknown condition key',
      'type: event_count\nrules: [a]\ntimespan: 5m\ncondition:\n    above: 3',
      /unknown condition key/,
    ],
    [
      'value_count without field',
      'type: value_count\nrules: [a]\ntimespan: 5m\ncondition:\n    gte: 3',
      /needs "condition.field"/,
    ],
    [
      'a field on event_count',
      'type: event_count\nrules: [a]\ntimespan: 5m\ncondition:\n    field: x\n    gte: 3',
      /not used by event_count/,
    ],
    [
      'a percentile above 100',
      'type: value_percentile\nrules: [a]\ntimespan: 5m\ncondition:\n    field: x\n    percentile: 101\n    gt: 3',
      /0 to 100/,
    ],
    [
      'temporal_ordered with one rule',
      'type: temporal_ordered\nrules: [a]\ntimespan: 5m',
      /at least two rules/,
    ],
  ])('rejects %s with a located error', (_name, body, message) => {
    const found = problems(doc(body));
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(/^error correlation/);
    expect(found[0]).toMatch(message);
  });

  it('value_percentile without a percentile is unsupported (the spec example names none), not an error', () => {
    const found = problems(
      doc('type: value_percentile\nrules: [a]\ntimespan: 5m\ncondition:\n    field: x\n    lte: 1'),
    );
    expect(found).toEqual([
      expect.stringMatching(/^unsupported correlation.condition: .*name the percentile/),
    ]);
  });

  it('warns about an alias on a rule the correlation does not reference', () => {
    const found = problems(
      doc('type: temporal\nrules: [a, b]\ntimespan: 5m\naliases:\n    ip:\n        zz: source.ip'),
    );
    expect(found).toEqual([expect.stringMatching(/^warning correlation.aliases.ip.zz: .*"zz"/)]);
  });
});
