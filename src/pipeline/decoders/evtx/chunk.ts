/**
 * EVTX file header, chunks and event records (libevtx, "Windows XML Event Log (EVTX) format",
 * sections "File header", "Chunk" and "Event record"). Pure: bytes in, records and problems out.
 *
 * File header (first 4,096-byte block): "ElfFile\0", first/last chunk number, next record id,
 * header size (128), minor/major version (1/3), block size (4,096), chunk count, flags (0x1 dirty,
 * 0x2 full) at 120, CRC32 of bytes 0–119 at 124.
 * Chunk (65,536 bytes): "ElfChnk\0", first/last record number and id, header size (128), last record
 * offset (44), free space offset (48), CRC32 of the record data [512, free space) at 52, CRC32 of
 * bytes 0–119 and 128–511 at 124; string and template tables at 128–511; records from 512.
 * Event record: "**\0\0", size (4), record id (8), written time FILETIME (8), Binary XML, size copy.
 */
import { crc32 } from 'node:zlib';
import { BinXmlError, ChunkBinXml } from './binxml.js';
import { type EvtxJson, renderFragment } from './render.js';
import { filetimeToIso } from './values.js';

export const FILE_HEADER_SIZE = 4096;
export const CHUNK_SIZE = 65536;
const CHUNK_HEADER_SIZE = 512;
const RECORD_HEADER_SIZE = 24;
const FILE_MAGIC = [0x45, 0x6c, 0x66, 0x46, 0x69, 0x6c, 0x65, 0x00]; // ElfFile\0
const CHUNK_MAGIC = [0x45, 0x6c, 0x66, 0x43, 0x68, 0x6e, 0x6b, 0x00]; // ElfChnk\0

/** Every kind of damage a problem can report (docs/evtx.md describes each). */
export const EVTX_PROBLEM_KINDS = [
  'file-header',
  'file-header-checksum',
  'file-truncated',
  'chunk-header',
  'chunk-header-checksum',
  'chunk-data-checksum',
  'record-header',
  'record-truncated',
  'record-binxml',
] as const;

/** What kind of damage a problem reports. */
export type EvtxProblemKind = (typeof EVTX_PROBLEM_KINDS)[number];

/** Damage found while reading: where (chunk index, file offset in bytes) and why. */
export interface EvtxProblem {
  readonly kind: EvtxProblemKind;
  /** 0-based chunk index, or null for the file header. */
  readonly chunk: number | null;
  /** Byte offset in the file. */
  readonly offset: number;
  readonly reason: string;
  /** False when the data around it was still read (checksum mismatches). */
  readonly skipped: boolean;
}

/** One event record, in the evtx-to-JSON shape. */
export interface EvtxRecord {
  /** The record header's event record identifier (`EventRecordID`). */
  readonly recordId: number;
  /** The record header's written time, ISO 8601 UTC. */
  readonly written: string;
  /** 0-based chunk index. */
  readonly chunk: number;
  /** Byte offset of the record in the file. */
  readonly offset: number;
  /** `{"Event": {"System": …, "EventData": …}}`. */
  readonly event: { [key: string]: EvtxJson };
}

export interface EvtxFileHeader {
  readonly firstChunk: number;
  readonly lastChunk: number;
  readonly nextRecordId: number;
  readonly majorVersion: number;
  readonly minorVersion: number;
  readonly chunkCount: number;
  /** Not closed cleanly: the header may lag behind the chunks, which are read anyway. */
  readonly dirty: boolean;
  readonly full: boolean;
}

function hasMagic(bytes: Uint8Array, offset: number, magic: readonly number[]): boolean {
  if (offset + magic.length > bytes.length) return false;
  for (let i = 0; i < magic.length; i++) if (bytes[offset + i] !== magic[i]) return false;
  return true;
}

/**
 * Reads the file header from the file's first bytes (at least 128).
 * @returns the header (undefined when the signature is wrong) and the problems found
 */
export function readFileHeader(bytes: Uint8Array): { header?: EvtxFileHeader; problems: EvtxProblem[] } {
  const problems: EvtxProblem[] = [];
  if (bytes.length < 128 || !hasMagic(bytes, 0, FILE_MAGIC)) {
    problems.push({
      kind: 'file-header',
      chunk: null,
      offset: 0,
      reason: bytes.length < 128 ? `file of ${bytes.length} bytes has no EVTX header` : 'bad file signature',
      skipped: true,
    });
    return { problems };
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const stored = view.getUint32(124, true);
  const actual = crc32(bytes.subarray(0, 120));
  if (stored !== actual)
    problems.push({
      kind: 'file-header-checksum',
      chunk: null,
      offset: 124,
      reason: `file header CRC32 0x${stored.toString(16)} != computed 0x${actual.toString(16)}`,
      skipped: false,
    });
  const flags = view.getUint32(120, true);
  return {
    header: {
      firstChunk: Number(view.getBigUint64(8, true)),
      lastChunk: Number(view.getBigUint64(16, true)),
      nextRecordId: Number(view.getBigUint64(24, true)),
      minorVersion: view.getUint16(36, true),
      majorVersion: view.getUint16(38, true),
      chunkCount: view.getUint16(42, true),
      dirty: (flags & 1) !== 0,
      full: (flags & 2) !== 0,
    },
    problems,
  };
}

/**
 * A problem when the file is shorter than its header says or ends inside a chunk.
 * @param size the file's size in bytes
 */
export function truncation(header: EvtxFileHeader | undefined, size: number): EvtxProblem | undefined {
  const body = Math.max(0, size - FILE_HEADER_SIZE);
  const whole = Math.floor(body / CHUNK_SIZE);
  const partial = body % CHUNK_SIZE;
  if (partial !== 0)
    return {
      kind: 'file-truncated',
      chunk: whole,
      offset: size,
      reason: `file ends ${partial} bytes into chunk ${whole}${header && header.chunkCount > whole + 1 ? ` of the ${header.chunkCount} its header lists` : ''}`,
      skipped: true,
    };
  if (header !== undefined && header.chunkCount > whole)
    return {
      kind: 'file-truncated',
      chunk: null,
      offset: size,
      reason: `file holds ${whole} chunks, its header lists ${header.chunkCount}`,
      skipped: true,
    };
  return undefined;
}

/** True when the block is all zeros (an allocated chunk never written). */
function isBlank(bytes: Uint8Array): boolean {
  for (let i = 0; i < bytes.length; i += 8) if (bytes[i] !== 0) return false;
  for (let i = 0; i < bytes.length; i++) if (bytes[i] !== 0) return false;
  return true;
}

export interface ChunkResult {
  readonly records: EvtxRecord[];
  readonly problems: EvtxProblem[];
  /** False when the block is not a chunk (blank or bad signature). */
  readonly isChunk: boolean;
}

/**
 * Decodes one chunk.
 * @param bytes the chunk's bytes (65,536, or fewer when the file is truncated)
 * @param index 0-based chunk index in the file
 * @param fileOffset byte offset of the chunk in the file (for evidence and problem reports)
 * Never throws: damage becomes problems, and every readable record is returned.
 */
export function decodeChunk(bytes: Uint8Array, index: number, fileOffset: number): ChunkResult {
  const records: EvtxRecord[] = [];
  const problems: EvtxProblem[] = [];
  const problem = (kind: EvtxProblemKind, at: number, reason: string, skipped = true): void => {
    problems.push({ kind, chunk: index, offset: fileOffset + at, reason, skipped });
  };
  if (!hasMagic(bytes, 0, CHUNK_MAGIC)) {
    if (isBlank(bytes)) return { records, problems, isChunk: false };
    problem('chunk-header', 0, 'bad chunk signature; chunk skipped');
    return { records, problems, isChunk: false };
  }
  if (bytes.length < CHUNK_HEADER_SIZE) {
    problem('chunk-header', 0, `chunk truncated to ${bytes.length} bytes`);
    return { records, problems, isChunk: true };
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerCrc = view.getUint32(124, true);
  const computed = crc32(bytes.subarray(128, CHUNK_HEADER_SIZE), crc32(bytes.subarray(0, 120)));
  if (headerCrc !== computed)
    problem(
      'chunk-header-checksum',
      124,
      `chunk header CRC32 0x${headerCrc.toString(16)} != 0x${computed.toString(16)}`,
      false,
    );
  let freeSpace = view.getUint32(48, true);
  if (freeSpace < CHUNK_HEADER_SIZE || freeSpace > CHUNK_SIZE) {
    problem(
      'chunk-header',
      48,
      `free space offset ${freeSpace} out of range; records read to the chunk's end`,
      false,
    );
    freeSpace = bytes.length;
  } else if (freeSpace > bytes.length) {
    problem('chunk-header', 48, `chunk truncated at ${bytes.length} of ${freeSpace} bytes of records`, false);
    freeSpace = bytes.length;
  } else {
    const dataCrc = view.getUint32(52, true);
    const data = crc32(bytes.subarray(CHUNK_HEADER_SIZE, freeSpace));
    if (dataCrc !== data)
      problem(
        'chunk-data-checksum',
        52,
        `record data CRC32 0x${dataCrc.toString(16)} != 0x${data.toString(16)}`,
        false,
      );
  }
  const binxml = new ChunkBinXml(bytes);
  let pos = CHUNK_HEADER_SIZE;
  while (pos + RECORD_HEADER_SIZE <= freeSpace) {
    if (!(bytes[pos] === 0x2a && bytes[pos + 1] === 0x2a && bytes[pos + 2] === 0 && bytes[pos + 3] === 0)) {
      if (isBlank(bytes.subarray(pos, freeSpace))) break;
      const next = resync(bytes, pos + 1, freeSpace);
      problem('record-header', pos, `no record signature; ${next - pos} bytes skipped`);
      pos = next;
      continue;
    }
    const size = view.getUint32(pos + 4, true);
    if (size < RECORD_HEADER_SIZE + 4 || pos + size > bytes.length) {
      const next = resync(bytes, pos + 4, freeSpace);
      problem(
        'record-truncated',
        pos,
        `record size ${size} does not fit the chunk; ${next - pos} bytes skipped`,
      );
      pos = next;
      continue;
    }
    const copy = view.getUint32(pos + size - 4, true);
    const recordId = Number(view.getBigUint64(pos + 8, true));
    if (copy !== size) {
      const next = resync(bytes, pos + 4, freeSpace);
      problem(
        'record-truncated',
        pos,
        `record ${recordId}: size ${size} but trailing copy ${copy}; record skipped`,
      );
      pos = next;
      continue;
    }
    try {
      const fragment = binxml.readRecord(pos + RECORD_HEADER_SIZE, pos + size - 4);
      records.push({
        recordId,
        written: filetimeToIso(view.getBigUint64(pos + 16, true)),
        chunk: index,
        offset: fileOffset + pos,
        event: renderFragment(fragment),
      });
    } catch (e) {
      if (!(e instanceof BinXmlError) && !(e instanceof RangeError)) throw e;
      problem('record-binxml', pos, `record ${recordId}: ${e.message}; record skipped`);
    }
    pos += size;
  }
  return { records, problems, isChunk: true };
}

/** Next offset in [from, end) holding a record signature, or `end`. */
function resync(bytes: Uint8Array, from: number, end: number): number {
  for (let i = from; i + 4 <= end; i++)
    if (bytes[i] === 0x2a && bytes[i + 1] === 0x2a && bytes[i + 2] === 0 && bytes[i + 3] === 0) return i;
  return end;
}

/**
 * Decodes a whole EVTX file held in memory (tests, small files; the scan streams chunks instead).
 * Every block after the header that carries a chunk signature is read, whatever the header's chunk
 * count says (a dirty file's header lags behind its chunks).
 */
export function decodeEvtx(bytes: Uint8Array): {
  header?: EvtxFileHeader;
  records: EvtxRecord[];
  problems: EvtxProblem[];
} {
  const { header, problems } = readFileHeader(bytes);
  const records: EvtxRecord[] = [];
  for (let i = 0, off = FILE_HEADER_SIZE; off < bytes.length; i++, off += CHUNK_SIZE) {
    const r = decodeChunk(bytes.subarray(off, Math.min(off + CHUNK_SIZE, bytes.length)), i, off);
    for (const rec of r.records) records.push(rec);
    for (const p of r.problems) problems.push(p);
  }
  const cut = truncation(header, bytes.length);
  if (cut !== undefined) problems.push(cut);
  return header === undefined ? { records, problems } : { header, records, problems };
}
