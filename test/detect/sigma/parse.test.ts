/**
 * Conformance: rule files, the rule schema and load-time diagnostics.
 *
 * Spec: Sigma specification v2.1, `sigma-rules-specification.md`, sections "File Structure" and
 * "Components" (title, id, name, related, taxonomy, status, description, license, author,
 * references, date, modified, logsource, detection, fields, falsepositives, level, tags, scope).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { createDetector } from '../../../src/detect/sigma/detector.js';
import { parseRules } from '../../../src/detect/sigma/parse.js';

const FULL_RULE = `title: Whoami Execution
id: 929a690e-bef0-4204-a928-ef5e620d6fcc
name: whoami_execution
related:
    - id: 08fbc97d-0a2f-491c-ae21-8ffcfd3174e9
      type: derived
    - id: 929a690e-bef0-4204-a928-ef5e620d6fcd
      type: obsolete
taxonomy: sigma
status: test
description: Detects a whoami.exe execution
license: DRL-1.1
references:
    - https://example.org/whoami
author: Test Author
date: 2019-10-23
modified: 2024-01-02
logsource:
    category: Process_Creation
    product: Windows
    definition: Requires Sysmon EID 1
detection:
    selection:
        Image: 'C:\\Windows\\System32\\whoami.exe'
    condition: selection
fields:
    - CommandLine
    - User
falsepositives:
    - Admin activity
level: high
tags:
    - attack.Discovery
    - attack.t1033
scope:
    - server
custom_field: kept out of the AST
`;

/** A minimal valid rule; `extra` lines are appended to it. */
function minimal(title: string, extra = ''): string {
  return `title: ${title}\nlogsource:\n    product: test\ndetection:\n    selection:\n        F: x\n    condition: selection\n${extra}`;
}

describe('rule schema', () => {
  const { rules, diagnostics } = parseRules(FULL_RULE, 'rules/whoami.yml');

  it('loads a complete rule without diagnostics', () => {
    expect(diagnostics).toEqual([]);
    expect(rules).toHaveLength(1);
  });

  it('carries every schema field', () => {
    expect(rules[0]).toMatchObject({
      kind: 'rule',
      title: 'Whoami Execution',
      id: '929a690e-bef0-4204-a928-ef5e620d6fcc',
      name: 'whoami_execution',
      related: [
        { id: '08fbc97d-0a2f-491c-ae21-8ffcfd3174e9', type: 'derived' },
        { id: '929a690e-bef0-4204-a928-ef5e620d6fcd', type: 'obsolete' },
      ],
      taxonomy: 'sigma',
      status: 'test',
      description: 'Detects a whoami.exe execution',
      license: 'DRL-1.1',
      references: ['https://example.org/whoami'],
      author: 'Test Author',
      date: '2019-10-23',
      modified: '2024-01-02',
      fields: ['CommandLine', 'User'],
      falsepositives: ['Admin activity'],
      level: 'high',
      scope: ['server'],
      source: { path: 'rules/whoami.yml', document: 0 },
    });
  });

  it('lower-cases tags', () => {
    expect(rules[0]!.tags).toEqual(['attack.discovery', 'attack.t1033']);
  });

  it('lower-cases logsource category, product and service, but not the definition', () => {
    expect(rules[0]!.logsource).toEqual({
      category: 'process_creation',
      product: 'windows',
      definition: 'Requires Sysmon EID 1',
    });
  });

  it('keeps the detection: identifiers and condition text', () => {
    expect([...rules[0]!.detection.identifiers.keys()]).toEqual(['selection']);
    expect(rules[0]!.detection.conditionText).toEqual(['selection']);
  });

  it('accepts every level and status of the spec', () => {
    for (const level of ['informational', 'low', 'medium', 'high', 'critical']) {
      for (const status of ['stable', 'test', 'experimental', 'deprecated', 'unsupported']) {
        const parsed = parseRules(minimal('t', `level: ${level}\nstatus: ${status}\n`), 'f.yml');
        expect(parsed.diagnostics).toEqual([]);
        expect(parsed.rules[0]).toMatchObject({ level, status });
      }
    }
  });

  it('a single reference or tag given as a string becomes a one-element list', () => {
    const {
      rules: [rule],
    } = parseRules(minimal('t', 'references: https://x.example\ntags: attack.T1033\n'), 'f.yml');
    expect(rule).toMatchObject({ references: ['https://x.example'], tags: ['attack.t1033'] });
  });
});

describe('multi-document files', () => {
  it('loads every rule of a file, in order, with its document index', () => {
    const { rules, diagnostics } = parseRules(`${minimal('first')}---\n${minimal('second')}`, 'two.yml');
    expect(diagnostics).toEqual([]);
    expect(rules.map((r) => [r.title, r.source.document])).toEqual([
      ['first', 0],
      ['second', 1],
    ]);
  });

  it('a document with a YAML syntax error loses only that document', () => {
    const broken = 'title: broken\n  logsource: [\n';
    const { rules, diagnostics } = parseRules(
      `${minimal('a')}---\n${broken}---\n${minimal('c')}`,
      'mixed.yml',
    );
    expect(rules.map((r) => r.title)).toEqual(['a', 'c']);
    expect(diagnostics).toMatchObject([
      { severity: 'error', code: 'VIGIL_ERR_RULE_YAML', source: { path: 'mixed.yml', document: 1 } },
    ]);
  });

  it('a document with an invalid rule loses only that document', () => {
    const { rules, diagnostics } = parseRules(
      `${minimal('a')}---\ntitle: no detection\nlogsource: {}\n---\n${minimal('c')}`,
      'f.yml',
    );
    expect(rules.map((r) => r.title)).toEqual(['a', 'c']);
    expect(diagnostics).toMatchObject([{ code: 'VIGIL_ERR_RULE_INVALID', source: { document: 1 } }]);
  });

  it('an empty document is skipped silently', () => {
    const { rules, diagnostics } = parseRules(`---\n${minimal('a')}---\n`, 'f.yml');
    expect(rules.map((r) => r.title)).toEqual(['a']);
    expect(diagnostics).toEqual([]);
  });
});

describe('diagnostics', () => {
  it('carry the file path, rule id, title, YAML path and 1-based line', () => {
    const second =
      'title: second\nid: rule-2\nlogsource:\n    product: test\ndetection:\n    selection:\n        F: x\n    condition: selection and missing\n';
    const { diagnostics } = parseRules(`${minimal('first')}---\n${second}`, 'rules/two.yml');
    // Line 8 of the file is "---"; the condition is on line 16.
    expect(diagnostics).toEqual([
      expect.objectContaining({
        severity: 'error',
        code: 'VIGIL_ERR_RULE_CONDITION',
        source: { path: 'rules/two.yml', document: 1 },
        ruleId: 'rule-2',
        title: 'second',
        path: 'detection.condition',
        line: 16,
      }),
    ]);
  });

  it('a YAML syntax error is VIGIL_ERR_RULE_YAML', () => {
    expect(parseRules('title: x\nlogsource: {\n', 'f.yml').diagnostics).toMatchObject([
      { severity: 'error', code: 'VIGIL_ERR_RULE_YAML' },
    ]);
  });

  it('a duplicate key is a YAML error', () => {
    expect(parseRules(`${minimal('a')}title: again\n`, 'f.yml').diagnostics).toMatchObject([
      { severity: 'error', code: 'VIGIL_ERR_RULE_YAML' },
    ]);
  });

  it.each([
    ['title', 'logsource: {product: x}\ndetection: {sel: {F: 1}, condition: sel}\n', 'title'],
    [
      'an empty title',
      "title: ''\nlogsource: {product: x}\ndetection: {sel: {F: 1}, condition: sel}\n",
      'title',
    ],
    ['logsource', 'title: t\ndetection: {sel: {F: 1}, condition: sel}\n', 'logsource'],
    ['detection', 'title: t\nlogsource: {product: x}\n', 'detection'],
    ['condition', 'title: t\nlogsource: {product: x}\ndetection: {sel: {F: 1}}\n', 'detection.condition'],
  ])('a missing %s is VIGIL_ERR_RULE_INVALID', (_label, text, path) => {
    const { rules, diagnostics } = parseRules(text, 'f.yml');
    expect(rules).toEqual([]);
    expect(diagnostics).toMatchObject([{ severity: 'error', code: 'VIGIL_ERR_RULE_INVALID', path }]);
  });

  it('a document that is not a map is VIGIL_ERR_RULE_INVALID', () => {
    expect(parseRules('- a\n- b\n', 'f.yml').diagnostics).toMatchObject([{ code: 'VIGIL_ERR_RULE_INVALID' }]);
  });

  it('an unknown status is a warning and the rule still loads', () => {
    const { rules, diagnostics } = parseRules(minimal('t', 'status: production\n'), 'f.yml');
    expect(rules).toHaveLength(1);
    expect(rules[0]!.status).toBeUndefined();
    expect(diagnostics).toMatchObject([{ severity: 'warning', path: 'status', line: 8 }]);
  });

  it('an unknown level is a warning and the rule still loads', () => {
    const { rules, diagnostics } = parseRules(minimal('t', 'level: severe\n'), 'f.yml');
    expect(rules).toHaveLength(1);
    expect(rules[0]!.level).toBeUndefined();
    expect(diagnostics).toMatchObject([{ severity: 'warning', path: 'level' }]);
  });

  it('a correlation document is parsed as a correlation rule beside the rules of its file', () => {
    const correlation =
      'title: Many failed logins\nid: c-1\ncorrelation:\n    type: event_count\n    rules: [failed_login]\n    group-by: [User]\n    timespan: 5m\n    condition:\n        gte: 10\n';
    const { rules, correlations, diagnostics } = parseRules(`${minimal('t')}---\n${correlation}`, 'f.yml');
    expect(rules.map((r) => r.title)).toEqual(['t']);
    expect(diagnostics).toEqual([]);
    expect(correlations).toMatchObject([
      { kind: 'correlation', id: 'c-1', type: 'event_count', rules: ['failed_login'], timespanMs: 300_000 },
    ]);
  });

  it('a taxonomy other than sigma (taxonomy: ocsf) is unsupported', () => {
    const { rules, diagnostics } = parseRules(minimal('t', 'taxonomy: ocsf\n'), 'f.yml');
    expect(rules).toEqual([]);
    expect(diagnostics).toMatchObject([
      { severity: 'unsupported', code: 'VIGIL_ERR_RULE_UNSUPPORTED', path: 'taxonomy' },
    ]);
  });

  it('a Sigma 1.x rule collection (action: global) is unsupported', () => {
    expect(parseRules(minimal('t', 'action: global\n'), 'f.yml').diagnostics).toMatchObject([
      { severity: 'unsupported', code: 'VIGIL_ERR_RULE_UNSUPPORTED' },
    ]);
  });
});

describe('parser robustness (property-based)', () => {
  const noThrow = (text: string) => {
    const parsed = parseRules(text, 'fuzz.yml');
    const detector = createDetector(parsed.rules, { filters: parsed.filters });
    return Array.isArray(detector.diagnostics);
  };

  it('any YAML made from arbitrary objects never throws, nor does createDetector', () => {
    fc.assert(
      fc.property(fc.object({ maxDepth: 4 }), (value) => noThrow(stringify(value))),
      { numRuns: 300 },
    );
  });

  const modifierKey = fc
    .tuple(
      fc.constantFrom('F', 'Image', 'CommandLine', ''),
      fc.array(
        fc.constantFrom(
          'contains',
          'all',
          're',
          'i',
          'base64offset',
          'wide',
          'cidr',
          'gt',
          'hour',
          'exists',
          'neq',
          'windash',
          'expand',
          'fieldref',
          'bogus',
        ),
        { maxLength: 3 },
      ),
    )
    .map(([field, mods]) => [field, ...mods].join('|'));
  const scalar = fc.oneof(
    fc.string({ maxLength: 12 }),
    fc.integer(),
    fc.boolean(),
    fc.constant(null),
    fc.constantFrom('10.0.0.0/8', '(a+)+$', '%x%', '*', '\\'),
  );
  const selection = fc.oneof(
    fc.dictionary(modifierKey, fc.oneof(scalar, fc.array(scalar, { maxLength: 3 })), { maxKeys: 3 }),
    fc.array(scalar, { maxLength: 3 }),
  );
  const conditionText = fc
    .array(
      fc.constantFrom(
        'sel',
        'filter',
        'and',
        'or',
        'not',
        '(',
        ')',
        '1 of',
        'all of',
        'them',
        'sel*',
        '| count()',
      ),
      { maxLength: 8 },
    )
    .map((words) => words.join(' '));
  const ruleLike = fc.record(
    {
      title: fc.oneof(fc.string(), fc.integer()),
      logsource: fc.oneof(fc.record({ product: fc.string(), category: fc.string() }), fc.string()),
      detection: fc.record({
        sel: selection,
        filter: selection,
        condition: fc.oneof(conditionText, fc.array(conditionText)),
      }),
      tags: fc.array(fc.string()),
      status: fc.string(),
      level: fc.string(),
    },
    { requiredKeys: [] },
  );

  it('rule-shaped YAML with arbitrary detections, modifiers and conditions never throws', () => {
    fc.assert(
      fc.property(fc.array(ruleLike, { minLength: 1, maxLength: 3 }), (docs) =>
        noThrow(docs.map((d) => stringify(d)).join('---\n')),
      ),
      { numRuns: 500 },
    );
  });
});
