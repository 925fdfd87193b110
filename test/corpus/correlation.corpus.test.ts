/**
 * Correlation on real public data (../shared/data): Vigil's pack raises the hand-checked alerts
 * (test/rules/correlation/*.expected.json) on the Loghub OpenSSH log and the Windows attack
 * logs, and the Sigma specification's own correlation examples parse.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseRules } from '../../src/detect/sigma/parse.js';
import { requireSharedData, shared } from '../helpers/shared-data.js';
import { expectedFiles, raised } from '../rules/correlation-expected.js';

describe.runIf(requireSharedData())('correlation rules on the shared logs', () => {
  it.each(expectedFiles(false).map(({ name, file }) => [name, file] as const))(
    '%s',
    async (_name, file) => {
      const { alerts } = await raised(file);
      expect(alerts).toEqual(file.alerts);
    },
    300_000,
  );

  it("parses every correlation example of the specification's test suite", () => {
    const dir = shared('sigma-specification', 'tests', 'schema', 'correlation');
    const files = readdirSync(dir).filter((f) => f.endsWith('.yml'));
    expect(files.length).toBeGreaterThanOrEqual(8);
    for (const f of files) {
      const parsed = parseRules(readFileSync(`${dir}/${f}`, 'utf8'), f);
      expect(
        parsed.diagnostics.filter((d) => d.severity === 'error'),
        f,
      ).toEqual([]);
      if (f === 'value_percentile.yml') {
        // Its condition names no percentile: reported as unsupported, with the reason.
        expect(parsed.diagnostics.map((d) => d.severity)).toEqual(['unsupported']);
        continue;
      }
      expect(parsed.correlations.length, f).toBeGreaterThanOrEqual(1);
    }
  });
});
