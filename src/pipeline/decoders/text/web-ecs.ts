/**
 * ECS projection of web server events (access logs and W3C/IIS logs), from their Sigma
 * webserver-taxonomy fields. Field correspondences follow ECS 8 (`http.*`, `url.*`,
 * `user_agent.original`) and Filebeat's `apache`/`nginx`/`iis` modules (`iis.access.*`).
 */
import ipaddr from 'ipaddr.js';
import type { FieldValue } from '../../../detect/sigma/types.js';
import { type EcsBuilder, setEcs } from '../field-event.js';
import { normalizeTimestamp } from '../time.js';
import { DEFAULT_DECODE_OPTIONS, type EcsDocument } from '../types.js';

/** ECS field ← Sigma webserver field, copied as is. */
const WEB_ECS_FIELDS: readonly (readonly [string, string])[] = [
  ['user.name', 'cs-username'],
  ['http.request.method', 'cs-method'],
  ['url.path', 'cs-uri-stem'],
  ['url.query', 'cs-uri-query'],
  ['http.response.status_code', 'sc-status'],
  ['http.request.bytes', 'cs-bytes'],
  ['http.request.referrer', 'cs-referer'],
  ['user_agent.original', 'cs-user-agent'],
  ['url.domain', 'cs-host'],
  ['destination.ip', 's-ip'],
  ['destination.port', 's-port'],
  ['source.port', 'c-port'],
  ['host.name', 's-computername'],
  ['iis.access.site_name', 's-sitename'],
  ['iis.access.sub_status', 'sc-substatus'],
  ['iis.access.win32_status', 'sc-win32-status'],
];

/** True for an IPv4 dotted quad or an IPv6 address (a client host name is neither). */
export function isIpAddress(s: string): boolean {
  return ipaddr.IPv4.isValidFourPartDecimal(s) || ipaddr.IPv6.isValid(s);
}

function text(v: FieldValue | undefined): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/**
 * Builds the ECS document of a web event. `sc-bytes` is the body size (`%b`) in access logs and
 * the whole response (headers included) in IIS logs, hence `http.response.body.bytes` for the
 * former and `http.response.bytes` for the latter; `time-taken` (ms) becomes `event.duration` (ns).
 */
export const webEcs: EcsBuilder = (e) => {
  const f = e.fields;
  const doc: EcsDocument = {};
  const date = text(f.date);
  const time = text(f.time);
  if (date !== undefined && time !== undefined) {
    setEcs(doc, '@timestamp', normalizeTimestamp(`${date}T${time}Z`, DEFAULT_DECODE_OPTIONS));
  }
  setEcs(doc, 'event.kind', 'event');
  setEcs(doc, 'event.category', ['web']);
  setEcs(doc, 'event.type', ['access']);
  const client = text(f['c-ip']);
  if (client !== undefined) {
    setEcs(doc, 'source.address', client);
    setEcs(doc, isIpAddress(client) ? 'source.ip' : 'source.domain', client);
  }
  for (const [ecs, sigma] of WEB_ECS_FIELDS) setEcs(doc, ecs, f[sigma]);
  const stem = text(f['cs-uri-stem']);
  const query = text(f['cs-uri-query']);
  setEcs(
    doc,
    'url.original',
    text(f['cs-uri']) ?? (stem === undefined ? undefined : query ? `${stem}?${query}` : stem),
  );
  const version = text(f['cs-version']);
  setEcs(doc, 'http.version', version?.startsWith('HTTP/') ? version.slice(5) : version);
  setEcs(doc, e.decoder === 'web-w3c' ? 'http.response.bytes' : 'http.response.body.bytes', f['sc-bytes']);
  const taken = f['time-taken'];
  if (typeof taken === 'number') setEcs(doc, 'event.duration', taken * 1_000_000);
  const status = f['sc-status'];
  if (typeof status === 'number') setEcs(doc, 'event.outcome', status < 400 ? 'success' : 'failure');
  return doc;
};
