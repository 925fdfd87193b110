/**
 * Zeek events, shared by the TSV (`text/zeek-tsv.ts`) and JSON (`zeek-json.ts`) decoders: the
 * logsource routing of a log path, the Sigma aliases, and the ECS projection.
 *
 * Fields keep Zeek's names exactly (`id.orig_h`, `query`, `qtype_name`, `answers`, …): SigmaHQ's
 * `rules/network/zeek` rules use them. Logsource: `product: zeek`, `service: <path>` (taxonomy
 * appendix, "Zeek"), plus, so that generic rules apply where the semantics match:
 * - `dns` also has `category: dns` (SigmaHQ `rules/network/dns`: `query`, `record_type`, `answer`);
 * - `http` also has `category: proxy` (a network-observed HTTP request has the proxy fields:
 *   `c-uri`, `c-useragent`, `cs-host`, `cs-method`, `sc-status`, …);
 * - `conn` also has `service: netflow` (SigmaHQ's netflow rules read ECS `destination.port`…).
 * Those categories read Zeek fields through aliases, so `fields` stays Zeek's.
 *
 * ECS names follow Elastic's Zeek integration (`zeek.session_id`, `dns.question.name`,
 * `url.domain`, …; elasticsearch `libs/grok/.../ecs-v1/zeek`).
 */
import { eventLogSource } from '../../../detect/sigma/event.js';
import type { EventLogSource, FieldValue } from '../../../detect/sigma/types.js';
import { type EcsBuilder, FieldEvent, setEcs } from '../field-event.js';
import { normalizeTimestamp } from '../time.js';
import { DEFAULT_DECODE_OPTIONS, type EcsDocument } from '../types.js';

type Aliases = Readonly<Record<string, readonly string[]>>;

interface PathRouting {
  readonly services: readonly string[];
  readonly categories: readonly string[];
  readonly aliases?: Aliases;
}

/** Zeek log path → extra services, categories and Sigma aliases (Sigma field → Zeek fields). */
const PATH_ROUTING: ReadonlyMap<string, PathRouting> = new Map<string, PathRouting>([
  [
    'dns',
    {
      services: [],
      categories: ['dns'],
      aliases: { record_type: ['qtype_name'], answer: ['answers'] },
    },
  ],
  [
    'http',
    {
      services: [],
      categories: ['proxy'],
      aliases: {
        'c-uri': ['uri'],
        'c-useragent': ['user_agent'],
        'cs-host': ['host'],
        'cs-method': ['method'],
        'sc-status': ['status_code'],
        'cs-referrer': ['referrer'],
        'cs-version': ['version'],
        'cs-bytes': ['request_body_len'],
        'sc-bytes': ['response_body_len'],
        src_ip: ['id.orig_h'],
        dst_ip: ['id.resp_h'],
      },
    },
  ],
  [
    'conn',
    {
      services: ['netflow'],
      categories: [],
      aliases: {
        'source.ip': ['id.orig_h'],
        'source.port': ['id.orig_p'],
        'destination.ip': ['id.resp_h'],
        'destination.port': ['id.resp_p'],
        'network.transport': ['proto'],
      },
    },
  ],
]);

/** ECS field ← Zeek field, for every path. */
const COMMON_ECS: readonly (readonly [string, string])[] = [
  ['source.ip', 'id.orig_h'],
  ['source.port', 'id.orig_p'],
  ['destination.ip', 'id.resp_h'],
  ['destination.port', 'id.resp_p'],
  ['network.transport', 'proto'],
  ['zeek.session_id', 'uid'],
];

/** ECS field ← Zeek field, per path. */
const PATH_ECS: ReadonlyMap<string, readonly (readonly [string, string])[]> = new Map([
  [
    'dns',
    [
      ['dns.id', 'trans_id'],
      ['dns.question.name', 'query'],
      ['dns.question.type', 'qtype_name'],
      ['dns.question.class', 'qclass_name'],
      ['dns.response_code', 'rcode_name'],
    ],
  ],
  [
    'http',
    [
      ['http.request.method', 'method'],
      ['url.original', 'uri'],
      ['url.domain', 'host'],
      ['url.username', 'username'],
      ['user_agent.original', 'user_agent'],
      ['http.request.referrer', 'referrer'],
      ['http.version', 'version'],
      ['http.request.body.bytes', 'request_body_len'],
      ['http.response.body.bytes', 'response_body_len'],
      ['http.response.status_code', 'status_code'],
    ],
  ],
  [
    'conn',
    [
      ['network.protocol', 'service'],
      ['source.bytes', 'orig_bytes'],
      ['destination.bytes', 'resp_bytes'],
      ['source.packets', 'orig_pkts'],
      ['destination.packets', 'resp_pkts'],
    ],
  ],
  [
    'ssl',
    [
      ['tls.version', 'version'],
      ['tls.cipher', 'cipher'],
      ['tls.curve', 'curve'],
      ['tls.client.server_name', 'server_name'],
      ['tls.established', 'established'],
      ['tls.resumed', 'resumed'],
    ],
  ],
  [
    'x509',
    [
      ['x509.version_number', 'certificate.version'],
      ['x509.serial_number', 'certificate.serial'],
      ['x509.subject.distinguished_name', 'certificate.subject'],
      ['x509.issuer.distinguished_name', 'certificate.issuer'],
      ['x509.public_key_algorithm', 'certificate.key_alg'],
      ['x509.signature_algorithm', 'certificate.sig_alg'],
      ['x509.public_key_size', 'certificate.key_length'],
      ['x509.alternative_names', 'san.dns'],
    ],
  ],
  [
    'smb_files',
    [
      ['file.path', 'path'],
      ['file.name', 'name'],
      ['file.size', 'size'],
      ['event.action', 'action'],
    ],
  ],
  [
    'files',
    [
      ['file.mime_type', 'mime_type'],
      ['file.size', 'total_bytes'],
      ['file.hash.md5', 'md5'],
      ['file.hash.sha1', 'sha1'],
      ['file.hash.sha256', 'sha256'],
    ],
  ],
  [
    'notice',
    [
      ['rule.name', 'note'],
      ['message', 'msg'],
    ],
  ],
]);

/** Time-typed Zeek fields of some paths (epoch seconds) → ECS date fields. */
const PATH_DATES: ReadonlyMap<string, readonly (readonly [string, string])[]> = new Map([
  [
    'x509',
    [
      ['x509.not_before', 'certificate.not_valid_before'],
      ['x509.not_after', 'certificate.not_valid_after'],
    ],
  ],
]);

const routingCache = new Map<string, { logsource: EventLogSource; aliases: Aliases | undefined }>();
const ROUTING_CACHE_LIMIT = 1000;

function routing(path: string): { logsource: EventLogSource; aliases: Aliases | undefined } {
  let r = routingCache.get(path);
  if (r) return r;
  const extra = PATH_ROUTING.get(path);
  const services = path === '' ? [] : [path, ...(extra?.services ?? [])];
  r = { logsource: eventLogSource('zeek', services, extra?.categories ?? []), aliases: extra?.aliases };
  if (routingCache.size < ROUTING_CACHE_LIMIT) routingCache.set(path, r);
  return r;
}

function epochIso(v: FieldValue | undefined): string | undefined {
  return typeof v === 'number' ? normalizeTimestamp(v, DEFAULT_DECODE_OPTIONS) : undefined;
}

/** The log path of an event: its first service (`''` when unknown). */
function pathOf(e: FieldEvent): string {
  return e.logsource.services[0] ?? '';
}

const zeekEcs: EcsBuilder = (e) => {
  const f = e.fields;
  const path = pathOf(e);
  const doc: EcsDocument = {};
  setEcs(doc, '@timestamp', epochIso(f.ts));
  setEcs(doc, 'event.kind', 'event');
  setEcs(doc, 'event.module', 'zeek');
  if (path !== '') setEcs(doc, 'event.dataset', `zeek.${path}`);
  const original = e.original;
  if (typeof original === 'object' && original !== null && '_write_ts' in original) {
    setEcs(doc, 'event.created', normalizeTimestamp(original._write_ts, DEFAULT_DECODE_OPTIONS));
  }
  for (const [ecs, zeek] of COMMON_ECS) setEcs(doc, ecs, f[zeek]);
  for (const [ecs, zeek] of PATH_ECS.get(path) ?? []) setEcs(doc, ecs, f[zeek]);
  for (const [ecs, zeek] of PATH_DATES.get(path) ?? []) setEcs(doc, ecs, epochIso(f[zeek]));
  const duration = f.duration;
  if (typeof duration === 'number') setEcs(doc, 'event.duration', Math.round(duration * 1e9));
  if (path === 'dns' && Array.isArray(f.answers)) {
    setEcs(
      doc,
      'dns.answers',
      f.answers.map((data: FieldValue) => ({ data })),
    );
  }
  return doc;
};

/**
 * Builds a Zeek event.
 * @param decoder - `zeek-tsv` or `zeek-json`
 * @param path - the log path (`dns`, `conn`, …), `''` when unknown
 * @param text - the raw line, for keyword searches (TSV only; JSON values are the fields)
 */
export function zeekEvent(
  decoder: string,
  fields: Record<string, FieldValue>,
  path: string,
  original: unknown,
  text?: string,
): FieldEvent {
  const r = routing(path);
  return new FieldEvent(decoder, fields, r.logsource, original, zeekEcs, r.aliases, text);
}
