/**
 * Builds the ECS detection record of a rule match: the rule (`rule.*`), its ATT&CK mapping
 * (`threat.*`), the event's ECS projection (host, user, source, process, …), where it was found
 * (`log.file.path`, line, event index) and why it matched (`vigil.match`).
 */
import type { ThreatInfo } from '../detect/attack/threat.js';
import type { ActiveRule, Explanation } from '../detect/sigma/detector.js';
import { SIGMA_LEVELS, type SigmaLevel } from '../detect/sigma/types.js';
import type { DecodedEvent } from '../pipeline/decoders/types.js';
import type { DetectionRecord } from './types.js';

/** ECS `event.severity` per Sigma level (0–100, as Elastic Security scores rule severities). */
export const LEVEL_SEVERITY: Readonly<Record<SigmaLevel, number>> = {
  informational: 10,
  low: 21,
  medium: 47,
  high: 73,
  critical: 99,
};

/** Numeric rank of a level (informational 0 … critical 4). */
export function levelRank(level: SigmaLevel): number {
  return SIGMA_LEVELS.indexOf(level);
}

/** The level a rule without `level` reports at. */
export const DEFAULT_LEVEL: SigmaLevel = 'medium';

/** ECS `threat.*` of a rule's ATT&CK mapping; undefined when it has none. */
export function threatEcs(t: ThreatInfo): Record<string, unknown> | undefined {
  if (t.tactics.length === 0 && t.techniques.length === 0) return undefined;
  const list = <K extends 'id' | 'name' | 'reference'>(refs: ThreatInfo['tactics'], key: K) =>
    refs.map((r) => r[key]);
  const out: Record<string, unknown> = { framework: t.framework };
  if (t.tactics.length > 0) {
    out.tactic = {
      id: list(t.tactics, 'id'),
      name: list(t.tactics, 'name'),
      reference: list(t.tactics, 'reference'),
    };
  }
  if (t.techniques.length > 0) {
    const technique: Record<string, unknown> = {
      id: list(t.techniques, 'id'),
      name: list(t.techniques, 'name'),
      reference: list(t.techniques, 'reference'),
    };
    if (t.subtechniques.length > 0) {
      technique.subtechnique = {
        id: list(t.subtechniques, 'id'),
        name: list(t.subtechniques, 'name'),
        reference: list(t.subtechniques, 'reference'),
      };
    }
    out.technique = technique;
  }
  return out;
}

/**
 * @param rule - the matching rule
 * @param event - the decoded event
 * @param explanation - from `detector.explain`
 * @param where - file path, 1-based line (0 for binary input), event index, byte offset (binary input)
 * @param includeOriginal - copy the raw record into `event.original`
 */
export function detectionRecord(
  rule: ActiveRule,
  event: DecodedEvent,
  explanation: Explanation,
  where: { path: string; line: number; index: number; offset?: number | undefined },
  includeOriginal: boolean,
): DetectionRecord {
  const ecs = event.ecs();
  const level = rule.rule.level ?? DEFAULT_LEVEL;
  const ecsEvent =
    typeof ecs.event === 'object' && ecs.event !== null ? (ecs.event as Record<string, unknown>) : {};
  const r = rule.rule;
  const record: DetectionRecord = {
    ...ecs,
    '@timestamp': typeof ecs['@timestamp'] === 'string' ? ecs['@timestamp'] : undefined,
    event: {
      ...ecsEvent,
      kind: 'alert',
      severity: LEVEL_SEVERITY[level],
      ...(includeOriginal
        ? { original: typeof event.original === 'string' ? event.original : JSON.stringify(event.original) }
        : {}),
    },
    rule: {
      id: r.id,
      name: r.title,
      level,
      status: r.status,
      description: r.description,
      author: r.author,
      reference: r.references.length > 0 ? r.references : undefined,
      tags: r.tags,
      ruleset: 'sigma',
    },
    threat: threatEcs(rule.threat),
    log:
      where.offset === undefined
        ? { file: { path: where.path } }
        : { file: { path: where.path }, offset: where.offset },
    vigil: {
      line: where.line,
      event_index: where.index,
      decoder: event.decoder,
      logsource: {
        product: event.logsource.product,
        services: event.logsource.services,
        categories: event.logsource.categories,
      },
      match: {
        selections: explanation.selections,
        fields: explanation.fields,
        keywords: explanation.keywords,
      },
    },
  };
  return record;
}
