/**
 * A correlation document → {@link SigmaCorrelation}.
 *
 * Source: `sigma-correlation-rules-specification.md` v2.1.0, "Correlation section" (type, rules,
 * aliases, group-by, timespan, condition, generate) and "Correlation Types"; the JSON schema
 * `sigma-correlation-rules-schema.json`. Metric conditions follow pySigma (`field`,
 * `percentile`).
 */
import { ErrorCodes, errorMessage } from '../../../errors.js';
import { invalid, isObject, type Json, RuleProblem } from '../rule-problem.js';
import type { RuleSource } from '../types.js';
import { optionalString, statusAndLevel, stringList } from '../yaml-values.js';
import {
  CONDITION_OPERATORS,
  type ConditionOperator,
  CORRELATION_TYPES,
  type CorrelationCondition,
  type CorrelationType,
  METRIC_TYPES,
  type SigmaCorrelation,
} from './types.js';

const UNIT_MS: Readonly<Record<string, number>> = {
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
  M: 2_592_000_000, // 30 days
  y: 31_536_000_000, // 365 days
};

/**
 * `timespan` (spec "Time Selection": number + lowercase letter s/m/h/d; pySigma also reads
 * `w`, `M` for 30 days and `y` for 365) → milliseconds.
 * @throws RuleProblem for any other text or a zero span
 */
export function parseTimespan(text: string): number {
  const m = /^(\d+)([smhdwMy])$/.exec(text.trim());
  if (!m)
    throw invalid(`"timespan" must be a number and a unit (s, m, h, d), not "${text}"`, [
      'correlation',
      'timespan',
    ]);
  const ms = Number(m[1]) * UNIT_MS[m[2]!]!;
  if (!(ms > 0) || !Number.isSafeInteger(ms))
    throw invalid(`"timespan" must be positive: "${text}"`, ['correlation', 'timespan']);
  return ms;
}

function parseCondition(type: CorrelationType, ruleCount: number, v: Json | undefined): CorrelationCondition {
  const path = ['correlation', 'condition'];
  const temporal = type === 'temporal' || type === 'temporal_ordered';
  if (v === undefined || v === null) {
    if (temporal) return { comparisons: [{ op: 'gte', value: ruleCount }], fields: [] };
    throw invalid(`"condition" is required for ${type}`, path);
  }
  if (!isObject(v)) throw invalid('"condition" must be a map (e.g. gte: 10)', path);
  const comparisons: { op: ConditionOperator; value: number }[] = [];
  let fields: string[] = [];
  let percentile: number | undefined;
  for (const [key, value] of Object.entries(v)) {
    if ((CONDITION_OPERATORS as readonly string[]).includes(key)) {
      const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
      if (typeof n !== 'number' || !Number.isFinite(n))
        throw invalid(`condition "${key}" must be a number`, [...path, key]);
      comparisons.push({ op: key as ConditionOperator, value: n });
    } else if (key === 'field') {
      fields = stringList(v, 'field');
      if (fields.length === 0) throw invalid('condition "field" must name a field', [...path, key]);
    } else if (key === 'percentile') {
      if (typeof value !== 'number' || value < 0 || value > 100)
        throw invalid('condition "percentile" must be a number from 0 to 100', [...path, key]);
      percentile = value;
    } else throw invalid(`unknown condition key "${key}"`, [...path, key]);
  }
  if (comparisons.length === 0) throw invalid('"condition" needs one of gt, gte, lt, lte, eq, neq', path);
  const needsField = type === 'value_count' || METRIC_TYPES.has(type);
  if (needsField && fields.length === 0) throw invalid(`${type} needs "condition.field"`, path);
  if (!needsField && fields.length > 0)
    throw invalid(`"condition.field" is not used by ${type}`, [...path, 'field']);
  if (METRIC_TYPES.has(type) && fields.length > 1)
    throw invalid(`${type} reads one numeric field`, [...path, 'field']);
  if (type === 'value_median') percentile = 50;
  else if (type === 'value_percentile' && percentile === undefined)
    // The spec's own example has none and does not say which percentile it means.
    throw new RuleProblem(
      'unsupported',
      ErrorCodes.RULE_UNSUPPORTED.code,
      errorMessage(
        ErrorCodes.RULE_UNSUPPORTED,
        'value_percentile without "condition.percentile": name the percentile (0-100), as pySigma requires',
      ),
      path,
    );
  else if (type !== 'value_percentile' && percentile !== undefined)
    throw invalid(`"condition.percentile" is not used by ${type}`, [...path, 'percentile']);
  return percentile === undefined ? { comparisons, fields } : { comparisons, fields, percentile };
}

function parseAliases(v: Json | undefined): Map<string, Map<string, string>> {
  const out = new Map<string, Map<string, string>>();
  if (v === undefined || v === null) return out;
  const path = ['correlation', 'aliases'];
  if (!isObject(v)) throw invalid('"aliases" must be a map: alias → (rule name → field)', path);
  for (const [alias, map] of Object.entries(v)) {
    if (!isObject(map))
      throw invalid(`alias "${alias}" must map rule names to field names`, [...path, alias]);
    const fields = new Map<string, string>();
    for (const [rule, field] of Object.entries(map)) {
      if (typeof field !== 'string' || field === '')
        throw invalid(`alias "${alias}": the field for "${rule}" must be a string`, [...path, alias, rule]);
      fields.set(rule, field);
    }
    out.set(alias, fields);
  }
  return out;
}

/**
 * Builds a correlation rule from its YAML document.
 * @param warnings - receives non-fatal findings
 * @throws RuleProblem for a document that breaks the spec (the caller turns it into a diagnostic)
 */
export function buildCorrelation(
  doc: Record<string, Json>,
  source: RuleSource,
  warnings: RuleProblem[],
): SigmaCorrelation {
  const title = doc.title;
  if (typeof title !== 'string' || title.trim() === '') throw invalid('"title" is required', ['title']);
  const c = doc.correlation;
  if (!isObject(c)) throw invalid('"correlation" must be a map', ['correlation']);
  const type = c.type;
  if (typeof type !== 'string' || !(CORRELATION_TYPES as readonly string[]).includes(type))
    throw invalid(`"correlation.type" must be one of ${CORRELATION_TYPES.join(', ')}`, [
      'correlation',
      'type',
    ]);
  const rules = stringList(c, 'rules');
  if (rules.length === 0)
    throw invalid('"correlation.rules" must name at least one rule', ['correlation', 'rules']);
  const t = type as CorrelationType;
  if (t === 'temporal_ordered' && rules.length < 2)
    throw invalid('temporal_ordered needs at least two rules', ['correlation', 'rules']);
  const groupBy = stringList(c, 'group-by');
  const timespanText = c.timespan;
  if (typeof timespanText !== 'string')
    throw invalid('"correlation.timespan" is required (e.g. 5m)', ['correlation', 'timespan']);
  const condition = parseCondition(t, rules.length, c.condition);
  if (t === 'temporal_ordered' && c.condition !== undefined)
    warnings.push(
      new RuleProblem(
        'warning',
        ErrorCodes.RULE_WARNING.code,
        'temporal_ordered fires when every rule has matched in order; the condition only bounds the rule count',
        ['correlation', 'condition'],
      ),
    );
  if (
    (t === 'event_count' || t === 'value_count' || t === 'temporal') &&
    condition.comparisons.every((x) => x.op === 'lt' || x.op === 'lte' || x.op === 'neq')
  )
    warnings.push(
      new RuleProblem(
        'warning',
        ErrorCodes.RULE_WARNING.code,
        'a condition without a lower bound holds at the first match: it fires at every match (docs/correlation.md)',
        ['correlation', 'condition'],
      ),
    );
  const generate = c.generate ?? doc.generate;
  if (generate !== undefined && generate !== null && typeof generate !== 'boolean')
    throw invalid('"generate" must be true or false', ['correlation', 'generate']);
  const aliases = parseAliases(c.aliases);
  for (const [alias, map] of aliases) {
    for (const ref of map.keys())
      if (!rules.includes(ref))
        warnings.push(
          new RuleProblem(
            'warning',
            ErrorCodes.RULE_WARNING.code,
            `alias "${alias}" names "${ref}", which is not in correlation.rules`,
            ['correlation', 'aliases', alias, ref],
          ),
        );
  }
  return {
    kind: 'correlation',
    title,
    id: optionalString(doc, 'id'),
    name: optionalString(doc, 'name'),
    ...statusAndLevel(doc, warnings),
    description: optionalString(doc, 'description'),
    author: optionalString(doc, 'author'),
    date: optionalString(doc, 'date'),
    modified: optionalString(doc, 'modified'),
    references: stringList(doc, 'references'),
    tags: stringList(doc, 'tags').map((x) => x.toLowerCase()),
    falsepositives: stringList(doc, 'falsepositives'),
    type: t,
    rules,
    groupBy,
    timespanMs: parseTimespan(timespanText),
    timespan: timespanText,
    condition,
    aliases,
    generate: generate === true,
    source,
  };
}
