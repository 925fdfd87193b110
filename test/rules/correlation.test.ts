/**
 * Vigil's correlation rules on small fixtures written here (test/rules/correlation/fixtures):
 * each raises exactly the hand-checked alerts, and none from the negative cases the file lists.
 */
import { describe, expect, it } from 'vitest';
import { expectedFiles, raised } from './correlation-expected.js';

describe("Vigil's correlation rules on fixtures", () => {
  const files = expectedFiles(true);

  it('every correlation rule of the pack has a fixture expectation', () => {
    expect(files.length).toBeGreaterThanOrEqual(5);
  });

  it.each(files.map(({ name, file }) => [name, file] as const))('%s', async (_name, file) => {
    const { alerts, failures } = await raised(file);
    expect(failures).toBe(0);
    expect(alerts).toEqual(file.alerts);
  });
});
