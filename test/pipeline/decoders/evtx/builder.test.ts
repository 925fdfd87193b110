/**
 * Tests for the test-only EVTX writer (test/helpers/evtx-builder.ts). The structure is checked by
 * reading bytes back (signatures, CRC32s, offsets, string and template tables, exact token bytes);
 * when python-evtx is installed (/usr/bin/evtx_dump.py) it is the oracle for the rendered XML.
 * Sources: libevtx "Windows XML Event Log (EVTX) format"; python-evtx Evtx/Evtx.py, Nodes.py.
 */

import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import {
  buildEvtx,
  el,
  encodeValue,
  nameHash,
  security4624,
  sysmonProcessCreation,
  systemTemplate,
  valueTypeCode,
  type BxValue,
  type RecordSpec,
  type TemplateDef,
} from '../../../helpers/evtx-builder.js';

const DUMP = '/usr/bin/evtx_dump.py';
const PYTHON = '/usr/bin/python3';
const HAVE_PYTHON_EVTX = existsSync(DUMP) && existsSync(PYTHON);

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const crc = (b: Uint8Array) => crc32(b) >>> 0;
const view = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.byteLength);
const u16 = (b: Uint8Array, o: number) => view(b).getUint16(o, true);
const u32 = (b: Uint8Array, o: number) => view(b).getUint32(o, true);
const u64 = (b: Uint8Array, o: number) => view(b).getBigUint64(o, true);
const ascii = (b: Uint8Array, o: number, n: number) => Buffer.from(b.subarray(o, o + n)).toString('latin1');

/** Every name reachable from the common string table: {next u32, hash u16, count u16, UTF-16LE, NUL}. */
function stringTable(chunk: Uint8Array) {
  const out = new Map<string, { offset: number; bucket: number; hash: number }>();
  for (let bucket = 0; bucket < 64; bucket++) {
    for (let o = u32(chunk, 128 + 4 * bucket); o !== 0; o = u32(chunk, o)) {
      const count = u16(chunk, o + 6);
      expect(u16(chunk, o + 8 + 2 * count)).toBe(0);
      const name = Buffer.from(chunk.subarray(o + 8, o + 8 + 2 * count)).toString('utf16le');
      expect(out.has(name), `${name} is in one chain only`).toBe(false);
      out.set(name, { offset: o, bucket, hash: u16(chunk, o + 4) });
    }
  }
  return out;
}

const v = (type: string, value?: unknown) => ({ type, value }) as BxValue;
const arr = (of: string, value: unknown[]) => ({ type: 'array', of, value }) as BxValue;
const ST = new Date(Date.UTC(2024, 1, 29, 13, 14, 15, 123)); // a Thursday
const FT0 = 133485408000000000n; // 2024-01-01T00:00:00Z, the default written time

// One template exercising every value type python-evtx renders, plus an optional null substitution.
const INNER: TemplateDef = { guid: 'AABBCCDD-0000-1111-2222-333344445555', root: el('Inner', [{ sub: 0 }]) };
const NESTED: BxValue = { type: 'binxml', value: { template: INNER, values: [v('string', 'nested')] } };
const ALL_TYPES: [string, BxValue, string][] = [
  ['S', v('string', 'caf\u00e9 <&>'), 'caf&#233; &lt;&amp;&gt;'],
  ['Ansi', v('ansi', 'ascii!'), 'ascii!'],
  ['I8', v('int8', -5), '-5'],
  ['U8', v('uint8', 255), '255'],
  ['I16', v('int16', -300), '-300'],
  ['U16', v('uint16', 65535), '65535'],
  ['I32', v('int32', -70000), '-70000'],
  ['U32', v('uint32', 4000000000), '4000000000'],
  ['I64', v('int64', -5000000000n), '-5000000000'],
  ['U64', v('uint64', 18446744073709551615n), '18446744073709551615'],
  ['F', v('real32', 1.5), '1.5'],
  ['D', v('real64', -2.25), '-2.25'],
  ['B', v('bool', true), 'True'],
  ['Bin', v('binary', new Uint8Array([1, 2, 3, 250])), 'AQID+g=='],
  ['G', v('guid', '5770385F-C22A-43E0-BF4C-06F5698FFBD9'), '{5770385f-c22a-43e0-bf4c-06f5698ffbd9}'],
  ['Sz', v('sizet', 1234n), '1234'],
  ['FT', v('filetime', FT0 + 5000000n), '2024-01-01 00:00:00.500000'],
  ['ST', v('systemtime', ST), '2024-02-29 13:14:15.000123'], // python-evtx: milliseconds as microseconds
  ['Sid', v('sid', 'S-1-5-21-1-2-3-500'), 'S-1-5-21-1-2-3-500'],
  ['H32', v('hex32', 0xbeef), '0x0000beef'],
  ['H64', v('hex64', 0x8020000000000000n), '0x8020000000000000'],
  ['Arr', arr('string', ['x', 'yz']), '&lt;string&gt;x&lt;/string&gt;\n&lt;string&gt;yz&lt;/string&gt;\n'],
  ['Opt', v('null'), ''],
  ['X', NESTED, '<Inner>nested</Inner>\n'],
];
const ALL: TemplateDef = {
  guid: '11223344-5566-7788-99AA-BBCCDDEEFF00',
  root: el(
    'Root',
    ALL_TYPES.map(([name, x], i) => el(name, [{ sub: i, optional: x.type === 'null' }])),
    { first: { sub: ALL_TYPES.length } },
  ),
};
const allValues = (s: string): BxValue[] => [...ALL_TYPES.map(([, v]) => v), { type: 'string', value: s }];
const allRecord = (id: number, s: string): RecordSpec => ({ id, template: ALL, values: allValues(s) });

const tmp = mkdtempSync(join(tmpdir(), 'evtx-builder-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
function writeTmp(name: string, bytes: Uint8Array): string {
  const path = join(tmp, name);
  writeFileSync(path, bytes);
  return path;
}

describe('evtx-builder: file and chunk headers', () => {
  const { bytes, layout } = buildEvtx(
    [
      { records: [allRecord(7, 'a'), allRecord(8, 'b')] },
      { records: [{ id: 9, xml: { name: 'Event' } }] },
      { records: [sysmonProcessCreation({ id: 20, image: 'C:\\x.exe', commandLine: 'x' })] },
    ],
    { dirty: true },
  );

  it('writes the file header: signature, chunk numbers, next record id, versions, flags, CRC32', () => {
    expect(bytes.length).toBe(4096 + 3 * 65536);
    expect(ascii(bytes, 0, 8)).toBe('ElfFile\0');
    expect([u64(bytes, 8), u64(bytes, 16), u64(bytes, 24)]).toEqual([0n, 2n, 21n]);
    const sizes = [u32(bytes, 32), u16(bytes, 36), u16(bytes, 38), u16(bytes, 40), u16(bytes, 42)];
    expect(sizes).toEqual([128, 1, 3, 4096, 3]); // header size, minor, major, header block size, chunks
    expect(u32(bytes, 120)).toBe(1);
    expect(u32(bytes, 124)).toBe(crc(bytes.subarray(0, 120)));
    expect(bytes.subarray(128, 4096).every((b) => b === 0)).toBe(true);
    const clean = buildEvtx([{ records: [allRecord(7, 'a')] }], { full: true }).bytes;
    expect(u32(clean, 120)).toBe(2);
    expect(u32(clean, 124)).toBe(crc(clean.subarray(0, 120)));
  });

  it('writes chunk headers, CRC32s and records that match the layout', () => {
    expect(layout.chunks.map((c) => c.offset)).toEqual([4096, 4096 + 65536, 4096 + 2 * 65536]);
    for (const lc of layout.chunks) {
      const chunk = bytes.subarray(lc.offset, lc.offset + 65536);
      const [first, last] = [lc.records[0]!, lc.records.at(-1)!];
      const free = last.offset + last.size - lc.offset;
      expect(ascii(chunk, 0, 8)).toBe('ElfChnk\0');
      const numbers = [u64(chunk, 8), u64(chunk, 16), u64(chunk, 24), u64(chunk, 32)];
      expect(numbers).toEqual([first.id, last.id, first.id, last.id]);
      expect([u32(chunk, 40), u32(chunk, 44), u32(chunk, 48)]).toEqual([128, last.offset - lc.offset, free]);
      expect([u32(chunk, 52), u32(chunk, 120)]).toEqual([crc(chunk.subarray(512, free)), 1]);
      expect(u32(chunk, 124)).toBe(crc(Buffer.concat([chunk.subarray(0, 120), chunk.subarray(128, 512)])));
      expect(chunk.subarray(free).every((b) => b === 0)).toBe(true);
      let o = 512;
      for (const r of lc.records) {
        expect(o).toBe(r.offset - lc.offset);
        expect(ascii(chunk, o, 4)).toBe('**\0\0');
        expect([u32(chunk, o + 4), u64(chunk, o + 8), u64(chunk, o + 16)]).toEqual([r.size, r.id, FT0]);
        expect(u32(chunk, o + r.size - 4)).toBe(r.size);
        expect(r.size % 8).toBe(0);
        expect(hex(chunk.subarray(o + 24, o + 28))).toBe('0f010100');
        o += r.size;
      }
      expect(o).toBe(free);
    }
  });

  it('throws a clear error when records do not fit into one chunk', () => {
    const big = (id: number): RecordSpec => ({ id, xml: el('E', ['x'.repeat(10000)]) });
    expect(() => buildEvtx([{ records: [big(1), big(2), big(3)] }])).not.toThrow();
    expect(() => buildEvtx([{ records: [big(1)] }, { records: [big(2), big(3), big(4), big(5)] }])).toThrow(
      /record 5 does not fit into chunk 1/,
    );
    const one = (r: RecordSpec) => () => buildEvtx([{ records: [r] }]);
    expect(one({ id: 1, template: ALL, values: [] })).toThrow(/uses substitution 24; 0 values/);
    expect(one({ id: 1, xml: el('E', [{ sub: 0 }]) })).toThrow(/outside a template/);
  });
});

describe('evtx-builder: names and templates', () => {
  it('hashes names like Windows (EventData -> 0x8244, seen in a Windows-written chunk)', () => {
    expect(nameHash('EventData')).toBe(0x8244);
    expect(['A', 'amp', 'Event', 'Data'].map(nameHash)).toEqual([0x41, 0xfb24, 0x0cba, 0x6f8a]);
  });

  it('writes a name inline at its first use in a chunk, references it afterwards, and chains buckets', () => {
    const { bytes, layout } = buildEvtx([
      {
        records: [
          { id: 1, xml: el('Event', [el('Data')], { Name: 'a', k: 'b' }) },
          { id: 2, xml: el('Event', [el('Data', [], { Name: 'b' })]) },
        ],
      },
      { records: [{ id: 3, xml: el('Event') }] },
    ]);
    const chunk = bytes.subarray(4096, 4096 + 65536);
    const table = stringTable(chunk);
    expect([...table.keys()].sort()).toEqual(['Data', 'Event', 'Name', 'k']);
    for (const [name, e] of table) {
      expect(e.hash).toBe(nameHash(name));
      expect(e.bucket).toBe(e.hash % 64);
    }
    const [r1, r2] = layout.chunks[0]!.records.map((r) => r.offset - 4096);
    // record 1: 0x41 element start, dependency id 0xffff, size, then the name offset pointing just past itself
    expect([chunk[r1! + 28], u16(chunk, r1! + 29)]).toEqual([0x41, 0xffff]);
    expect(u32(chunk, r1! + 35)).toBe(r1! + 39);
    expect(table.get('Event')!.offset).toBe(r1! + 39);
    expect([chunk[r1! + 63], chunk[r1! + 92]]).toEqual([0x46, 0x06]); // attribute tokens: more follow, last
    // record 2: 0x01 (no attributes) and a back reference into record 1
    expect([chunk[r2! + 28], u32(chunk, r2! + 35)]).toEqual([0x01, r1! + 39]);
    expect(table.get('Name')!.offset).toBeLessThan(r2!);
    // the next chunk starts over: its own inline copy
    const chunk2 = bytes.subarray(4096 + 65536);
    expect(stringTable(chunk2).get('Event')!.offset).toBe(512 + 39);
  });

  it('writes tokens and text exactly: attributes, Value, CDATA, CharRef, EntityRef, empty element, EOF', () => {
    const children = ['t', { cdata: 'c]' }, { charRef: 0x263a }, { entityRef: 'amp' }, el('B')];
    const record = { id: 1, written: 0x0102030405060708n, xml: el('A', children, { b: '1' }) };
    const { bytes, layout } = buildEvtx([{ records: [record] }]);
    const expected = [
      '2a2a0000 98000000 0100000000000000 0807060504030201', // record header, size 152
      '0f010100', // fragment header
      '41 ffff 6a000000 27020000', // <A ...: size 106, name at 551 (inline)
      '00000000 4100 0100 4100 0000', // name "A"
      '17000000', // attribute list: 23 bytes
      '06 3c020000 00000000 6200 0100 6200 0000', // attribute b (name inline at 572)
      '05 01 0100 3100', // value "1"
      '02', // close start element
      '05 01 0100 7400', // value "t"
      '07 0200 6300 5d00', // CDATA "c]"
      '08 3a26', // &#x263a;
      '09 64020000 00000000 24fb 0300 61006d007000 0000', // &amp; (name inline at 612)
      '01 ffff 11000000 7f020000 00000000 4200 0100 4200 0000 03', // <B/>
      '04 00', // </A>, EOF
      '000000000000 98000000', // padding to 8 bytes, size copy
    ].join('');
    const r = layout.chunks[0]!.records[0]!;
    expect(hex(bytes.subarray(r.offset, r.offset + r.size))).toBe(expected.replace(/ /g, ''));
  });

  it('writes a template definition inline at first use in a chunk and references it by offset afterwards', () => {
    const { bytes, layout } = buildEvtx([
      { records: [allRecord(1, 'first'), allRecord(2, 'second')] },
      { records: [allRecord(3, 'third')] },
    ]);
    const defs: number[] = [];
    layout.chunks.forEach((lc, ci) => {
      const chunk = bytes.subarray(lc.offset, lc.offset + 65536);
      lc.records.forEach((r, ri) => {
        const ti = r.offset - lc.offset + 28;
        expect([chunk[ti], chunk[ti + 1], u32(chunk, ti + 2)]).toEqual([0x0c, 0x01, 0x11223344]);
        const def = u32(chunk, ti + 6);
        if (ri === 0) {
          expect(def).toBe(ti + 10); // inline: the definition follows the instance header
          expect(hex(chunk.subarray(def + 4, def + 20))).toBe('443322116655887799aabbccddeeff00');
          const size = u32(chunk, def + 20);
          expect(hex(chunk.subarray(def + 24, def + 28))).toBe('0f010100');
          expect(chunk[def + 24 + size - 1]).toBe(0x00);
          const data = hex(chunk.subarray(def + 24, def + 24 + size));
          expect(data).toContain('0d000001'); // <S>: normal substitution 0, string
          expect(data).toContain('0e160000'); // <Opt>: optional substitution 22, null
          expect(u32(chunk, 384 + 4 * (0x11223344 % 32))).toBe(def);
          expect(chunk[def - 10]).toBe(0x0c); // what python-evtx checks for each template table entry
          defs.push(def);
        } else {
          expect(def).toBe(defs[ci]); // by reference, behind this record
          expect(def).toBeLessThan(r.offset - lc.offset);
          expect(r.size).toBeLessThan(lc.records[0]!.size - 200);
        }
      });
    });
    expect(defs).toEqual([512 + 38, 512 + 38]);
    // a template in the same bucket (0x11223364 % 32 === 0x11223344 % 32) goes to the chain's head
    const t2: TemplateDef = { guid: '11223364-0000-0000-0000-000000000000', root: el('T2') };
    const two = buildEvtx([{ records: [allRecord(1, 'x'), { id: 2, template: t2, values: [] }] }]);
    const c2 = two.bytes.subarray(4096);
    const t2def = u32(c2, two.layout.chunks[0]!.records[1]!.offset - 4096 + 28 + 6);
    expect([u32(c2, 384 + 4 * 4), u32(c2, t2def), u32(c2, 550)]).toEqual([t2def, 550, 0]);
  });
});

describe('evtx-builder: substitution values', () => {
  it('encodes every value type and array type byte for byte', () => {
    const cases: [BxValue, number, string][] = [
      [v('null'), 0x00, ''],
      [v('string', 'A\u00e9'), 0x01, '4100e900'],
      [v('ansi', 'ab'), 0x02, '6162'],
      [v('int8', -2), 0x03, 'fe'],
      [v('uint8', 200), 0x04, 'c8'],
      [v('int16', -2), 0x05, 'feff'],
      [v('uint16', 0x1234), 0x06, '3412'],
      [v('int32', -2), 0x07, 'feffffff'],
      [v('uint32', 0x12345678), 0x08, '78563412'],
      [v('int64', -2n), 0x09, 'feffffffffffffff'],
      [v('uint64', 0x0102030405060708n), 0x0a, '0807060504030201'],
      [v('real32', 1.5), 0x0b, '0000c03f'],
      [v('real64', -2.25), 0x0c, '00000000000002c0'],
      [v('bool', true), 0x0d, '01000000'],
      [v('binary', new Uint8Array([9, 8])), 0x0e, '0908'],
      [v('guid', '{5770385F-C22A-43E0-BF4C-06F5698FFBD9}'), 0x0f, '5f387057 2ac2 e043 bf4c06f5698ffbd9'],
      [v('sizet', 16n), 0x10, '1000000000000000'],
      [v('filetime', FT0), 0x11, '00c08976453cda01'],
      [v('systemtime', ST), 0x12, 'e807 0200 0400 1d00 0d00 0e00 0f00 7b00'],
      [v('sid', 'S-1-5-21-1-500'), 0x13, '01 03 000000000005 15000000 01000000 f4010000'],
      [v('hex32', 0xbeef), 0x14, 'efbe0000'],
      [v('hex64', 0x8020000000000000n), 0x15, '0000000000002080'],
      [arr('string', ['a', 'bc', '']), 0x81, '61000000 620063000000 0000'],
      [arr('ansi', ['a', 'b']), 0x82, '6100 6200'],
      [arr('int8', [-1, 2]), 0x83, 'ff02'],
      [arr('uint16', [1, 2]), 0x86, '0100 0200'],
      [arr('int64', [-1n]), 0x89, 'ffffffffffffffff'],
      [arr('real64', [1]), 0x8c, '000000000000f03f'],
      [arr('bool', [true, false]), 0x8d, '01000000 00000000'],
      [arr('guid', ['00000001-0002-0003-0405-060708090a0b']), 0x8f, '01000000 0200 0300 0405060708090a0b'],
      [arr('systemtime', [new Date(Date.UTC(2001, 0, 1))]), 0x92, 'd107 0100 0100 0100 0000000000000000'],
      [arr('sid', ['S-1-1-0', 'S-1-5-18']), 0x93, '0101000000000001 00000000 0101000000000005 12000000'],
      [arr('hex32', [1, 0xffffffff]), 0x94, '01000000 ffffffff'],
    ];
    for (const [value, code, bytes] of cases) {
      expect(valueTypeCode(value), value.type).toBe(code);
      if (value.type === 'binxml') continue;
      expect(hex(encodeValue(value)), `${value.type} ${String(value.type === 'array' && value.of)}`).toBe(
        bytes.replace(/ /g, ''),
      );
    }
  });

  it('writes substitution descriptors {size u16, type u8, 0} and the values back to back', () => {
    const { bytes, layout } = buildEvtx([{ records: [allRecord(1, 'v')] }]);
    const r = layout.chunks[0]!.records[0]!;
    const def = u32(bytes, r.offset + 28 + 6) + 4096;
    let o = def + 24 + u32(bytes, def + 20);
    const values = allValues('v');
    expect(u32(bytes, o)).toBe(values.length);
    const desc = (i: number) => [u16(bytes, o + 4 + 4 * i), bytes[o + 6 + 4 * i], bytes[o + 7 + 4 * i]];
    const descriptors = values.map((_, i) => desc(i));
    o += 4 + 4 * values.length;
    values.forEach((v, i) => {
      const [size, type, zero] = descriptors[i]!;
      expect([type, zero], ALL_TYPES[i]?.[0] ?? 'first').toEqual([valueTypeCode(v), 0]);
      if (v.type === 'binxml') {
        // nested fragment: header, template instance + inline definition, 1 value ("nested"), EOF
        expect(hex(bytes.subarray(o, o + 6))).toBe('0f0101000c01');
        expect(size).toBe(4 + 10 + 24 + u32(bytes, o + 14 + 20) + 4 + 4 + 12 + 1);
        expect(bytes[o + size! - 1]).toBe(0);
      } else {
        expect(hex(bytes.subarray(o, o + size!))).toBe(hex(encodeValue(v)));
      }
      o += size!;
    });
    expect(bytes[o]).toBe(0x00); // EOF after the substitution values
  });
});

/** Runs python-evtx: evtx_dump.py's output, or with `shim` its checks plus element-fragment rendering. */
function pythonEvtx(path: string, shim = false): string {
  if (!shim) return execFileSync(DUMP, [path], { encoding: 'utf8' });
  return execFileSync(PYTHON, ['-c', SHIM, path], { encoding: 'utf8' });
}
// python-evtx renders only template instances; this shim renders element fragments too.
const SHIM = `
import sys, Evtx.Evtx as evtx, Evtx.Views as V
orig = V.render_root_node
class Shim:
    def __init__(self, root): self.root = root
    def template(self): return self.root
def render(root):
    ofs = 4 if root.unpack_byte(0) & 0x0F == 0x0F else 0
    return orig(root) if root.unpack_byte(ofs) & 0x0F == 0x0C else V.render_root_node_with_subs(Shim(root), [])
V.render_root_node = render
with evtx.Evtx(sys.argv[1]) as log:
    fh = log.get_file_header()
    print('file', fh.verify(), fh.is_dirty(), fh.chunk_count(), fh.next_record_number())
    for c in log.chunks():
        print('chunk', c.verify(), len(c.templates()), sorted(n.string() for n in c.strings().values()))
        for r in c.records():
            print('record', r.record_num(), r.verify())
            print(r.xml())
`;

describe.skipIf(!HAVE_PYTHON_EVTX)('evtx-builder: python-evtx reads what it writes', () => {
  it('renders every value type, in both chunks, with the template inline and by reference', () => {
    const chunks = [
      { records: [allRecord(1, 'first'), allRecord(2, 'second')] },
      { records: [allRecord(3, 'third')] },
    ];
    const path = writeTmp('all.evtx', buildEvtx(chunks).bytes);
    const xml = pythonEvtx(path);
    const events = xml.split('<Root ').slice(1);
    expect(events).toHaveLength(3);
    ['first', 'second', 'third'].forEach((s, i) => {
      const e = events[i]!;
      expect(e).toMatch(new RegExp(`^first="${s}"><S>caf&#233; &lt;&amp;&gt;</S>\n<Ansi>`));
      for (const [name, , rendered] of ALL_TYPES) expect(e, name).toContain(`<${name}>${rendered}</${name}>`);
    });
    const checks = pythonEvtx(path, true);
    expect(checks).toContain('file True False 2 4');
    expect(checks.match(/^chunk True 2 /gm)).toHaveLength(2); // ALL and INNER, found through the template table
    expect(checks).toMatch(/^record 2 True$/m);
  });

  it('renders Sysmon process creation and Security 4624 events', () => {
    const records = [
      sysmonProcessCreation({
        id: 41,
        image: 'C:\\W\\cmd.exe',
        commandLine: 'cmd /c whoami',
        time: FT0 + 5000000n,
      }),
      sysmonProcessCreation({ id: 42, image: 'C:\\T\\psexec.exe', commandLine: 'psexec', user: 'CORP\\bob' }),
      security4624({ id: 43, targetUserName: 'bob', logonType: 10, data: { ProcessId: 0x378n } }),
    ];
    expect(systemTemplate('WORKSTATION.corp.example')).toBe(systemTemplate('WORKSTATION.corp.example'));
    const [s1, s2, sec] = pythonEvtx(writeTmp('events.evtx', buildEvtx([{ records }]).bytes))
      .split('<Event ')
      .slice(1);
    for (const line of [
      '<Provider Name="Microsoft-Windows-Sysmon" Guid="{5770385f-c22a-43e0-bf4c-06f5698ffbd9}">',
      '<EventID Qualifiers="">1</EventID>',
      '<TimeCreated SystemTime="2024-01-01 00:00:00.500000">',
      '<EventRecordID>41</EventRecordID>',
      '<Computer>WORKSTATION.corp.example</Computer>',
      '<Security UserID="S-1-5-18">',
      '<Data Name="UtcTime">2024-01-01 00:00:00.500</Data>',
      '<Data Name="OriginalFileName">cmd.exe</Data>\n<Data Name="CommandLine">cmd /c whoami</Data>',
      '<Data Name="LogonId">0x00000000000003e7</Data>',
    ])
      expect(s1).toContain(line);
    expect(s2).toContain('<Data Name="Image">C:\\T\\psexec.exe</Data>');
    expect(s2).toContain('<Data Name="ParentUser">CORP\\bob</Data>');
    for (const line of [
      '<EventID Qualifiers="">4624</EventID>',
      '<Keywords>0x8020000000000000</Keywords>',
      '<Correlation ActivityID="{c96b491c-1545-0001-6049-6bc94515dd01}" RelatedActivityID="">',
      '<Channel>Security</Channel>',
      '<Data Name="TargetUserName">bob</Data>',
      '<Data Name="LogonType">10</Data>',
      '<Data Name="ProcessId">0x0000000000000378</Data>',
    ])
      expect(sec).toContain(line);
  });

  it('renders element fragments, nested element BinXML, optional nulls, entity refs (via the shim)', () => {
    const wrap: TemplateDef = {
      guid: '01020304-0506-0708-090A-0B0C0D0E0F10',
      root: el('W', [{ sub: 0 }, el('O', [{ sub: 1, optional: true }])]),
    };
    const kids = [el('Data', ['hello']), el('Empty'), 'tail', { entityRef: 'lt' }, { charRef: 0x41 }];
    const event = el('Event', kids, { k: 'v1', Name: 'two' });
    const nested: BxValue = { type: 'binxml', value: el('Nested', ['in'], { k: 'nv' }) };
    const records: RecordSpec[] = [
      { id: 10, xml: event },
      { id: 11, xml: el('Event', [el('Data', ['x'], { Name: 'again' })]) },
      { id: 12, template: wrap, values: [nested, { type: 'null' }] },
    ];
    const out = pythonEvtx(writeTmp('fragments.evtx', buildEvtx([{ records }], { dirty: true }).bytes), true);
    expect(out).toContain('file True True 1 13');
    expect(out).toContain("chunk True 1 ['Data', 'Empty', 'Event', 'Name', 'Nested', 'O', 'W', 'k', 'lt']");
    // python-evtx drops character references and escapes the rendered entity reference again
    expect(out).toContain(
      '<Event k="v1" Name="two"><Data>hello</Data>\n<Empty></Empty>\ntail&amp;lt;</Event>',
    );
    expect(out).toContain('<Event><Data Name="again">x</Data>\n</Event>');
    expect(out).toContain('<W><Nested k="nv">in</Nested>\n<O></O>\n</W>');
  });
});
