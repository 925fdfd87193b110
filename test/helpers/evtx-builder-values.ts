/**
 * Types and substitution-value encoders for the test-only EVTX writer in `evtx-builder.ts`.
 *
 * Sources: the libevtx documentation "Windows XML Event Log (EVTX) format" (value types, array
 * types, SYSTEMTIME layout) and python-evtx (Evtx/Nodes.py, Evtx/BinaryParser.py: GUID byte order,
 * SID layout with its big-endian 48-bit identifier authority). Everything is little-endian unless
 * noted. Nested Binary XML (0x21) needs chunk context, so `evtx-builder.ts` encodes it. Also holds
 * the Windows-like System/EventData templates used by sysmonProcessCreation and security4624.
 */

import { crc32 } from 'node:zlib';

/** Scalar value type names, mapped to their EVTX value type codes. */
export const VALUE_TYPE_CODES = {
  null: 0x00,
  string: 0x01,
  ansi: 0x02,
  int8: 0x03,
  uint8: 0x04,
  int16: 0x05,
  uint16: 0x06,
  int32: 0x07,
  uint32: 0x08,
  int64: 0x09,
  uint64: 0x0a,
  real32: 0x0b,
  real64: 0x0c,
  bool: 0x0d,
  binary: 0x0e,
  guid: 0x0f,
  sizet: 0x10,
  filetime: 0x11,
  systemtime: 0x12,
  sid: 0x13,
  hex32: 0x14,
  hex64: 0x15,
  binxml: 0x21,
} as const;

export type ValueTypeName = keyof typeof VALUE_TYPE_CODES;
/** Element types an array value (type | 0x80) may hold: fixed-size types, strings and SIDs. */
export type ArrayElementType = Exclude<ValueTypeName, 'null' | 'binary' | 'binxml'>;
export type ArrayItem = string | number | bigint | boolean | Date;

export type BxValue =
  | { type: 'null' }
  | { type: 'string' | 'ansi'; value: string }
  | { type: 'int8' | 'uint8' | 'int16' | 'uint16' | 'int32' | 'uint32' | 'hex32'; value: number }
  | { type: 'int64' | 'uint64' | 'hex64' | 'sizet'; value: bigint }
  | { type: 'real32' | 'real64'; value: number }
  | { type: 'bool'; value: boolean }
  | { type: 'binary'; value: Uint8Array }
  | { type: 'guid'; value: string } // '5770385F-C22A-43E0-BF4C-06F5698FFBD9'
  | { type: 'filetime'; value: bigint } // 100-ns ticks since 1601-01-01
  | { type: 'systemtime'; value: Date }
  | { type: 'sid'; value: string } // 'S-1-5-21-1-2-3-500'
  /** Nested fragment: an element, or (as Windows writes EventData) a template instance with values. */
  | { type: 'binxml'; value: XmlElement | { template: TemplateDef; values: BxValue[] } }
  | { type: 'array'; of: ArrayElementType; value: readonly ArrayItem[] };

/**
 * Element content. A substitution's token carries a value type: `type` (a name or a raw code such
 * as 0x81) when given, else the type of the value in the record that first writes the template.
 */
export type XmlContent =
  | string
  | XmlElement
  | { sub: number; optional?: boolean; type?: ValueTypeName | number }
  | { charRef: number }
  | { entityRef: string }
  | { cdata: string };
export interface XmlElement {
  name: string;
  attrs?: { name: string; value: XmlContent[] }[];
  children?: XmlContent[];
}
/** The same TemplateDef object used twice in a chunk is written once and referenced by offset after. */
export interface TemplateDef {
  guid: string;
  root: XmlElement;
}

export type RecordSpec =
  | { id: bigint | number; written?: bigint /* FILETIME */; template: TemplateDef; values: BxValue[] }
  | { id: bigint | number; written?: bigint; xml: XmlElement }; // element fragment, no template
export interface ChunkSpec {
  records: RecordSpec[];
}

/** FILETIME of 2024-01-01T00:00:00Z, the default written time. */
export const DEFAULT_FILETIME = 133485408000000000n;

/** "YYYY-MM-DD HH:MM:SS.mmm" (UTC) of a FILETIME, as Sysmon writes UtcTime. */
export function sysmonUtcTime(ft: bigint): string {
  return new Date(Number(ft / 10000n - 11644473600000n)).toISOString().replace('T', ' ').replace('Z', '');
}

/** FILETIME (100-ns ticks since 1601-01-01 UTC) of a Date. */
export function filetimeOf(d: Date): bigint {
  return (BigInt(d.getTime()) + 11644473600000n) * 10000n;
}

/** The value type code written in a substitution descriptor: arrays are `element type | 0x80`. */
export function valueTypeCode(v: BxValue): number {
  return v.type === 'array' ? VALUE_TYPE_CODES[v.of] | 0x80 : VALUE_TYPE_CODES[v.type];
}

export function utf16(s: string): Uint8Array {
  return new Uint8Array(Buffer.from(s, 'utf16le'));
}

function fixed(size: number, put: (dv: DataView) => void): Uint8Array {
  const out = new Uint8Array(size);
  put(new DataView(out.buffer));
  return out;
}

/** GUID in the Windows layout: Data1 u32 LE, Data2 u16 LE, Data3 u16 LE, Data4 8 bytes as written. */
export function guidBytes(guid: string): Uint8Array {
  const hex = guid.replace(/[{}]/g, '');
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(hex)) {
    throw new Error(`evtx-builder: bad GUID ${JSON.stringify(guid)}`);
  }
  const parts = hex.split('-');
  return fixed(16, (dv) => {
    dv.setUint32(0, parseInt(parts[0]!, 16), true);
    dv.setUint16(4, parseInt(parts[1]!, 16), true);
    dv.setUint16(6, parseInt(parts[2]!, 16), true);
    const tail = parts[3]! + parts[4]!;
    for (let i = 0; i < 8; i++) dv.setUint8(8 + i, parseInt(tail.slice(2 * i, 2 * i + 2), 16));
  });
}

/** SID: revision u8, sub-authority count u8, 48-bit identifier authority big-endian, u32 LE sub-authorities. */
export function sidBytes(sid: string): Uint8Array {
  const m = /^S-(\d+)-(\d+)((?:-\d+)*)$/i.exec(sid);
  if (!m) throw new Error(`evtx-builder: bad SID ${JSON.stringify(sid)}`);
  const subs = m[3]!.split('-').slice(1).map(Number);
  const authority = BigInt(m[2]!);
  return fixed(8 + 4 * subs.length, (dv) => {
    dv.setUint8(0, Number(m[1]));
    dv.setUint8(1, subs.length);
    dv.setUint16(2, Number(authority >> 32n), false);
    dv.setUint32(4, Number(authority & 0xffffffffn), false);
    subs.forEach((s, i) => dv.setUint32(8 + 4 * i, s, true));
  });
}

/** SYSTEMTIME (UTC): year, month, day of week, day, hour, minute, second, milliseconds as u16 LE. */
export function systemtimeBytes(d: Date): Uint8Array {
  const parts = [
    d.getUTCFullYear(),
    d.getUTCMonth() + 1,
    d.getUTCDay(),
    d.getUTCDate(),
    d.getUTCHours(),
    d.getUTCMinutes(),
    d.getUTCSeconds(),
    d.getUTCMilliseconds(),
  ];
  return fixed(16, (dv) => parts.forEach((p, i) => dv.setUint16(2 * i, p, true)));
}

function num(v: ArrayItem, type: string): number {
  if (typeof v !== 'number') throw new Error(`evtx-builder: ${type} expects a number, got ${typeof v}`);
  return v;
}
function big(v: ArrayItem, type: string): bigint {
  if (typeof v !== 'bigint') throw new Error(`evtx-builder: ${type} expects a bigint, got ${typeof v}`);
  return v;
}
function str(v: ArrayItem, type: string): string {
  if (typeof v !== 'string') throw new Error(`evtx-builder: ${type} expects a string, got ${typeof v}`);
  return v;
}

/** One item of a scalar type, without terminator (arrays add NUL terminators to strings). */
export function scalarBytes(type: ArrayElementType, v: ArrayItem): Uint8Array {
  switch (type) {
    case 'string':
      return utf16(str(v, type));
    case 'ansi':
      return new Uint8Array(Buffer.from(str(v, type), 'latin1'));
    case 'int8':
      return fixed(1, (dv) => dv.setInt8(0, num(v, type)));
    case 'uint8':
      return fixed(1, (dv) => dv.setUint8(0, num(v, type)));
    case 'int16':
      return fixed(2, (dv) => dv.setInt16(0, num(v, type), true));
    case 'uint16':
      return fixed(2, (dv) => dv.setUint16(0, num(v, type), true));
    case 'int32':
      return fixed(4, (dv) => dv.setInt32(0, num(v, type), true));
    case 'uint32':
    case 'hex32':
      return fixed(4, (dv) => dv.setUint32(0, num(v, type), true));
    case 'int64':
      return fixed(8, (dv) => dv.setBigInt64(0, big(v, type), true));
    case 'uint64':
    case 'hex64':
    case 'sizet':
    case 'filetime':
      return fixed(8, (dv) => dv.setBigUint64(0, big(v, type), true));
    case 'real32':
      return fixed(4, (dv) => dv.setFloat32(0, num(v, type), true));
    case 'real64':
      return fixed(8, (dv) => dv.setFloat64(0, num(v, type), true));
    case 'bool':
      if (typeof v !== 'boolean') throw new Error(`evtx-builder: bool expects a boolean, got ${typeof v}`);
      return fixed(4, (dv) => dv.setUint32(0, v ? 1 : 0, true));
    case 'guid':
      return guidBytes(str(v, type));
    case 'systemtime':
      if (!(v instanceof Date)) throw new Error('evtx-builder: systemtime expects a Date');
      return systemtimeBytes(v);
    case 'sid':
      return sidBytes(str(v, type));
  }
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  return new Uint8Array(Buffer.concat(parts));
}

/**
 * The bytes of a substitution value other than nested Binary XML: strings without terminator (the
 * descriptor gives the size), string arrays as NUL-terminated strings back to back, other arrays as
 * their items back to back.
 */
export function encodeValue(v: Exclude<BxValue, { type: 'binxml' }>): Uint8Array {
  switch (v.type) {
    case 'null':
      return new Uint8Array(0);
    case 'binary':
      return v.value.slice();
    case 'array': {
      const nul = v.of === 'string' ? [0, 0] : v.of === 'ansi' ? [0] : [];
      return concat(v.value.map((item) => concat([scalarBytes(v.of, item), new Uint8Array(nul)])));
    }
    default:
      return scalarBytes(v.type, v.value);
  }
}

// ---- Windows-like templates, modelled on Windows-written Sysmon and Security records ----

/** Shorthand for an element: `el('Data', ['text'], { Name: 'x' })`; each attribute has one item. */
export function el(
  name: string,
  children: XmlContent[] = [],
  attrs: Record<string, XmlContent> = {},
): XmlElement {
  return { name, children, attrs: Object.entries(attrs).map(([n, v]) => ({ name: n, value: [v] })) };
}
const opt = (sub: number, type: ValueTypeName): XmlContent => ({ sub, optional: true, type });

/** A GUID derived from a label, so generated templates are stable across runs. */
function labelGuid(label: string): string {
  const x = [1, 2, 3, 4].map((i) => (crc32(`${i}:${label}`) >>> 0).toString(16).padStart(8, '0')).join('');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}

const systemTemplates = new Map<string, TemplateDef>();
/**
 * The Event/System template as Windows writes it: every System value is an optional substitution
 * (numbered as Windows numbers them), Computer is literal text, and substitution 17 is EventData.
 * One TemplateDef object per computer name, so records share it.
 */
export function systemTemplate(computer: string): TemplateDef {
  const known = systemTemplates.get(computer);
  if (known) return known;
  const system = el('System', [
    el('Provider', [], { Name: opt(14, 'string'), Guid: opt(15, 'guid') }),
    el('EventID', [opt(3, 'uint16')], { Qualifiers: opt(4, 'uint16') }),
    el('Version', [opt(11, 'uint8')]),
    el('Level', [opt(0, 'uint8')]),
    el('Task', [opt(2, 'uint16')]),
    el('Opcode', [opt(1, 'uint8')]),
    el('Keywords', [opt(5, 'hex64')]),
    el('TimeCreated', [], { SystemTime: opt(6, 'filetime') }),
    el('EventRecordID', [opt(10, 'uint64')]),
    el('Correlation', [], { ActivityID: opt(7, 'guid'), RelatedActivityID: opt(13, 'guid') }),
    el('Execution', [], { ProcessID: opt(8, 'uint32'), ThreadID: opt(9, 'uint32') }),
    el('Channel', [opt(16, 'string')]),
    el('Computer', [computer]),
    el('Security', [], { UserID: opt(12, 'sid') }),
  ]);
  const xmlns = 'http://schemas.microsoft.com/win/2004/08/events/event';
  const t = {
    guid: labelGuid(`System/${computer}`),
    root: el('Event', [system, opt(17, 'binxml')], { xmlns }),
  };
  systemTemplates.set(computer, t);
  return t;
}

/** The values of systemTemplate(computer), in Windows' substitution order. */
export function systemRecord(s: {
  id: number;
  time: bigint;
  provider: [name: string, guid: string];
  event: [eventId: number, version: number, level: number, task: number];
  keywords: bigint;
  activityId?: string;
  execution: [processId: number, threadId: number];
  channel: string;
  computer: string;
  userSid?: string;
  eventData: { template: TemplateDef; values: BxValue[] };
}): RecordSpec {
  const NULL: BxValue = { type: 'null' };
  const [eventId, version, level, task] = s.event;
  const values: BxValue[] = [
    { type: 'uint8', value: level },
    { type: 'uint8', value: 0 }, // Opcode
    { type: 'uint16', value: task },
    { type: 'uint16', value: eventId },
    NULL, // EventID Qualifiers
    { type: 'hex64', value: s.keywords },
    { type: 'filetime', value: s.time },
    s.activityId ? { type: 'guid', value: s.activityId } : NULL,
    { type: 'uint32', value: s.execution[0] },
    { type: 'uint32', value: s.execution[1] },
    { type: 'uint64', value: BigInt(s.id) },
    { type: 'uint8', value: version },
    s.userSid ? { type: 'sid', value: s.userSid } : NULL,
    NULL, // RelatedActivityID
    { type: 'string', value: s.provider[0] },
    { type: 'guid', value: s.provider[1] },
    { type: 'string', value: s.channel },
    { type: 'binxml', value: s.eventData },
  ];
  return { id: s.id, written: s.time, template: systemTemplate(s.computer), values };
}

/** An EventData template: one <Data Name="..."> per "Name[:type]" field (default string). */
export type DataTemplate = TemplateDef & { fields: [name: string, type: ValueTypeName][] };
export type DataItem = string | number | bigint;
function dataTemplate(label: string, spec: string): DataTemplate {
  const fields = spec
    .trim()
    .split(/\s+/)
    .map((f): [string, ValueTypeName] => {
      const [name, type = 'string'] = f.split(':');
      return [name!, type as ValueTypeName];
    });
  const children = fields.map(([name, type], i) => el('Data', [{ sub: i, type }], { Name: name }));
  return { guid: labelGuid(label), root: el('EventData', children), fields };
}

/**
 * Values for a DataTemplate by field name; a missing field is '-' (strings) or 0, and a `sizet`
 * field gets a hex64 value, as Windows writes it.
 */
export function dataValues(t: DataTemplate, items: Record<string, DataItem>): BxValue[] {
  return t.fields.map(([name, type]): BxValue => {
    const v = items[name];
    if (type === 'string' || type === 'guid' || type === 'sid') return { type, value: String(v ?? '-') };
    if (type === 'uint8' || type === 'uint16' || type === 'uint32') return { type, value: Number(v ?? 0) };
    if (type === 'sizet' || type === 'hex64') return { type: 'hex64', value: BigInt(v ?? 0) };
    throw new Error(`evtx-builder: unsupported EventData field type ${type}`);
  });
}

export const SYSMON_1 = dataTemplate(
  'Sysmon/1/5',
  `RuleName UtcTime ProcessGuid:guid ProcessId:uint32 Image FileVersion Description Product Company
   OriginalFileName CommandLine CurrentDirectory User LogonGuid:guid LogonId:hex64 TerminalSessionId:uint32
   IntegrityLevel Hashes ParentProcessGuid:guid ParentProcessId:uint32 ParentImage ParentCommandLine ParentUser`,
);
export const SECURITY_4624 = dataTemplate(
  'Security/4624/2',
  `SubjectUserSid:sid SubjectUserName SubjectDomainName SubjectLogonId:hex64 TargetUserSid:sid TargetUserName
   TargetDomainName TargetLogonId:hex64 LogonType:uint32 LogonProcessName AuthenticationPackageName
   WorkstationName LogonGuid:guid TransmittedServices LmPackageName KeyLength:uint32 ProcessId:sizet ProcessName
   IpAddress IpPort ImpersonationLevel RestrictedAdminMode TargetOutboundUserName TargetOutboundDomainName
   VirtualAccount TargetLinkedLogonId:hex64 ElevatedToken`,
);
