import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { TemplateMiner } from '../../../src/detect/templates/miner.js';
import { VigilError } from '../../../src/errors.js';

const LINES = readFileSync(new URL('../../fixtures/templates/auth.log', import.meta.url), 'utf8')
  .split('\n')
  .filter((l) => l.trim() !== '');

/** Follow-up lines: known templates, new values, a new template, a fourth user. */
const MORE = [
  'Accepted password for erin from 198.51.100.7 port 1234 ssh2',
  'Starting TrustedInstaller initialization.',
  'Failed password for invalid user pi from 198.51.100.8 port 2222 ssh2',
  'Disk /home is 50% full',
  'Starting TrustedInstaller cleanup.',
  'Connection closed by 198.51.100.9 port 3333 [preauth]',
  'New session 42 of user alice.',
];

function trained(): TemplateMiner {
  const miner = new TemplateMiner({ similarity: 0.5 });
  for (const l of LINES) miner.add(l);
  return miner;
}

describe('TemplateMiner: toJSON / fromJSON', () => {
  it('round-trips through JSON text with the same state', () => {
    const miner = trained();
    const copy = TemplateMiner.fromJSON(JSON.parse(JSON.stringify(miner)));
    expect(copy.toJSON()).toEqual(miner.toJSON());
    expect(copy.clusters()).toEqual(miner.clusters());
    expect(copy.options).toEqual(miner.options);
  });

  it('keeps ids and behaviour: the copy answers the next lines as the original does', () => {
    const miner = trained();
    const copy = TemplateMiner.fromJSON(JSON.parse(JSON.stringify(miner.toJSON())));
    for (const l of [...MORE, ...LINES]) expect(copy.add(l)).toEqual(miner.add(l));
    expect(copy.toJSON()).toEqual(miner.toJSON());
  });

  it('keeps merged ids resolvable', () => {
    const miner = new TemplateMiner();
    for (const u of ['alice', 'bob', 'carol', 'dave'])
      miner.add(`Accepted password for ${u} from 192.0.2.1 port 22 ssh2`);
    const copy = TemplateMiner.fromJSON(miner.toJSON());
    expect(copy.resolve(3)).toBe(1);
    expect(copy.add('x').templateId).toBe(miner.add('x').templateId);
  });

  it('restores templates without a base as clusters of their own', () => {
    const miner = TemplateMiner.fromJSON({
      format: 'vigil-template-miner',
      version: 1,
      options: {},
      nextId: 8,
      clusters: [{ id: 7, tokens: ['Disk', '<*>', 'is', '<*>', 'full'], count: 2, path: ['Disk', '<*>'] }],
    });
    expect(miner.match('Disk /tmp is 3% full')).toMatchObject({ templateId: 7, parameters: ['/tmp', '3%'] });
    expect(miner.add('something else').templateId).toBe(8);
  });

  it.each([
    ['not an object', 42],
    ['another format', { format: 'x', version: 1 }],
    ['another version', { format: 'vigil-template-miner', version: 2 }],
    ['no clusters', { format: 'vigil-template-miner', version: 1, options: {}, nextId: 1 }],
    [
      'a duplicate id',
      {
        format: 'vigil-template-miner',
        version: 1,
        options: {},
        nextId: 3,
        clusters: [
          { id: 1, tokens: ['a'], count: 1, path: ['a'] },
          { id: 1, tokens: ['b'], count: 1, path: ['b'] },
        ],
      },
    ],
    [
      'nextId not above the ids',
      {
        format: 'vigil-template-miner',
        version: 1,
        options: {},
        nextId: 1,
        clusters: [{ id: 1, tokens: [], count: 1, path: [] }],
      },
    ],
    [
      'bad options',
      { format: 'vigil-template-miner', version: 1, options: { depth: 0 }, nextId: 1, clusters: [] },
    ],
  ])('rejects %s with VIGIL_ERR_ML_MODEL', (_what, state) => {
    expect(() => TemplateMiner.fromJSON(state)).toThrow(VigilError);
    try {
      TemplateMiner.fromJSON(state);
    } catch (err) {
      expect((err as VigilError).code).toBe('VIGIL_ERR_ML_MODEL');
    }
  });
});
