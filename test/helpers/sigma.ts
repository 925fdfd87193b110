import { createDetector, type Detector, type DetectorOptions } from '../../src/detect/sigma/detector.js';
import { createEvent, eventLogSource } from '../../src/detect/sigma/event.js';
import { parseRules } from '../../src/detect/sigma/parse.js';
import type { Diagnostic, FieldValue } from '../../src/detect/sigma/types.js';

export const TEST_LOGSOURCE = eventLogSource('test', ['svc'], ['cat']);

/** Parses YAML rules and builds a detector; returns both stages' diagnostics. */
export function load(
  yaml: string,
  options: DetectorOptions = {},
): { detector: Detector; diagnostics: Diagnostic[] } {
  const parsed = parseRules(yaml, 'test.yml');
  const detector = createDetector(parsed.rules, { filters: parsed.filters, ...options });
  return { detector, diagnostics: [...parsed.diagnostics, ...detector.diagnostics] };
}

/** A one-rule YAML text with the given detection body (indented by the caller with 4 spaces). */
export function ruleWith(detection: string, logsource = 'product: test'): string {
  return `title: test rule\nid: 00000000-0000-4000-8000-000000000001\nlevel: high\nlogsource:\n    ${logsource}\ndetection:\n${detection}\n`;
}

/**
 * Builds a matcher for a detection body and returns a function telling whether an event (a flat
 * field map) matches. Fails the test when the rule does not load.
 */
export function matcher(
  detection: string,
  options: DetectorOptions = {},
): (fields: Record<string, FieldValue>) => boolean {
  const { detector, diagnostics } = load(ruleWith(detection), options);
  const errors = diagnostics.filter((d) => d.severity !== 'warning');
  if (errors.length > 0 || detector.rules.length !== 1) {
    throw new Error(`rule did not load: ${errors.map((d) => `${d.path}: ${d.message}`).join('; ')}`);
  }
  return (fields) => detector.match(createEvent(fields, TEST_LOGSOURCE)).length === 1;
}

/** Diagnostics produced when loading a detection body. */
export function problems(detection: string, options: DetectorOptions = {}): Diagnostic[] {
  return load(ruleWith(detection), options).diagnostics;
}
