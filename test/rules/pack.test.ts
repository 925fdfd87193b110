/**
 * The shipped rule pack (rules/): every rule loads, and every rule has realistic samples in
 * test/rules/samples/<rule file>.yml — positives it must match and near misses it must not —
 * decoded with the decoder Vigil uses for that log format and matched by the full pack's
 * detector (so logsource routing is exercised too). Every correlation rule (`mr_*.yml`) resolves
 * and has a hand-checked expectation in test/rules/correlation/fixtures (run by
 * correlation.test.ts).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { planCorrelations } from '../../src/detect/sigma/correlation/plan.js';
import type { SigmaCorrelation } from '../../src/detect/sigma/correlation/types.js';
import { createDetector, type Diagnostic, parseRules, type SigmaRule } from '../../src/detect/sigma/index.js';
import { decodeSample, parseSamples, type Sample, type SamplesFile } from './samples.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../..');
const RULES_DIR = join(ROOT, 'rules');
const SAMPLES_DIR = join(ROOT, 'test/rules/samples');

interface RuleFile {
  /** File name without `.yml`, which is also the samples file's name. */
  readonly name: string;
  readonly path: string;
  readonly rules: readonly SigmaRule[];
  readonly correlations: readonly SigmaCorrelation[];
  readonly diagnostics: readonly Diagnostic[];
}

const ruleFiles: RuleFile[] = readdirSync(RULES_DIR, { recursive: true, encoding: 'utf8' })
  .filter((f) => f.endsWith('.yml'))
  .sort()
  .map((f) => {
    const path = `rules/${f.replaceAll('\\', '/')}`;
    const parsed = parseRules(readFileSync(join(RULES_DIR, f), 'utf8'), path);
    return {
      name: basename(f, '.yml'),
      path,
      rules: parsed.rules,
      correlations: parsed.correlations,
      diagnostics: parsed.diagnostics,
    };
  });
const correlationFiles = ruleFiles.filter((f) => f.correlations.length > 0);
const detectionFiles = ruleFiles.filter((f) => f.correlations.length === 0);

const detector = createDetector(ruleFiles.flatMap((f) => f.rules));

/** Samples files by name; a file that does not load keeps its error for the test below. */
const samples = new Map<string, SamplesFile | Error>(
  readdirSync(SAMPLES_DIR)
    .filter((f) => f.endsWith('.yml'))
    .map((f): [string, SamplesFile | Error] => {
      try {
        return [basename(f, '.yml'), parseSamples(readFileSync(join(SAMPLES_DIR, f), 'utf8'), f)];
      } catch (e) {
        return [basename(f, '.yml'), e as Error];
      }
    }),
);

function problems(diagnostics: readonly Diagnostic[]): string[] {
  return diagnostics
    .filter((d) => d.severity !== 'warning')
    .map((d) => `${d.source.path}${d.line ? `:${d.line}` : ''}: ${d.severity} ${d.message}`);
}

describe('rule pack', () => {
  it('loads every rule in rules/ with no diagnostics other than warnings', () => {
    expect(ruleFiles.length).toBeGreaterThan(0);
    expect(problems([...ruleFiles.flatMap((f) => f.diagnostics), ...detector.diagnostics])).toEqual([]);
    for (const f of detectionFiles) expect(f.rules.length, `${f.path} holds one rule`).toBe(1);
    for (const f of correlationFiles) {
      expect(f.rules.length + f.correlations.length, `${f.path} holds one correlation`).toBe(1);
      expect(f.name, `${f.path}: correlation files are named mr_*`).toMatch(/^mr_/);
    }
    expect(detector.rules).toHaveLength(detectionFiles.length);
    const ids = detector.rules.map((r) => r.rule.id);
    expect(new Set(ids).size, 'rule ids are unique').toBe(ids.length);
  });

  it('resolves every correlation rule against the pack, with a fixture expectation for each', () => {
    expect(correlationFiles.length).toBeGreaterThan(0);
    const plan = planCorrelations(
      detector.rules.map((r) => r.rule),
      correlationFiles.flatMap((f) => f.correlations),
    );
    expect(problems(plan.diagnostics)).toEqual([]);
    expect(plan.correlations).toHaveLength(correlationFiles.length);
    for (const f of correlationFiles)
      expect(existsSync(join(ROOT, 'test/rules/correlation/fixtures', `${f.name}.expected.json`)), f.name).toBe(true);
  });

  it('has a well-formed samples file for every rule, naming that rule', () => {
    const ids = new Set(detector.rules.map((r) => r.rule.id));
    expect([...samples.keys()].sort()).toEqual(detectionFiles.map((f) => f.name).sort());
    for (const [name, file] of samples) {
      if (file instanceof Error) throw file;
      expect(ids.has(file.rule), `${name}.yml names an existing rule id`).toBe(true);
      const own = ruleFiles.find((f) => f.name === name)?.rules[0]?.id;
      expect(file.rule, `${name}.yml names the rule of rules/…/${name}.yml`).toBe(own);
    }
  });
});

/** `[test name, sample, should match]`; the name is the first element so that `%s` prints it. */
type Case = [string, Sample, boolean];

function cases(title: string, file: SamplesFile): Case[] {
  return [
    ...file.positive.map((s, i): Case => [`${title} matches positive #${i + 1}`, s, true]),
    ...file.negative.map((s, i): Case => [`${title} does not match negative #${i + 1}`, s, false]),
  ];
}

for (const active of detector.rules) {
  const { rule } = active;
  const name = ruleFiles.find((f) => f.rules.includes(rule))!.name;
  const file = samples.get(name);
  if (file === undefined || file instanceof Error) continue;

  describe(`${name} (${rule.id})`, () => {
    it.each(cases(rule.title, file))('%s', (_name, sample, expected) => {
      const event = decodeSample(file, sample);
      expect(detector.match(event).includes(active)).toBe(expected);
    });

    it(`${rule.title}: every selection is matched by some positive`, () => {
      const hit = new Set<string>();
      for (const sample of file.positive) {
        const event = decodeSample(file, sample);
        if (detector.match(event).includes(active)) {
          for (const s of detector.explain(event, active).selections) hit.add(s);
        }
      }
      const selections = [...rule.detection.identifiers.keys()].filter((k) => k.startsWith('selection'));
      expect(selections.filter((s) => !hit.has(s))).toEqual([]);
    });
  });
}
