/**
 * The EVTX reader on files written by the test-only builder (test/helpers/evtx-builder.ts, an
 * independent writer checked against python-evtx): Windows-shaped records, every value type, and
 * each kind of damage, which must be reported while the rest of the file is still read.
 */
import { crc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { CHUNK_SIZE, decodeEvtx, FILE_HEADER_SIZE } from '../../../../src/pipeline/decoders/evtx/chunk.js';
import {
  buildEvtx,
  el,
  type RecordSpec,
  security4624,
  sysmonProcessCreation,
} from '../../../helpers/evtx-builder.js';

type Json = Record<string, unknown>;
const ev = (r: { event: Json }) => r.event.Event as Json;
const sys = (r: { event: Json }) => ev(r).System as Json;
const data = (r: { event: Json }) => ev(r).EventData as Json;

function twoChunkFile() {
  const first: RecordSpec[] = [
    sysmonProcessCreation({ id: 1, image: 'C:\\Windows\\System32\\cmd.exe', commandLine: 'cmd /c whoami' }),
    sysmonProcessCreation({ id: 2, image: 'C:\\Windows\\System32\\net.exe', commandLine: 'net user' }),
    security4624({ id: 3, targetUserName: 'alice', ipAddress: '10.1.2.3' }),
  ];
  const second: RecordSpec[] = [
    security4624({ id: 4, targetUserName: 'bob', logonType: 10 }),
    sysmonProcessCreation({ id: 5, image: 'C:\\Tools\\x.exe', commandLine: 'x.exe  -trailing  ' }),
  ];
  return buildEvtx([{ records: first }, { records: second }]);
}

/** Rewrites a chunk's header and data CRC32s after a test edited its bytes on purpose. */
function fixChunkChecksums(bytes: Uint8Array, chunk: number): void {
  const base = FILE_HEADER_SIZE + chunk * CHUNK_SIZE;
  const view = new DataView(bytes.buffer, bytes.byteOffset);
  const free = view.getUint32(base + 48, true);
  view.setUint32(base + 52, crc32(bytes.subarray(base + 512, base + free)), true);
  const head = crc32(bytes.subarray(base + 128, base + 512), crc32(bytes.subarray(base, base + 120)));
  view.setUint32(base + 124, head, true);
}

describe('EVTX reader: Windows-shaped records', () => {
  const { bytes, layout } = twoChunkFile();
  const result = decodeEvtx(bytes);

  it('reads every record of every chunk, in order, with its id and file offset', () => {
    expect(result.problems).toEqual([]);
    expect(result.header).toMatchObject({ chunkCount: 2, majorVersion: 3, minorVersion: 1, dirty: false });
    expect(result.records.map((r) => r.recordId)).toEqual([1, 2, 3, 4, 5]);
    expect(result.records.map((r) => r.offset)).toEqual(
      layout.chunks.flatMap((c) => c.records.map((r) => r.offset)),
    );
    expect(result.records.map((r) => r.chunk)).toEqual([0, 0, 0, 1, 1]);
  });

  it('renders System in the evtx-to-JSON shape', () => {
    const s = sys(result.records[0]!);
    expect(s.Provider).toEqual({
      '#attributes': { Name: 'Microsoft-Windows-Sysmon', Guid: '5770385F-C22A-43E0-BF4C-06F5698FFBD9' },
    });
    expect(s.EventID).toBe(1);
    expect(s.Keywords).toBe('0x8000000000000000');
    expect(s.Channel).toBe('Microsoft-Windows-Sysmon/Operational');
    expect(s.Computer).toBe('WORKSTATION.corp.example');
    expect(s.EventRecordID).toBe(1);
    expect(s.TimeCreated).toEqual({ '#attributes': { SystemTime: '2024-01-01T00:00:00.000000Z' } });
    expect(s.Execution).toEqual({ '#attributes': { ProcessID: 3196, ThreadID: 4012 } });
    expect(s.Security).toEqual({ '#attributes': { UserID: 'S-1-5-18' } });
    // Optional substitutions without a value leave their attribute out, and an empty element is null.
    expect(s.Correlation).toBeNull();
    expect(ev(result.records[0]!)['#attributes']).toEqual({
      xmlns: 'http://schemas.microsoft.com/win/2004/08/events/event',
    });
  });

  it('renders EventData <Data Name="X"> as X with typed values, whitespace kept', () => {
    const d = data(result.records[0]!);
    expect(d.Image).toBe('C:\\Windows\\System32\\cmd.exe');
    expect(d.CommandLine).toBe('cmd /c whoami');
    expect(d.ProcessId).toBe(4242);
    expect(d.LogonId).toBe('0x3e7');
    const logon = data(result.records[3]!);
    expect(logon.TargetUserName).toBe('bob');
    expect(logon.LogonType).toBe(10);
    expect(logon.LogonProcessName).toBe('NtLmSsp ');
    expect(data(result.records[4]!).CommandLine).toBe('x.exe  -trailing  ');
  });

  it('reads a dirty file whose header lags behind its chunks', () => {
    const copy = bytes.slice();
    const view = new DataView(copy.buffer);
    view.setUint16(42, 1, true); // the header knows one chunk
    view.setUint32(120, 1, true); // dirty
    view.setUint32(124, crc32(copy.subarray(0, 120)), true);
    const r = decodeEvtx(copy);
    expect(r.header?.dirty).toBe(true);
    expect(r.problems).toEqual([]);
    expect(r.records).toHaveLength(5);
  });
});

describe('EVTX reader: value types and Binary XML tokens', () => {
  const xml = el('Event', [
    el('System', [el('EventID', ['7'])]),
    el('Values', [
      el('I8', [{ sub: 0 }]),
      el('U64', [{ sub: 1 }]),
      el('Big', [{ sub: 2 }]),
      el('R64', [{ sub: 3 }]),
      el('Bool', [{ sub: 4 }]),
      el('Bin', [{ sub: 5 }]),
      el('Guid', [{ sub: 6 }]),
      el('Size', [{ sub: 7 }]),
      el('FileTime', [{ sub: 8 }]),
      el('SysTime', [{ sub: 9 }]),
      el('Sid', [{ sub: 10 }]),
      el('Hex32', [{ sub: 11 }]),
      el('U16s', [{ sub: 12 }]),
      el('Strings', [{ sub: 13 }]),
      el('Ansi', [{ sub: 14 }]),
      el('Nested', [{ sub: 15 }]),
      el('Gone', [], { Attr: { sub: 16, optional: true } }),
      el('Text', ['a', { charRef: 0x41 }, { entityRef: 'amp' }, { cdata: '<x>' }]),
      el('Item', ['one']),
      el('Item', ['two']),
      el('Item', ['three']),
      el('R32', [{ sub: 17 }]),
      el('I32', [{ sub: 18 }]),
    ]),
  ]);
  const template = { guid: '11111111-2222-3333-4444-555555555555', root: xml };
  const record: RecordSpec = {
    id: 9,
    template,
    values: [
      { type: 'int8', value: -5 },
      { type: 'uint64', value: 42n },
      { type: 'uint64', value: 2n ** 63n },
      { type: 'real64', value: 1.5 },
      { type: 'bool', value: true },
      { type: 'binary', value: new Uint8Array([0xde, 0xad, 0x01]) },
      { type: 'guid', value: '5770385F-C22A-43E0-BF4C-06F5698FFBD9' },
      { type: 'sizet', value: 0x1000n },
      { type: 'filetime', value: 132_080_212_571_272_636n },
      { type: 'systemtime', value: new Date('2021-03-04T05:06:07.089Z') },
      { type: 'sid', value: 'S-1-5-21-1-2-3-500' },
      { type: 'hex32', value: 0x18 },
      { type: 'array', of: 'uint16', value: [1, 2, 65535] },
      { type: 'array', of: 'string', value: ['a', '', 'b c'] },
      { type: 'ansi', value: 'plain' },
      { type: 'binxml', value: el('Inner', [el('Leaf', ['v'])], { k: 'w' }) },
      { type: 'null' },
      { type: 'real32', value: 0.25 },
      { type: 'int32', value: -70000 },
    ],
  };
  const { bytes } = buildEvtx([{ records: [record, { ...record, id: 10 }] }]);
  const result = decodeEvtx(bytes);

  it('renders every value type', () => {
    expect(result.problems).toEqual([]);
    const v = (ev(result.records[0]!).Values ?? {}) as Json;
    expect(v.I8).toBe(-5);
    expect(v.U64).toBe(42);
    expect(v.Big).toBe('9223372036854775808');
    expect(v.R64).toBe(1.5);
    expect(v.R32).toBe(0.25);
    expect(v.I32).toBe(-70000);
    expect(v.Bool).toBe(true);
    expect(v.Bin).toBe('DEAD01');
    expect(v.Guid).toBe('5770385F-C22A-43E0-BF4C-06F5698FFBD9');
    expect(v.Size).toBe('0x1000');
    expect(v.FileTime).toBe('2019-07-19T14:47:37.127264Z');
    expect(v.SysTime).toBe('2021-03-04T05:06:07.089000Z');
    expect(v.Sid).toBe('S-1-5-21-1-2-3-500');
    expect(v.Hex32).toBe('0x18');
    expect(v.U16s).toEqual([1, 2, 65535]);
    expect(v.Strings).toEqual(['a', '', 'b c']);
    expect(v.Ansi).toBe('plain');
    expect(v.Nested).toEqual({ Inner: { '#attributes': { k: 'w' }, Leaf: 'v' } });
    expect(v.Gone).toBeNull();
    expect(v.Text).toBe('aA&<x>');
    expect(v.Item).toEqual(['one', 'two', 'three']);
  });

  it('reuses a template defined by an earlier record of the chunk', () => {
    expect(result.records).toHaveLength(2);
    expect(result.records[1]!.event).toEqual(result.records[0]!.event);
  });
});

describe('EVTX reader: damage is reported and the rest is read', () => {
  const { bytes, layout } = twoChunkFile();
  const rec = (c: number, i: number) => layout.chunks[c]!.records[i]!;

  it('bad file signature: reported, chunks still read', () => {
    const copy = bytes.slice();
    copy[0] = 0x58;
    const r = decodeEvtx(copy);
    expect(r.header).toBeUndefined();
    expect(r.problems.map((p) => p.kind)).toEqual(['file-header']);
    expect(r.records).toHaveLength(5);
  });

  it('file header checksum mismatch: reported, nothing skipped', () => {
    const copy = bytes.slice();
    copy[24] = copy[24]! ^ 0xff;
    const r = decodeEvtx(copy);
    expect(r.problems).toMatchObject([{ kind: 'file-header-checksum', skipped: false, offset: 124 }]);
    expect(r.records).toHaveLength(5);
  });

  it('chunk checksums: reported, records still read', () => {
    const copy = bytes.slice();
    const at = rec(0, 1).offset + 60;
    copy[at] = copy[at]! ^ 0x01; // inside record 2's data
    const r = decodeEvtx(copy);
    expect(r.problems.map((p) => [p.kind, p.chunk])).toContainEqual(['chunk-data-checksum', 0]);
    expect(r.records.map((x) => x.recordId)).toContain(3);
    expect(r.records.filter((x) => x.chunk === 1)).toHaveLength(2);
  });

  it('a record without its signature is skipped; its neighbours are read', () => {
    const copy = bytes.slice();
    copy.fill(0x41, rec(0, 1).offset, rec(0, 1).offset + 4);
    fixChunkChecksums(copy, 0);
    const r = decodeEvtx(copy);
    expect(r.problems).toMatchObject([{ kind: 'record-header', chunk: 0, offset: rec(0, 1).offset }]);
    expect(r.records.map((x) => x.recordId)).toEqual([1, 3, 4, 5]);
  });

  it('a record whose size copy disagrees is reported as truncated', () => {
    const copy = bytes.slice();
    const r2 = rec(0, 1);
    new DataView(copy.buffer).setUint32(r2.offset + r2.size - 4, 7, true);
    fixChunkChecksums(copy, 0);
    const r = decodeEvtx(copy);
    expect(r.problems.map((p) => p.kind)).toEqual(['record-truncated']);
    expect(r.problems[0]!.reason).toMatch(/record 2/);
    expect(r.records.map((x) => x.recordId)).toEqual([1, 3, 4, 5]);
  });

  it('Binary XML that cannot be read costs that record only', () => {
    const copy = bytes.slice();
    const r2 = rec(0, 1);
    // Record 2 instantiates the template record 1 defined: its bytes after the 24-byte header are
    // the fragment header (4), the template instance (10), then the substitution array.
    const view = new DataView(copy.buffer);
    const subs = r2.offset + 24 + 4 + 10;
    expect(copy[r2.offset + 24 + 4]).toBe(0x0c);
    view.setUint32(subs, 0x7fffffff, true); // an impossible substitution count
    fixChunkChecksums(copy, 0);
    const r = decodeEvtx(copy);
    expect(r.problems).toMatchObject([{ kind: 'record-binxml', chunk: 0, offset: r2.offset, skipped: true }]);
    expect(r.problems[0]!.reason).toMatch(/record 2: substitution array/);
    expect(r.records.map((x) => x.recordId)).toEqual([1, 3, 4, 5]);
  });

  it('an unknown token is reported with its offset', () => {
    const copy = bytes.slice();
    const r1 = rec(0, 0);
    copy[r1.offset + 24] = 0x1b; // the fragment header token of record 1
    fixChunkChecksums(copy, 0);
    const r = decodeEvtx(copy);
    expect(r.problems[0]).toMatchObject({ kind: 'record-binxml', offset: r1.offset });
    expect(r.problems[0]!.reason).toMatch(/unexpected token 0x1b/);
    expect(r.records.filter((x) => x.chunk === 1)).toHaveLength(2);
  });

  it('a chunk with a bad signature is skipped whole; a blank chunk is not a problem', () => {
    const copy = bytes.slice();
    copy[FILE_HEADER_SIZE] = 0x00;
    const r = decodeEvtx(copy);
    expect(r.problems).toMatchObject([{ kind: 'chunk-header', chunk: 0, offset: FILE_HEADER_SIZE }]);
    expect(r.records.map((x) => x.recordId)).toEqual([4, 5]);
    const blank = bytes.slice();
    blank.fill(0, FILE_HEADER_SIZE, FILE_HEADER_SIZE + CHUNK_SIZE);
    const b = decodeEvtx(blank);
    expect(b.problems).toEqual([]);
    expect(b.records.map((x) => x.recordId)).toEqual([4, 5]);
  });

  it('a truncated file gives the records before the cut and reports the cut', () => {
    const cut = rec(1, 1).offset + 10; // inside the last record
    const r = decodeEvtx(bytes.subarray(0, cut));
    expect(r.records.map((x) => x.recordId)).toEqual([1, 2, 3, 4]);
    expect(r.problems.map((p) => p.kind)).toContain('file-truncated');
    const shorter = decodeEvtx(bytes.subarray(0, FILE_HEADER_SIZE + CHUNK_SIZE));
    expect(shorter.records).toHaveLength(3);
    expect(shorter.problems).toMatchObject([
      { kind: 'file-truncated', reason: 'file holds 1 chunks, its header lists 2' },
    ]);
  });

  it('a file shorter than its header block is reported, not thrown', () => {
    const r = decodeEvtx(bytes.subarray(0, 100));
    expect(r.records).toEqual([]);
    expect(r.problems.map((p) => p.kind)).toContain('file-header');
  });
});

describe('EVTX reader: hostile records', () => {
  it('refuses a record that would render megabytes from one repeated value', () => {
    const subs = Array.from({ length: 2000 }, () => ({ sub: 0 }));
    const template = { guid: '22222222-3333-4444-5555-666666666666', root: el('Event', [el('X', subs)]) };
    const bomb: RecordSpec = { id: 1, template, values: [{ type: 'string', value: 'A'.repeat(20_000) }] };
    const ok = sysmonProcessCreation({ id: 2, image: 'C:\\a.exe', commandLine: 'a' });
    const r = decodeEvtx(buildEvtx([{ records: [bomb, ok] }]).bytes);
    expect(r.problems).toMatchObject([{ kind: 'record-binxml' }]);
    expect(r.problems[0]!.reason).toMatch(/more than 1000000 characters/);
    expect(r.records.map((x) => x.recordId)).toEqual([2]);
  });

  it('keeps element and Data names such as __proto__ and constructor as plain keys', () => {
    const xml = el('Event', [
      el('EventData', [el('Data', ['v1'], { Name: '__proto__' }), el('Data', ['v2'], { Name: 'toString' })]),
      el('constructor', ['c']),
    ]);
    const r = decodeEvtx(buildEvtx([{ records: [{ id: 1, xml }] }]).bytes);
    expect(r.problems).toEqual([]);
    const event = ev(r.records[0]!);
    expect(Object.keys(event)).toEqual(['EventData', 'constructor']);
    expect(event.constructor).toBe('c');
    const d = data(r.records[0]!);
    expect(Object.keys(d)).toEqual(['__proto__', 'toString']);
    expect(Object.getOwnPropertyDescriptor(d, '__proto__')?.value).toBe('v1');
    expect(d.toString).toBe('v2');
  });

  it('a template that fails to parse is not parsed again by every record that uses it', () => {
    const { bytes, layout } = twoChunkFile();
    const copy = bytes.slice();
    const r1 = layout.chunks[0]!.records[0]!;
    // Record 1 holds the Event template resident: break its body's first element token.
    const body = r1.offset + 24 + 4 + 10 + 24 + 4;
    expect(copy[body]! & 0x0f).toBe(0x01);
    copy[body] = 0x1b;
    fixChunkChecksums(copy, 0);
    const r = decodeEvtx(copy);
    const reasons = r.problems.map((p) => p.reason);
    expect(reasons[0]).toMatch(/record 1: unexpected token 0x1b/);
    expect(reasons.slice(1).every((x) => /is unreadable \(unexpected token 0x1b/.test(x))).toBe(true);
    expect(r.records.filter((x) => x.chunk === 1)).toHaveLength(2);
  });
});
