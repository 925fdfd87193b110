import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The project root. */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** `../shared/data` beside the project (CI always has it), or `VIGIL_SHARED_DATA`. */
export const SHARED_DATA = process.env.VIGIL_SHARED_DATA ?? resolve(ROOT, '../shared/data');

/** True when the shared corpus is present. Corpus suites must fail, not skip, under CI without it. */
export const HAS_SHARED_DATA = existsSync(join(SHARED_DATA, 'sigma'));

export function shared(...parts: string[]): string {
  return join(SHARED_DATA, ...parts);
}

/**
 * Skips a corpus suite when the shared data is absent, except under `CI=true`, where the absence
 * is an error (CI always has ../shared/data).
 */
export function requireSharedData(): boolean {
  if (!HAS_SHARED_DATA && process.env.CI === 'true') {
    throw new Error(`shared corpus not found at ${SHARED_DATA} (required when CI=true)`);
  }
  return HAS_SHARED_DATA;
}
