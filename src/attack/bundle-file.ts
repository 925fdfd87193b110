/**
 * Reading a STIX bundle's bytes: a `.json` or gzip-compressed `.json.gz` file (gzip is recognized
 * by its magic bytes, RFC 1952 §2.3.1, not by the name), streamed through `node:zlib` with a size
 * bound, then parsed as JSON. The parsed value goes to `parseStixBundle` (`detect/attack/stix.ts`).
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { ErrorCodes, VigilError } from '../errors.js';

/** Largest bundle accepted, after decompression (ATT&CK Enterprise v18.1 is 37 MB). */
export const MAX_BUNDLE_BYTES = 512 * 1024 * 1024;

/** A bundle read from a file or a request body. */
export interface BundleBytes {
  /** The parsed JSON. */
  readonly bundle: unknown;
  /** SHA-256 hex of the JSON bytes (after gunzip). */
  readonly sha256: string;
  /** Size of the JSON, bytes. */
  readonly bytes: number;
  readonly gzip: boolean;
}

function isGzip(head: Uint8Array): boolean {
  return head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b;
}

async function collect(stream: Readable, maxBytes: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    const b = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    size += b.length;
    if (size > maxBytes) {
      stream.destroy();
      throw new VigilError(ErrorCodes.ATTACK_BUNDLE, `larger than ${maxBytes} bytes`);
    }
    chunks.push(b);
  }
  return Buffer.concat(chunks, size);
}

function parse(json: Buffer, gzip: boolean): BundleBytes {
  let bundle: unknown;
  try {
    bundle = JSON.parse(json.toString('utf8'));
  } catch (err) {
    throw new VigilError(ErrorCodes.ATTACK_BUNDLE, `invalid JSON: ${(err as Error).message}`);
  }
  return { bundle, sha256: createHash('sha256').update(json).digest('hex'), bytes: json.length, gzip };
}

/**
 * Reads and parses a bundle file, gunzipping it when it is gzip.
 * @param maxBytes - bound on the JSON size (after gunzip), bytes
 * @throws VigilError `VIGIL_ERR_INPUT_READ` when the file cannot be read;
 *   `VIGIL_ERR_ATTACK_BUNDLE` for a corrupt gzip stream, invalid JSON or a file over `maxBytes`
 */
export async function readBundleFile(path: string, maxBytes = MAX_BUNDLE_BYTES): Promise<BundleBytes> {
  let gzip: boolean;
  try {
    const handle = await open(path, 'r');
    try {
      const head = Buffer.alloc(2);
      const { bytesRead } = await handle.read(head, 0, 2, 0);
      gzip = isGzip(head.subarray(0, bytesRead));
    } finally {
      await handle.close();
    }
  } catch (err) {
    throw new VigilError(ErrorCodes.INPUT_READ, `${path}: ${(err as Error).message}`);
  }
  const file = createReadStream(path);
  const stream = gzip ? file.pipe(createGunzip()) : file;
  file.on('error', (err) => stream.destroy(err));
  let json: Buffer;
  try {
    json = await collect(stream, maxBytes);
  } catch (err) {
    if (err instanceof VigilError) throw err;
    const e = err as NodeJS.ErrnoException;
    if (e.code?.startsWith('Z_'))
      throw new VigilError(ErrorCodes.ATTACK_BUNDLE, `corrupt gzip: ${e.message}`);
    throw new VigilError(ErrorCodes.INPUT_READ, `${path}: ${e.message}`);
  } finally {
    file.destroy();
  }
  return parse(json, gzip);
}

/**
 * Parses a bundle received as bytes (a request body), gunzipping it when it is gzip.
 * @throws VigilError `VIGIL_ERR_ATTACK_BUNDLE` for corrupt gzip, invalid JSON or over `maxBytes`
 */
export async function readBundleBytes(body: Buffer, maxBytes = MAX_BUNDLE_BYTES): Promise<BundleBytes> {
  if (!isGzip(body)) {
    if (body.length > maxBytes)
      throw new VigilError(ErrorCodes.ATTACK_BUNDLE, `larger than ${maxBytes} bytes`);
    return parse(body, false);
  }
  const gunzip = createGunzip();
  gunzip.end(body);
  try {
    return parse(await collect(gunzip, maxBytes), true);
  } catch (err) {
    if (err instanceof VigilError) throw err;
    throw new VigilError(ErrorCodes.ATTACK_BUNDLE, `corrupt gzip: ${(err as Error).message}`);
  }
}
