/**
 * Streams an `.evtx` file (or a gzipped one) as batches of whole 64 KiB chunks, for decoding on
 * worker threads (chunks are independent: each has its own string and template tables). Memory is
 * one batch per call in flight, whatever the file size.
 */
import {
  CHUNK_SIZE,
  type EvtxFileHeader,
  type EvtxProblem,
  FILE_HEADER_SIZE,
  readFileHeader,
  truncation,
} from '../decoders/evtx/chunk.js';
import { type FileInfo, openStream } from './file-input.js';

/** Chunks per batch: 256 KiB, a few hundred records. */
export const EVTX_CHUNKS_PER_BATCH = 4;

/** Whole chunks of an EVTX file; the last one may be short when the file is truncated. */
export interface EvtxBatch {
  readonly kind: 'evtx';
  /** Consecutive chunks, `CHUNK_SIZE` bytes each (the last possibly fewer). */
  readonly bytes: Uint8Array;
  /** 0-based index of the first chunk. */
  readonly firstChunk: number;
}

/** Byte offset in the file of chunk `index`. */
export function chunkOffset(index: number): number {
  return FILE_HEADER_SIZE + index * CHUNK_SIZE;
}

/**
 * Reads an EVTX file as chunk batches.
 * @param onHeader - called once with the file header (absent when its signature is wrong) and the
 *   problems found in it; chunks are read either way
 * @param onBytes - file bytes consumed so far (compressed bytes for gzip), for progress
 * @throws Error on I/O or gzip errors (batches already yielded stand)
 */
export async function* evtxBatches(
  info: FileInfo,
  onHeader: (header: EvtxFileHeader | undefined, problems: readonly EvtxProblem[]) => void,
  /** Called at the end when the file is shorter than its header says or ends inside a chunk. */
  onTruncated: (problem: EvtxProblem) => void,
  onBytes?: (bytes: number) => void,
  chunksPerBatch = EVTX_CHUNKS_PER_BATCH,
): AsyncGenerator<EvtxBatch> {
  const stream = openStream(info, onBytes);

  const head = new Uint8Array(FILE_HEADER_SIZE);
  let headerFill = 0;
  const batchSize = CHUNK_SIZE * chunksPerBatch;
  let batch = new Uint8Array(batchSize);
  let fill = 0;
  let firstChunk = 0;
  let header: EvtxFileHeader | undefined;
  let size = 0;
  try {
    for await (const data of stream as AsyncIterable<Buffer>) {
      let at = 0;
      size += data.length;
      if (headerFill < FILE_HEADER_SIZE) {
        const n = Math.min(FILE_HEADER_SIZE - headerFill, data.length);
        head.set(data.subarray(0, n), headerFill);
        headerFill += n;
        at = n;
        if (headerFill === FILE_HEADER_SIZE) {
          const h = readFileHeader(head);
          header = h.header;
          onHeader(h.header, h.problems);
        }
      }
      while (at < data.length) {
        const n = Math.min(batchSize - fill, data.length - at);
        batch.set(data.subarray(at, at + n), fill);
        fill += n;
        at += n;
        if (fill === batchSize) {
          yield { kind: 'evtx', bytes: batch, firstChunk };
          firstChunk += chunksPerBatch;
          batch = new Uint8Array(batchSize);
          fill = 0;
        }
      }
    }
  } catch (err) {
    // A read error (truncated gzip, I/O): the bytes read so far are still decoded, then the error
    // is reported by the caller.
    if (fill > 0) yield { kind: 'evtx', bytes: batch.subarray(0, fill), firstChunk };
    throw err;
  }
  if (headerFill < FILE_HEADER_SIZE) {
    const h = readFileHeader(head.subarray(0, headerFill));
    onHeader(h.header, [
      ...h.problems,
      {
        kind: 'file-header',
        chunk: null,
        offset: headerFill,
        reason: `file ends at ${headerFill} bytes, inside the ${FILE_HEADER_SIZE}-byte header block`,
        skipped: true,
      },
    ]);
  }
  if (fill > 0) yield { kind: 'evtx', bytes: batch.subarray(0, fill), firstChunk };
  const cut = headerFill === FILE_HEADER_SIZE ? truncation(header, size) : undefined;
  if (cut !== undefined) onTruncated(cut);
}
