export type { CompiledRule } from './compile.js';
export { ConditionError, parseCondition } from './condition.js';
export {
  type ActiveRule,
  createDetector,
  type Detector,
  type DetectorOptions,
  type Explanation,
} from './detector.js';
export { createEvent, eventLogSource, lookupField } from './event.js';
export { MODIFIERS } from './modifiers.js';
export { parseRules } from './parse.js';
export { logsourceMatches } from './rule-index.js';
export * from './types.js';
