/**
 * Syslog message framing on a byte stream (RFC 6587, "Transmission of Syslog Messages over TCP")
 * and on datagrams (RFC 5426, one message per UDP datagram).
 *
 * TCP carries two framings, and senders differ (rsyslog, syslog-ng, util-linux `logger`, network
 * gear), so the framing is detected per message from its first byte:
 * - a digit: octet counting, RFC 6587 §3.4.1: `MSG-LEN SP SYSLOG-MSG`, where MSG-LEN is the
 *   message's length in octets (bytes, not characters), so a message may contain newlines;
 * - anything else (normally `<`, the RFC 5424/3164 PRI): non-transparent framing, RFC 6587
 *   §3.4.2: the message ends at a TRAILER, LF by the RFC; CRLF and NUL are accepted too, as
 *   rsyslog does (its `SupportOctetCountedFraming` and NUL/CRLF trailer handling).
 * A digit run not followed by a space (`2025-01-02T…`, a header-less line) is not a valid
 * MSG-LEN, so that message falls back to non-transparent framing.
 *
 * Messages are decoded as UTF-8 (RFC 5424 §6.4; invalid sequences become U+FFFD). Frames longer
 * than the limit are cut to it, never buffered without bound.
 */

/** Largest message kept whole, in bytes; longer ones are truncated to this size. */
export const MAX_FRAME_BYTES = 64 * 1024;

/** Longest accepted MSG-LEN, in digits (RFC 6587 §3.4.1 sets no bound; 10 digits is ~10 GB). */
const MAX_LEN_DIGITS = 10;

const LF = 0x0a;
const CR = 0x0d;
const NUL = 0x00;
const SP = 0x20;
const TAB = 0x09;
const EMPTY = Buffer.alloc(0);

/** Why a frame was cut: longer than the limit, or the stream ended in the middle of it. */
export interface Truncation {
  readonly reason: 'too-long' | 'incomplete';
  /** The frame's size as announced (octet counting) or as seen so far, in bytes. */
  readonly bytes: number;
  readonly framing: 'octet-counting' | 'non-transparent';
}

export interface FramerOptions {
  /** Frame size limit in bytes (default {@link MAX_FRAME_BYTES}). */
  readonly maxFrameBytes?: number;
  /** Called for each frame that is emitted truncated (or incomplete, at {@link SyslogFramer.end}). */
  readonly onTruncated?: (t: Truncation) => void;
}

function isDigit(b: number): boolean {
  return b >= 0x30 && b <= 0x39;
}

/** Bytes skipped between frames: stray trailers and padding. */
function isGap(b: number): boolean {
  return b === LF || b === CR || b === NUL || b === SP || b === TAB;
}

/** The earliest trailer (LF or NUL, RFC 6587 §3.4.2) at or after `from`, or -1. */
function trailerAt(buf: Buffer, from: number): number {
  const lf = buf.indexOf(LF, from);
  const nul = buf.indexOf(NUL, from);
  if (lf < 0) return nul;
  return nul < 0 || lf < nul ? lf : nul;
}

/** The last index ≤ `end` that does not split a UTF-8 sequence (so a cut leaves no U+FFFD). */
function charBoundary(buf: Buffer, start: number, end: number): number {
  let i = end;
  while (i > start && i < buf.length && (buf[i]! & 0xc0) === 0x80) i--;
  return i > start ? i : end;
}

/** UTF-8 text of `buf[start, end)` without trailing CR, LF or NUL. */
function text(buf: Buffer, start: number, end: number): string {
  while (end > start && (buf[end - 1] === LF || buf[end - 1] === CR || buf[end - 1] === NUL)) end--;
  return buf.toString('utf8', start, end);
}

/**
 * The message of one UDP datagram (RFC 5426 §3.1: one syslog message per datagram), decoded as
 * UTF-8, trailing CR/LF/NUL removed; `undefined` for an empty or blank datagram.
 */
export function datagramMessage(buf: Buffer): string | undefined {
  const s = text(buf, 0, buf.length);
  return s.trim() === '' ? undefined : s;
}

/**
 * Splits a TCP byte stream into syslog messages (RFC 6587 §3.4.1 octet counting and §3.4.2
 * non-transparent framing, detected per message). Keeps at most one partial frame
 * (≤ `maxFrameBytes` + MSG-LEN header) between calls. Never throws on any input.
 */
export class SyslogFramer {
  private readonly max: number;
  private readonly onTruncated: ((t: Truncation) => void) | undefined;
  /** Bytes of an unfinished frame (with its MSG-LEN header, if octet-counted). */
  private pending: Buffer = EMPTY;
  /** Bytes at the start of `pending` known to hold no trailer (non-transparent frames). */
  private scanned = 0;
  /** Octets of an over-long octet-counted frame still to discard. */
  private skip = 0;
  /** Discarding the rest of an over-long non-transparent frame, up to its trailer. */
  private discarding = false;

  constructor(options: FramerOptions = {}) {
    this.max = Math.max(1, options.maxFrameBytes ?? MAX_FRAME_BYTES);
    this.onTruncated = options.onTruncated;
  }

  /**
   * Feeds the next bytes read from the connection.
   * @returns the messages completed by them, in order (UTF-8 decoded, without trailer)
   */
  push(chunk: Buffer): string[] {
    const out: string[] = [];
    const buf = this.pending.length > 0 ? Buffer.concat([this.pending, chunk]) : chunk;
    let pos = 0;
    while (pos < buf.length) {
      if (this.skip > 0) {
        const n = Math.min(this.skip, buf.length - pos);
        this.skip -= n;
        pos += n;
        continue;
      }
      if (this.discarding) {
        const t = trailerAt(buf, pos);
        if (t < 0) {
          pos = buf.length;
          break;
        }
        this.discarding = false;
        pos = t + 1;
        continue;
      }
      if (isGap(buf[pos]!)) {
        pos++;
        continue;
      }
      const next = isDigit(buf[pos]!) ? this.octetCounted(buf, pos, out) : undefined;
      if (next === 'wait') break;
      const after = next ?? this.nonTransparent(buf, pos, out);
      if (after < 0) break;
      pos = after;
    }
    this.keep(buf, pos);
    return out;
  }

  /**
   * Signals the end of the stream (peer closed, connection reset, shutdown).
   * @returns the unfinished last message, if any: a non-transparent frame without its trailer, or
   *   the octets received of an octet-counted one (reported as `incomplete`)
   */
  end(): string[] {
    const buf = this.pending;
    this.pending = EMPTY;
    this.scanned = 0;
    this.skip = 0;
    this.discarding = false;
    let start = 0;
    while (start < buf.length && isGap(buf[start]!)) start++;
    if (start >= buf.length) return [];
    const header = this.header(buf, start);
    if (header !== undefined && header !== 'wait') {
      this.onTruncated?.({ reason: 'incomplete', bytes: header.len, framing: 'octet-counting' });
      start = header.body;
    }
    const s = text(buf, start, Math.min(buf.length, start + this.max));
    return s.trim() === '' ? [] : [s];
  }

  /** Parses `MSG-LEN SP` at `pos`: the length and where the message starts, `wait`, or undefined (not a header). */
  private header(buf: Buffer, pos: number): { len: number; body: number } | 'wait' | undefined {
    let i = pos;
    let len = 0;
    while (i < buf.length && i - pos < MAX_LEN_DIGITS && isDigit(buf[i]!))
      len = len * 10 + (buf[i++]! - 0x30);
    if (i >= buf.length) return i - pos < MAX_LEN_DIGITS ? 'wait' : undefined;
    return buf[i] === SP ? { len, body: i + 1 } : undefined;
  }

  /** RFC 6587 §3.4.1. Returns the position after the frame, `wait`, or undefined (not octet-counted). */
  private octetCounted(buf: Buffer, pos: number, out: string[]): number | 'wait' | undefined {
    const h = this.header(buf, pos);
    if (h === undefined || h === 'wait') return h;
    const available = buf.length - h.body;
    if (h.len > this.max) {
      if (available < this.max) return 'wait';
      const cut = charBoundary(buf, h.body, h.body + this.max);
      this.emit(out, text(buf, h.body, cut));
      this.onTruncated?.({ reason: 'too-long', bytes: h.len, framing: 'octet-counting' });
      this.skip = h.len - (cut - h.body);
      return cut;
    }
    if (available < h.len) return 'wait';
    this.emit(out, text(buf, h.body, h.body + h.len));
    return h.body + h.len;
  }

  /** RFC 6587 §3.4.2. Returns the position after the trailer, or -1 to wait for more bytes. */
  private nonTransparent(buf: Buffer, pos: number, out: string[]): number {
    const t = trailerAt(buf, pos + Math.min(this.scanned, buf.length - pos));
    const end = t < 0 ? buf.length : t;
    if (end - pos > this.max) {
      const cut = charBoundary(buf, pos, pos + this.max);
      this.emit(out, text(buf, pos, cut));
      this.onTruncated?.({ reason: 'too-long', bytes: end - pos, framing: 'non-transparent' });
      this.scanned = 0;
      if (t < 0) {
        this.discarding = true;
        return buf.length;
      }
      return t + 1;
    }
    if (t < 0) {
      this.scanned = buf.length - pos;
      return -1;
    }
    this.scanned = 0;
    this.emit(out, text(buf, pos, t));
    return t + 1;
  }

  private emit(out: string[], s: string): void {
    if (s.trim() !== '') out.push(s);
  }

  /** Keeps the unconsumed tail (a copy, so the socket's chunk can be released). */
  private keep(buf: Buffer, pos: number): void {
    if (pos >= buf.length) {
      this.pending = EMPTY;
      this.scanned = 0;
    } else this.pending = Buffer.from(buf.subarray(pos));
  }
}
