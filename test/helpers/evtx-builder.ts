/**
 * Test-only EVTX writer: builds small, exact .evtx files so tests need no real event logs.
 *
 * Sources: the libevtx documentation "Windows XML Event Log (EVTX) format" (libyal/libevtx,
 * documentation/Windows XML Event Log (EVTX).asciidoc) and python-evtx (Evtx/Evtx.py, Nodes.py,
 * BinaryParser.py), whose `evtx_dump.py` is the oracle in test/pipeline/decoders/evtx/builder.test.ts.
 * Layout choices follow what Windows writes (checked against real Windows-written files):
 * - names: {next u32, hash u16, chars u16, UTF-16LE, NUL u16} written inline right after the name
 *   offset at first use in a chunk; hash = low 16 bits of h = h * 65599 + code unit (MS-EVEN6
 *   NameHash); the common string table bucket is hash % 64 and new names go to the chain's head.
 * - templates: TemplateInstance {0x0c, 0x01, id u32, definition offset u32}; the template id is the
 *   GUID's Data1 (python-evtx reads it at definition offset + 4, inside the GUID). At first use in a
 *   chunk the definition {next u32, GUID, data size u32, fragment ... EOF} follows inline (a reader
 *   finds the 0x0c token 10 bytes before it); the template pointer table bucket is id % 32 (Windows'
 *   bucket hash is undocumented; python-evtx and libevtx only walk the chains).
 * - records: fragment header, element or template instance (+ substitution array), EOF 0x00, zero
 *   padding to a multiple of 8 bytes, size copy. Chunk header offset 120 holds 1, as on Windows.
 * - element starts always carry the dependency id 0xffff (python-evtx requires it).
 * - CDATA is {0x07, u16 character count, UTF-16LE} (libevtx, MS-EVEN6). python-evtx misreads it
 *   (as a byte count with a NUL), cannot decode arrays other than 0x81, and its evtx_dump renders
 *   only template instances, not element fragments: the tests check those bytes directly.
 */

import { crc32 } from 'node:zlib';
import {
  DEFAULT_FILETIME,
  encodeValue,
  guidBytes,
  utf16,
  VALUE_TYPE_CODES,
  valueTypeCode,
  type BxValue,
  type ChunkSpec,
  type RecordSpec,
  type TemplateDef,
  type XmlContent,
  type XmlElement,
  dataValues,
  SECURITY_4624,
  SYSMON_1,
  systemRecord,
  sysmonUtcTime,
  type DataItem,
} from './evtx-builder-values.js';

export * from './evtx-builder-values.js';

/** Offsets are absolute file offsets. */
export interface EvtxLayout {
  chunks: { offset: number; records: { offset: number; size: number; id: bigint }[] }[];
}

export const FILE_HEADER_SIZE = 4096;
export const CHUNK_SIZE = 65536;
export const CHUNK_HEADER_SIZE = 512;

/** MS-EVEN6 NameHash: low 16 bits of h = h * 65599 + UTF-16 code unit, starting from 0. */
export function nameHash(name: string): number {
  let h = 0;
  for (let i = 0; i < name.length; i++) h = (Math.imul(h, 65599) + name.charCodeAt(i)) >>> 0;
  return h & 0xffff;
}

function crc(bytes: Uint8Array): number {
  return crc32(bytes) >>> 0;
}

/** One 64 KiB chunk being written, with its per-chunk name and template tables. */
class Chunk {
  readonly bytes = new Uint8Array(CHUNK_SIZE);
  readonly dv = new DataView(this.bytes.buffer);
  pos = CHUNK_HEADER_SIZE;
  readonly names = new Map<string, number>();
  readonly templates = new Map<TemplateDef, number>();
  readonly stringTable = new Array<number>(64).fill(0);
  readonly templateTable = new Array<number>(32).fill(0);
  current = '';

  constructor(readonly index: number) {}

  private need(n: number): number {
    if (this.pos + n > CHUNK_SIZE) {
      throw new Error(
        `evtx-builder: ${this.current} does not fit into chunk ${this.index} ` +
          `(${CHUNK_SIZE - CHUNK_HEADER_SIZE} bytes of records per chunk); split the records over more chunks`,
      );
    }
    const at = this.pos;
    this.pos += n;
    return at;
  }
  u8 = (v: number) => this.dv.setUint8(this.need(1), v);
  u16 = (v: number) => this.dv.setUint16(this.need(2), v, true);
  u32 = (v: number) => this.dv.setUint32(this.need(4), v, true);
  u64 = (v: bigint) => this.dv.setBigUint64(this.need(8), v, true);
  raw = (b: Uint8Array) => this.bytes.set(b, this.need(b.length));
  /** Reserves a u32 and returns a function that stores the byte count written since the call. */
  sizeField(): () => void {
    const at = this.need(4);
    return () => this.dv.setUint32(at, this.pos - at - 4, true);
  }
}

type SubTypes = (index: number) => number;
const NO_SUBS: SubTypes = (i) => {
  throw new Error(`evtx-builder: substitution ${i} used outside a template`);
};

function isElement(c: XmlContent): c is XmlElement {
  return typeof c === 'object' && 'name' in c;
}

/** A name reference: the chunk offset, followed by the name itself at its first use in the chunk. */
function writeName(c: Chunk, name: string): void {
  const known = c.names.get(name);
  if (known !== undefined) return c.u32(known);
  const offset = c.pos + 4;
  c.u32(offset);
  const hash = nameHash(name);
  c.u32(c.stringTable[hash % 64]!);
  c.stringTable[hash % 64] = offset;
  c.u16(hash);
  c.u16(name.length);
  c.raw(utf16(name));
  c.u16(0);
  c.names.set(name, offset);
}

function writeText(c: Chunk, s: string): void {
  if (s.length > 0xffff) throw new Error('evtx-builder: text longer than 65535 characters');
  c.u16(s.length);
  c.raw(utf16(s));
}

function writeContent(c: Chunk, items: readonly XmlContent[], subs: SubTypes): void {
  for (const item of items) {
    if (typeof item === 'string') {
      c.u8(0x05);
      c.u8(0x01);
      writeText(c, item);
    } else if (isElement(item)) {
      writeElement(c, item, subs);
    } else if ('sub' in item) {
      c.u8(item.optional ? 0x0e : 0x0d);
      c.u16(item.sub);
      const t = item.type;
      c.u8(t === undefined ? subs(item.sub) : typeof t === 'number' ? t : VALUE_TYPE_CODES[t]);
    } else if ('charRef' in item) {
      c.u8(0x08);
      c.u16(item.charRef);
    } else if ('entityRef' in item) {
      c.u8(0x09);
      writeName(c, item.entityRef);
    } else {
      c.u8(0x07);
      writeText(c, item.cdata);
    }
  }
}

function writeElement(c: Chunk, el: XmlElement, subs: SubTypes): void {
  const attrs = el.attrs ?? [];
  c.u8(attrs.length > 0 ? 0x41 : 0x01);
  c.u16(0xffff); // dependency id: not set
  const endElement = c.sizeField();
  writeName(c, el.name);
  if (attrs.length > 0) {
    const endList = c.sizeField();
    attrs.forEach((a, i) => {
      c.u8(i < attrs.length - 1 ? 0x46 : 0x06);
      writeName(c, a.name);
      writeContent(c, a.value, subs);
    });
    endList();
  }
  if (el.children && el.children.length > 0) {
    c.u8(0x02);
    writeContent(c, el.children, subs);
    c.u8(0x04);
  } else {
    c.u8(0x03);
  }
  endElement();
}

function subIndexes(items: readonly XmlContent[], out: number[] = []): number[] {
  for (const item of items) {
    if (typeof item === 'string') continue;
    if (isElement(item)) {
      for (const a of item.attrs ?? []) subIndexes(a.value, out);
      subIndexes(item.children ?? [], out);
    } else if ('sub' in item) out.push(item.sub);
  }
  return out;
}

/** TemplateInstance: header, the definition inline at first use in the chunk, then the values. */
function writeTemplateInstance(c: Chunk, tpl: TemplateDef, values: readonly BxValue[]): void {
  const missing = subIndexes([tpl.root]).find((i) => i >= values.length);
  if (missing !== undefined) {
    throw new Error(
      `evtx-builder: template ${tpl.guid} uses substitution ${missing}; ${values.length} values`,
    );
  }
  const guid = guidBytes(tpl.guid);
  const id = new DataView(guid.buffer).getUint32(0, true);
  c.u8(0x0c);
  c.u8(0x01);
  c.u32(id);
  const known = c.templates.get(tpl);
  if (known !== undefined) {
    c.u32(known);
  } else {
    const offset = c.pos + 4;
    c.u32(offset);
    c.u32(c.templateTable[id % 32]!);
    c.templateTable[id % 32] = offset;
    c.templates.set(tpl, offset);
    c.raw(guid);
    const endData = c.sizeField();
    c.raw(new Uint8Array([0x0f, 0x01, 0x01, 0x00]));
    writeElement(c, tpl.root, (i) => valueTypeCode(values[i]!));
    c.u8(0x00);
    endData();
  }
  c.u32(values.length);
  const descriptors = c.pos;
  for (let i = 0; i < values.length; i++) c.u32(0);
  values.forEach((v, i) => {
    const start = c.pos;
    if (v.type === 'binxml') writeFragment(c, v.value);
    else c.raw(encodeValue(v));
    c.dv.setUint16(descriptors + 4 * i, c.pos - start, true); // < 64 KiB: records never exceed a chunk
    c.dv.setUint8(descriptors + 4 * i + 2, valueTypeCode(v));
  });
}

/** Fragment header, an element or a template instance, EOF (records and nested BinXML alike). */
function writeFragment(c: Chunk, body: XmlElement | { template: TemplateDef; values: readonly BxValue[] }) {
  c.raw(new Uint8Array([0x0f, 0x01, 0x01, 0x00]));
  if ('template' in body) writeTemplateInstance(c, body.template, body.values);
  else writeElement(c, body, NO_SUBS);
  c.u8(0x00);
}

function writeRecord(c: Chunk, r: RecordSpec): { offset: number; size: number; id: bigint } {
  const id = BigInt(r.id);
  c.current = `record ${id}`;
  const offset = c.pos;
  c.raw(new Uint8Array([0x2a, 0x2a, 0x00, 0x00]));
  const sizeAt = c.pos;
  c.u32(0);
  c.u64(id);
  c.u64(r.written ?? DEFAULT_FILETIME);
  writeFragment(c, 'xml' in r ? r.xml : r);
  while ((c.pos + 4 - offset) % 8 !== 0) c.u8(0);
  const size = c.pos + 4 - offset;
  c.u32(size);
  c.dv.setUint32(sizeAt, size, true);
  return { offset, size, id };
}

function finishChunk(c: Chunk, records: { offset: number; id: bigint }[]): void {
  const dv = c.dv;
  c.bytes.set(Buffer.from('ElfChnk\0', 'latin1'), 0);
  const first = records[0]?.id ?? 1n;
  const last = records.at(-1)?.id ?? 0xffffffffffffffffn;
  dv.setBigUint64(8, first, true); // first event record number
  dv.setBigUint64(16, last, true); // last event record number
  dv.setBigUint64(24, first, true); // first event record id
  dv.setBigUint64(32, last, true); // last event record id
  dv.setUint32(40, 128, true);
  dv.setUint32(44, records.at(-1)?.offset ?? 0, true);
  dv.setUint32(48, c.pos, true); // free space offset
  dv.setUint32(52, crc(c.bytes.subarray(CHUNK_HEADER_SIZE, c.pos)), true);
  dv.setUint32(120, 1, true);
  c.stringTable.forEach((o, i) => dv.setUint32(128 + 4 * i, o, true));
  c.templateTable.forEach((o, i) => dv.setUint32(384 + 4 * i, o, true));
  const headerBytes = Buffer.concat([c.bytes.subarray(0, 120), c.bytes.subarray(128, CHUNK_HEADER_SIZE)]);
  dv.setUint32(124, crc(headerBytes), true);
}

/**
 * Writes a file: the 4096-byte header, then one 64 KiB chunk per ChunkSpec. Throws when the
 * records of a ChunkSpec do not fit into one chunk (callers split them).
 */
export function buildEvtx(
  chunks: ChunkSpec[],
  opts: { dirty?: boolean; full?: boolean } = {},
): { bytes: Uint8Array; layout: EvtxLayout } {
  const bytes = new Uint8Array(FILE_HEADER_SIZE + CHUNK_SIZE * chunks.length);
  const layout: EvtxLayout = { chunks: [] };
  let nextId = 1n;
  chunks.forEach((spec, index) => {
    const c = new Chunk(index);
    const records = spec.records.map((r) => writeRecord(c, r));
    finishChunk(c, records);
    const base = FILE_HEADER_SIZE + CHUNK_SIZE * index;
    bytes.set(c.bytes, base);
    layout.chunks.push({ offset: base, records: records.map((r) => ({ ...r, offset: base + r.offset })) });
    for (const r of records) if (r.id >= nextId) nextId = r.id + 1n;
  });
  const dv = new DataView(bytes.buffer);
  bytes.set(Buffer.from('ElfFile\0', 'latin1'), 0);
  dv.setBigUint64(8, 0n, true); // first chunk number
  dv.setBigUint64(16, BigInt(Math.max(chunks.length - 1, 0)), true); // last chunk number
  dv.setBigUint64(24, nextId, true);
  dv.setUint32(32, 128, true);
  dv.setUint16(36, 1, true); // minor version
  dv.setUint16(38, 3, true); // major version
  dv.setUint16(40, FILE_HEADER_SIZE, true);
  dv.setUint16(42, chunks.length, true);
  dv.setUint32(120, (opts.dirty ? 0x1 : 0) | (opts.full ? 0x2 : 0), true);
  dv.setUint32(124, crc(bytes.subarray(0, 120)), true);
  return { bytes, layout };
}

// ---- Windows-like events: the System template (see evtx-builder-values.ts) + EventData as nested BinXML ----

/** Sysmon event 1 (process creation), laid out like Microsoft-Windows-Sysmon/Operational records. */
export function sysmonProcessCreation(o: {
  id: number;
  image: string;
  commandLine: string;
  time?: bigint;
  computer?: string;
  user?: string;
  parentImage?: string;
  /** Any EventData field by Data Name (missing ones are '-' or 0). */
  data?: Record<string, DataItem>;
}): RecordSpec {
  const time = o.time ?? DEFAULT_FILETIME;
  const user = o.user ?? 'WORKSTATION\\alice';
  const values = dataValues(SYSMON_1, {
    UtcTime: sysmonUtcTime(time),
    ProcessGuid: '8D5F4B1E-2A3C-6560-0B00-000000001200',
    ProcessId: 4242,
    Image: o.image,
    OriginalFileName: o.image.split('\\').at(-1)!,
    CommandLine: o.commandLine,
    CurrentDirectory: 'C:\\Windows\\system32\\',
    User: user,
    LogonGuid: '8D5F4B1E-0000-6560-E703-000000000000',
    LogonId: 0x3e7n,
    IntegrityLevel: 'High',
    Hashes: 'SHA256=' + '0'.repeat(64),
    ParentProcessGuid: '8D5F4B1E-1F00-6560-0A00-000000001200',
    ParentProcessId: 4000,
    ParentImage: o.parentImage ?? 'C:\\Windows\\explorer.exe',
    ParentCommandLine: o.parentImage ?? 'C:\\Windows\\Explorer.EXE',
    ParentUser: user,
    ...o.data,
  });
  return systemRecord({
    id: o.id,
    time,
    provider: ['Microsoft-Windows-Sysmon', '5770385F-C22A-43E0-BF4C-06F5698FFBD9'],
    event: [1, 5, 4, 1], // EventID, Version, Level, Task
    keywords: 0x8000000000000000n,
    execution: [3196, 4012],
    channel: 'Microsoft-Windows-Sysmon/Operational',
    computer: o.computer ?? 'WORKSTATION.corp.example',
    userSid: 'S-1-5-18',
    eventData: { template: SYSMON_1, values },
  });
}

/** Security 4624 (an account was successfully logged on), version 2, as the Security channel writes it. */
export function security4624(o: {
  id: number;
  targetUserName: string;
  logonType?: number;
  ipAddress?: string;
  time?: bigint;
  computer?: string;
  /** Any EventData field by Data Name (missing ones are '-' or 0). */
  data?: Record<string, DataItem>;
}): RecordSpec {
  const computer = o.computer ?? 'DC01.corp.example';
  const values = dataValues(SECURITY_4624, {
    SubjectUserSid: 'S-1-5-18',
    SubjectUserName: `${computer.split('.')[0]}$`,
    SubjectDomainName: 'CORP',
    SubjectLogonId: 0x3e7n,
    TargetUserSid: 'S-1-5-21-1004336348-1177238915-682003330-1105',
    TargetUserName: o.targetUserName,
    TargetDomainName: 'CORP',
    TargetLogonId: 0x8dcdcn,
    LogonType: o.logonType ?? 3,
    LogonProcessName: 'NtLmSsp ',
    AuthenticationPackageName: 'NTLM',
    WorkstationName: 'WS01',
    LogonGuid: '00000000-0000-0000-0000-000000000000',
    LmPackageName: 'NTLM V2',
    KeyLength: 128,
    IpAddress: o.ipAddress ?? '10.0.0.5',
    IpPort: '49834',
    ImpersonationLevel: '%%1833',
    VirtualAccount: '%%1843',
    ElevatedToken: '%%1842',
    ...o.data,
  });
  return systemRecord({
    id: o.id,
    time: o.time ?? DEFAULT_FILETIME,
    provider: ['Microsoft-Windows-Security-Auditing', '54849625-5478-4994-A5BA-3E3B0328C30D'],
    event: [4624, 2, 0, 12544],
    keywords: 0x8020000000000000n,
    activityId: 'C96B491C-1545-0001-6049-6BC94515DD01',
    execution: [876, 928],
    channel: 'Security',
    computer,
    eventData: { template: SECURITY_4624, values },
  });
}
