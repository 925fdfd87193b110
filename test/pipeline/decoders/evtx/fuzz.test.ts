/**
 * Fuzzing the EVTX reader without the shared corpus: random bytes (with and without valid
 * signatures in front) and mutations of builder-made files. The reader must return records or
 * typed problems, never throw, and stay bounded (records ≤ bytes / 28, the smallest record).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  CHUNK_SIZE,
  decodeEvtx,
  EVTX_PROBLEM_KINDS,
  FILE_HEADER_SIZE,
} from '../../../../src/pipeline/decoders/evtx/chunk.js';
import {
  buildEvtx,
  type RecordSpec,
  security4624,
  sysmonProcessCreation,
} from '../../../helpers/evtx-builder.js';

const KINDS = new Set<string>(EVTX_PROBLEM_KINDS);

function check(bytes: Uint8Array): ReturnType<typeof decodeEvtx> {
  const r = decodeEvtx(bytes);
  expect(r.records.length).toBeLessThanOrEqual(Math.ceil(bytes.length / 28));
  for (const p of r.problems) {
    expect(KINDS.has(p.kind), p.kind).toBe(true);
    expect(p.offset).toBeGreaterThanOrEqual(0);
    expect(p.offset).toBeLessThanOrEqual(bytes.length);
  }
  return r;
}

const records: RecordSpec[] = [];
for (let i = 1; i <= 40; i++)
  records.push(
    i % 3 === 0
      ? security4624({ id: i, targetUserName: `user${i}` })
      : sysmonProcessCreation({ id: i, image: `C:\\bin\\p${i}.exe`, commandLine: `p${i}.exe --flag ${i}` }),
  );
const { bytes: base } = buildEvtx([{ records: records.slice(0, 20) }, { records: records.slice(20) }]);
const baseRecords = decodeEvtx(base).records;

describe('EVTX reader fuzzing', () => {
  it('reads the base file cleanly', () => {
    expect(baseRecords).toHaveLength(40);
  });

  it('survives random bytes, with or without file and chunk signatures in front', () => {
    const header = base.subarray(0, FILE_HEADER_SIZE + 512);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 70_000 }), fc.boolean(), (noise, signed) => {
        const bytes = signed ? new Uint8Array([...header, ...noise]) : noise;
        check(bytes);
      }),
      { seed: 42, numRuns: 150 },
    );
  });

  it('survives random record bodies inside a valid chunk', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 4000 }), fc.nat(60_000), (noise, at) => {
        const bytes = base.slice();
        bytes.set(
          noise.subarray(0, Math.max(0, CHUNK_SIZE - 512 - (at % (CHUNK_SIZE - 512)))),
          FILE_HEADER_SIZE + 512 + (at % (CHUNK_SIZE - 512)),
        );
        const r = check(bytes);
        // The second chunk is untouched: its 20 records are all there.
        expect(r.records.filter((x) => x.chunk === 1)).toHaveLength(20);
      }),
      { seed: 43, numRuns: 200 },
    );
  });

  it('survives flipped bytes anywhere, and truncation anywhere', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(base.length - 1), fc.integer({ min: 1, max: 255 })), {
          minLength: 1,
          maxLength: 20,
        }),
        fc.nat(base.length),
        (flips, cut) => {
          const bytes = base.slice();
          for (const [at, x] of flips) bytes[at] = bytes[at]! ^ x;
          check(bytes);
          check(base.subarray(0, cut));
        },
      ),
      { seed: 44, numRuns: 200 },
    );
  });

  it('bounds a record whose templates nest into each other', () => {
    // A template body that instantiates itself is refused, not followed forever.
    const bytes = base.slice();
    // Point record 2's template reference (chunk 0) at record 1's template definition offset + 0:
    // the reader must not loop; whatever it makes of it is a record or a problem.
    const view = new DataView(bytes.buffer);
    const firstRecord = FILE_HEADER_SIZE + 512;
    const size = view.getUint32(firstRecord + 4, true);
    const second = firstRecord + size;
    const defOffset = view.getUint32(second + 24 + 4 + 6, true);
    // Make the first token of the template body a template instance of the same definition.
    const body = FILE_HEADER_SIZE + defOffset + 24 + 4;
    bytes[body] = 0x0c;
    view.setUint32(body + 6, defOffset, true);
    const r = check(bytes);
    expect(r.problems.some((p) => p.kind === 'record-binxml')).toBe(true);
    expect(r.records.filter((x) => x.chunk === 1)).toHaveLength(20);
  });
});
