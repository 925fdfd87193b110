/**
 * Substitution value types of Binary XML (libevtx, "Windows XML Event Log (EVTX) format",
 * section "Value types"; Microsoft's `EVT_VARIANT_TYPE` in winevt.h) and how each renders in the
 * evtx-to-JSON shape that evtx_dump (omerbenamram/evtx) writes and the engine maps:
 *
 * | type | name | JSON |
 * |---|---|---|
 * | 0x00 | null | `null` |
 * | 0x01 / 0x02 | UTF-16LE / ANSI string | string (trailing NULs removed, other whitespace kept) |
 * | 0x03–0x0a | signed / unsigned 8–64-bit integers | number (a string beyond 2^53) |
 * | 0x0b / 0x0c | 32 / 64-bit float | number |
 * | 0x0d | boolean (32-bit) | `true` / `false` |
 * | 0x0e | binary | upper-case hex, as Windows' XML renders it |
 * | 0x0f | GUID | `5770385F-C22A-43E0-BF4C-06F5698FFBD9` (upper case, no braces) |
 * | 0x10 | size_t (4 or 8 bytes) | `0x…` hex, as Windows renders it |
 * | 0x11 / 0x12 | FILETIME / SYSTEMTIME | ISO 8601 UTC with microseconds, `…Z` |
 * | 0x13 | SID | `S-1-5-21-…` |
 * | 0x14 / 0x15 | hex 32 / 64-bit | `0x…` lower case, no padding (as Windows: `0x3e7`) |
 * | 0x21 | nested Binary XML | elements (handled by the Binary XML reader, not here) |
 * | 0x80 + t | array of t | array of the above |
 */

/** A rendered substitution value. */
export type EvtxScalar = string | number | boolean | null;
export type EvtxValue = EvtxScalar | readonly EvtxScalar[];

export const VALUE_TYPE = {
  NULL: 0x00,
  STRING: 0x01,
  ANSI: 0x02,
  INT8: 0x03,
  UINT8: 0x04,
  INT16: 0x05,
  UINT16: 0x06,
  INT32: 0x07,
  UINT32: 0x08,
  INT64: 0x09,
  UINT64: 0x0a,
  REAL32: 0x0b,
  REAL64: 0x0c,
  BOOL: 0x0d,
  BINARY: 0x0e,
  GUID: 0x0f,
  SIZET: 0x10,
  FILETIME: 0x11,
  SYSTEMTIME: 0x12,
  SID: 0x13,
  HEX32: 0x14,
  HEX64: 0x15,
  EVT_HANDLE: 0x20,
  BINXML: 0x21,
  EVT_XML: 0x23,
  ARRAY: 0x80,
} as const;

/** Size in bytes of one value of a fixed-size type; 0 for variable-size types. */
export function fixedSize(type: number): number {
  switch (type) {
    case VALUE_TYPE.INT8:
    case VALUE_TYPE.UINT8:
      return 1;
    case VALUE_TYPE.INT16:
    case VALUE_TYPE.UINT16:
      return 2;
    case VALUE_TYPE.INT32:
    case VALUE_TYPE.UINT32:
    case VALUE_TYPE.REAL32:
    case VALUE_TYPE.BOOL:
    case VALUE_TYPE.HEX32:
      return 4;
    case VALUE_TYPE.INT64:
    case VALUE_TYPE.UINT64:
    case VALUE_TYPE.REAL64:
    case VALUE_TYPE.FILETIME:
    case VALUE_TYPE.HEX64:
      return 8;
    case VALUE_TYPE.GUID:
    case VALUE_TYPE.SYSTEMTIME:
      return 16;
    default:
      return 0;
  }
}

/** Thrown for a value that cannot be read; the record reader turns it into a reported problem. */
export class EvtxValueError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EvtxValueError';
  }
}

const utf16 = new TextDecoder('utf-16le');
const latin1 = new TextDecoder('latin1');
const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).toUpperCase().padStart(2, '0'));

/** Decodes UTF-16LE without the trailing NULs Windows writes. */
export function utf16String(bytes: Uint8Array, offset: number, length: number): string {
  let end = offset + (length & ~1);
  while (end > offset && bytes[end - 1] === 0 && bytes[end - 2] === 0) end -= 2;
  if (end - offset <= 32) {
    // Short strings: a char loop beats TextDecoder's call overhead.
    let s = '';
    for (let i = offset; i < end; i += 2) s += String.fromCharCode(bytes[i]! | (bytes[i + 1]! << 8));
    return s;
  }
  return utf16.decode(bytes.subarray(offset, end));
}

function hexBytes(bytes: Uint8Array, offset: number, length: number): string {
  let s = '';
  for (let i = 0; i < length; i++) s += HEX[bytes[offset + i]!];
  return s;
}

function safeInteger(v: bigint): number | string {
  return v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= BigInt(Number.MIN_SAFE_INTEGER)
    ? Number(v)
    : v.toString();
}

const FILETIME_EPOCH_DIFF = 11_644_473_600_000_000n; // µs between 1601-01-01 and 1970-01-01

/** FILETIME (100-ns ticks since 1601-01-01 UTC) → `2019-04-27T15:57:25.868864Z` (rounded to µs, as evtx_dump and python-evtx print). */
export function filetimeToIso(ticks: bigint): string {
  const micros = (ticks + 5n) / 10n - FILETIME_EPOCH_DIFF; // rounded to the nearest µs
  const ms = micros / 1000n;
  const frac = Number(((micros % 1_000_000n) + 1_000_000n) % 1_000_000n);
  const date = new Date(Number(ms));
  if (Number.isNaN(date.getTime())) return `FILETIME:${ticks.toString()}`;
  return `${date.toISOString().slice(0, 19)}.${frac.toString().padStart(6, '0')}Z`;
}

function systemtimeToIso(view: DataView, o: number): string {
  const year = view.getUint16(o, true);
  const month = view.getUint16(o + 2, true);
  const day = view.getUint16(o + 6, true);
  const hour = view.getUint16(o + 8, true);
  const minute = view.getUint16(o + 10, true);
  const second = view.getUint16(o + 12, true);
  const ms = view.getUint16(o + 14, true);
  const p = (n: number, w = 2): string => n.toString().padStart(w, '0');
  return `${p(year, 4)}-${p(month)}-${p(day)}T${p(hour)}:${p(minute)}:${p(second)}.${p(ms * 1000, 6)}Z`;
}

function guidString(bytes: Uint8Array, o: number): string {
  // Data1 (u32 LE), Data2 (u16 LE), Data3 (u16 LE), Data4 (8 bytes as stored).
  const h = (i: number): string => HEX[bytes[o + i]!]!;
  return (
    h(3) +
    h(2) +
    h(1) +
    h(0) +
    '-' +
    h(5) +
    h(4) +
    '-' +
    h(7) +
    h(6) +
    '-' +
    h(8) +
    h(9) +
    '-' +
    h(10) +
    h(11) +
    h(12) +
    h(13) +
    h(14) +
    h(15)
  );
}

function sidString(bytes: Uint8Array, view: DataView, o: number, size: number): string {
  if (size < 8) throw new EvtxValueError(`SID of ${size} bytes`);
  const revision = bytes[o]!;
  const count = bytes[o + 1]!;
  if (8 + count * 4 > size) throw new EvtxValueError(`SID with ${count} sub-authorities in ${size} bytes`);
  // The identifier authority is a 48-bit big-endian number.
  const authority = view.getUint16(o + 2) * 2 ** 32 + view.getUint32(o + 4);
  let s = `S-${revision}-${authority}`;
  for (let i = 0; i < count; i++) s += `-${view.getUint32(o + 8 + i * 4, true)}`;
  return s;
}

/** One value of a fixed-size type at `o` (the caller has checked the bounds). */
function fixedValue(bytes: Uint8Array, view: DataView, o: number, type: number): EvtxScalar {
  switch (type) {
    case VALUE_TYPE.INT8:
      return view.getInt8(o);
    case VALUE_TYPE.UINT8:
      return bytes[o]!;
    case VALUE_TYPE.INT16:
      return view.getInt16(o, true);
    case VALUE_TYPE.UINT16:
      return view.getUint16(o, true);
    case VALUE_TYPE.INT32:
      return view.getInt32(o, true);
    case VALUE_TYPE.UINT32:
      return view.getUint32(o, true);
    case VALUE_TYPE.INT64:
      return safeInteger(view.getBigInt64(o, true));
    case VALUE_TYPE.UINT64:
      return safeInteger(view.getBigUint64(o, true));
    case VALUE_TYPE.REAL32:
      return view.getFloat32(o, true);
    case VALUE_TYPE.REAL64:
      return view.getFloat64(o, true);
    case VALUE_TYPE.BOOL:
      return view.getUint32(o, true) !== 0;
    case VALUE_TYPE.GUID:
      return guidString(bytes, o);
    case VALUE_TYPE.FILETIME:
      return filetimeToIso(view.getBigUint64(o, true));
    case VALUE_TYPE.SYSTEMTIME:
      return systemtimeToIso(view, o);
    case VALUE_TYPE.HEX32:
      return `0x${view.getUint32(o, true).toString(16)}`;
    case VALUE_TYPE.HEX64:
      return `0x${view.getBigUint64(o, true).toString(16)}`;
    default:
      throw new EvtxValueError(`value type 0x${type.toString(16)} is not fixed-size`);
  }
}

function stringArray(bytes: Uint8Array, o: number, size: number, wide: boolean): string[] {
  const out: string[] = [];
  const step = wide ? 2 : 1;
  let start = o;
  const end = o + size - (size % step);
  for (let i = o; i < end; i += step) {
    if (bytes[i] === 0 && (!wide || bytes[i + 1] === 0)) {
      out.push(wide ? utf16String(bytes, start, i - start) : latin1.decode(bytes.subarray(start, i)));
      start = i + step;
    }
  }
  if (start < end)
    out.push(wide ? utf16String(bytes, start, end - start) : latin1.decode(bytes.subarray(start, end)));
  return out;
}

/**
 * Reads a substitution value of `type` occupying `size` bytes at `o`.
 * @throws EvtxValueError for an unknown type or a size that does not fit the type.
 * Nested Binary XML (0x21) is not handled here.
 */
export function readValue(
  bytes: Uint8Array,
  view: DataView,
  o: number,
  size: number,
  type: number,
): EvtxValue {
  if (o + size > bytes.length) throw new EvtxValueError(`value of ${size} bytes runs past the data`);
  switch (type) {
    case VALUE_TYPE.NULL:
      return null;
    case VALUE_TYPE.STRING:
      return utf16String(bytes, o, size);
    case VALUE_TYPE.ANSI: {
      let end = o + size;
      while (end > o && bytes[end - 1] === 0) end--;
      return latin1.decode(bytes.subarray(o, end));
    }
    case VALUE_TYPE.BINARY:
      return hexBytes(bytes, o, size);
    case VALUE_TYPE.SID:
      return sidString(bytes, view, o, size);
    case VALUE_TYPE.SIZET:
      if (size === 4) return `0x${view.getUint32(o, true).toString(16)}`;
      if (size === 8) return `0x${view.getBigUint64(o, true).toString(16)}`;
      throw new EvtxValueError(`size_t of ${size} bytes`);
    case VALUE_TYPE.EVT_HANDLE:
    case VALUE_TYPE.EVT_XML:
      return hexBytes(bytes, o, size);
    case VALUE_TYPE.ARRAY | VALUE_TYPE.STRING:
      return stringArray(bytes, o, size, true);
    case VALUE_TYPE.ARRAY | VALUE_TYPE.ANSI:
      return stringArray(bytes, o, size, false);
    default:
      break;
  }
  if (type & VALUE_TYPE.ARRAY) {
    const base = type & 0x7f;
    const width = base === VALUE_TYPE.SIZET ? 8 : base === VALUE_TYPE.SID ? 0 : fixedSize(base);
    if (base === VALUE_TYPE.SID) return sidArray(bytes, view, o, size);
    if (width === 0 || size % width !== 0)
      throw new EvtxValueError(`array of type 0x${base.toString(16)} with ${size} bytes`);
    const out: EvtxScalar[] = [];
    for (let i = 0; i < size; i += width)
      out.push(
        base === VALUE_TYPE.SIZET
          ? `0x${view.getBigUint64(o + i, true).toString(16)}`
          : fixedValue(bytes, view, o + i, base),
      );
    return out;
  }
  const width = fixedSize(type);
  if (width === 0) throw new EvtxValueError(`unknown value type 0x${type.toString(16)}`);
  if (size < width)
    throw new EvtxValueError(`value type 0x${type.toString(16)} needs ${width} bytes, has ${size}`);
  return fixedValue(bytes, view, o, type);
}

function sidArray(bytes: Uint8Array, view: DataView, o: number, size: number): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < size) {
    const len = 8 + (bytes[o + i + 1] ?? 0) * 4;
    out.push(sidString(bytes, view, o + i, size - i));
    i += len;
  }
  return out;
}
