/**
 * Conformance: the detector — logsource routing, EventID indexing, match order, explanations
 * and ATT&CK classification.
 *
 * Spec: Sigma specification v2.1, `sigma-rules-specification.md`, "LogSource" (category, product
 * and service select the log data a rule applies to; they can be used alone or in any
 * combination) and "Tags"; `sigma-appendix-tags.md`, "Namespace: attack".
 */
import { describe, expect, it } from 'vitest';
import { createDetector } from '../../../src/detect/sigma/detector.js';
import { createEvent, eventLogSource } from '../../../src/detect/sigma/event.js';
import { parseRules } from '../../../src/detect/sigma/parse.js';
import type { FieldValue } from '../../../src/detect/sigma/types.js';
import { load, ruleWith, TEST_LOGSOURCE } from '../../helpers/sigma.js';

/** A rule titled `title` with the given logsource body, matching events with `F: x`. */
function ruleFor(title: string, logsource: string): string {
  return `title: ${title}\nlogsource:\n${logsource}\ndetection:\n    selection:\n        F: x\n    condition: selection\n`;
}

describe('logsource routing', () => {
  const text = [
    ruleFor('sysmon', '    product: windows\n    service: sysmon'),
    ruleFor('security', '    product: windows\n    service: security'),
    ruleFor('process_creation', '    product: windows\n    category: process_creation'),
    ruleFor('windows', '    product: windows'),
    ruleFor('linux', '    product: linux'),
    ruleFor('everything', '    {}'),
    ruleFor('registry_set', '    category: registry_set'),
  ].join('---\n');
  const parsed = parseRules(text, 'rules.yml');
  const detector = createDetector(parsed.rules);
  const titles = (
    product: string | undefined,
    services: string[],
    categories: string[],
    fields = { F: 'x' },
  ) =>
    detector
      .match(createEvent(fields, eventLogSource(product, services, categories)))
      .map((r) => r.rule.title);

  it('loads every rule', () => {
    expect(parsed.diagnostics).toEqual([]);
    expect(detector.rules).toHaveLength(7);
  });

  it('a windows/sysmon rule does not see a windows/security event', () => {
    expect(titles('windows', ['security'], [])).toEqual(['security', 'windows', 'everything']);
  });

  it('a windows/sysmon rule sees a windows/sysmon event', () => {
    expect(titles('windows', ['sysmon'], [])).toEqual(['sysmon', 'windows', 'everything']);
  });

  it('a category rule sees events of that category only', () => {
    expect(titles('windows', ['sysmon'], ['process_creation'])).toEqual([
      'sysmon',
      'process_creation',
      'windows',
      'everything',
    ]);
    expect(titles('windows', ['sysmon'], ['file_event'])).toEqual(['sysmon', 'windows', 'everything']);
  });

  it('an event belonging to several categories is seen by the rules of each', () => {
    expect(titles('windows', ['sysmon'], ['registry_event', 'registry_set'])).toEqual([
      'sysmon',
      'windows',
      'everything',
      'registry_set',
    ]);
  });

  it('a product rule does not see events of another product or of no product', () => {
    expect(titles('linux', [], [])).toEqual(['linux', 'everything']);
    expect(titles(undefined, [], [])).toEqual(['everything']);
  });

  it('a rule with an empty logsource sees every event', () => {
    expect(titles('macos', ['unified'], ['process_creation'])).toEqual(['everything']);
  });

  it('routing never replaces the detection: a non-matching event matches nothing', () => {
    expect(titles('windows', ['sysmon'], ['process_creation'], { F: 'y' })).toEqual([]);
  });
});

/** Detection bodies (indented for `ruleWith`) covering EventID constraints of every shape. */
const INDEXED_RULES: readonly string[] = [
  '    sel:\n        EventID: 1\n    condition: sel',
  '    sel:\n        EventID: [1, 2]\n    condition: sel',
  "    sel:\n        EventID: '5'\n    condition: sel",
  '    sel:\n        EventID: 4688\n        CommandLine|contains: x\n    condition: sel',
  '    sel:\n        CommandLine|contains: x\n    condition: sel',
  '    sel:\n        CommandLine|contains: x\n    filter:\n        EventID: 2\n    condition: sel and not filter',
  '    sel:\n        EventID: 1\n    condition: not sel',
  '    sel1:\n        EventID: 1\n    sel2:\n        EventID: 3\n    condition: 1 of sel*',
  '    sel1:\n        EventID: 1\n    sel2:\n        F: a\n    condition: all of them',
  '    sel1:\n        EventID: 1\n    sel2:\n        EventID: 3\n    sel3:\n        F: a\n    condition: 2 of sel*',
  '    sel:\n        EventID: 1\n    other:\n        F: a\n    condition:\n        - sel\n        - other',
  '    sel:\n        - EventID: 1\n          F: a\n        - EventID: 4688\n    condition: sel',
  '    sel:\n        - EventID: 1\n        - F: a\n    condition: sel',
  "    sel:\n        EventID: '46*'\n    condition: sel",
  '    sel:\n        EventID|neq: 1\n    condition: sel',
  '    sel:\n        EventID: null\n    condition: sel',
  "    kw:\n        - '4688'\n    condition: kw",
  '    sel:\n        EventID|lt: 3\n    condition: sel',
  '    sel:\n        eventid: 3\n    condition: sel',
  '    sel:\n        EventID: 1\n    kw:\n        - mimikatz\n    condition: sel or kw',
  '    sel:\n        EventID: 1\n    other:\n        EventID: 2\n    condition: sel and other',
  '    sel:\n        EventID|cased: 1\n    condition: sel',
  "    sel:\n        EventID: ''\n    condition: sel",
];

const EVENT_IDS: readonly (FieldValue | undefined)[] = [
  undefined,
  null,
  1,
  '1',
  2,
  3,
  5,
  '5',
  4688,
  '4688',
  [1, 3],
  [1, 2],
  ['2', '5'],
  'abc',
  ' 1',
  '',
];

function events(): Record<string, FieldValue>[] {
  const out: Record<string, FieldValue>[] = [];
  for (const id of EVENT_IDS) {
    for (const commandLine of [undefined, 'run x now', 'mimikatz']) {
      for (const f of [undefined, 'a']) {
        const fields: Record<string, FieldValue> = {};
        if (id !== undefined) fields.EventID = id;
        if (commandLine !== undefined) fields.CommandLine = commandLine;
        if (f !== undefined) fields.F = f;
        out.push(fields);
      }
    }
  }
  return out;
}

/**
 * Brute force: one detector per rule, each rule OR-ed with a keyword identifier no event holds,
 * so that no EventID requirement can be derived and the rule is evaluated for every event.
 */
function bruteForce(detection: string): (fields: Record<string, FieldValue>) => boolean {
  const unindexable = detection
    .replace(/condition: (?!\n)(.*)$/, 'condition: ($1) or _never')
    .replace(/condition:\n((?: {8}- .*\n?)+)$/, 'condition:\n$1\n        - _never');
  if (unindexable === detection) throw new Error(`oracle could not rewrite the condition: ${detection}`);
  const body = `    _never:\n        - 'no event holds this 5f0e2c'\n${unindexable}`;
  const { detector, diagnostics } = load(ruleWith(body));
  if (diagnostics.length > 0 || detector.rules.length !== 1) throw new Error(`oracle did not load: ${body}`);
  return (fields) => detector.match(createEvent(fields, TEST_LOGSOURCE)).length === 1;
}

describe('EventID indexing', () => {
  const text = INDEXED_RULES.map((d, i) => ruleWith(d).replace('title: test rule', `title: rule ${i}`)).join(
    '---\n',
  );
  const { detector, diagnostics } = load(text);
  const oracles = INDEXED_RULES.map(bruteForce);

  it('loads every rule', () => {
    expect(diagnostics).toEqual([]);
    expect(detector.rules.map((r) => r.rule.title)).toEqual(INDEXED_RULES.map((_, i) => `rule ${i}`));
  });

  it('gives the same matches, in load order, as evaluating every rule on its own', () => {
    for (const fields of events()) {
      const expected = oracles.flatMap((matches, i) => (matches(fields) ? [`rule ${i}`] : []));
      const actual = detector.match(createEvent(fields, TEST_LOGSOURCE)).map((r) => r.rule.title);
      expect({ fields, matches: actual }).toEqual({ fields, matches: expected });
    }
  });

  it('the comparison is not vacuous: events match and miss indexed rules', () => {
    const counts = new Map<string, number>();
    for (const fields of events()) {
      for (const r of detector.match(createEvent(fields, TEST_LOGSOURCE))) {
        counts.set(r.rule.title, (counts.get(r.rule.title) ?? 0) + 1);
      }
    }
    const total = events().length;
    for (let i = 0; i < INDEXED_RULES.length; i++) {
      expect(counts.get(`rule ${i}`) ?? 0, `rule ${i}`).toBeGreaterThan(0);
      expect(counts.get(`rule ${i}`), `rule ${i}`).toBeLessThan(total);
    }
  });

  it('matches of the same event are stable across repeated calls', () => {
    const event = createEvent({ EventID: 1, CommandLine: 'x', F: 'a' }, TEST_LOGSOURCE);
    const first = detector.match(event).map((r) => r.index);
    expect(detector.match(event).map((r) => r.index)).toEqual(first);
    expect(first).toEqual([...first].sort((a, b) => a - b));
  });
});

describe('detector.rules', () => {
  it('lists the active rules in load order with their index, leaving out rules that failed', () => {
    const text = [
      ruleWith('    sel:\n        F: 1\n    condition: sel').replace('test rule', 'one'),
      ruleWith('    sel:\n        F|nope: 1\n    condition: sel').replace('test rule', 'broken'),
      ruleWith('    sel:\n        F: 1\n    condition: sel').replace('test rule', 'three'),
    ].join('---\n');
    const { detector } = load(text);
    expect(detector.rules.map((r) => [r.index, r.rule.title])).toEqual([
      [0, 'one'],
      [1, 'three'],
    ]);
    expect(detector.match(createEvent({ F: 1 }, TEST_LOGSOURCE)).map((r) => r.rule.title)).toEqual([
      'one',
      'three',
    ]);
  });
});

describe('detector.explain', () => {
  const { detector } = load(
    ruleWith(
      "    sel:\n        Image|endswith: '.exe'\n        ProcessGuid: '{x}'\n    sel_alt:\n        - Parent: a\n        - Grand: b\n    filter:\n        User: system\n    kw:\n        - mimikatz\n        - sekurlsa\n    condition: (sel or sel_alt or kw) and not filter",
    ),
  );
  const explain = (fields: Record<string, FieldValue>) => {
    const event = createEvent(fields, TEST_LOGSOURCE);
    const [rule] = detector.match(event);
    expect(rule, 'the event should match').toBeDefined();
    return detector.explain(event, rule!);
  };

  it('names the true selections only', () => {
    expect(explain({ Image: 'a.EXE', ProcessGUID: '{X}', User: 'bob' }).selections).toEqual(['sel']);
    expect(explain({ Image: 'a.EXE', ProcessGUID: '{X}', Grand: 'B' }).selections).toEqual([
      'sel',
      'sel_alt',
    ]);
  });

  it("gives the matched fields with the event's values", () => {
    expect(explain({ Image: 'a.EXE', ProcessGUID: '{X}', Other: 'o' }).fields).toEqual({
      Image: 'a.EXE',
      ProcessGuid: '{X}',
    });
  });

  it('gives only the matching map of a list of maps', () => {
    expect(explain({ Grand: 'b', Parent: 'z' })).toMatchObject({
      selections: ['sel_alt'],
      fields: { Grand: 'b' },
    });
  });

  it('gives the matched keyword and not the unmatched one', () => {
    const { selections, keywords, fields } = explain({ CommandLine: 'sekurlsa::logonpasswords' });
    expect(selections).toEqual(['kw']);
    expect(fields).toEqual({});
    expect(keywords).toHaveLength(1);
    expect(keywords[0]).toContain('sekurlsa');
    expect(keywords[0]).not.toContain('mimikatz');
  });

  it('gives the referenced field of a fieldref', () => {
    const { detector: d } = load(ruleWith('    sel:\n        Target|fieldref: Subject\n    condition: sel'));
    const event = createEvent({ Target: 'bob', Subject: 'BOB' }, TEST_LOGSOURCE);
    expect(d.explain(event, d.match(event)[0]!).fields).toEqual({ Target: 'bob', Subject: 'BOB' });
  });
});

describe('ATT&CK classification of rules (tags, namespace attack)', () => {
  const tagged = (tags: string) =>
    load(
      ruleWith('    sel:\n        F: 1\n    condition: sel').replace(
        'level: high',
        `level: high\ntags: [${tags}]`,
      ),
    ).detector.rules[0]!.threat;

  it('attack.t1059.001 gives technique T1059 and sub-technique T1059.001 with names', () => {
    const threat = tagged('attack.t1059.001');
    expect(threat.framework).toBe('MITRE ATT&CK');
    expect(threat.techniques).toMatchObject([{ id: 'T1059', name: 'Command and Scripting Interpreter' }]);
    expect(threat.subtechniques).toMatchObject([{ id: 'T1059.001', name: 'PowerShell' }]);
    expect(threat.unknown).toEqual([]);
  });

  it('attack.execution gives tactic TA0002 Execution', () => {
    expect(tagged('attack.execution').tactics).toMatchObject([{ id: 'TA0002', name: 'Execution' }]);
  });

  it('tags are matched case-insensitively (attack.T1059.001)', () => {
    expect(tagged('attack.T1059.001').subtechniques).toMatchObject([{ id: 'T1059.001' }]);
  });

  it('a tactic the bundled ATT&CK does not know (attack.stealth) is kept as unknown', () => {
    const threat = tagged('attack.stealth, attack.t9999');
    expect(threat.unknown).toEqual(['attack.stealth', 'attack.t9999']);
    expect(threat.tactics).toEqual([]);
    expect(threat.techniques).toEqual([]);
  });

  it('tags of other namespaces are ignored', () => {
    const threat = tagged('cve.2021-44228, detection.emerging-threats, attack.execution');
    expect(threat.tactics).toHaveLength(1);
    expect(threat.unknown).toEqual([]);
  });
});
