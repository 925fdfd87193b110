/**
 * Review test: a saved miner state whose merge aliases form a cycle (a damaged row) must be
 * refused with `VIGIL_ERR_ML_MODEL`, like any other damage, instead of looping for ever in
 * `resolve` (the service would hang at start instead of mining afresh with a warning).
 */
import { describe, expect, it } from 'vitest';
import { TemplateMiner } from '../../../src/detect/templates/miner.js';

function state(aliases: [number, number][]): unknown {
  const miner = new TemplateMiner();
  miner.add('Disk /home is 50% full');
  return { ...miner.toJSON(), nextId: 10, aliases };
}

describe('TemplateMiner.fromJSON with cyclic aliases', () => {
  it('refuses an alias to itself', () => {
    expect(() => TemplateMiner.fromJSON(state([[2, 2]]))).toThrow(
      expect.objectContaining({ code: 'VIGIL_ERR_ML_MODEL' }),
    );
  });

  it('refuses a two-id cycle', () => {
    expect(() =>
      TemplateMiner.fromJSON(
        state([
          [2, 3],
          [3, 2],
        ]),
      ),
    ).toThrow(expect.objectContaining({ code: 'VIGIL_ERR_ML_MODEL' }));
  });

  it('still accepts a chain that ends at a live template', () => {
    const m = TemplateMiner.fromJSON(
      state([
        [2, 3],
        [3, 1],
      ]),
    );
    expect(m.resolve(2)).toBe(1);
  });
});
