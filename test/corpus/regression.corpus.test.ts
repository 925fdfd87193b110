import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { createDetector } from '../../src/detect/sigma/detector.js';
import '../../src/pipeline/decoders/register.js';
import { decodeJson } from '../../src/pipeline/decoders/json.js';
import { loadRuleFiles } from '../../src/rules/loader.js';
import { jsonValues } from '../helpers/json-files.js';
import { requireSharedData, shared } from '../helpers/shared-data.js';

interface Info {
  rule_metadata?: { id: string; title: string }[];
  regression_tests_info?: { name: string; type: string; match_count?: number; path: string }[];
}

function infoFiles(dir: string, out: string[] = []): string[] {
  for (const e of readdirSync(dir)) {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) infoFiles(p, out);
    else if (e === 'info.yml') out.push(p);
  }
  return out;
}

describe.runIf(requireSharedData())('SigmaHQ regression samples', async () => {
  const set = await loadRuleFiles(
    ['rules', 'rules-emerging-threats', 'rules-threat-hunting', 'rules-placeholder'].map((t) =>
      shared('sigma', t),
    ),
  );
  const detector = createDetector(set.rules);
  const byId = new Map(detector.rules.map((r) => [r.rule.id, r]));
  const cases: { info: string; ruleId: string; title: string; json: string; need: number }[] = [];
  for (const info of infoFiles(shared('sigma', 'regression_data'))) {
    const y = parse(readFileSync(info, 'utf8')) as Info;
    for (const meta of y.rule_metadata ?? []) {
      for (const t of y.regression_tests_info ?? []) {
        cases.push({
          info,
          ruleId: meta.id,
          title: meta.title,
          json: join(dirname(info), `${meta.id}.json`),
          need: t.match_count ?? 1,
        });
      }
    }
  }

  it('finds the 134 active regression tests', () => {
    expect(cases.length).toBe(134);
  });

  it.each(cases)('$title ($ruleId) matches its sample at least $need time(s)', ({ ruleId, json, need }) => {
    const rule = byId.get(ruleId);
    expect(rule, `rule ${ruleId} is loaded`).toBeDefined();
    const evs = jsonValues(json);
    let hits = 0;
    const others = new Map<string, number>();
    for (const raw of evs) {
      const e = decodeJson(raw, { year: 2024, timezone: 'UTC' });
      expect(e).toBeDefined();
      for (const m of detector.match(e!)) {
        if (m === rule) hits++;
        else others.set(m.rule.title, (others.get(m.rule.title) ?? 0) + 1);
      }
    }
    if (others.size > 0)
      console.log(
        `  ${ruleId}: other rules matching the sample: ${[...others].map(([t, n]) => `${t} ×${n}`).join('; ')}`,
      );
    expect(hits).toBeGreaterThanOrEqual(need);
  });
});
