import { describe, expect, it } from 'vitest';
import { createDetector } from '../../src/detect/sigma/detector.js';
import { loadRuleFiles } from '../../src/rules/loader.js';
import { requireSharedData, shared } from '../helpers/shared-data.js';

const RULE_TREES = [
  'rules',
  'rules-emerging-threats',
  'rules-threat-hunting',
  'rules-placeholder',
  'rules-compliance',
  'rules-dfir',
  'deprecated',
];

describe.runIf(requireSharedData())('SigmaHQ corpus: every rule loads or says why', async () => {
  const set = await loadRuleFiles(RULE_TREES.map((t) => shared('sigma', t)));
  const detector = createDetector(set.rules, { filters: set.filters });
  const diagnostics = [...set.diagnostics, ...detector.diagnostics];
  const problems = diagnostics.filter((d) => d.severity !== 'warning');

  it('parses every document of every file', () => {
    // 3,141 + 473 + 140 + 23 + 3 + 0 rules in the trees, plus 172 deprecated.
    expect(set.files).toBe(3952);
    expect(
      set.rules.length +
        problems.filter((d) => d.code === 'VIGIL_ERR_RULE_YAML' || d.code === 'VIGIL_ERR_RULE_INVALID')
          .length,
    ).toBeGreaterThanOrEqual(3951);
  });

  it('loads every non-deprecated rule except those whose placeholders are not configured', () => {
    const report = {
      files: set.files,
      parsed: set.rules.length,
      active: detector.rules.length,
      bySeverity: Object.fromEntries(
        ['error', 'unsupported', 'inactive', 'warning'].map((s) => [
          s,
          diagnostics.filter((d) => d.severity === s).length,
        ]),
      ),
    };
    console.log('SigmaHQ load report', JSON.stringify(report));
    for (const d of problems) console.log(`  ${d.severity} ${d.source.path}: ${d.path}: ${d.message}`);
    expect(problems.filter((d) => d.severity === 'error')).toEqual([]);
    // Every problem has a specific reason and the YAML path it concerns.
    for (const d of problems) {
      expect(d.message.length).toBeGreaterThan(10);
      expect(d.path).toBeTruthy();
    }
    // Inactive = |expand placeholders without values; unsupported = Sigma 1.x aggregation (deprecated/).
    expect(problems.every((d) => d.severity === 'inactive' || d.source.path.includes('/deprecated/'))).toBe(
      true,
    );
    expect(detector.rules.length).toBe(
      set.rules.length - detector.diagnostics.filter((d) => d.severity !== 'warning').length,
    );
  });

  it('loads the placeholder rules once their placeholders are configured', () => {
    const names = new Set(
      diagnostics
        .filter((d) => d.severity === 'inactive')
        .flatMap((d) => [...d.message.matchAll(/%([^%\s]+)%/g)].map((m) => m[1]!)),
    );
    const placeholders = new Map([...names].map((n) => [n, ['example-value', 'other*']] as const));
    const configured = createDetector(set.rules, { filters: set.filters, placeholders });
    expect(configured.diagnostics.filter((d) => d.severity === 'inactive')).toEqual([]);
    expect(configured.rules.length).toBe(
      detector.rules.length + diagnostics.filter((d) => d.severity === 'inactive').length,
    );
  });
});
