/**
 * JSON object → decoded event: tries each known JSON shape, else keeps the object as generic
 * JSON (nested keys flattened with dots, no logsource, so only logsource-free rules see it).
 */
import { eventLogSource } from '../../detect/sigma/event.js';
import type { FieldValue } from '../../detect/sigma/types.js';
import { FieldEvent, setEcs } from './field-event.js';
import { normalizeTimestamp } from './time.js';
import type { DecodedEvent, DecodeOptions, EcsDocument } from './types.js';
import { decodeWindows } from './windows/decode.js';

type Json = { [key: string]: unknown };

/** Decoders for JSON objects, tried in order; each returns `undefined` when the shape is not its own. */
export type JsonDecoder = (obj: Json, options: DecodeOptions) => DecodedEvent | undefined;

const jsonDecoders: JsonDecoder[] = [decodeWindows];

/** Adds a JSON shape decoder (Zeek, Suricata, …) ahead of the generic fallback. */
export function registerJsonDecoder(decoder: JsonDecoder): void {
  jsonDecoders.push(decoder);
}

/** Flattens nested objects to dotted keys; arrays stay values. */
export function flattenObject(
  obj: Json,
  prefix = '',
  out: Record<string, FieldValue> = {},
): Record<string, FieldValue> {
  for (const [k, v] of Object.entries(obj)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (typeof v === 'object' && v !== null && !Array.isArray(v)) flattenObject(v as Json, key, out);
    else out[key] = v as FieldValue;
  }
  return out;
}

const GENERIC = eventLogSource(undefined, [], []);
const TIME_KEYS = ['@timestamp', 'timestamp', 'time', 'ts', 'eventTime', 'date'];

function genericEcs(options: DecodeOptions) {
  return (e: FieldEvent): EcsDocument => {
    const doc: EcsDocument = {};
    for (const k of TIME_KEYS) {
      const ts = normalizeTimestamp(e.fields[k], options);
      if (ts) {
        setEcs(doc, '@timestamp', ts);
        break;
      }
    }
    for (const k of ['host.name', 'user.name', 'source.ip', 'destination.ip', 'event.action', 'message']) {
      setEcs(doc, k, e.fields[k]);
    }
    return doc;
  };
}

/** Decodes one parsed JSON value. Non-object values return `undefined` (the caller reports them). */
export function decodeJson(value: unknown, options: DecodeOptions): DecodedEvent | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const obj = value as Json;
  for (const d of jsonDecoders) {
    const e = d(obj, options);
    if (e) return e;
  }
  return new FieldEvent('json', flattenObject(obj), GENERIC, obj, genericEcs(options));
}
