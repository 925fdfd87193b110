/**
 * Runs Vigil's pack over the inputs of a hand-checked expected-alert file
 * (test/rules/correlation/**.expected.json, see its README) and returns what the engine raised
 * for that correlation beside what the file expects.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { scan } from '../helpers/scan.js';
import { shared } from '../helpers/shared-data.js';

export const EXPECTED_DIR = resolve(import.meta.dirname, 'correlation');

export interface ExpectedAlert {
  readonly '@timestamp': string;
  readonly group: Record<string, unknown>;
  readonly value: number;
}

export interface ExpectedFile {
  readonly rule: string;
  readonly title: string;
  readonly fixture?: boolean;
  readonly input: string[];
  readonly year: number;
  readonly timezone: string;
  readonly alerts: ExpectedAlert[];
  readonly negative: string;
}

/** The expected files of a directory (fixtures: `correlation/fixtures`; shared data: `correlation`). */
export function expectedFiles(fixtures: boolean): { name: string; file: ExpectedFile }[] {
  const dir = fixtures ? join(EXPECTED_DIR, 'fixtures') : EXPECTED_DIR;
  return readdirSync(dir)
    .filter((f) => f.endsWith('.expected.json'))
    .sort()
    .map((name) => ({ name, file: JSON.parse(readFileSync(join(dir, name), 'utf8')) as ExpectedFile }));
}

/** Scans the file's inputs with the pack and returns the alerts of its correlation, in time order. */
export async function raised(file: ExpectedFile): Promise<{ alerts: ExpectedAlert[]; events: number; failures: number }> {
  const paths = file.input.map((p) => (file.fixture ? join(EXPECTED_DIR, 'fixtures', p) : shared(p)));
  for (const p of paths) if (!existsSync(p)) throw new Error(`input ${p} of ${file.rule} does not exist`);
  const report = await scan(paths, { year: file.year, timezone: file.timezone });
  const alerts = report.detections
    .filter((d) => d.rule.id === file.rule)
    .map((d) => ({
      '@timestamp': d['@timestamp']!,
      group: { ...d.vigil.correlation!.group },
      value: d.vigil.correlation!.value,
    }))
    .sort((a, b) => (a['@timestamp'] < b['@timestamp'] ? -1 : a['@timestamp'] > b['@timestamp'] ? 1 : 0));
  return { alerts, events: report.summary.events, failures: report.summary.failures };
}
