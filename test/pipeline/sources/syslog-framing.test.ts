import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  datagramMessage,
  MAX_FRAME_BYTES,
  SyslogFramer,
  type Truncation,
} from '../../../src/pipeline/sources/syslog-framing.js';

const R5424 = "<34>1 2025-10-11T22:14:15.003Z mymachine su - ID47 - BOM'su root' failed for lonvick";
const R3164 =
  '<38>Dec 10 06:55:46 LabSZ sshd[24200]: Failed password for root from 183.62.140.253 port 38490 ssh2';

const octet = (msg: string) => `${Buffer.byteLength(msg)} ${msg}`;

/** Frames `input` fed in pieces of `size` bytes, then ended. */
function frame(input: Buffer | string, size = Infinity, framer = new SyslogFramer()): string[] {
  const buf = typeof input === 'string' ? Buffer.from(input) : input;
  const out: string[] = [];
  for (let i = 0; i < buf.length; i += Math.min(size, buf.length))
    out.push(...framer.push(buf.subarray(i, i + size)));
  return [...out, ...framer.end()];
}

describe('SyslogFramer', () => {
  it('reads octet-counted frames (RFC 6587 §3.4.1), split anywhere, counting bytes not characters', () => {
    const msgs = [R5424, '<13>1 - host app - - - héllo wörld ✓', R3164];
    const stream = msgs.map(octet).join('');
    for (let size = 1; size <= 40; size++) expect(frame(stream, size)).toEqual(msgs);
  });

  it('keeps newlines inside an octet-counted message', () => {
    const msg = '<13>1 - host app - - - line one\nline two';
    expect(frame(octet(msg) + octet(R5424), 3)).toEqual([msg, R5424]);
  });

  it('reads LF, CRLF and NUL terminated frames (RFC 6587 §3.4.2) and skips blank ones', () => {
    expect(frame(`${R5424}\n${R3164}\r\n\r\n${R5424}\0${R3164}`, 7)).toEqual([R5424, R3164, R5424, R3164]);
  });

  it('detects the framing per message', () => {
    const stream = `${octet(R5424)}${R3164}\n${octet(R3164)}\n${R5424}\n`;
    for (const size of [1, 5, 64, Infinity])
      expect(frame(stream, size)).toEqual([R5424, R3164, R3164, R5424]);
  });

  it('treats a digit run without a following space as a newline-framed line', () => {
    const line = '2025-01-02T03:04:05+00:00 host sshd[1]: hello';
    expect(frame(`${line}\n12345678901234 x\n`, 4)).toEqual([line, '12345678901234 x']);
  });

  it('returns the unterminated last line at end()', () => {
    const framer = new SyslogFramer();
    expect(framer.push(Buffer.from(`${R5424}\n${R3164}`))).toEqual([R5424]);
    expect(framer.end()).toEqual([R3164]);
    expect(framer.end()).toEqual([]);
  });

  it('returns the received part of an unfinished octet-counted frame at end(), reported as incomplete', () => {
    const cuts: Truncation[] = [];
    const framer = new SyslogFramer({ onTruncated: (t) => cuts.push(t) });
    expect(framer.push(Buffer.from('100 <13>1 - h a - - - partial'))).toEqual([]);
    expect(framer.end()).toEqual(['<13>1 - h a - - - partial']);
    expect(cuts).toEqual([{ reason: 'incomplete', bytes: 100, framing: 'octet-counting' }]);
  });

  it('truncates an octet-counted frame over 64 KiB and skips its remaining octets', () => {
    const cuts: Truncation[] = [];
    const big = `<13>1 - h a - - - ${'x'.repeat(100_000)}`;
    const out = frame(
      octet(big) + octet(R5424),
      4096,
      new SyslogFramer({ onTruncated: (t) => cuts.push(t) }),
    );
    expect(out).toEqual([big.slice(0, MAX_FRAME_BYTES), R5424]);
    expect(cuts).toEqual([{ reason: 'too-long', bytes: Buffer.byteLength(big), framing: 'octet-counting' }]);
  });

  it('truncates a newline frame with no terminator within 64 KiB and discards up to its trailer', () => {
    const cuts: Truncation[] = [];
    const big = `<13>1 - h a - - - ${'y'.repeat(200_000)}`;
    const out = frame(`${big}\n${R3164}\n`, 1000, new SyslogFramer({ onTruncated: (t) => cuts.push(t) }));
    expect(out).toEqual([big.slice(0, MAX_FRAME_BYTES), R3164]);
    expect(cuts).toHaveLength(1);
    expect(cuts[0]).toMatchObject({ reason: 'too-long', framing: 'non-transparent' });
  });

  it('does not cut a UTF-8 character in half when truncating', () => {
    const big = `<13>1 - h a - - - ${'é'.repeat(40_000)}`;
    const [first] = frame(`${big}\n`, 999);
    expect(first).not.toContain('\uFFFD');
    expect(Buffer.byteLength(first!)).toBeLessThanOrEqual(MAX_FRAME_BYTES);
    expect(Buffer.byteLength(first!)).toBeGreaterThan(MAX_FRAME_BYTES - 4);
  });

  it('never throws and keeps output bounded on arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 20 }), (chunks) => {
        const framer = new SyslogFramer({ maxFrameBytes: 64 });
        const out: string[] = [];
        for (const c of chunks) out.push(...framer.push(Buffer.from(c)));
        out.push(...framer.end());
        const total = chunks.reduce((n, c) => n + c.length, 0);
        expect(out.reduce((n, s) => n + Buffer.byteLength(s), 0)).toBeLessThanOrEqual(total * 3);
        for (const s of out) expect(Buffer.byteLength(s)).toBeLessThanOrEqual(64 * 3);
      }),
      { numRuns: 2000 },
    );
  });

  it('gives back concatenated valid frames, whatever the chunking', () => {
    // A message that frames unambiguously: non-blank, no trailing CR/LF/NUL; a newline-framed one
    // starts with `<` and has no LF/NUL in it.
    const body = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 40 });
    const message = fc.oneof(
      body
        .map((s) => `<13>${s.replace(/[\n\0]/g, ' ')}`.replace(/[\r\s]+$/, ''))
        .map((m) => ({ m, wire: `${m}\n` })),
      body
        .filter((s) => s.trim() !== '' && !/[\r\n\0\s]$/.test(s) && !/^\s/.test(s))
        .map((m) => ({ m, wire: octet(m) })),
    );
    fc.assert(
      fc.property(fc.array(message, { maxLength: 15 }), fc.integer({ min: 1, max: 50 }), (msgs, size) => {
        const stream = msgs.map((x) => x.wire).join('');
        expect(frame(stream, size, new SyslogFramer({ maxFrameBytes: 1024 }))).toEqual(msgs.map((x) => x.m));
      }),
      { numRuns: 1000 },
    );
  });
});

describe('datagramMessage', () => {
  it('takes one message per datagram (RFC 5426 §3.1) without trailing CR/LF/NUL', () => {
    expect(datagramMessage(Buffer.from(`${R5424}\r\n`))).toBe(R5424);
    expect(datagramMessage(Buffer.from(`${R3164}\0`))).toBe(R3164);
    expect(datagramMessage(Buffer.from(' \n'))).toBeUndefined();
  });
});
