/**
 * Parsing and validation of command-line values shared by commands. Every function throws a
 * {@link VigilError} (`VIGIL_ERR_USAGE`) naming the option and the accepted values.
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { SIGMA_LEVELS, SIGMA_STATUSES, type SigmaLevel, type SigmaStatus } from '../detect/sigma/types.js';
import { ErrorCodes, VigilError } from '../errors.js';
import { isValidZone } from '../pipeline/decoders/time.js';

/** Vigil's own rule pack, shipped in the package's `rules/` folder. */
export const DEFAULT_RULES_DIR = fileURLToPath(new URL('../../rules/', import.meta.url));

export const DEFAULT_STATUSES: readonly SigmaStatus[] = ['stable', 'test', 'experimental'];

function usage(message: string): VigilError {
  return new VigilError(ErrorCodes.USAGE, message);
}

export function parseLevel(option: string, value: string): SigmaLevel {
  const v = value.toLowerCase();
  if ((SIGMA_LEVELS as readonly string[]).includes(v)) return v as SigmaLevel;
  throw usage(`${option}: "${value}" is not a level; use one of ${SIGMA_LEVELS.join(', ')}`);
}

/** `--status stable,test` → the set of statuses to keep. */
export function parseStatuses(value: string): Set<SigmaStatus> {
  const out = new Set<SigmaStatus>();
  for (const raw of value.split(',')) {
    const v = raw.trim().toLowerCase();
    if (v === '') continue;
    if (v === 'all') {
      for (const s of SIGMA_STATUSES) out.add(s);
      continue;
    }
    if (!(SIGMA_STATUSES as readonly string[]).includes(v)) {
      throw usage(
        `--status: "${raw}" is not a rule status; use a comma list of ${SIGMA_STATUSES.join(', ')} or "all"`,
      );
    }
    out.add(v as SigmaStatus);
  }
  if (out.size === 0) throw usage('--status: empty list');
  return out;
}

export function parseYear(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1970 || n > 9999)
    throw usage(`--year: "${value}" is not a year (1970-9999)`);
  return n;
}

export function parseTimezone(value: string): string {
  if (!isValidZone(value))
    throw usage(`--timezone: "${value}" is not an IANA time zone (e.g. UTC, Europe/Paris)`);
  return value;
}

export function parseThreads(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 256)
    throw usage(`--threads: "${value}" is not a thread count (1-256)`);
  return n;
}

/**
 * Reads a placeholders file: YAML mapping of placeholder name (without `%`) to a value or a list
 * of values (Sigma strings; wildcards allowed).
 */
export async function readPlaceholders(path: string): Promise<Map<string, string[]>> {
  let doc: unknown;
  try {
    doc = parse(await readFile(path, 'utf8'));
  } catch (err) {
    throw usage(`--placeholders: cannot read ${path}: ${(err as Error).message}`);
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
    throw usage(`--placeholders: ${path} must be a YAML mapping of name: [values]`);
  }
  const out = new Map<string, string[]>();
  for (const [name, v] of Object.entries(doc as Record<string, unknown>)) {
    const list = Array.isArray(v) ? v : [v];
    if (list.length === 0 || list.some((x) => typeof x !== 'string' && typeof x !== 'number')) {
      throw usage(`--placeholders: "${name}" in ${path} must be a string or a list of strings`);
    }
    out.set(name.replace(/^%|%$/g, ''), list.map(String));
  }
  return out;
}
