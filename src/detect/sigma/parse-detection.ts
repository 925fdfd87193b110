/**
 * The `detection` section (and a filter's `filter` section): search identifiers as maps (AND),
 * lists (OR), keyword lists, detection items `field|modifier…: values`, and the condition(s).
 *
 * Source: Sigma specification v2.1, `sigma-rules-specification.md`, "Detection" and "Condition".
 */
import { ErrorCodes, errorMessage } from '../../errors.js';
import { ConditionError, parseCondition } from './condition.js';
import { invalid, isObject, isScalar, type Json, pathText, RuleProblem } from './rule-problem.js';
import type { ConditionNode, Detection, DetectionItem, DetectionNode, SigmaScalar } from './types.js';

function parseValues(v: Json, path: (string | number)[]): SigmaScalar[] {
  if (isScalar(v)) return [v];
  if (Array.isArray(v)) {
    if (v.length === 0) throw invalid('empty value list', path);
    return v.map((item, i) => {
      if (isScalar(item)) return item;
      throw invalid('a value list may only hold strings, numbers, booleans or null', [...path, i]);
    });
  }
  throw invalid('a field value must be a scalar or a list of scalars', path);
}

/** Resolves a YAML path to its 1-based line in the file. */
export type Locate = (path: readonly (string | number)[]) => number | undefined;

function makeItem(
  field: string | null,
  modifiers: string[],
  values: SigmaScalar[],
  path: (string | number)[],
  locate: Locate,
): DetectionItem {
  return { field, modifiers, values, path: pathText(path), line: locate(path) };
}

function parseItem(key: string, value: Json, path: (string | number)[], locate: Locate): DetectionItem {
  const [fieldPart, ...modifiers] = key.split('|');
  const field = fieldPart === undefined || fieldPart === '' ? null : fieldPart;
  for (const m of modifiers) {
    if (m === '') throw invalid(`empty modifier in "${key}"`, path);
  }
  return makeItem(field, modifiers, parseValues(value, path), path, locate);
}

function parseMap(map: Record<string, Json>, path: (string | number)[], locate: Locate): DetectionNode {
  const keys = Object.keys(map);
  if (keys.length === 0) throw invalid('empty map in search identifier', path);
  const children = keys.map<DetectionNode>((k) => ({
    kind: 'item',
    item: parseItem(k, map[k]!, [...path, k], locate),
  }));
  return children.length === 1 ? children[0]! : { kind: 'and', children };
}

/** Parses the body of one search identifier (spec: "Search-Identifier", "Lists", "Maps"). */
function parseIdentifier(v: Json, path: (string | number)[], locate: Locate): DetectionNode {
  if (isObject(v)) return parseMap(v, path, locate);
  if (Array.isArray(v)) {
    if (v.length === 0) throw invalid('empty list in search identifier', path);
    if (v.every(isScalar)) return { kind: 'item', item: makeItem(null, [], v, path, locate) };
    const children = v.map<DetectionNode>((el, i) => {
      if (isObject(el)) return parseMap(el, [...path, i], locate);
      if (isScalar(el)) return { kind: 'item', item: makeItem(null, [], [el], [...path, i], locate) };
      throw invalid('nested lists are not allowed in a search identifier', [...path, i]);
    });
    return children.length === 1 ? children[0]! : { kind: 'or', children };
  }
  if (isScalar(v) && v !== null) return { kind: 'item', item: makeItem(null, [], [v], path, locate) };
  throw invalid('a search identifier must be a map, a list or a string', path);
}

/** Keys of a Sigma 1.x aggregation that have no meaning in 2.x detection sections. */
const LEGACY_DETECTION_KEYS = new Set(['timeframe']);

export function parseDetection(
  v: Json | undefined,
  section: string,
  skip: ReadonlySet<string>,
  warnings: RuleProblem[],
  locate: Locate,
): Detection {
  if (!isObject(v)) throw invalid(`"${section}" is required and must be a map`, [section]);
  const identifiers = new Map<string, DetectionNode>();
  for (const [name, body] of Object.entries(v)) {
    if (name === 'condition' || skip.has(name)) continue;
    if (LEGACY_DETECTION_KEYS.has(name)) {
      warnings.push(
        new RuleProblem(
          'warning',
          ErrorCodes.RULE_WARNING.code,
          `"${name}" is a Sigma 1.x aggregation key and is ignored`,
          [section, name],
        ),
      );
      continue;
    }
    identifiers.set(name, parseIdentifier(body, [section, name], locate));
  }
  const rawCondition = v.condition;
  let conditionText: string[];
  if (typeof rawCondition === 'string') conditionText = [rawCondition];
  else if (
    Array.isArray(rawCondition) &&
    rawCondition.length > 0 &&
    rawCondition.every((c) => typeof c === 'string')
  ) {
    conditionText = rawCondition as string[];
  } else
    throw invalid('"condition" is required and must be a string or a list of strings', [
      section,
      'condition',
    ]);
  const names = [...identifiers.keys()];
  const conditions: ConditionNode[] = conditionText.map((text, i) => {
    try {
      return parseCondition(text, names);
    } catch (err) {
      if (err instanceof ConditionError) {
        const path = [section, 'condition', ...(conditionText.length > 1 ? [i] : [])];
        if (err.unsupported) {
          throw new RuleProblem(
            'unsupported',
            ErrorCodes.RULE_UNSUPPORTED.code,
            errorMessage(ErrorCodes.RULE_UNSUPPORTED, err.message),
            path,
          );
        }
        throw new RuleProblem(
          'error',
          ErrorCodes.RULE_CONDITION.code,
          errorMessage(ErrorCodes.RULE_CONDITION, err.message),
          path,
        );
      }
      throw err;
    }
  });
  return { identifiers, conditions, conditionText };
}
