/**
 * Suricata EVE JSON records (a {@link JsonDecoder}; Suricata documentation, "Eve JSON Output" and
 * "Eve JSON Format"): one object per line with `timestamp` (ISO 8601, `+0100`-style offset),
 * `event_type` (`alert`, `dns`, `http`, `tls`, `fileinfo`, `flow`, `netflow`, `stats`, …), the
 * 5-tuple (`src_ip`, `src_port`, `dest_ip`, `dest_port`, `proto`), `flow_id`, `community_id`, and
 * an object named after the event type.
 *
 * Recognized: a string `event_type` with `src_ip` or `flow_id`, or a `stats` record.
 *
 * Sigma view: the record flattened with dots (`alert.signature`, `dns.rrname`, `http.hostname`);
 * an array of objects becomes one array per key (`dns.answers.rdata: […]`).
 *
 * Logsource (Sigma has no Suricata taxonomy): `product: suricata`, `service: <event_type>`, plus,
 * so that generic rules apply where the semantics match:
 * - `dns` records: `category: dns`, with `query`, `record_type`, `answer` aliased to `dns.rrname`,
 *   `dns.rrtype`, `dns.rdata` (EVE v1) or `dns.queries.*`/`dns.answers.*` (EVE v2/v3);
 * - `http` records: `category: proxy` (`c-uri`, `c-useragent`, `cs-host`, … aliased);
 * - `flow`/`netflow` records: `service: netflow` (SigmaHQ's netflow rules read ECS
 *   `destination.port`…, aliased to the EVE 5-tuple).
 * Alerts get no category: the Sigma taxonomy has none for IDS alerts.
 *
 * ECS: as Filebeat's Suricata module maps EVE (`event.kind: alert` for alerts, `rule.*` from
 * `alert.*`, `source.bytes`/`destination.bytes` from `flow.bytes_toserver`/`bytes_toclient`, …).
 */
import { eventLogSource } from '../../../detect/sigma/event.js';
import type { EventLogSource, FieldValue } from '../../../detect/sigma/types.js';
import { type EcsBuilder, FieldEvent, setEcs } from '../field-event.js';
import { registerJsonDecoder } from '../json.js';
import { normalizeTimestamp } from '../time.js';
import { DEFAULT_DECODE_OPTIONS, type DecodedEvent, type EcsDocument } from '../types.js';

type Json = { [key: string]: unknown };
type Aliases = Readonly<Record<string, readonly string[]>>;

interface TypeRouting {
  readonly services: readonly string[];
  readonly categories: readonly string[];
  readonly aliases?: Aliases;
}

const FLOW_ROUTING: TypeRouting = {
  services: ['netflow'],
  categories: [],
  aliases: {
    'source.ip': ['src_ip'],
    'source.port': ['src_port'],
    'destination.ip': ['dest_ip'],
    'destination.port': ['dest_port'],
    'network.transport': ['proto'],
  },
};

/** event_type → extra services, categories and Sigma aliases (Sigma field → EVE fields). */
const TYPE_ROUTING: ReadonlyMap<string, TypeRouting> = new Map<string, TypeRouting>([
  [
    'dns',
    {
      services: [],
      categories: ['dns'],
      aliases: {
        query: ['dns.rrname', 'dns.queries.rrname'],
        record_type: ['dns.rrtype', 'dns.queries.rrtype'],
        answer: ['dns.rdata', 'dns.answers.rdata'],
      },
    },
  ],
  [
    'http',
    {
      services: [],
      categories: ['proxy'],
      aliases: {
        'c-uri': ['http.url'],
        'c-useragent': ['http.http_user_agent'],
        'cs-host': ['http.hostname'],
        'cs-method': ['http.http_method'],
        'sc-status': ['http.status'],
        'cs-referrer': ['http.http_refer'],
        'cs-version': ['http.protocol'],
        'sc-bytes': ['http.length'],
        dst_ip: ['dest_ip'],
      },
    },
  ],
  ['flow', FLOW_ROUTING],
  ['netflow', FLOW_ROUTING],
]);

/** ECS field ← EVE field (flattened name), for every record that has it. */
const ECS_FROM_EVE: readonly (readonly [string, string])[] = [
  ['source.ip', 'src_ip'],
  ['source.port', 'src_port'],
  ['destination.ip', 'dest_ip'],
  ['destination.port', 'dest_port'],
  ['network.community_id', 'community_id'],
  ['host.name', 'host'],
  ['observer.ingress.interface.name', 'in_iface'],
  ['event.severity', 'alert.severity'],
  ['rule.name', 'alert.signature'],
  ['rule.category', 'alert.category'],
  ['dns.id', 'dns.id'],
  ['dns.response_code', 'dns.rcode'],
  ['http.request.method', 'http.http_method'],
  ['url.original', 'http.url'],
  ['url.domain', 'http.hostname'],
  ['user_agent.original', 'http.http_user_agent'],
  ['http.request.referrer', 'http.http_refer'],
  ['http.response.status_code', 'http.status'],
  ['http.response.body.bytes', 'http.length'],
  ['http.response.mime_type', 'http.http_content_type'],
  ['tls.client.server_name', 'tls.sni'],
  ['tls.server.subject', 'tls.subject'],
  ['tls.server.issuer', 'tls.issuerdn'],
  ['tls.client.ja3', 'tls.ja3.hash'],
  ['tls.server.ja3s', 'tls.ja3s.hash'],
  ['file.name', 'fileinfo.filename'],
  ['file.size', 'fileinfo.size'],
  ['file.hash.md5', 'fileinfo.md5'],
  ['file.hash.sha1', 'fileinfo.sha1'],
  ['file.hash.sha256', 'fileinfo.sha256'],
  ['source.bytes', 'flow.bytes_toserver'],
  ['destination.bytes', 'flow.bytes_toclient'],
  ['source.packets', 'flow.pkts_toserver'],
  ['destination.packets', 'flow.pkts_toclient'],
  ['source.bytes', 'netflow.bytes'],
  ['source.packets', 'netflow.pkts'],
];

/** ECS date field ← EVE time field. */
const DATES_FROM_EVE: readonly (readonly [string, string])[] = [
  ['event.start', 'flow.start'],
  ['event.end', 'flow.end'],
  ['event.start', 'netflow.start'],
  ['event.end', 'netflow.end'],
];

/** event_type → ECS `event.type`. */
const EVENT_TYPES: ReadonlyMap<string, readonly string[]> = new Map([
  ['flow', ['connection']],
  ['netflow', ['connection']],
  ['dns', ['protocol']],
  ['http', ['protocol']],
  ['tls', ['protocol']],
  ['smb', ['protocol']],
  ['ssh', ['protocol']],
  ['fileinfo', ['info']],
]);

/** Suricata `dns.type` → ECS `dns.type`. */
const DNS_TYPES: ReadonlyMap<string, string> = new Map([
  ['query', 'query'],
  ['request', 'query'],
  ['answer', 'answer'],
  ['response', 'answer'],
]);

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function flatten(obj: Json, prefix: string, out: Record<string, FieldValue>): void {
  for (const key in obj) {
    if (!Object.hasOwn(obj, key) || key === '__proto__') continue;
    const v = obj[key];
    const name = prefix === '' ? key : `${prefix}.${key}`;
    if (isObject(v)) flatten(v, name, out);
    else if (Array.isArray(v) && v.length > 0 && v.every(isObject)) flattenObjects(v, name, out);
    else out[name] = v as FieldValue;
  }
}

/** `[{rrname: a}, {rrname: b}]` under `dns.answers` → `dns.answers.rrname: [a, b]`. */
function flattenObjects(list: readonly Json[], name: string, out: Record<string, FieldValue>): void {
  const lists: Record<string, FieldValue[]> = {};
  for (const item of list) {
    const one: Record<string, FieldValue> = {};
    flatten(item, name, one);
    for (const key in one) {
      const v = one[key];
      let target = lists[key];
      if (target === undefined) {
        target = [];
        lists[key] = target;
      }
      if (Array.isArray(v)) target.push(...(v as FieldValue[]));
      else target.push(v as FieldValue);
    }
  }
  for (const key in lists) out[key] = lists[key]!;
}

const routingCache = new Map<string, { logsource: EventLogSource; aliases: Aliases | undefined }>();
const ROUTING_CACHE_LIMIT = 1000;

function routing(eventType: string): { logsource: EventLogSource; aliases: Aliases | undefined } {
  let r = routingCache.get(eventType);
  if (r) return r;
  const extra = TYPE_ROUTING.get(eventType);
  r = {
    logsource: eventLogSource('suricata', [eventType, ...(extra?.services ?? [])], extra?.categories ?? []),
    aliases: extra?.aliases,
  };
  if (routingCache.size < ROUTING_CACHE_LIMIT) routingCache.set(eventType, r);
  return r;
}

function text(v: FieldValue | undefined): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

function first(v: FieldValue | undefined): FieldValue | undefined {
  return Array.isArray(v) ? (v as FieldValue[])[0] : v;
}

/** ECS `dns.answers` objects from EVE v1 (one answer per record) or v2/v3 (`dns.answers`). */
function dnsAnswers(obj: unknown): EcsDocument[] | undefined {
  if (!isObject(obj)) return undefined;
  const dns = obj.dns;
  if (!isObject(dns)) return undefined;
  const toAnswer = (a: Json): EcsDocument => ({ name: a.rrname, type: a.rrtype, data: a.rdata, ttl: a.ttl });
  if (Array.isArray(dns.answers)) return dns.answers.filter(isObject).map(toAnswer);
  return dns.rdata === undefined ? undefined : [toAnswer(dns)];
}

const suricataEcs: EcsBuilder = (e) => {
  const f = e.fields;
  const doc: EcsDocument = {};
  const eventType = text(f.event_type) ?? '';
  setEcs(doc, '@timestamp', normalizeTimestamp(f.timestamp, DEFAULT_DECODE_OPTIONS));
  const alert = eventType === 'alert';
  setEcs(doc, 'event.kind', alert ? 'alert' : eventType === 'stats' ? 'metric' : 'event');
  setEcs(doc, 'event.module', 'suricata');
  setEcs(doc, 'event.dataset', 'suricata.eve');
  if (eventType !== 'stats')
    setEcs(doc, 'event.category', alert ? ['network', 'intrusion_detection'] : ['network']);
  const action = text(f['alert.action']);
  const type = alert
    ? action === undefined
      ? undefined
      : [action === 'blocked' ? 'denied' : 'allowed']
    : EVENT_TYPES.get(eventType);
  if (type) setEcs(doc, 'event.type', [...type]);
  for (const [ecs, eve] of ECS_FROM_EVE) setEcs(doc, ecs, f[eve]);
  for (const [ecs, eve] of DATES_FROM_EVE)
    setEcs(doc, ecs, normalizeTimestamp(f[eve], DEFAULT_DECODE_OPTIONS));
  const sid = f['alert.signature_id'];
  if (typeof sid === 'number' || typeof sid === 'string') setEcs(doc, 'rule.id', String(sid));
  setEcs(doc, 'network.transport', text(f.proto)?.toLowerCase());
  setEcs(doc, 'network.protocol', text(f.app_proto)?.toLowerCase());
  setEcs(doc, 'dns.question.name', first(f['dns.rrname'] ?? f['dns.queries.rrname']));
  setEcs(doc, 'dns.question.type', first(f['dns.rrtype'] ?? f['dns.queries.rrtype']));
  const dnsType = text(f['dns.type']);
  setEcs(doc, 'dns.type', dnsType === undefined ? undefined : DNS_TYPES.get(dnsType));
  setEcs(doc, 'dns.answers', dnsAnswers(e.original));
  const version = text(f['http.protocol']);
  setEcs(doc, 'http.version', version?.startsWith('HTTP/') ? version.slice(5) : version);
  const tlsVersion = text(f['tls.version']);
  if (tlsVersion?.startsWith('TLS ')) {
    setEcs(doc, 'tls.version_protocol', 'tls');
    setEcs(doc, 'tls.version', tlsVersion.slice(4));
  }
  return doc;
};

/**
 * Decodes a Suricata EVE record.
 * @returns a `suricata-eve` event, or `undefined` when the object is not an EVE record
 */
export function decodeSuricataEve(obj: Json): DecodedEvent | undefined {
  const eventType = obj.event_type;
  if (typeof eventType !== 'string') return undefined;
  if (!('src_ip' in obj) && !('flow_id' in obj) && !(eventType === 'stats' && isObject(obj.stats)))
    return undefined;
  const fields: Record<string, FieldValue> = {};
  flatten(obj, '', fields);
  const r = routing(eventType);
  return new FieldEvent('suricata-eve', fields, r.logsource, obj, suricataEcs, r.aliases);
}

registerJsonDecoder(decodeSuricataEve);
