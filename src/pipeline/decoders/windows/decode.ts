/**
 * Windows event decoders: evtx-to-JSON (`Event.System`/`Event.EventData`/`Event.UserData`, as
 * written by evtx_dump and python-evtx), flat JSON (nxlog/OTRF Mordor: EventData at the top
 * level, `SourceName`, `Hostname`), and Winlogbeat (`winlog.*`).
 *
 * All three become one flat field map under Sigma names: System elements as in the spec's
 * "Field Usage" rule 3 (`<Provider Name=…>` → `Provider_Name`, `<Execution ProcessID=…>` →
 * `Execution_ProcessID`), EventData `<Data Name="X">` → `X`, UserData leaves by name.
 */
import { eventLogSource } from '../../../detect/sigma/event.js';
import type { EventLogSource, FieldValue } from '../../../detect/sigma/types.js';
import { type EcsBuilder, FieldEvent, setEcs } from '../field-event.js';
import { normalizeTimestamp } from '../time.js';
import type { DecodedEvent, DecodeOptions, EcsDocument } from '../types.js';
import {
  CHANNEL_SERVICES,
  FIELD_ALIASES,
  FLAT_SYSTEM_ALIASES,
  LINUX_SYSMON_CHANNELS,
  SERVICE_EVENT_CATEGORIES,
  WINLOGBEAT_SYSTEM,
} from './tables.js';

type Json = { [key: string]: unknown };

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** `{"#text": x, "#attributes": …}` → x; other values unchanged. */
function textOf(v: unknown): unknown {
  return isObject(v) && '#text' in v ? v['#text'] : v;
}

/** Numeric EventID from a number, a numeric string or `{"#text": N}`. */
function eventIdOf(v: unknown): number | undefined {
  const t = textOf(v);
  if (typeof t === 'number') return t;
  if (typeof t === 'string' && /^\d+$/.test(t.trim())) return Number(t);
  return undefined;
}

function asField(v: unknown): FieldValue {
  return v as FieldValue;
}

/**
 * Stores a field under its name and, when the name has spaces (Defender writes `Source Name`,
 * `Threat Name`), also under the name with spaces stripped, as the Sigma spec's "Field Usage"
 * rule 2 names it (`SourceName`, `ThreatName`).
 */
function put(out: Record<string, FieldValue>, key: string, value: FieldValue): void {
  out[key] = value;
  if (key.includes(' ')) {
    const stripped = key.replace(/ /g, '');
    if (!(stripped in out)) out[stripped] = value;
  }
}

/**
 * Flattens nested UserData/EventData children by leaf element name. A leaf whose name is taken (by
 * a System field: event 104's `LogFileCleared/Channel` is the cleared log, not the event's channel)
 * is kept as `<element>_<name>` (`LogFileCleared_Channel`).
 */
function flattenLeaves(node: Json, out: Record<string, FieldValue>, element = ''): void {
  for (const [k, v] of Object.entries(node)) {
    if (k === '#attributes') continue;
    if (isObject(v) && !('#text' in v)) flattenLeaves(v, out, k);
    else if (!(k in out)) put(out, k, asField(textOf(v)));
    else if (element !== '' && !(`${element}_${k}` in out)) put(out, `${element}_${k}`, asField(textOf(v)));
  }
}

function flattenSystem(system: Json, out: Record<string, FieldValue>): void {
  for (const [k, v] of Object.entries(system)) {
    if (isObject(v)) {
      const attrs = v['#attributes'];
      if (isObject(attrs)) for (const [a, av] of Object.entries(attrs)) out[`${k}_${a}`] = asField(av);
      if ('#text' in v) out[k] = asField(v['#text']);
    } else {
      out[k] = asField(v);
    }
  }
  const id = eventIdOf(system.EventID);
  if (id !== undefined) out.EventID = id;
}

function flattenEventData(data: unknown, out: Record<string, FieldValue>): void {
  if (!isObject(data)) return;
  for (const [k, v] of Object.entries(data)) {
    if (k === '#attributes') continue;
    if (k === 'Data' && (Array.isArray(v) || isObject(v))) {
      // Unnamed <Data> elements: keep them as `Data` (a list when several).
      out.Data = Array.isArray(v) ? v.map((x) => asField(textOf(x))) : asField(textOf(v));
    } else if (isObject(v) && !('#text' in v)) {
      flattenLeaves(v, out);
    } else {
      put(out, k, asField(textOf(v)));
    }
  }
}

interface WindowsRouting {
  readonly logsource: EventLogSource;
  readonly aliases: Readonly<Record<string, readonly string[]>> | undefined;
}

const routingCache = new Map<string, WindowsRouting>();
const ROUTING_CACHE_LIMIT = 20_000;

function routing(channel: string | undefined, eventId: number | undefined, flat: boolean): WindowsRouting {
  const ch = (channel ?? '').toLowerCase();
  const key = `${flat ? 'f' : 'x'}|${ch}|${eventId ?? ''}`;
  const hit = routingCache.get(key);
  if (hit) return hit;
  const linux = LINUX_SYSMON_CHANNELS.has(ch);
  const services = linux ? ['sysmon'] : (CHANNEL_SERVICES[ch] ?? []);
  const categories: string[] = [];
  const aliases: Record<string, string[]> = {};
  const addAlias = (sigma: string, ...sources: string[]): void => {
    aliases[sigma] = [...(aliases[sigma] ?? []), ...sources];
  };
  const addAliases = (table: Readonly<Record<string, string>> | undefined): void => {
    if (!table) return;
    for (const [sigma, source] of Object.entries(table)) addAlias(sigma, source);
  };
  for (const svc of services) {
    const cats = eventId === undefined ? undefined : SERVICE_EVENT_CATEGORIES[svc]?.[eventId];
    for (const c of cats ?? []) {
      if (!categories.includes(c)) categories.push(c);
      addAliases(FIELD_ALIASES[`${svc}/${c}`]);
    }
    addAliases(FIELD_ALIASES[svc]);
  }
  if (flat) for (const [sigma, sources] of Object.entries(FLAT_SYSTEM_ALIASES)) addAlias(sigma, ...sources);
  const result: WindowsRouting = {
    logsource: eventLogSource(linux ? 'linux' : 'windows', services, categories),
    aliases: Object.keys(aliases).length > 0 ? aliases : undefined,
  };
  if (routingCache.size < ROUTING_CACHE_LIMIT) routingCache.set(key, result);
  return result;
}

/**
 * The logsource the Windows decoders give an event of this channel and EventID (the same for the
 * evtx-JSON, flat and Winlogbeat shapes). For pre-filters that route raw lines before parsing.
 */
export function windowsLogSource(channel: string | undefined, eventId: number | undefined): EventLogSource {
  return routing(channel, eventId, false).logsource;
}

/** First present, non-placeholder value among Sigma field names. */
function pick(e: FieldEvent, names: readonly string[]): FieldValue | undefined {
  for (const n of names) {
    const v = e.get(n);
    if (v !== undefined && v !== null && v !== '' && v !== '-') return v;
  }
  return undefined;
}

/** ECS field ← Sigma fields, first present wins. */
const ECS_FROM_FIELDS: readonly (readonly [string, readonly string[]])[] = [
  ['event.provider', ['Provider_Name']],
  ['winlog.channel', ['Channel']],
  ['winlog.record_id', ['EventRecordID']],
  ['host.name', ['Computer']],
  ['source.ip', ['IpAddress', 'SourceIp', 'SourceAddress', 'ClientAddress', 'SourceNetworkAddress']],
  ['source.port', ['IpPort', 'SourcePort']],
  ['destination.ip', ['DestinationIp', 'DestAddress']],
  ['destination.port', ['DestinationPort', 'DestPort']],
  ['destination.domain', ['DestinationHostname']],
  ['process.executable', ['Image', 'NewProcessName', 'ProcessName', 'SourceImage']],
  ['process.command_line', ['CommandLine']],
  ['process.pid', ['ProcessId']],
  ['process.parent.executable', ['ParentImage', 'ParentProcessName']],
  ['process.parent.command_line', ['ParentCommandLine']],
  ['file.path', ['TargetFilename', 'ImageLoaded']],
  ['registry.path', ['TargetObject', 'ObjectName']],
  ['dns.question.name', ['QueryName']],
  ['service.name', ['ServiceName']],
  ['powershell.file.script_block_text', ['ScriptBlockText']],
];

const ECS_CATEGORY: Readonly<Record<string, readonly [string, string]>> = {
  process_creation: ['process', 'start'],
  process_termination: ['process', 'end'],
  network_connection: ['network', 'connection'],
  file_event: ['file', 'creation'],
  file_delete: ['file', 'deletion'],
  registry_set: ['registry', 'change'],
  registry_add: ['registry', 'creation'],
  dns_query: ['network', 'protocol'],
  driver_load: ['driver', 'start'],
  image_load: ['library', 'start'],
};

function splitUser(user: FieldValue | undefined): { name?: string; domain?: string } {
  if (typeof user !== 'string' || user === '-' || user === '') return {};
  const i = user.indexOf('\\');
  return i > 0 ? { domain: user.slice(0, i), name: user.slice(i + 1) } : { name: user };
}

/** Security events about group membership, where TargetUserName names the group. */
const GROUP_MEMBERSHIP_EVENTS: ReadonlySet<number> = new Set([
  4728, 4729, 4732, 4733, 4746, 4747, 4751, 4752, 4756, 4757, 4761, 4762,
]);

function finishCategories(e: FieldEvent, doc: EcsDocument): EcsDocument {
  for (const c of e.logsource.categories) {
    const mapped = ECS_CATEGORY[c];
    if (mapped) {
      setEcs(doc, 'event.category', [mapped[0]]);
      setEcs(doc, 'event.type', [mapped[1]]);
      break;
    }
  }
  return doc;
}

const ecsBuilders = new WeakMap<DecodeOptions, EcsBuilder>();

function windowsEcs(options: DecodeOptions): EcsBuilder {
  let builder = ecsBuilders.get(options);
  if (builder) return builder;
  builder = (e) => {
    const doc: EcsDocument = {};
    const ts =
      normalizeTimestamp(e.get('TimeCreated_SystemTime'), options) ??
      normalizeTimestamp(e.fields['@timestamp'], options) ??
      normalizeTimestamp(e.get('TimeCreated'), options) ??
      normalizeTimestamp(e.get('UtcTime'), { ...options, timezone: 'UTC' });
    setEcs(doc, '@timestamp', ts);
    const eventId = e.get('EventID');
    setEcs(doc, 'event.code', eventId === undefined || eventId === null ? undefined : String(eventId));
    setEcs(doc, 'event.module', e.logsource.services[0]);
    for (const [ecs, names] of ECS_FROM_FIELDS) setEcs(doc, ecs, pick(e, names));
    const id = e.get('EventID');
    if (typeof id === 'number' && GROUP_MEMBERSHIP_EVENTS.has(id)) {
      // TargetUserName is the group here; the member is the user.
      setEcs(doc, 'group.name', pick(e, ['TargetUserName']));
      setEcs(doc, 'group.domain', pick(e, ['TargetDomainName']));
      setEcs(doc, 'group.id', pick(e, ['TargetSid']));
      setEcs(doc, 'user.id', pick(e, ['MemberSid']));
      setEcs(doc, 'user.name', pick(e, ['MemberName']));
      return finishCategories(e, doc);
    }
    const sysmonUser = splitUser(pick(e, ['User']));
    const user = sysmonUser.name
      ? sysmonUser
      : {
          name: pick(e, ['TargetUserName', 'SubjectUserName', 'AccountName']),
          domain: pick(e, ['TargetDomainName', 'SubjectDomainName']),
        };
    setEcs(doc, 'user.name', user.name);
    setEcs(doc, 'user.domain', user.domain);
    return finishCategories(e, doc);
  };
  ecsBuilders.set(options, builder);
  return builder;
}

function build(
  decoder: string,
  fields: Record<string, FieldValue>,
  original: unknown,
  flat: boolean,
  options: DecodeOptions,
): DecodedEvent {
  const channel = typeof fields.Channel === 'string' ? fields.Channel : undefined;
  const id = eventIdOf(fields.EventID);
  if (id !== undefined) fields.EventID = id;
  const r = routing(channel, id, flat);
  return new FieldEvent(decoder, fields, r.logsource, original, windowsEcs(options), r.aliases);
}

/** evtx-to-JSON: `{"Event": {"System": …, "EventData": …}}`. */
export function decodeEvtxJson(obj: Json, options: DecodeOptions): DecodedEvent | undefined {
  const event = obj.Event;
  if (!isObject(event) || !isObject(event.System)) return undefined;
  const fields: Record<string, FieldValue> = {};
  flattenSystem(event.System, fields);
  flattenEventData(event.EventData, fields);
  if (isObject(event.UserData)) flattenLeaves(event.UserData, fields);
  return build('windows-evtx-json', fields, obj, false, options);
}

/** Flat Windows JSON (nxlog / OTRF Mordor): EventData keys next to `EventID` and `Channel`. */
export function decodeFlatWindows(obj: Json, options: DecodeOptions): DecodedEvent | undefined {
  if (!('EventID' in obj) || !('Channel' in obj || 'SourceName' in obj || 'Hostname' in obj))
    return undefined;
  // The parsed object already is the flat field map; copy it only to add space-stripped names.
  let fields = obj as Record<string, FieldValue>;
  for (const k in obj) {
    if (k.includes(' ')) {
      fields = {};
      for (const [key, v] of Object.entries(obj)) put(fields, key, asField(v));
      break;
    }
  }
  return build('windows-flat-json', fields, obj, true, options);
}

function flattenDotted(node: Json, prefix: string, out: Record<string, unknown>): void {
  for (const [k, v] of Object.entries(node)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (isObject(v)) flattenDotted(v, key, out);
    else out[key] = v;
  }
}

/** Winlogbeat / Elastic Agent documents: `winlog.channel`, `winlog.event_data.*`, … */
export function decodeWinlogbeat(obj: Json, options: DecodeOptions): DecodedEvent | undefined {
  if (!isObject(obj.winlog) && !('winlog.channel' in obj) && !('winlog.event_id' in obj)) return undefined;
  const dotted: Record<string, unknown> = {};
  flattenDotted(obj, '', dotted);
  if (!('winlog.channel' in dotted) && !('winlog.event_id' in dotted)) return undefined;
  const fields: Record<string, FieldValue> = {};
  for (const [k, v] of Object.entries(dotted)) {
    if (k.startsWith('winlog.event_data.')) put(fields, k.slice('winlog.event_data.'.length), asField(v));
    else if (k.startsWith('winlog.user_data.')) put(fields, k.slice(k.lastIndexOf('.') + 1), asField(v));
  }
  for (const [k, sigma] of Object.entries(WINLOGBEAT_SYSTEM)) {
    const v = dotted[`winlog.${k}`];
    if (v !== undefined) fields[sigma] = asField(v);
  }
  if (dotted['@timestamp'] !== undefined) fields['@timestamp'] = asField(dotted['@timestamp']);
  return build('windows-winlogbeat', fields, obj, false, options);
}

/** Tries each Windows shape in turn. */
export function decodeWindows(obj: Json, options: DecodeOptions): DecodedEvent | undefined {
  return decodeEvtxJson(obj, options) ?? decodeWinlogbeat(obj, options) ?? decodeFlatWindows(obj, options);
}
