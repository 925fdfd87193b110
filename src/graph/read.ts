/**
 * Reads the events the attack-path graph needs from the event store: one bounded, parameterized
 * query over a time window that selects only the ECS fields the graph reads (jsonb paths), never
 * whole documents.
 *
 * The Windows decoders keep `LogonType`, `WorkstationName`, `TargetServerName` and `Direction`
 * outside ECS; for Security 4624, 4648 and 5156 events they are read from the stored original
 * record (any of the evtx-JSON, flat and Winlogbeat shapes names them the same), unless the ECS
 * document carries them under `winlog.event_data`.
 */
import { type Kysely, type RawBuilder, sql, type SqlBool } from 'kysely';
import { integer, text, texts } from '../detect/graph/event.js';
import type { GraphEvent } from '../detect/graph/types.js';
import type { DatabaseSchema } from '../store/schema.js';

/** Default cap on the events one graph is built from. */
export const DEFAULT_MAX_EVENTS = 200_000;

export interface ReadResult {
  /** Newest first is how they were read; the order does not matter to the builder. */
  readonly events: GraphEvent[];
  /** More events matched than `maxEvents`: the oldest were left out. */
  readonly truncated: boolean;
  /** When truncated: the time of the oldest event kept, epoch ms (the graph covers from there). */
  readonly oldest: number | undefined;
}

/** `ecs #>> '{a,b}'` for a constant dotted path. */
function textAt(path: string): RawBuilder<string | null> {
  return sql<string | null>`ecs #>> ${sql.lit(`{${path.replace(/\./g, ',')}}`)}`;
}

/** `ecs #> '{a,b}'` (jsonb, parsed by the driver) for a constant dotted path. */
function jsonAt(path: string): RawBuilder<unknown> {
  return sql<unknown>`ecs #> ${sql.lit(`{${path.replace(/\./g, ',')}}`)}`;
}

const TEXT_FIELDS = [
  'event.code',
  'event.provider',
  'event.outcome',
  'event.action',
  'winlog.channel',
  'host.name',
  'user.name',
  'source.ip',
  'source.domain',
  'destination.ip',
  'destination.port',
  'network.transport',
  'service.name',
  'process.executable',
  'process.parent.executable',
] as const;

/** Windows EventData names read from the original (where the ECS document has no copy). */
const WINDOWS_DATA = ['LogonType', 'WorkstationName', 'TargetServerName', 'Direction'] as const;

/** `"Name": "value"` or `"Name": 3` in a JSON text: the first capture is the value. */
function dataPattern(name: string): string {
  return name === 'LogonType' ? `"${name}"\\s*:\\s*"?(\\d+)` : `"${name}"\\s*:\\s*"([^"\\\\]*)"`;
}

/**
 * Events of `[from, to)` that can add to the graph: with `source.ip` or `destination.ip`, an
 * authentication category, Windows logon (4624, 4648) or service-install (7045) codes, or a
 * process started by WmiPrvSE.exe. The newest `maxEvents` are kept.
 */
export async function readGraphEvents(
  db: Kysely<DatabaseSchema>,
  window: { readonly from: Date; readonly to: Date },
  maxEvents: number,
): Promise<ReadResult> {
  const code = textAt('event.code');
  const windowsData = (name: (typeof WINDOWS_DATA)[number]) =>
    sql<
      string | null
    >`COALESCE(${textAt(`winlog.event_data.${name}`)}, CASE WHEN decoder LIKE 'windows-%' AND ${code} IN ('4624', '4648', '5156') THEN substring(original from ${dataPattern(
      name,
    )}) END)`.as(`w_${name}`);
  const rows: readonly Record<string, unknown>[] = await db
    .selectFrom('events')
    .select([
      'id',
      'timestamp',
      ...TEXT_FIELDS.map((f) => textAt(f).as(f)),
      jsonAt('event.category').as('event.category'),
      jsonAt('host.ip').as('host.ip'),
      ...WINDOWS_DATA.map(windowsData),
    ])
    .where('timestamp', '>=', window.from)
    .where('timestamp', '<', window.to)
    .where(
      sql<SqlBool>`(${textAt('source.ip')} IS NOT NULL OR ${textAt('destination.ip')} IS NOT NULL
        OR ${code} IN ('4624', '4648', '7045')
        OR ecs @> ${JSON.stringify({ event: { category: ['authentication'] } })}::jsonb
        OR ecs @> ${JSON.stringify({ event: { category: 'authentication' } })}::jsonb
        OR lower(${textAt('process.parent.executable')}) LIKE '%wmiprvse.exe')`,
    )
    .orderBy('timestamp', 'desc')
    .orderBy('id', 'desc')
    .limit(maxEvents + 1)
    .execute();
  const truncated = rows.length > maxEvents;
  const kept = truncated ? rows.slice(0, maxEvents) : rows;
  const events = kept.map(toGraphEvent);
  const last = events[events.length - 1];
  return { events, truncated, oldest: truncated && last ? last.time : undefined };
}

function toGraphEvent(row: Readonly<Record<string, unknown>>): GraphEvent {
  const time = row.timestamp instanceof Date ? row.timestamp.getTime() : Date.parse(String(row.timestamp));
  const t = (f: (typeof TEXT_FIELDS)[number]): string | undefined => text(row[f]);
  return {
    id: Number(row.id),
    time,
    'event.code': t('event.code'),
    'event.provider': t('event.provider'),
    'event.category': texts(row['event.category']),
    'event.outcome': t('event.outcome'),
    'event.action': t('event.action'),
    'winlog.channel': t('winlog.channel'),
    'host.name': t('host.name'),
    'host.ip': texts(row['host.ip']),
    'user.name': t('user.name'),
    'source.ip': t('source.ip'),
    'source.domain': t('source.domain'),
    'destination.ip': t('destination.ip'),
    'destination.port': integer(row['destination.port']),
    'network.transport': t('network.transport'),
    'service.name': t('service.name'),
    'process.executable': t('process.executable'),
    'process.parent.executable': t('process.parent.executable'),
    'winlog.event_data.LogonType': integer(row.w_LogonType),
    'winlog.event_data.WorkstationName': text(row.w_WorkstationName),
    'winlog.event_data.TargetServerName': text(row.w_TargetServerName),
    'winlog.event_data.Direction': text(row.w_Direction),
  };
}
