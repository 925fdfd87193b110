/**
 * Mutation fuzzing of the EVTX reader on real files: flipped bytes, overwritten and zeroed ranges,
 * truncation. The reader must never throw or hang, must report damage as typed problems, and
 * damage confined to one chunk must leave every other chunk's records exactly as they were.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  CHUNK_SIZE,
  decodeEvtx,
  EVTX_PROBLEM_KINDS,
  FILE_HEADER_SIZE,
} from '../../src/pipeline/decoders/evtx/chunk.js';
import { requireSharedData, shared } from '../helpers/shared-data.js';

const KINDS: readonly string[] = EVTX_PROBLEM_KINDS;

function evtxFiles(dir: string, out: string[] = []): string[] {
  for (const e of readdirSync(dir).sort()) {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) evtxFiles(p, out);
    else if (e.endsWith('.evtx')) out.push(p);
  }
  return out;
}

type Mutation =
  | { kind: 'flip'; at: number; xor: number }
  | { kind: 'fill'; at: number; length: number; byte: number }
  | { kind: 'random'; at: number; bytes: Uint8Array };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({
    kind: fc.constant('flip' as const),
    at: fc.nat(CHUNK_SIZE - 1),
    xor: fc.integer({ min: 1, max: 255 }),
  }),
  fc.record({
    kind: fc.constant('fill' as const),
    at: fc.nat(CHUNK_SIZE - 1),
    length: fc.integer({ min: 1, max: 4096 }),
    byte: fc.constantFrom(0x00, 0xff, 0x2a, 0x0f, 0x0c),
  }),
  fc.record({
    kind: fc.constant('random' as const),
    at: fc.nat(CHUNK_SIZE - 1),
    bytes: fc.uint8Array({ minLength: 1, maxLength: 64 }),
  }),
);

function apply(bytes: Uint8Array, start: number, end: number, m: Mutation): void {
  const at = start + (m.at % Math.max(1, end - start));
  if (m.kind === 'flip') bytes[at] = bytes[at]! ^ m.xor;
  else if (m.kind === 'fill') bytes.fill(m.byte, at, Math.min(end, at + m.length));
  else bytes.set(m.bytes.subarray(0, Math.max(0, end - at)), at);
}

describe.runIf(requireSharedData())('EVTX reader under mutation of real files', () => {
  const files = requireSharedData()
    ? evtxFiles(shared('windows-attack', 'evtx'))
        .filter((f) => statSync(f).size >= FILE_HEADER_SIZE + 2 * CHUNK_SIZE)
        .slice(0, 40)
    : [];
  const originals = files.map((f) => {
    const bytes = new Uint8Array(readFileSync(f));
    return { path: f, bytes, records: decodeEvtx(bytes).records };
  });

  it('has multi-chunk files to mutate', () => {
    expect(originals.length).toBeGreaterThanOrEqual(20);
  });

  it('damage inside one chunk is reported and leaves the other chunks intact', () => {
    fc.assert(
      fc.property(
        fc.nat(),
        fc.nat(),
        fc.array(mutation, { minLength: 1, maxLength: 8 }),
        (fileIndex, chunkPick, mutations) => {
          const original = originals[fileIndex % originals.length]!;
          const chunks = Math.ceil((original.bytes.length - FILE_HEADER_SIZE) / CHUNK_SIZE);
          const chunk = chunkPick % chunks;
          const start = FILE_HEADER_SIZE + chunk * CHUNK_SIZE;
          const end = Math.min(original.bytes.length, start + CHUNK_SIZE);
          const bytes = original.bytes.slice();
          for (const m of mutations) apply(bytes, start, end, m);
          const result = decodeEvtx(bytes);
          for (const p of result.problems) {
            expect(KINDS).toContain(p.kind);
            expect(p.chunk).toBe(chunk);
            expect(p.offset).toBeGreaterThanOrEqual(start);
            expect(p.offset).toBeLessThan(end);
            expect(p.reason.length).toBeGreaterThan(0);
          }
          const others = (rs: typeof result.records) =>
            rs.filter((r) => r.chunk !== chunk).map((r) => `${r.offset}:${JSON.stringify(r.event)}`);
          expect(others(result.records)).toEqual(others(original.records));
          expect(result.records.length).toBeLessThanOrEqual(bytes.length / 28);
        },
      ),
      { seed: 20261121, numRuns: 300 },
    );
  });

  it('a truncated file gives every record before the cut, and reports the cut', () => {
    fc.assert(
      fc.property(fc.nat(), fc.nat(), (fileIndex, cutPick) => {
        const original = originals[fileIndex % originals.length]!;
        const cut = FILE_HEADER_SIZE + (cutPick % (original.bytes.length - FILE_HEADER_SIZE));
        const result = decodeEvtx(original.bytes.subarray(0, cut));
        const complete = original.records.filter((r) => r.offset + 28 <= cut);
        const kept = new Set(result.records.map((r) => r.offset));
        // Every record wholly before the cut's chunk survives; the cut chunk's tail may be lost.
        const cutChunk = Math.floor((cut - FILE_HEADER_SIZE) / CHUNK_SIZE);
        for (const r of complete) if (r.chunk < cutChunk) expect(kept.has(r.offset)).toBe(true);
        if (
          result.records.length < original.records.length &&
          cut % CHUNK_SIZE !== FILE_HEADER_SIZE % CHUNK_SIZE
        )
          expect(result.problems.length).toBeGreaterThan(0);
      }),
      { seed: 7, numRuns: 200 },
    );
  });
});
