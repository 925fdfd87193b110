/**
 * YAML text → Sigma rule AST, with per-rule diagnostics.
 *
 * Source: Sigma specification v2.1 — `sigma-rules-specification.md` (rule schema, detection,
 * condition) and `sigma-filters-specification.md` (global filters). Multi-document YAML is
 * supported: every document is one rule, filter or correlation rule
 * (`sigma-correlation-rules-specification.md`; evaluated by `correlation/engine.ts`).
 */
import { type Document, isMap, isSeq, LineCounter, parseAllDocuments } from 'yaml';
import { ErrorCodes, errorMessage } from '../../errors.js';
import { type Locate, parseDetection } from './parse-detection.js';
import { buildCorrelation } from './correlation/parse.js';
import type { SigmaCorrelation } from './correlation/types.js';
import { invalid, isObject, type Json, pathText, RuleProblem } from './rule-problem.js';
import { optionalString, statusAndLevel, stringList } from './yaml-values.js';
import {
  type Diagnostic,
  type LogSource,
  type ParseResult,
  type RelatedRule,
  type RuleSource,
  type SigmaFilter,
  type SigmaRule,
} from './types.js';

function parseLogSource(v: Json | undefined): LogSource {
  if (!isObject(v)) throw invalid('"logsource" is required and must be a map', ['logsource']);
  const out: { product?: string; category?: string; service?: string; definition?: string } = {};
  for (const key of ['product', 'category', 'service', 'definition'] as const) {
    const s = optionalString(v, key);
    if (s !== undefined) out[key] = key === 'definition' ? s : s.toLowerCase();
  }
  return out;
}

function parseRelated(doc: Record<string, Json>): RelatedRule[] {
  const v = doc.related;
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw invalid('"related" must be a list', ['related']);
  return v.map((r, i) => {
    if (!isObject(r) || typeof r.id !== 'string' || typeof r.type !== 'string') {
      throw invalid('"related" entries need "id" and "type"', ['related', i]);
    }
    return { id: r.id, type: r.type };
  });
}

function parseTitle(doc: Record<string, Json>): string {
  const title = doc.title;
  if (typeof title !== 'string' || title.trim() === '') throw invalid('"title" is required', ['title']);
  return title;
}

function buildRule(
  doc: Record<string, Json>,
  source: RuleSource,
  warnings: RuleProblem[],
  locate: Locate,
): SigmaRule {
  const title = parseTitle(doc);
  const { status: checkedStatus, level: checkedLevel } = statusAndLevel(doc, warnings);
  const rule: SigmaRule = {
    kind: 'rule',
    title,
    id: optionalString(doc, 'id'),
    name: optionalString(doc, 'name'),
    status: checkedStatus,
    level: checkedLevel,
    description: optionalString(doc, 'description'),
    author: optionalString(doc, 'author'),
    date: optionalString(doc, 'date'),
    modified: optionalString(doc, 'modified'),
    license: optionalString(doc, 'license'),
    taxonomy: optionalString(doc, 'taxonomy'),
    references: stringList(doc, 'references'),
    tags: stringList(doc, 'tags').map((t) => t.toLowerCase()),
    falsepositives: stringList(doc, 'falsepositives'),
    fields: stringList(doc, 'fields'),
    related: parseRelated(doc),
    scope: stringList(doc, 'scope'),
    logsource: parseLogSource(doc.logsource),
    detection: parseDetection(doc.detection, 'detection', new Set(), warnings, locate),
    source,
  };
  if (rule.taxonomy !== undefined && rule.taxonomy !== 'sigma') {
    throw new RuleProblem(
      'unsupported',
      ErrorCodes.RULE_UNSUPPORTED.code,
      errorMessage(
        ErrorCodes.RULE_UNSUPPORTED,
        `taxonomy "${rule.taxonomy}" (only the default "sigma" taxonomy is mapped)`,
      ),
      ['taxonomy'],
    );
  }
  return rule;
}

function buildFilter(
  doc: Record<string, Json>,
  source: RuleSource,
  warnings: RuleProblem[],
  locate: Locate,
): SigmaFilter {
  const title = parseTitle(doc);
  const filter = doc.filter;
  if (!isObject(filter)) throw invalid('"filter" must be a map', ['filter']);
  const rules = stringList(filter, 'rules');
  if (rules.length === 0) throw invalid('"filter.rules" must name at least one rule', ['filter', 'rules']);
  return {
    kind: 'filter',
    title,
    id: optionalString(doc, 'id'),
    logsource: parseLogSource(doc.logsource),
    rules,
    detection: parseDetection(filter, 'filter', new Set(['rules']), warnings, locate),
    source,
  };
}

/**
 * YAML integers are read as bigints (so that 9007199254740993 keeps its digits); those that fit a
 * double exactly become numbers, the others their decimal text (Sigma compares values as strings).
 */
function normalizeNumbers(v: unknown): unknown {
  if (typeof v === 'bigint') {
    return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER)
      ? Number(v)
      : v.toString();
  }
  if (Array.isArray(v)) return v.map(normalizeNumbers);
  if (typeof v === 'object' && v !== null) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = normalizeNumbers(x);
    return out;
  }
  return v;
}

function lineOf(
  doc: Document,
  counter: LineCounter,
  path: readonly (string | number)[] | undefined,
): number | undefined {
  let node: unknown = doc.contents;
  let best: number | undefined;
  const rangeStart = (n: unknown): number | undefined => {
    const range = (n as { range?: [number, number, number] } | null)?.range;
    return range ? range[0] : undefined;
  };
  best = rangeStart(node);
  for (const key of path ?? []) {
    if (isMap(node)) {
      const pair = node.items.find((p) => (p.key as { value?: unknown } | null)?.value === key);
      if (!pair) break;
      best = rangeStart(pair.key) ?? best;
      node = pair.value;
    } else if (isSeq(node) && typeof key === 'number') {
      node = node.items[key];
      best = rangeStart(node) ?? best;
    } else break;
  }
  return best === undefined ? undefined : counter.linePos(best).line;
}

/**
 * Parses one YAML text that holds one or more Sigma rules or filters.
 *
 * Never throws for bad input: every problem becomes a {@link Diagnostic} with file, rule id,
 * YAML path, line and reason; a document with an error yields no rule.
 *
 * @param yamlText - the file's content
 * @param path - a label for diagnostics, usually the file path
 */
export function parseRules(yamlText: string, path: string): ParseResult {
  const rules: SigmaRule[] = [];
  const filters: SigmaFilter[] = [];
  const correlations: SigmaCorrelation[] = [];
  const diagnostics: Diagnostic[] = [];
  const counter = new LineCounter();
  const docs = parseAllDocuments(yamlText, {
    lineCounter: counter,
    uniqueKeys: true,
    prettyErrors: false,
    intAsBigInt: true,
  });
  const list = Array.isArray(docs) ? docs : [docs];
  list.forEach((doc, index) => {
    const source: RuleSource = { path, document: index };
    const yamlError = (message: string, offset?: number): void => {
      diagnostics.push({
        severity: 'error',
        code: ErrorCodes.RULE_YAML.code,
        message: errorMessage(ErrorCodes.RULE_YAML, message.split('\n')[0]),
        source,
        line: offset === undefined ? undefined : counter.linePos(offset).line,
      });
    };
    if (doc.errors.length > 0) {
      const err = doc.errors[0]!;
      yamlError(err.message, err.pos[0]);
      return;
    }
    let value: unknown;
    try {
      // Aliases are resolved here; undefined anchors and alias bombs throw.
      value = normalizeNumbers(doc.toJS({ maxAliasCount: 100 }));
    } catch (err) {
      yamlError(err instanceof Error ? err.message : String(err), doc.range[0]);
      return;
    }
    if (value === null || value === undefined) return;
    const meta = isObject(value) ? value : undefined;
    const ruleId = typeof meta?.id === 'string' ? meta.id : undefined;
    const title = typeof meta?.title === 'string' ? meta.title : undefined;
    const warnings: RuleProblem[] = [];
    const report = (p: RuleProblem): void => {
      diagnostics.push({
        severity: p.severity,
        code: p.code,
        message: p.message,
        source,
        ruleId,
        title,
        path: p.path ? pathText(p.path) : undefined,
        line: lineOf(doc, counter, p.path),
      });
    };
    try {
      if (!meta) throw invalid('a rule document must be a map');
      if ('action' in meta) {
        throw new RuleProblem(
          'unsupported',
          ErrorCodes.RULE_UNSUPPORTED.code,
          errorMessage(
            ErrorCodes.RULE_UNSUPPORTED,
            'Sigma 1.x rule collections ("action: global/reset/repeat")',
          ),
          ['action'],
        );
      }
      const locate: Locate = (path) => lineOf(doc, counter, path);
      if ('correlation' in meta && !('detection' in meta))
        correlations.push(buildCorrelation(meta, source, warnings));
      else if ('filter' in meta && !('detection' in meta))
        filters.push(buildFilter(meta, source, warnings, locate));
      else rules.push(buildRule(meta, source, warnings, locate));
      warnings.forEach(report);
    } catch (err) {
      if (err instanceof RuleProblem) report(err);
      else throw err;
    }
  });
  return { rules, filters, correlations, diagnostics };
}
