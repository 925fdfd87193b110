/**
 * Value encodings of the modifiers appendix: Base64 (`base64`, `base64offset` with pySigma's
 * offsets), UTF-16 (`utf16le`/`wide`, `utf16be`, `utf16`) and `windash` expansion.
 *
 * Source: Sigma specification v2.1, `sigma-appendix-modifiers.md`, "Encoding" and "windash";
 * pySigma `sigma/modifiers.py` for base64offset's start (0, 2, 3) and end (none, -3, -2) offsets
 * by `(length + shift) % 3`, and for windash's `\B[-/]\b` positions.
 */
import { fromParts, plainString, plainText, type SigmaString, type StringPart } from './sigma-string.js';

const WINDASH_CHARS = ['-', '/', '\u2013', '\u2014', '\u2015'] as const;
function utf8Bytes(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}

export function bytesOf(s: SigmaString): Uint8Array {
  const text = plainText(s);
  if (!s.binary) return utf8Bytes(text);
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i) & 0xff;
  return out;
}

export function base64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

export function utf16(text: string, littleEndian: boolean): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    const lo = String.fromCharCode(code & 0xff);
    const hi = String.fromCharCode(code >> 8);
    out += littleEndian ? lo + hi : hi + lo;
  }
  return out;
}

/**
 * Expands `\B[-/]\b` occurrences of each literal run into the five dash characters.
 * @returns the variants, or `undefined` when there would be more than `max`
 */
export function windash(s: SigmaString, max: number): SigmaString[] | undefined {
  type Seg = StringPart | { readonly dash: true };
  const segs: Seg[] = [];
  for (const p of s.parts) {
    if (typeof p !== 'string') {
      segs.push(p);
      continue;
    }
    let last = 0;
    for (const m of p.matchAll(/\B[-/]\b/g)) {
      if (m.index > last) segs.push(p.slice(last, m.index));
      segs.push({ dash: true });
      last = m.index + 1;
    }
    if (last < p.length) segs.push(p.slice(last));
  }
  const dashes = segs.filter((x) => typeof x === 'object' && 'dash' in x).length;
  if (WINDASH_CHARS.length ** dashes > max) return undefined;
  let variants: StringPart[][] = [[]];
  for (const seg of segs) {
    if (typeof seg === 'object' && 'dash' in seg) {
      variants = variants.flatMap((v) => WINDASH_CHARS.map((c) => [...v, c]));
    } else {
      for (const v of variants) v.push(seg);
    }
  }
  return variants.map((v) => fromParts(v, s.binary));
}

export function base64offset(s: SigmaString): SigmaString[] {
  const bytes = bytesOf(s);
  const starts = [0, 2, 3];
  const ends = [0, -3, -2];
  const out: SigmaString[] = [];
  for (let shift = 0; shift < 3; shift++) {
    const padded = new Uint8Array(shift + bytes.length);
    padded.fill(0x20, 0, shift);
    padded.set(bytes, shift);
    const enc = base64(padded);
    const end = ends[(bytes.length + shift) % 3]!;
    out.push(plainString(enc.slice(starts[shift]!, end === 0 ? undefined : end)));
  }
  return out;
}
