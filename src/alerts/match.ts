/**
 * Builds the alert record of a rule match on a stored event: the engine's ECS detection record
 * (as `vigil scan` prints it) with the stored event's id in place of a file position.
 */
import type { ActiveRule, Detector } from '../detect/sigma/detector.js';
import { MAX_ENTITY_CHARS } from '../detect/ueba/entities.js';
import type { DecodedEvent } from '../pipeline/decoders/types.js';
import { ruleKey } from '../rules/service.js';
import { DEFAULT_LEVEL, detectionRecord } from '../scan/detection.js';
import type { AlertMatch } from '../store/alerts.js';
import type { NewEvent } from '../store/events.js';

/**
 * An entity value as alerts keep it: a non-empty string cut to `MAX_ENTITY_CHARS` (entity values
 * are index keys — `alerts_open`, risk, incidents — and PostgreSQL refuses an index row over
 * ~2.7 KB, which would fail every detection batch holding a hostile 8 KB host or user name).
 */
function text(v: unknown): string | null {
  if (typeof v !== 'string' || v === '') return null;
  return v.length > MAX_ENTITY_CHARS ? v.slice(0, MAX_ENTITY_CHARS) : v;
}

/** The alert entities (`host.name`, `user.name`, `source.ip`) of an event's ECS document. */
export function alertEntities(ecs: Record<string, unknown>): {
  host: string | null;
  user: string | null;
  sourceIp: string | null;
} {
  return {
    host: text(at(ecs, 'host.name')),
    user: text(at(ecs, 'user.name')),
    sourceIp: text(at(ecs, 'source.ip')),
  };
}

function at(doc: Record<string, unknown>, path: string): unknown {
  let node: unknown = doc;
  for (const k of path.split('.')) {
    if (typeof node !== 'object' || node === null) return undefined;
    node = (node as Record<string, unknown>)[k];
  }
  return node;
}

/**
 * @param id - the stored event's id
 * @param row - the stored row (its ECS projection and original are the evidence)
 */
export function alertMatch(
  detector: Detector,
  rule: ActiveRule,
  event: DecodedEvent,
  id: number,
  row: NewEvent,
): AlertMatch {
  const explanation = detector.explain(event, rule);
  const record = detectionRecord(rule, event, explanation, { path: '', line: 0, index: id }, false);
  const { log: _log, ...rest } = record;
  const ecs = row.ecs;
  const document: Record<string, unknown> = {
    ...rest,
    '@timestamp': row.timestamp,
    vigil: { ...record.vigil, event_id: id, source: row.source, line: undefined, event_index: undefined },
  };
  const t = rule.threat;
  return {
    ruleId: ruleKey(rule.rule),
    ruleTitle: rule.rule.title,
    level: rule.rule.level ?? DEFAULT_LEVEL,
    techniques: [...t.techniques, ...t.subtechniques].map((x) => x.id),
    tactics: t.tactics.map((x) => x.id),
    ...alertEntities(ecs),
    document,
    evidence: { id, timestamp: row.timestamp, ecs: { ...ecs }, original: row.original },
  };
}
