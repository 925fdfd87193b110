import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { VigilError } from '../../../src/errors.js';
import { TemplateMiner } from '../../../src/detect/templates/miner.js';

/** A hand-written log: [true template label, message]. */
const LOG: readonly (readonly [string, string])[] = [
  ['accepted', 'Accepted password for alice from 203.0.113.9 port 4242 ssh2'],
  ['invalid', 'Failed password for invalid user admin from 198.51.100.23 port 52144 ssh2'],
  ['closed', 'Connection closed by 198.51.100.23 port 52144 [preauth]'],
  ['accepted', 'Accepted password for bob from 203.0.113.10 port 4243 ssh2'],
  ['init', 'Starting TrustedInstaller initialization.'],
  ['invalid', 'Failed password for invalid user oracle from 198.51.100.23 port 52146 ssh2'],
  ['disk', 'Disk /dev/sda1 is 91% full'],
  ['accepted', 'Accepted password for carol from 192.0.2.44 port 50022 ssh2'],
  ['session', 'session opened for user news by (uid=0)'],
  ['final', 'Starting TrustedInstaller finalization.'],
  ['closed', 'Connection closed by 198.51.100.24 port 52150 [preauth]'],
  ['accepted', 'Accepted password for dave from 192.0.2.45 port 50023 ssh2'],
  ['invalid', 'Failed password for invalid user test from 198.51.100.24 port 52150 ssh2'],
  ['session', 'session opened for user cyrus by (uid=0)'],
  ['disk', 'Disk /var/log/messages.1 is 97% full'],
  ['invalid', 'Failed password for invalid user guest from 198.51.100.25 port 52151 ssh2'],
  ['init', 'Starting TrustedInstaller initialization.'],
  ['final', 'Starting TrustedInstaller finalization.'],
  ['listen', 'Server listening on 0.0.0.0 port 22.'],
  ['session', 'session opened for user test by (uid=0)'],
  ['session', 'session opened for user root by (uid=0)'],
];

/** Learns all, then matches all (the CLI's two passes); returns the template id of each line. */
function twoPass(miner: TemplateMiner, messages: readonly string[]): number[] {
  for (const m of messages) miner.add(m);
  return messages.map((m) => miner.match(m)!.templateId);
}

/** Groups indices by key; returns the partition as a sorted list of sorted index lists. */
function partition<K>(keys: readonly K[]): number[][] {
  const groups = new Map<K, number[]>();
  keys.forEach((k, i) => {
    const g = groups.get(k);
    if (g) g.push(i);
    else groups.set(k, [i]);
  });
  return [...groups.values()].sort((a, b) => a[0]! - b[0]!);
}

describe('TemplateMiner: grouping', () => {
  it('groups a hand-written log exactly as its known templates', () => {
    const ids = twoPass(
      new TemplateMiner(),
      LOG.map(([, m]) => m),
    );
    expect(partition(ids)).toEqual(partition(LOG.map(([label]) => label)));
  });

  it('writes templates with <*> at the variables', () => {
    const miner = new TemplateMiner();
    for (const [, m] of LOG) miner.add(m);
    const templates = miner.clusters().map((c) => c.template);
    expect(templates).toContain('Accepted password for <*> from <*> port <*> ssh2');
    expect(templates).toContain('Failed password for invalid user <*> from <*> port <*> ssh2');
    expect(templates).toContain('Connection closed by <*> port <*> [preauth]');
    expect(templates).toContain('Disk <*> is <*> full');
    expect(templates).toContain('Starting TrustedInstaller initialization.');
    expect(templates).toContain('Starting TrustedInstaller finalization.');
  });

  it('counts the messages of each template', () => {
    const miner = new TemplateMiner();
    for (const [, m] of LOG) miner.add(m);
    const counts = new Map(miner.clusters().map((c) => [c.template, c.count]));
    expect(counts.get('Accepted password for <*> from <*> port <*> ssh2')).toBe(4);
    expect(miner.clusters().reduce((n, c) => n + c.count, 0)).toBe(LOG.length);
  });

  it('tells apart templates that differ in one rare word (few distinct values = constants)', () => {
    const miner = new TemplateMiner();
    const a = miner.add('Ending TrustedInstaller initialization.');
    const b = miner.add('Ending TrustedInstaller finalization.');
    expect(a.templateId).not.toBe(b.templateId);
    expect(b.created).toBe(true);
    expect(b.template).toBe('Ending TrustedInstaller finalization.');
  });

  it('learns a lone message as its own template', () => {
    const miner = new TemplateMiner();
    const r = miner.add('kernel: Linux version 2.6.5-1.358 (bhcompile@bugs.build.redhat.com)');
    expect(r).toMatchObject({ templateId: 1, created: true, changed: false });
    expect(miner.size).toBe(1);
  });

  it('handles empty and whitespace-only messages', () => {
    const miner = new TemplateMiner();
    expect(miner.add('')).toMatchObject({ template: '', parameters: [] });
    expect(miner.add('   ').templateId).toBe(miner.match('')!.templateId);
  });
});

describe('TemplateMiner: ids', () => {
  it('keeps the id when a template generalizes', () => {
    const miner = new TemplateMiner();
    const first = miner.add('worker node-a1 finished job in 3 s');
    const second = miner.add('worker node-a7 finished job in 5 s');
    expect(second).toMatchObject({ templateId: first.templateId, created: false, changed: true });
    expect(second.template).toBe('worker <*> finished job in <*> s');
    const third = miner.add('worker node-a3 finished job in 8 s');
    expect(third).toMatchObject({ templateId: first.templateId, changed: false });
  });

  it('merges low-cardinality templates into the lowest id once the column is a variable', () => {
    const miner = new TemplateMiner();
    const ids = ['alice', 'bob', 'carol', 'dave'].map(
      (u) => miner.add(`Accepted password for ${u} from 192.0.2.1 port 22 ssh2`).templateId,
    );
    expect(ids.slice(0, 3)).toEqual([1, 2, 3]);
    expect(ids[3]).toBe(1);
    expect(miner.size).toBe(1);
    expect(miner.resolve(2)).toBe(1);
    expect(miner.resolve(3)).toBe(1);
    expect(miner.resolve(99)).toBeUndefined();
    expect(miner.clusters()).toEqual([
      { id: 1, template: 'Accepted password for <*> from <*> port <*> ssh2', count: 4 },
    ]);
  });

  it('never reuses an id', () => {
    const miner = new TemplateMiner();
    for (const u of ['alice', 'bob', 'carol', 'dave'])
      miner.add(`Accepted password for ${u} from 192.0.2.1 port 22 ssh2`);
    expect(miner.add('a completely different message').templateId).toBe(4);
  });
});

describe('TemplateMiner: parameters', () => {
  it('gives the values at the <*> in order', () => {
    const miner = new TemplateMiner();
    miner.add('Accepted password for alice from 203.0.113.9 port 4242 ssh2');
    const r = miner.add('Accepted password for bob from 203.0.113.10 port 4243 ssh2');
    miner.add('Accepted password for carol from 203.0.113.10 port 4243 ssh2');
    miner.add('Accepted password for dave from 203.0.113.10 port 4243 ssh2');
    expect(r.parameters).toEqual(['203.0.113.10', '4243']);
    expect(miner.match('Accepted password for erin from 198.51.100.1 port 1 ssh2')!.parameters).toEqual([
      'erin',
      '198.51.100.1',
      '1',
    ]);
  });

  /** Puts the parameters back at the template's `<*>`, in order. */
  const substitute = (template: string, parameters: readonly string[]): string => {
    let i = 0;
    return template.replace(/<\*>/g, () => parameters[i++] ?? '<missing>');
  };
  const normalized = (message: string): string =>
    message
      .split(/[\t\n\v\f\r \u00a0]+/)
      .filter((t) => t !== '')
      .join(' ');

  it('re-substitutes the parameters into the template to give the message back', () => {
    const miner = new TemplateMiner();
    for (const [, m] of LOG) miner.add(m);
    for (const [, m] of LOG) {
      const r = miner.match(m)!;
      expect(substitute(r.template, r.parameters)).toBe(normalized(m));
    }
  });

  it('re-substitutes for any text without a literal <*> (property)', () => {
    const token = fc.oneof(
      fc.constantFrom('user', 'from', 'port', 'ssh2', 'failed', '"quoted', 'text"', 'key=value', 'a,b;c'),
      fc.ipV4(),
      fc.ipV6(),
      fc.integer().map(String),
      fc.stringMatching(/^[0-9a-f]{1,40}$/),
      fc.webUrl(),
      fc.emailAddress(),
      fc.string({ maxLength: 12 }),
    );
    const message = fc.array(token, { maxLength: 12 }).map((t) => t.join(' '));
    const miner = new TemplateMiner();
    fc.assert(
      fc.property(fc.array(message, { minLength: 1, maxLength: 8 }), (messages) => {
        for (const m of messages) {
          fc.pre(!m.includes('<*>'));
          const added = miner.add(m);
          expect(substitute(added.template, added.parameters)).toBe(normalized(m));
          const matched = miner.match(m)!;
          expect(substitute(matched.template, matched.parameters)).toBe(normalized(m));
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('TemplateMiner: match', () => {
  it('does not learn', () => {
    const miner = new TemplateMiner();
    miner.add('Connection closed by 198.51.100.23 port 52144 [preauth]');
    expect(miner.match('Connection closed by 198.51.100.9 port 1 [preauth]')!.templateId).toBe(1);
    expect(miner.match('something never seen')).toBeUndefined();
    expect(miner.size).toBe(1);
    expect(miner.clusters()[0]!.count).toBe(1);
  });
});

describe('TemplateMiner: options', () => {
  it('rejects options out of range with VIGIL_ERR_ML_MODEL', () => {
    for (const bad of [{ depth: 1 }, { similarity: 2 }, { maxChildren: 1 }, { maxSplitValues: -1 }]) {
      expect(() => new TemplateMiner(bad)).toThrow(VigilError);
    }
  });

  it('behaves as plain Drain with maxSplitValues below 2', () => {
    const miner = new TemplateMiner({ maxSplitValues: 0 });
    miner.add('Ending TrustedInstaller initialization.');
    expect(miner.add('Ending TrustedInstaller finalization.')).toMatchObject({
      templateId: 1,
      template: 'Ending TrustedInstaller <*>',
      changed: true,
    });
  });
});
