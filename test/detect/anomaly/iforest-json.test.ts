import { describe, expect, it } from 'vitest';
import {
  IsolationForest,
  type IsolationForestJSON,
  isolationForestFile,
  loadIsolationForest,
} from '../../../src/detect/anomaly/isolation-forest.js';
import { mulberry32 } from '../../../src/detect/random.js';
import type { FeatureSchema } from '../../../src/detect/features/table.js';
import { VigilError } from '../../../src/errors.js';

const schema: FeatureSchema = {
  features: [
    { name: 'bytes', kind: 'numeric' },
    { name: 'proto', kind: 'categorical', categories: ['icmp', 'tcp', 'udp'] },
  ],
};
const r = mulberry32(9);
const rows = 300;
const data = new Float64Array(rows * 2);
for (let i = 0; i < rows; i++) {
  data[i * 2] = r() < 0.1 ? NaN : r() * 1e6;
  data[i * 2 + 1] = r() < 0.05 ? NaN : Math.floor(r() * 3);
}
const forest = IsolationForest.fit({ rows, cols: 2, data }, schema, { trees: 25, seed: 8 });
const probes = [...Array.from({ length: rows }, (_, i) => data.slice(i * 2, i * 2 + 2))].concat(
  [
    [NaN, NaN],
    [5e6, 3],
    [-1, 1],
  ].map((p) => Float64Array.from(p)),
);

function modelError(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    return e instanceof VigilError ? e.code : `not a VigilError: ${String(e)}`;
  }
  return 'accepted';
}

/** A deep copy of the forest's JSON with one change. */
function mutate(change: (doc: Record<string, unknown> & { [k: string]: unknown }) => void): unknown {
  const doc = JSON.parse(JSON.stringify(forest.toJSON())) as Record<string, unknown>;
  change(doc);
  return doc;
}

describe('IsolationForest JSON round trip', () => {
  it('gives identical scores and explanations after JSON.stringify / parse', () => {
    const back = IsolationForest.fromJSON(JSON.parse(JSON.stringify(forest.toJSON())) as unknown);
    for (const p of probes) {
      expect(back.score(p)).toBe(forest.score(p));
      expect(back.explain(p, 0, 2)).toEqual(forest.explain(p, 0, 2));
    }
    expect(back.schema).toEqual(schema);
    expect(back.toJSON()).toEqual(forest.toJSON());
  });

  it('round-trips through the model file envelope', () => {
    const file = isolationForestFile(forest, '2026-01-01T00:00:00.000Z', { rows });
    expect(file).toMatchObject({ format: 'vigil-model', version: 1, kind: 'isolation-forest', schema });
    expect(file.params).toEqual({ trees: 25, sampleSize: 256, seed: 8 });
    const back = loadIsolationForest(JSON.parse(JSON.stringify(file)) as unknown);
    for (const p of probes) expect(back.score(p)).toBe(forest.score(p));
  });
});

describe('IsolationForest.fromJSON rejects malformed documents (VIGIL_ERR_ML_MODEL)', () => {
  const json = forest.toJSON();
  const split = json.feature.findIndex((f) => f === 0);
  const catSplit = json.feature.findIndex((f) => f === 1);
  const leaf = json.feature.findIndex((f) => f === -1);

  const cases: [string, unknown][] = [
    ['not an object', 'forest'],
    ['null', null],
    ['another version', mutate((d) => (d.version = 2))],
    ['no schema', mutate((d) => delete d.schema)],
    [
      'a schema feature of unknown kind',
      mutate((d) => (((d.schema as FeatureSchema).features[0] as { kind: string }).kind = 'text')),
    ],
    ['zero trees', mutate((d) => (d.trees = 0))],
    ['roots not matching trees', mutate((d) => (d.trees = 26))],
    ['a non-integer node field', mutate((d) => ((d.right as number[])[split] = 1.5))],
    ['a string threshold', mutate((d) => ((d.threshold as unknown[])[split] = '12'))],
    ['a null threshold', mutate((d) => ((d.threshold as unknown[])[split] = null))],
    ['a feature outside the schema', mutate((d) => ((d.feature as number[])[split] = 2))],
    ['a child pointing backwards (cycle)', mutate((d) => ((d.right as number[])[split] = split))],
    [
      'a right child skipping a node (not preorder)',
      mutate((d) => ((d.right as number[])[split] = json.right[split]! + 1)),
    ],
    ['roots with a gap between trees', mutate((d) => ((d.roots as number[])[1] = json.roots[1]! + 1))],
    ['a child out of range', mutate((d) => ((d.right as number[])[split] = json.feature.length))],
    ['a leaf with no rows', mutate((d) => ((d.size as number[])[leaf] = 0))],
    ['a leaf with a child', mutate((d) => ((d.right as number[])[leaf] = leaf + 1))],
    ['missingLeft not 0/1', mutate((d) => ((d.missingLeft as number[])[split] = 2))],
    ['arrays of different lengths', mutate((d) => (d.size as number[]).pop())],
    [
      'an unreachable node',
      mutate((d) => {
        for (const k of ['feature', 'right', 'threshold', 'missingLeft', 'size', 'low', 'high'])
          (d[k] as number[]).push(k === 'feature' || k === 'right' ? -1 : k === 'size' ? 1 : 0);
      }),
    ],
    [
      'a category code outside the schema',
      mutate((d) => {
        const at = json.threshold[catSplit]!;
        (d.subsets as number[])[at + 1] = 3;
      }),
    ],
    [
      'a threshold above its node range',
      mutate((d) => ((d.threshold as number[])[split] = json.high[split]! + 1)),
    ],
    ['a node range with low = high', mutate((d) => ((d.low as number[])[split] = json.high[split]!))],
    ['a missing range array', mutate((d) => delete d.high)],
    [
      'a subset offset outside the pool',
      mutate((d) => ((d.threshold as number[])[catSplit] = json.subsets.length)),
    ],
  ];

  it.each(cases)('%s', (_name, doc) => {
    expect(modelError(() => IsolationForest.fromJSON(doc))).toBe('VIGIL_ERR_ML_MODEL');
  });

  it('has the splits these cases need', () => {
    expect(split).toBeGreaterThanOrEqual(0);
    expect(catSplit).toBeGreaterThanOrEqual(0);
    expect(leaf).toBeGreaterThanOrEqual(0);
  });

  it('rejects a model file of another kind or format', () => {
    const file = isolationForestFile(forest, '2026-01-01T00:00:00.000Z');
    expect(modelError(() => loadIsolationForest({ ...file, kind: 'random-forest' }))).toBe(
      'VIGIL_ERR_ML_MODEL',
    );
    expect(modelError(() => loadIsolationForest({ ...file, format: 'other' }))).toBe('VIGIL_ERR_ML_MODEL');
    expect(modelError(() => loadIsolationForest({ ...file, version: 9 }))).toBe('VIGIL_ERR_ML_MODEL');
    expect(modelError(() => loadIsolationForest({ ...file, model: {} as IsolationForestJSON }))).toBe(
      'VIGIL_ERR_ML_MODEL',
    );
    expect(modelError(() => loadIsolationForest(file))).toBe('accepted');
  });
});
