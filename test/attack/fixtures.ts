/**
 * The hand-written STIX bundles of `test/fixtures/attack/` (shaped like ATT&CK v18's, with a few
 * objects each), parsed.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AttackCatalog } from '../../src/detect/attack/catalog.js';
import { parseStixBundle } from '../../src/detect/attack/stix.js';
import { ROOT } from '../helpers/shared-data.js';

export const FIXTURES = join(ROOT, 'test/fixtures/attack');
export const ENTERPRISE_FILE = join(FIXTURES, 'mini-enterprise.stix20.json');
export const ICS_FILE = join(FIXTURES, 'mini-ics-18.1.stix21.json');

export function bundle(file: string): unknown {
  return JSON.parse(readFileSync(file, 'utf8'));
}

/** The STIX 2.0 Enterprise-shaped fixture as a catalog (no version in it: inferred 18). */
export function enterpriseCatalog(): AttackCatalog {
  return parseStixBundle(bundle(ENTERPRISE_FILE), { fileName: 'mini-enterprise.stix20.json' });
}
