/**
 * Correlation in `vigil scan`: workers extract the matches of the rules correlations read
 * ({@link correlationMatch}); once every file is read the scan sorts those matches by event time
 * (stable: ties keep input order) and runs the correlation engine over them
 * ({@link runCorrelations}), so results are exact and memory grows with the base-rule matches,
 * not with the events.
 */
import type { AttackLookup } from '../detect/attack/catalog.js';
import { threatFromTags } from '../detect/attack/threat.js';
import { Correlator, type CorrelatorStats } from '../detect/sigma/correlation/engine.js';
import type { CorrelationPlan } from '../detect/sigma/correlation/plan.js';
import type { CorrelationAlert, SigmaCorrelation } from '../detect/sigma/correlation/types.js';
import type { FieldValue, SigmaEvent, SigmaLevel, SigmaRule } from '../detect/sigma/types.js';
import type { DecodedEvent } from '../pipeline/decoders/types.js';
import { DEFAULT_LEVEL, LEVEL_SEVERITY, threatEcs } from './detection.js';
import {
  type CorrelationMatch,
  type CorrelationDetail,
  type CorrelationRef,
  correlationRuleKey,
  type DetectionRecord,
  type ProcessOptions,
} from './types.js';

function at(doc: Record<string, unknown>, path: string): unknown {
  let node: unknown = doc;
  for (const k of path.split('.')) {
    if (typeof node !== 'object' || node === null) return undefined;
    node = (node as Record<string, unknown>)[k];
  }
  return node;
}

function text(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/**
 * The correlation input of a match: event time and the fields the plan asks for.
 * @returns undefined when the event has no `@timestamp`
 */
export function correlationMatch(
  rules: readonly SigmaRule[],
  event: DecodedEvent,
  fields: readonly string[],
  where: { path: string; line: number; index: number; offset?: number | undefined },
): CorrelationMatch | undefined {
  const ecs = event.ecs();
  const stamp = ecs['@timestamp'];
  const time = typeof stamp === 'string' ? Date.parse(stamp) : Number.NaN;
  if (Number.isNaN(time)) return undefined;
  const values: Record<string, FieldValue> = {};
  for (const f of fields) {
    const v = (event as SigmaEvent).get(f);
    if (v !== undefined) values[f] = v;
  }
  const ref: Record<string, unknown> = {
    rule: rules.map((r) => r.title).join(', '),
    '@timestamp': stamp,
    path: where.path,
    line: where.line,
    event_index: where.index,
  };
  if (where.offset !== undefined) ref.offset = where.offset;
  for (const f of ['host.name', 'user.name', 'source.ip'] as const) {
    const v = text(at(ecs, f));
    if (v !== undefined) ref[f] = v;
  }
  return {
    rules: rules.map((r) => ({ id: r.id, name: r.name })),
    time,
    fields: values,
    ref: ref as unknown as CorrelationRef,
  };
}

/** What the workers need to know about correlations ({@link ProcessOptions.correlation}). */
export function correlationProcessOptions(
  plan: CorrelationPlan,
  rules: readonly SigmaRule[],
): ProcessOptions['correlation'] {
  const out: Record<string, { fields: readonly string[]; standalone: boolean }> = {};
  for (const r of rules) {
    if (plan.consumersOf(r).length === 0) continue;
    const key = correlationRuleKey(r);
    if (key !== undefined) out[key] = { fields: plan.fieldsFor(r), standalone: plan.standalone(r) };
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

/** Sets a dotted ECS path in a nested document. */
export function nest(target: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split('.');
  let node = target;
  for (let i = 0; i < keys.length - 1; i++) {
    const k = keys[i]!;
    const next = node[k];
    if (typeof next !== 'object' || next === null) node[k] = {};
    node = node[k] as Record<string, unknown>;
  }
  node[keys[keys.length - 1]!] = value;
}

function conditionText(c: SigmaCorrelation): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const { op, value } of c.condition.comparisons) out[op] = value;
  if (c.condition.fields.length > 0)
    out.field = c.condition.fields.length === 1 ? c.condition.fields[0] : c.condition.fields;
  if (c.type === 'value_percentile') out.percentile = c.condition.percentile;
  return out;
}

/**
 * What every correlation alert carries, in `vigil scan` and in the service: the ECS document
 * (`@timestamp`, `event`, `rule.*` of the correlation, `threat.*`, the completing event's entities
 * and the ECS-named group values) and `vigil.correlation` without the contributing matches.
 * @param entities - `host.name`, `user.name`, `source.ip` of the completing event (dotted names)
 */
export function correlationAlertParts(
  alert: CorrelationAlert<unknown>,
  plan: CorrelationPlan,
  entities: Readonly<Record<string, unknown>>,
  attack?: AttackLookup,
): { level: SigmaLevel; document: Record<string, unknown>; correlation: Record<string, unknown> } {
  const c = alert.correlation;
  const level = c.level ?? DEFAULT_LEVEL;
  const document: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(entities)) if (v !== undefined && v !== null) nest(document, k, v);
  for (const [k, v] of Object.entries(alert.group)) if (k.includes('.')) nest(document, k, v);
  const titles = (plan.targets[plan.correlations.indexOf(c)] ?? []).map((t) =>
    t.kind === 'rule' ? t.rule.title : plan.correlations[t.index]!.title,
  );
  const iso = (t: number): string => new Date(t).toISOString();
  Object.assign(document, {
    '@timestamp': iso(alert.time),
    event: { kind: 'alert', severity: LEVEL_SEVERITY[level] },
    rule: {
      id: c.id,
      name: c.title,
      level,
      status: c.status,
      description: c.description,
      author: c.author,
      reference: c.references.length > 0 ? c.references : undefined,
      tags: c.tags,
      ruleset: 'sigma',
    },
    threat: threatEcs(threatFromTags(c.tags, attack)),
  });
  const correlation = {
    type: c.type,
    group: { ...alert.group },
    value: alert.value,
    condition: conditionText(c),
    timespan: c.timespan,
    window: { start: iso(alert.window.start), end: iso(alert.window.end) },
    rules: titles,
    omitted_events: alert.omittedEvents,
  };
  return { level, document, correlation };
}

/**
 * The detection record of a correlation alert ({@link correlationAlertParts}), located at the
 * completing match's file and line, with the contributing matches in `vigil.correlation.events`.
 */
export function correlationRecord(
  alert: CorrelationAlert<CorrelationRef>,
  plan: CorrelationPlan,
): DetectionRecord {
  const last = alert.events[alert.events.length - 1];
  const entities: Record<string, unknown> = {};
  for (const f of ['host.name', 'user.name', 'source.ip'] as const) entities[f] = last?.[f];
  const { document, correlation } = correlationAlertParts(alert, plan, entities);
  return {
    ...document,
    log: { file: { path: last?.path ?? '' } },
    vigil: {
      line: last?.line ?? 0,
      event_index: last?.event_index ?? 0,
      decoder: 'sigma-correlation',
      logsource: { services: [], categories: [] },
      match: { selections: [], fields: { ...alert.group }, keywords: [] },
      correlation: { ...correlation, events: alert.events } as unknown as CorrelationDetail,
    },
  } as unknown as DetectionRecord;
}

/**
 * Runs the correlations over the collected matches.
 * @param matches - sorted here by time (stable)
 * @returns the alerts of correlations that report (not only read by an outer correlation), in time order
 */
export function runCorrelations(
  plan: CorrelationPlan,
  matches: CorrelationMatch[],
): { records: DetectionRecord[]; stats: CorrelatorStats } {
  const correlator = new Correlator<CorrelationRef>(plan, {
    maxGroups: Number.MAX_SAFE_INTEGER,
    maxEventsPerGroup: Number.MAX_SAFE_INTEGER,
  });
  const order = matches.map((m, i) => i);
  order.sort((a, b) => matches[a]!.time - matches[b]!.time || a - b);
  const records: DetectionRecord[] = [];
  for (const i of order) {
    const m = matches[i]!;
    for (const alert of correlator.feed(m.rules, { time: m.time, fields: m.fields, ref: m.ref })) {
      if (plan.correlationStandalone(plan.correlations.indexOf(alert.correlation)))
        records.push(correlationRecord(alert, plan));
    }
  }
  return { records, stats: { ...correlator.stats } };
}
