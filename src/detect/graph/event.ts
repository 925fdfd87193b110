/**
 * {@link GraphEvent} from a nested ECS document (a stored event's `ecs`): the fields the graph
 * reads, type-checked. Pure.
 */
import type { GraphEvent } from './types.js';

type Doc = Readonly<Record<string, unknown>>;

function get(doc: Doc, path: string): unknown {
  let node: unknown = doc;
  for (const k of path.split('.')) {
    if (typeof node !== 'object' || node === null || Array.isArray(node)) return undefined;
    node = (node as Doc)[k];
  }
  return node;
}

/** A non-empty string (numbers are printed); undefined otherwise. */
export function text(v: unknown): string | undefined {
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/** An integer from a number or a decimal string; undefined otherwise. */
export function integer(v: unknown): number | undefined {
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\s*\d+\s*$/.test(v) ? Number(v) : NaN;
  return Number.isInteger(n) ? n : undefined;
}

/** Strings of a string or an array (ECS keyword fields may hold either). */
export function texts(v: unknown): string[] | undefined {
  if (Array.isArray(v)) {
    const out = v.map(text).filter((x): x is string => x !== undefined);
    return out.length > 0 ? out : undefined;
  }
  const t = text(v);
  return t === undefined ? undefined : [t];
}

/**
 * @param id - the stored event's id
 * @param time - `@timestamp`, epoch ms
 * @param ecs - the ECS document; Windows fields outside ECS under `winlog.event_data`
 */
export function graphEventFromEcs(id: number, time: number, ecs: Doc): GraphEvent {
  const data = (name: string): unknown => get(ecs, `winlog.event_data.${name}`);
  return {
    id,
    time,
    'event.code': text(get(ecs, 'event.code')),
    'event.provider': text(get(ecs, 'event.provider')),
    'event.category': texts(get(ecs, 'event.category')),
    'event.outcome': text(get(ecs, 'event.outcome')),
    'event.action': text(get(ecs, 'event.action')),
    'winlog.channel': text(get(ecs, 'winlog.channel')),
    'host.name': text(get(ecs, 'host.name')),
    'host.ip': texts(get(ecs, 'host.ip')),
    'user.name': text(get(ecs, 'user.name')),
    'source.ip': text(get(ecs, 'source.ip')),
    'source.domain': text(get(ecs, 'source.domain')),
    'destination.ip': text(get(ecs, 'destination.ip')),
    'destination.port': integer(get(ecs, 'destination.port')),
    'network.transport': text(get(ecs, 'network.transport')),
    'service.name': text(get(ecs, 'service.name')),
    'process.executable': text(get(ecs, 'process.executable')),
    'process.parent.executable': text(get(ecs, 'process.parent.executable')),
    'winlog.event_data.LogonType': integer(data('LogonType')),
    'winlog.event_data.WorkstationName': text(data('WorkstationName')),
    'winlog.event_data.TargetServerName': text(data('TargetServerName')),
    'winlog.event_data.Direction': text(data('Direction')),
  };
}
