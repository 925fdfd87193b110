import { defineConfig } from 'vitest/config';

/** Suites over the shared public corpus (../shared/data): SigmaHQ rules, regression samples, attack logs. */
export default defineConfig({
  test: {
    include: ['test/corpus/**/*.corpus.test.ts'],
    testTimeout: 600_000,
    hookTimeout: 600_000,
  },
});
