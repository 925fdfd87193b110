/**
 * Rule pack samples (test/rules/samples/<rule file>.yml): loading, validation, and decoding each
 * sample with the decoder Vigil would use for it.
 *
 * Sample files are read with the YAML failsafe schema, so every scalar is a string, as the
 * Windows event XML writes it (`LogonType: '9'`, `Status: '0x0'`): no value is silently turned
 * into a number, boolean or date.
 */
import { parse } from 'yaml';
import { decodeJson } from '../../src/pipeline/decoders/json.js';
import '../../src/pipeline/decoders/register.js';
import { type HeaderState, isDecodeFailure, textFormat } from '../../src/pipeline/decoders/text.js';
import type { DecodedEvent, DecodeOptions } from '../../src/pipeline/decoders/types.js';

export const FORMATS = ['windows', 'syslog', 'auditd', 'access-log', 'w3c'] as const;
export type SampleFormat = (typeof FORMATS)[number];

/** A Windows event in compact form; see {@link toEvtxJson}. */
export interface WindowsSample {
  readonly channel: string;
  readonly eventId: string;
  readonly provider: string;
  readonly time?: string;
  readonly computer?: string;
  /** `<EventData>`: `<Data Name="…">` → value. */
  readonly data?: Readonly<Record<string, string>>;
  /** `<UserData>`: the element tree below it. */
  readonly userData?: Readonly<Record<string, unknown>>;
}

/** One log line (text formats) or one Windows event. */
export type Sample = string | WindowsSample;

export interface SamplesFile {
  readonly rule: string;
  readonly format: SampleFormat;
  /** W3C only: the `#Fields:` directive the lines follow. */
  readonly header?: string;
  readonly positive: readonly Sample[];
  readonly negative: readonly Sample[];
}

export const DECODE_OPTIONS: DecodeOptions = { year: 2026, timezone: 'UTC' };

const WINDOWS_KEYS = new Set(['channel', 'eventId', 'provider', 'time', 'computer', 'data', 'userData']);
const FILE_KEYS = new Set(['rule', 'format', 'header', 'positive', 'negative']);

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function checkSample(format: SampleFormat, s: unknown, where: string): Sample {
  if (format !== 'windows') {
    if (typeof s !== 'string' || s.trim() === '') throw new Error(`${where}: expected a log line`);
    return s;
  }
  if (!isRecord(s)) throw new Error(`${where}: expected a Windows event object`);
  for (const k of Object.keys(s)) if (!WINDOWS_KEYS.has(k)) throw new Error(`${where}: unknown key "${k}"`);
  for (const k of ['channel', 'eventId', 'provider']) {
    if (typeof s[k] !== 'string' || s[k] === '') throw new Error(`${where}: "${k}" is required`);
  }
  if (!/^\d+$/.test(s.eventId as string)) throw new Error(`${where}: eventId must be a number`);
  if (s.data !== undefined && !isRecord(s.data)) throw new Error(`${where}: "data" must be a map`);
  if (s.userData !== undefined && !isRecord(s.userData))
    throw new Error(`${where}: "userData" must be a map`);
  return s as unknown as WindowsSample;
}

/** Parses and validates a samples file; throws an error naming the file and the problem. */
export function parseSamples(text: string, path: string): SamplesFile {
  const doc: unknown = parse(text, { schema: 'failsafe', uniqueKeys: true });
  if (!isRecord(doc)) throw new Error(`${path}: expected a map`);
  for (const k of Object.keys(doc)) if (!FILE_KEYS.has(k)) throw new Error(`${path}: unknown key "${k}"`);
  const { rule, format, header } = doc;
  if (typeof rule !== 'string' || rule === '') throw new Error(`${path}: "rule" (the rule id) is required`);
  if (!FORMATS.includes(format as SampleFormat))
    throw new Error(`${path}: "format" must be one of ${FORMATS}`);
  const fmt = format as SampleFormat;
  if ((fmt === 'w3c') !== (typeof header === 'string' && header.startsWith('#Fields:'))) {
    throw new Error(`${path}: "header" (a #Fields: directive) is required for w3c and only for w3c`);
  }
  const list = (key: 'positive' | 'negative'): Sample[] => {
    const v = doc[key];
    if (!Array.isArray(v) || v.length === 0) throw new Error(`${path}: "${key}" needs at least one sample`);
    return v.map((s, i) => checkSample(fmt, s, `${path}: ${key} #${i + 1}`));
  };
  return {
    rule,
    format: fmt,
    ...(typeof header === 'string' ? { header } : {}),
    positive: list('positive'),
    negative: list('negative'),
  };
}

/** The evtx-to-JSON shape (evtx_dump / python-evtx) of a compact Windows sample. */
export function toEvtxJson(s: WindowsSample): Record<string, unknown> {
  const event: Record<string, unknown> = {
    System: {
      Provider: { '#attributes': { Name: s.provider } },
      EventID: Number(s.eventId),
      Level: 4,
      TimeCreated: { '#attributes': { SystemTime: s.time ?? '2026-03-14T09:00:00.000Z' } },
      Channel: s.channel,
      Computer: s.computer ?? 'WS-FIN-07.corp.example',
    },
  };
  if (s.data !== undefined) event.EventData = s.data;
  if (s.userData !== undefined) event.UserData = s.userData;
  return { Event: event };
}

/** W3C header state for a `#Fields:` line. */
function w3cHeader(line: string): HeaderState | undefined {
  return textFormat('w3c')!.header!(line, undefined);
}

/**
 * Decodes a sample with its file's format, as `vigil scan` would.
 * @throws when the decoder yields no event (a failure, `null`, or a non-Windows JSON event)
 */
export function decodeSample(file: SamplesFile, sample: Sample): DecodedEvent {
  if (file.format === 'windows') {
    const event = decodeJson(toEvtxJson(sample as WindowsSample), DECODE_OPTIONS);
    if (event?.decoder !== 'windows-evtx-json')
      throw new Error(`not decoded as a Windows event: ${event?.decoder}`);
    return event;
  }
  const format = textFormat(file.format);
  if (format === undefined) throw new Error(`no text format "${file.format}"`);
  const header = file.header === undefined ? undefined : w3cHeader(file.header);
  const result = format.decode(sample as string, header, DECODE_OPTIONS);
  if (result === null) throw new Error('the decoder returned no event (null)');
  if (isDecodeFailure(result)) throw new Error(`the decoder failed: ${result.error}`);
  return result;
}
