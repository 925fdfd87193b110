/**
 * Conformance of the correlation engine: `sigma-correlation-rules-specification.md` v2.1.0,
 * "Correlation Types" (event_count, value_count, temporal, temporal_ordered, value_sum,
 * value_avg, value_percentile), "Field Name Aliases", chaining ("Example"), `generate`, and the
 * semantics in docs/correlation.md (sliding inclusive window, fire and reset, late inputs,
 * bounded state).
 */
import { describe, expect, it } from 'vitest';
import { Correlator } from '../../../../src/detect/sigma/correlation/engine.js';
import { planCorrelations } from '../../../../src/detect/sigma/correlation/plan.js';
import type { CorrelationAlert } from '../../../../src/detect/sigma/correlation/types.js';
import { parseRules } from '../../../../src/detect/sigma/parse.js';
import type { FieldValue, SigmaRule } from '../../../../src/detect/sigma/types.js';

function base(name: string, id = `id-${name}`): string {
  return `title: ${name}\nid: ${id}\nname: ${name}\nlogsource:\n    product: test\ndetection:\n    sel:\n        a: 1\n    condition: sel\n`;
}

function load(yaml: string) {
  const parsed = parseRules(yaml, 'c.yml');
  expect(parsed.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  const plan = planCorrelations(parsed.rules, parsed.correlations);
  expect(plan.diagnostics).toEqual([]);
  const byName = new Map(parsed.rules.map((r) => [r.name!, r]));
  return { plan, rule: (n: string): SigmaRule => byName.get(n)! };
}

type Feed = [rule: string, seconds: number, fields?: Record<string, FieldValue>];

function run(yaml: string, feeds: readonly Feed[], options = {}) {
  const { plan, rule } = load(yaml);
  const engine = new Correlator<string>(plan, options);
  const alerts: CorrelationAlert<string>[] = [];
  feeds.forEach(([r, s, fields], i) =>
    alerts.push(...engine.feed(rule(r), { time: s * 1000, fields: fields ?? {}, ref: `${r}#${i}` })),
  );
  return { alerts, engine, plan };
}

const corr = (body: string, extra = ''): string =>
  `title: c\nid: corr-1\nname: corr\n${extra}correlation:\n${body
    .split('\n')
    .map((l) => `    ${l}`)
    .join('\n')}\n`;

describe('event_count', () => {
  const rules = `${base('fail')}---\n${corr('type: event_count\nrules: [fail]\ngroup-by: [ip]\ntimespan: 10s\ncondition:\n    gte: 3')}`;

  it('fires when the count in the window ending at a match reaches the condition, then starts over', () => {
    const feeds: Feed[] = [0, 1, 2, 3, 4, 5, 6].map((s) => ['fail', s, { ip: '10.0.0.1' }]);
    const { alerts } = run(rules, feeds);
    // 3 matches → fire at 2 s (reset), 3 more → fire at 5 s, the 7th starts a new window.
    expect(alerts.map((a) => [a.time, a.value, a.group])).toEqual([
      [2000, 3, { ip: '10.0.0.1' }],
      [5000, 3, { ip: '10.0.0.1' }],
    ]);
    expect(alerts[0]!.events).toEqual(['fail#0', 'fail#1', 'fail#2']);
    expect(alerts[0]!.window).toEqual({ start: 0, end: 2000 });
  });

  it('counts per group-by value and never across groups', () => {
    const { alerts } = run(rules, [
      ['fail', 0, { ip: 'a' }],
      ['fail', 1, { ip: 'b' }],
      ['fail', 2, { ip: 'a' }],
      ['fail', 3, { ip: 'b' }],
      ['fail', 4, { ip: 'a' }],
    ]);
    expect(alerts.map((a) => a.group)).toEqual([{ ip: 'a' }]);
  });

  it('uses a sliding window with inclusive bounds: matches exactly timespan apart count, older ones do not', () => {
    const inside = run(rules, [
      ['fail', 0, { ip: 'a' }],
      ['fail', 5, { ip: 'a' }],
      ['fail', 10, { ip: 'a' }],
    ]);
    expect(inside.alerts).toHaveLength(1);
    const outside = run(rules, [
      ['fail', 0, { ip: 'a' }],
      ['fail', 5, { ip: 'a' }],
      ['fail', 10.001, { ip: 'a' }],
    ]);
    expect(outside.alerts).toEqual([]);
  });

  it('a match without a group-by value is not counted (and is counted as such)', () => {
    const { alerts, engine } = run(rules, [
      ['fail', 0, { ip: 'a' }],
      ['fail', 1, {}],
      ['fail', 2, { ip: '' }],
      ['fail', 3, { ip: 'a' }],
    ]);
    expect(alerts).toEqual([]);
    expect(engine.stats.missingGroup).toBe(2);
  });

  it('supports ranges (gt + lte) and neq', () => {
    const range = `${base('fail')}---\n${corr('type: event_count\nrules: [fail]\ngroup-by: [ip]\ntimespan: 1m\ncondition:\n    gt: 1\n    lte: 2')}`;
    expect(
      run(range, [
        ['fail', 0, { ip: 'a' }],
        ['fail', 1, { ip: 'a' }],
      ]).alerts.map((a) => a.value),
    ).toEqual([2]);
    const neq = `${base('fail')}---\n${corr('type: event_count\nrules: [fail]\ngroup-by: [ip]\ntimespan: 1m\ncondition:\n    neq: 1')}`;
    expect(
      run(neq, [
        ['fail', 0, { ip: 'a' }],
        ['fail', 1, { ip: 'a' }],
      ]).alerts.map((a) => a.value),
    ).toEqual([2]);
  });

  it('an empty group-by counts every match in one group', () => {
    const all = `${base('fail')}---\n${corr('type: event_count\nrules: [fail]\ntimespan: 1m\ncondition:\n    gte: 2')}`;
    const { alerts } = run(all, [
      ['fail', 0, { ip: 'a' }],
      ['fail', 1, { ip: 'b' }],
    ]);
    expect(alerts.map((a) => a.group)).toEqual([{}]);
  });
});

describe('value_count', () => {
  const rules = `${base('fail')}---\n${corr('type: value_count\nrules: [fail]\ngroup-by: [ip]\ntimespan: 1m\ncondition:\n    field: user\n    gte: 3')}`;

  it('counts distinct values of the field; repeats and matches without it add nothing', () => {
    const { alerts } = run(rules, [
      ['fail', 0, { ip: 'a', user: 'root' }],
      ['fail', 1, { ip: 'a', user: 'root' }],
      ['fail', 2, { ip: 'a' }],
      ['fail', 3, { ip: 'a', user: 'admin' }],
      ['fail', 4, { ip: 'a', user: 'Admin' }],
    ]);
    expect(alerts.map((a) => [a.time, a.value])).toEqual([[4000, 3]]);
    expect(alerts[0]!.events).toHaveLength(5);
  });

  it('forgets values that left the window', () => {
    const { alerts } = run(rules, [
      ['fail', 0, { ip: 'a', user: 'u1' }],
      ['fail', 30, { ip: 'a', user: 'u2' }],
      ['fail', 61, { ip: 'a', user: 'u3' }],
    ]);
    expect(alerts).toEqual([]);
  });

  it('several fields are one tuple (spec: linked by AND)', () => {
    const tuple = `${base('fail')}---\n${corr('type: value_count\nrules: [fail]\ngroup-by: [ip]\ntimespan: 1m\ncondition:\n    field: [user, domain]\n    gte: 2')}`;
    const { alerts } = run(tuple, [
      ['fail', 0, { ip: 'a', user: 'u', domain: 'd1' }],
      ['fail', 1, { ip: 'a', user: 'u', domain: 'd1' }],
      ['fail', 2, { ip: 'a', user: 'u', domain: 'd2' }],
    ]);
    expect(alerts.map((a) => a.value)).toEqual([2]);
  });
});

describe('temporal and temporal_ordered', () => {
  const rules = `${base('a')}---\n${base('b')}---\n${base('c')}---\n`;

  it('temporal fires when every referenced rule matched in the window, in any order', () => {
    const yaml = `${rules}${corr('type: temporal\nrules: [a, b, c]\ngroup-by: [host]\ntimespan: 5m')}`;
    const { alerts } = run(yaml, [
      ['c', 0, { host: 'h' }],
      ['a', 10, { host: 'h' }],
      ['a', 20, { host: 'other' }],
      ['b', 30, { host: 'h' }],
    ]);
    expect(alerts.map((a) => [a.time, a.value, a.group])).toEqual([[30_000, 3, { host: 'h' }]]);
  });

  it('temporal honours a condition on the number of distinct rules', () => {
    const yaml = `${rules}${corr('type: temporal\nrules: [a, b, c]\ngroup-by: [host]\ntimespan: 5m\ncondition:\n    gte: 2')}`;
    expect(
      run(yaml, [
        ['a', 0, { host: 'h' }],
        ['a', 1, { host: 'h' }],
        ['c', 2, { host: 'h' }],
      ]).alerts.map((a) => a.time),
    ).toEqual([2000]);
  });

  it('temporal_ordered needs the listed order, within the timespan from the first', () => {
    const yaml = `${rules}${corr('type: temporal_ordered\nrules: [a, b]\ngroup-by: [host]\ntimespan: 1m')}`;
    expect(
      run(yaml, [
        ['b', 0, { host: 'h' }],
        ['a', 1, { host: 'h' }],
      ]).alerts,
    ).toEqual([]);
    expect(
      run(yaml, [
        ['a', 0, { host: 'h' }],
        ['b', 61, { host: 'h' }],
      ]).alerts,
    ).toEqual([]);
    const ok = run(yaml, [
      ['a', 0, { host: 'h' }],
      ['a', 30, { host: 'h' }],
      ['b', 70, { host: 'h' }],
    ]);
    // The latest start (30 s) keeps the sequence within the minute.
    expect(ok.alerts.map((a) => [a.time, a.window, a.events])).toEqual([
      [70_000, { start: 30_000, end: 70_000 }, ['a#1', 'b#2']],
    ]);
  });

  it('temporal_ordered: one event never completes two steps (a rule listed twice needs two matches)', () => {
    const yaml = `${rules}${corr('type: temporal_ordered\nrules: [a, a, b]\ngroup-by: [host]\ntimespan: 1m')}`;
    expect(
      run(yaml, [
        ['a', 0, { host: 'h' }],
        ['b', 1, { host: 'h' }],
      ]).alerts,
    ).toEqual([]);
    expect(
      run(yaml, [
        ['a', 0, { host: 'h' }],
        ['a', 1, { host: 'h' }],
        ['b', 2, { host: 'h' }],
      ]).alerts,
    ).toHaveLength(1);
  });
});

describe('metric correlations (v2.1)', () => {
  const metric = (type: string, cond: string): string =>
    `${base('web')}---\n${corr(`type: ${type}\nrules: [web]\ngroup-by: [ip]\ntimespan: 1h\ncondition:\n${cond}`)}`;

  it('value_sum adds the numeric values (numeric strings too; others ignored)', () => {
    const { alerts } = run(metric('value_sum', '    field: bytes\n    gt: 1000'), [
      ['web', 0, { ip: 'a', bytes: 600 }],
      ['web', 1, { ip: 'a', bytes: 'n/a' }],
      ['web', 2, { ip: 'a', bytes: '500' }],
    ]);
    expect(alerts.map((a) => a.value)).toEqual([1100]);
  });

  it('value_avg averages the numeric values', () => {
    const { alerts } = run(metric('value_avg', '    field: bytes\n    gte: 150'), [
      ['web', 0, { ip: 'a', bytes: 100 }],
      ['web', 1, { ip: 'a', bytes: 200 }],
      ['web', 2, { ip: 'a', bytes: 200 }],
    ]);
    // 100 → avg 100; 100, 200 → 150 fires and resets; 200 alone → 200 fires.
    expect(alerts.map((a) => [a.time, a.value])).toEqual([
      [1000, 150],
      [2000, 200],
    ]);
  });

  it('value_percentile interpolates linearly between closest ranks; value_median is the 50th', () => {
    const p90 = run(metric('value_percentile', '    field: ms\n    percentile: 90\n    gt: 80'), [
      ['web', 0, { ip: 'a', ms: 10 }],
      ['web', 1, { ip: 'a', ms: 20 }],
      ['web', 2, { ip: 'a', ms: 100 }],
    ]);
    // sorted 10, 20, 100: h = 2 × 0.9 = 1.8 → 20 + 0.8 × 80 = 84.
    expect(p90.alerts.map((a) => a.value)).toEqual([84]);
    const median = run(metric('value_median', '    field: ms\n    eq: 15'), [
      ['web', 0, { ip: 'a', ms: 10 }],
      ['web', 1, { ip: 'a', ms: 20 }],
    ]);
    expect(median.alerts.map((a) => a.value)).toEqual([15]);
  });
});

describe('aliases, chains and generate', () => {
  it('aliases read a different field per rule (spec "Field Name Aliases Example")', () => {
    const yaml = `${base('internal_error')}---\n${base('new_network_connection')}---\n${corr(
      'type: temporal\nrules: [internal_error, new_network_connection]\ngroup-by: [internal_ip, remote_ip]\ntimespan: 10s\naliases:\n    internal_ip:\n        internal_error: destination.ip\n        new_network_connection: source.ip\n    remote_ip:\n        internal_error: source.ip\n        new_network_connection: destination.ip',
    )}`;
    const { alerts, plan } = run(yaml, [
      ['internal_error', 0, { 'destination.ip': '10.0.0.5', 'source.ip': '203.0.113.9' }],
      ['new_network_connection', 3, { 'source.ip': '10.0.0.5', 'destination.ip': '203.0.113.9' }],
    ]);
    expect(alerts.map((a) => a.group)).toEqual([{ internal_ip: '10.0.0.5', remote_ip: '203.0.113.9' }]);
    expect(plan.fieldsFor({ name: 'internal_error' })).toEqual(['destination.ip', 'source.ip']);
  });

  it('chains correlations: the spec example (failed logins, then a success, per user)', () => {
    const spec = `title: Correlation - Multiple Failed Logins Followed by Successful Login
id: b180ead8-d58f-40b2-ae54-c8940995b9b6
correlation:
    type: temporal_ordered
    rules:
        - multiple_failed_login
        - successful_login
    group-by:
        - User
    timespan: 10m
level: high
---
title: Multiple failed logons
id: a8418a5a-5fc4-46b5-b23b-6c73beb19d41
name: multiple_failed_login
correlation:
    type: event_count
    rules:
        - failed_login
    group-by:
        - User
    timespan: 10m
    condition:
        gte: 10
---
${base('failed_login')}---
${base('successful_login')}`;
    const fails: Feed[] = Array.from({ length: 10 }, (_, i) => ['failed_login', i, { User: 'bob' }]);
    const { alerts, plan } = run(spec, [
      ...fails,
      ['successful_login', 20, { User: 'alice' }],
      ['successful_login', 30, { User: 'bob' }],
    ]);
    expect(alerts.map((a) => [a.correlation.title, a.time, a.group])).toEqual([
      ['Multiple failed logons', 9000, { User: 'bob' }],
      ['Correlation - Multiple Failed Logins Followed by Successful Login', 30_000, { User: 'bob' }],
    ]);
    expect(alerts[1]!.events).toHaveLength(11);
    // The inner correlation and the base rules are not reported on their own (generate: false).
    expect(
      plan.correlationStandalone(plan.correlations.findIndex((c) => c.name === 'multiple_failed_login')),
    ).toBe(false);
    expect(plan.correlationStandalone(plan.correlations.findIndex((c) => c.level === 'high'))).toBe(true);
    expect(plan.standalone({ name: 'failed_login' })).toBe(false);
  });

  it('generate: true keeps the referenced rules reporting; unreferenced rules always report', () => {
    const yaml = `${base('a')}---\n${base('b')}---\n${base('lone')}---\n${corr('type: event_count\nrules: [a]\ntimespan: 1m\ncondition:\n    gte: 2', 'generate: true\n')}---\ntitle: d\nid: d\ncorrelation:\n    type: event_count\n    rules: [b]\n    timespan: 1m\n    condition:\n        gte: 2\n`;
    const { plan } = load(yaml);
    expect([
      plan.standalone({ name: 'a' }),
      plan.standalone({ name: 'b' }),
      plan.standalone({ name: 'lone' }),
    ]).toEqual([true, false, true]);
  });

  it('unresolved references and cycles are load errors that drop the correlation and its users', () => {
    const yaml = `${base('a')}---\ntitle: x\nid: x\nname: x\ncorrelation:\n    type: event_count\n    rules: [nope]\n    timespan: 1m\n    condition:\n        gte: 2\n---\ntitle: y\nid: y\ncorrelation:\n    type: temporal\n    rules: [x, a]\n    timespan: 1m\n---\ntitle: p\nid: p\nname: p\ncorrelation:\n    type: temporal\n    rules: [q, a]\n    timespan: 1m\n---\ntitle: q\nid: q\nname: q\ncorrelation:\n    type: temporal\n    rules: [p, a]\n    timespan: 1m\n`;
    const parsed = parseRules(yaml, 'c.yml');
    const plan = planCorrelations(parsed.rules, parsed.correlations);
    expect(plan.correlations).toEqual([]);
    expect(plan.diagnostics.map((d) => [d.ruleId, d.message])).toEqual(
      expect.arrayContaining([
        ['x', expect.stringContaining('"nope" is not the id or name')],
        ['y', expect.stringContaining('invalid correlation "x"')],
        [expect.stringMatching(/^[pq]$/), expect.stringContaining('cycle')],
      ]),
    );
  });
});

describe('time and bounded state', () => {
  const rules = `${base('fail')}---\n${corr('type: event_count\nrules: [fail]\ngroup-by: [ip]\ntimespan: 10s\ncondition:\n    gte: 2')}`;

  it("an input older than its group's latest is late: counted, not correlated", () => {
    const { alerts, engine } = run(rules, [
      ['fail', 10, { ip: 'a' }],
      ['fail', 5, { ip: 'a' }],
    ]);
    expect(alerts).toEqual([]);
    expect(engine.stats.late).toBe(1);
  });

  it('sheds the least recently updated group at maxGroups and counts it', () => {
    const { alerts, engine } = run(
      rules,
      [
        ['fail', 0, { ip: 'a' }],
        ['fail', 1, { ip: 'b' }],
        ['fail', 2, { ip: 'c' }],
        ['fail', 3, { ip: 'a' }],
        ['fail', 4, { ip: 'c' }],
      ],
      { maxGroups: 2 },
    );
    // 'c' evicted 'a' (least recent); 'a' again evicted 'b'; 'c' is still held and fires.
    expect(alerts.map((a) => a.group)).toEqual([{ ip: 'c' }]);
    expect(engine.stats.shedGroups).toBe(2);
    expect(engine.stats.groups).toBeLessThanOrEqual(2);
  });

  it('sheds the oldest matches of a group at maxEventsPerGroup and counts them', () => {
    const many = `${base('fail')}---\n${corr('type: event_count\nrules: [fail]\ngroup-by: [ip]\ntimespan: 1h\ncondition:\n    gte: 4')}`;
    const { alerts, engine } = run(
      many,
      [0, 1, 2, 3].map((s): Feed => ['fail', s, { ip: 'a' }]),
      {
        maxEventsPerGroup: 3,
      },
    );
    expect(alerts).toEqual([]);
    expect(engine.stats.shedEvents).toBe(1);
    expect(engine.stats.events).toBe(3);
  });

  it('expires groups whose window ran out', () => {
    const { engine } = run(rules, [
      ['fail', 0, { ip: 'a' }],
      ['fail', 1, { ip: 'b' }],
    ]);
    expect(engine.stats.groups).toBe(2);
    expect(engine.expire(10_500)).toBe(1);
    expect(engine.expire(11_500)).toBe(1);
    expect(engine.stats).toMatchObject({ groups: 0, events: 0, expired: 2 });
  });

  it('a snapshot restores the same state into a new engine (JSON round trip)', () => {
    const { plan, rule } = load(rules);
    const a = new Correlator<string>(plan);
    expect(a.feed(rule('fail'), { time: 0, fields: { ip: 'x' }, ref: 'r0' })).toEqual([]);
    expect(a.feed(rule('fail'), { time: 3000, fields: { ip: 'y' }, ref: 'y0' })).toEqual([]);
    const b = new Correlator<string>(plan);
    expect(b.restore(JSON.parse(JSON.stringify(a.snapshot())))).toBe(0);
    const fired = b.feed(rule('fail'), { time: 5000, fields: { ip: 'x' }, ref: 'r1' });
    expect(fired.map((x) => x.events)).toEqual([['r0', 'r1']]);
    // Group y is at 3 s: an input at 2 s for it is late; a new group may start anywhere in time.
    expect(b.feed(rule('fail'), { time: 2000, fields: { ip: 'y' }, ref: 'old' })).toEqual([]);
    expect(b.stats.late).toBe(1);
    expect(b.feed(rule('fail'), { time: 1000, fields: { ip: 'z' }, ref: 'z0' })).toEqual([]);
    expect(b.stats).toMatchObject({ late: 1, groups: 2 });
  });
});

describe('review cases', () => {
  it('an event matching two referenced rules counts once', () => {
    const yaml = `${base('a')}---\n${base('b')}---\n${corr('type: event_count\nrules: [a, b]\ngroup-by: [ip]\ntimespan: 1m\ncondition:\n    gte: 2')}`;
    const { plan, rule } = load(yaml);
    const engine = new Correlator<string>(plan);
    // The scan and the service feed each event once, with every rule it matched.
    expect(engine.feed([rule('a'), rule('b')], { time: 0, fields: { ip: 'x' }, ref: 'ev1' })).toEqual([]);
    const fired = engine.feed([rule('b')], { time: 1000, fields: { ip: 'x' }, ref: 'ev2' });
    expect(fired.map((a) => [a.value, a.events])).toEqual([[2, ['ev1', 'ev2']]]);
  });

  it('in a chain, the event that completes the inner correlation does not also complete the outer one', () => {
    const body = (order: 'inner-first' | 'outer-first'): string => {
      const inner = `title: inner\nid: inner\nname: inner\ncorrelation:\n    type: event_count\n    rules: [a]\n    group-by: [ip]\n    timespan: 1m\n    condition:\n        gte: 2\n`;
      const outer = `title: outer\nid: outer\ncorrelation:\n    type: temporal_ordered\n    rules: [inner, a]\n    group-by: [ip]\n    timespan: 1m\n`;
      return `${base('a')}---\n${order === 'inner-first' ? `${inner}---\n${outer}` : `${outer}---\n${inner}`}`;
    };
    for (const order of ['inner-first', 'outer-first'] as const) {
      const { alerts } = run(body(order), [
        ['a', 0, { ip: 'x' }],
        ['a', 1, { ip: 'x' }],
        ['a', 2, { ip: 'x' }],
      ]);
      expect(
        alerts.map((a) => [a.correlation.title, a.time, a.events]),
        order,
      ).toEqual([
        ['inner', 1000, ['a#0', 'a#1']],
        ['outer', 2000, ['a#0', 'a#1', 'a#2']],
      ]);
    }
  });

  it('sheds the least recently updated group, not the oldest created', () => {
    const rules = `${base('fail')}---\n${corr('type: event_count\nrules: [fail]\ngroup-by: [ip]\ntimespan: 1h\ncondition:\n    gte: 3')}`;
    const { alerts, engine } = run(
      rules,
      [
        ['fail', 0, { ip: 'a' }],
        ['fail', 1, { ip: 'b' }],
        ['fail', 2, { ip: 'a' }],
        ['fail', 3, { ip: 'c' }], // sheds b (a was updated after b)
        ['fail', 4, { ip: 'a' }],
      ],
      { maxGroups: 2 },
    );
    expect(alerts.map((a) => a.group)).toEqual([{ ip: 'a' }]);
    expect(engine.stats.shedGroups).toBe(1);
  });

  it('a later step of a sequence with nothing before it creates no group', () => {
    const yaml = `${base('fail')}---\n${base('ok')}---\n${corr('type: temporal_ordered\nrules: [fail, ok]\ngroup-by: [ip]\ntimespan: 1h')}`;
    const { alerts, engine } = run(
      yaml,
      [
        ['fail', 0, { ip: 'attacker' }],
        ['ok', 1, { ip: 'u1' }],
        ['ok', 2, { ip: 'u2' }],
        ['ok', 3, { ip: 'u3' }],
        ['ok', 4, { ip: 'attacker' }],
      ],
      { maxGroups: 1 },
    );
    expect(alerts.map((a) => a.group)).toEqual([{ ip: 'attacker' }]);
    expect(engine.stats).toMatchObject({ shedGroups: 0 });
  });

  it('does not restore state saved under an edited definition of the correlation', () => {
    const v1 = `${base('a')}---\n${base('b')}---\n${corr('type: temporal_ordered\nrules: [a, b]\ngroup-by: [ip]\ntimespan: 1h')}`;
    const v2 = `${base('a')}---\n${base('b')}---\n${corr('type: temporal_ordered\nrules: [b, a]\ngroup-by: [ip]\ntimespan: 1h')}`;
    const one = load(v1);
    const e1 = new Correlator<string>(one.plan);
    e1.feed(one.rule('a'), { time: 0, fields: { ip: 'x' }, ref: 'a0' });
    const two = load(v2);
    const e2 = new Correlator<string>(two.plan);
    expect(e2.restore(JSON.parse(JSON.stringify(e1.snapshot())))).toBe(1);
    expect(e2.feed(two.rule('a'), { time: 1000, fields: { ip: 'x' }, ref: 'a1' })).toEqual([]);
    // Unchanged definition: restored.
    const same = new Correlator<string>(load(v1).plan);
    expect(same.restore(JSON.parse(JSON.stringify(e1.snapshot())))).toBe(0);
  });
});
