/**
 * Log files as text streams: gzip detected by its magic bytes (RFC 1952: 1f 8b), UTF-8 decoded
 * across chunk boundaries, and the format of each file sniffed from its first 64 KiB.
 */
import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { createGunzip, gunzipSync } from 'node:zlib';
import { type TextFormat, textFormat, textFormats } from '../decoders/text.js';

/** What a file holds, as far as the reader is concerned. */
export type FileFormat =
  | { readonly kind: 'jsonl' }
  | { readonly kind: 'json' }
  | { readonly kind: 'text'; readonly format: TextFormat }
  | { readonly kind: 'evtx' }
  | { readonly kind: 'binary' }
  | { readonly kind: 'empty' }
  | { readonly kind: 'unknown' };

/** Input format names accepted by `--input-format` besides the text formats' ids. */
export const JSON_INPUT_FORMATS = ['json', 'jsonl'] as const;

const SNIFF_BYTES = 64 * 1024;
const EVTX_MAGIC = Buffer.from('ElfFile\0', 'latin1');

export interface FileInfo {
  readonly path: string;
  readonly size: number;
  readonly gzip: boolean;
  readonly mtime: Date;
}

async function readHead(path: string, bytes: number): Promise<Buffer> {
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.alloc(bytes);
    const { bytesRead } = await fh.read(buf, 0, bytes, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

function gunzipHead(head: Buffer): Buffer {
  try {
    return gunzipSync(head, { finishFlush: 2 /* Z_SYNC_FLUSH: accept a truncated stream */ });
  } catch {
    return Buffer.alloc(0);
  }
}

/** Looks at a file's first bytes: size, compression and (decompressed) head. */
export async function inspectFile(path: string): Promise<{ info: FileInfo; head: Buffer }> {
  const st = await stat(path);
  const raw = await readHead(path, SNIFF_BYTES);
  const gzip = raw.length >= 2 && raw[0] === 0x1f && raw[1] === 0x8b;
  const head = gzip ? gunzipHead(raw).subarray(0, SNIFF_BYTES) : raw;
  if (gzip && head.length === 0 && raw.length > 20)
    throw new Error('corrupt gzip data (cannot decompress the start)');
  return { info: { path, size: st.size, gzip, mtime: st.mtime }, head };
}

/**
 * True when more than a tenth of the sample are control bytes other than whitespace and ESC.
 * A text log may carry a few binary bytes (a TLS handshake sent to an HTTP port lands in the
 * access log); a binary file is mostly such bytes.
 */
export function looksBinary(sample: Uint8Array): boolean {
  let control = 0;
  for (let i = 0; i < sample.length; i++) {
    const b = sample[i]!;
    if (b < 0x09 || (b > 0x0d && b < 0x20 && b !== 0x1b) || b === 0x7f) control++;
  }
  return control * 10 > sample.length;
}

function firstLines(text: string, max: number): string[] {
  const out: string[] = [];
  let start = 0;
  while (out.length < max && start < text.length) {
    let end = text.indexOf('\n', start);
    const last = end < 0;
    if (last) end = text.length;
    const line = text.slice(start, end).replace(/\r$/, '');
    // The last line of a truncated head may be partial; keep it only if the head is the whole file.
    if (line.trim() !== '' && !last) out.push(line);
    else if (line.trim() !== '' && last && out.length === 0) out.push(line);
    start = end + 1;
  }
  return out;
}

function isJsonObjectLine(line: string): boolean {
  const t = line.trim();
  if (!t.startsWith('{') || !t.endsWith('}')) return false;
  try {
    JSON.parse(t);
    return true;
  } catch {
    return false;
  }
}

/**
 * Decides a file's format from its head.
 * @param forced - an `--input-format` value (`json`, `jsonl` or a text format id); wins over sniffing
 * @throws Error for an unknown forced format
 */
export function detectFormat(head: Buffer, forced?: string): FileFormat {
  if (forced !== undefined && forced !== 'auto') {
    if (forced === 'json') return { kind: 'json' };
    if (forced === 'jsonl' || forced === 'ndjson') return { kind: 'jsonl' };
    const format = textFormat(forced);
    if (!format) throw new Error(`unknown input format "${forced}"`);
    return { kind: 'text', format };
  }
  if (head.length === 0) return { kind: 'empty' };
  if (head.subarray(0, EVTX_MAGIC.length).equals(EVTX_MAGIC)) return { kind: 'evtx' };
  if (looksBinary(head.subarray(0, 8192))) return { kind: 'binary' };
  const text = head.toString('utf8').replace(/^\uFEFF/, '');
  const trimmed = text.trimStart();
  if (trimmed === '') return { kind: 'empty' };
  if (trimmed.startsWith('[')) return { kind: 'json' };
  const lines = firstLines(text, 20);
  if (trimmed.startsWith('{')) {
    // JSON Lines when the first line is a whole object; otherwise pretty or concatenated JSON.
    return lines.length > 0 && isJsonObjectLine(lines[0]!) ? { kind: 'jsonl' } : { kind: 'json' };
  }
  for (const format of textFormats()) if (format.sniff(lines)) return { kind: 'text', format };
  return { kind: 'unknown' };
}

/**
 * Opens a file as a byte stream in 64 KiB reads, gunzipped when needed (a read error of the
 * compressed file ends the gunzip stream with that error).
 * @param onBytes - called with the number of file bytes (compressed, when gzip) consumed so far
 */
export function openStream(info: FileInfo, onBytes?: (bytes: number) => void): NodeJS.ReadableStream {
  const raw = createReadStream(info.path, { highWaterMark: 1 << 16 });
  let consumed = 0;
  if (onBytes) {
    raw.on('data', (chunk: Buffer | string) => {
      consumed += chunk.length;
      onBytes(consumed);
    });
  }
  if (!info.gzip) return raw;
  const stream = raw.pipe(createGunzip());
  raw.on('error', (err) => stream.destroy(err));
  return stream;
}

/**
 * Streams a file as UTF-8 text chunks, gunzipping when needed.
 * @param onBytes - called with the number of file bytes (compressed, when gzip) consumed so far
 */
export async function* readText(info: FileInfo, onBytes?: (bytes: number) => void): AsyncGenerator<string> {
  const stream = openStream(info, onBytes);
  stream.setEncoding('utf8');
  let first = true;
  for await (const chunk of stream as AsyncIterable<string>) {
    yield first ? chunk.replace(/^\uFEFF/, '') : chunk;
    first = false;
  }
}
