/**
 * Review tests: the masking and entity rules run on every unknown syslog line in the event
 * writer, so their work per token must stay bounded on hostile input (a 64 kB syslog frame).
 * Speed itself is measured outside the tests; these pin the behaviour that bounds it.
 */
import { describe, expect, it } from 'vitest';
import { extractEntities } from '../../../src/detect/templates/entities.js';
import { MAX_TOKEN_CHARS, maskToken, WILDCARD } from '../../../src/detect/templates/masking.js';
import { TemplateMiner } from '../../../src/detect/templates/miner.js';

describe('maskToken on a token longer than MAX_TOKEN_CHARS', () => {
  it('masks it whole without looking into it', () => {
    // `a-a-…-a.1`: the dotted-name pattern backtracks over the whole run from every `-`.
    const token = `${'a-'.repeat(MAX_TOKEN_CHARS)}.1`;
    expect(maskToken(token)).toEqual({ text: WILDCARD, params: [token] });
  });

  it('leaves a long plain word (nothing to mask) as it is', () => {
    const word = 'a'.repeat(MAX_TOKEN_CHARS + 1);
    expect(maskToken(word)).toEqual({ text: word, params: [] });
  });

  it('still looks into tokens up to the limit', () => {
    const token = `${'a-'.repeat(10)}.1`;
    expect(maskToken(token).text).toBe(`${'a-'.repeat(10)}.${WILDCARD}`);
  });
});

describe('extractEntities trims and keys as before', () => {
  // Expected values: what the regex version (`/^[…]+|[…]+$/g` trims, `/(…)[=:]$/` keys) gave;
  // the linear version was also compared with it on 600,000 random short messages.
  const cases: [string, Record<string, string | number>][] = [
    [
      'Accepted password for alice from 203.0.113.9 port 4242 ssh2',
      { 'user.name': 'alice', 'source.ip': '203.0.113.9', 'source.port': 4242 },
    ],
    [
      'connect src=10.0.0.1: dst=(10.0.0.2), dport=445; user="bob",',
      { 'source.ip': '10.0.0.1', 'destination.port': 445 },
    ],
    ['login from ((10.1.1.1)):, to "10.2.2.2";', { 'source.ip': '10.1.1.1', 'destination.ip': '10.2.2.2' }],
    ['x 9key=(10.0.0.7) y', {}],
    ['x a9.src=(10.0.0.7) y', {}],
    ['x _src:10.0.0.8 y', {}],
    ['x -src=10.0.0.9 y', { 'source.ip': '10.0.0.9' }],
  ];
  it.each(cases)('%s', (message, expected) => {
    const miner = new TemplateMiner();
    const match = miner.add(message);
    expect(extractEntities(match, message)).toEqual(expected);
  });

  it('returns for a long run of closing punctuation or key characters', () => {
    for (const message of [
      `user ${'.'.repeat(20_000)}x done`,
      `user ${')'.repeat(20_000)}x done`,
      `login ${'a'.repeat(20_000)}-123 done`,
      `user a${'!'.repeat(20_000)}a`,
    ]) {
      const match = new TemplateMiner().add(message);
      expect(extractEntities(match, message)).toEqual({});
    }
  });
});
