/**
 * The built-in ATT&CK table (`enterprise-attack.ts`, generated from ATT&CK Enterprise) as a
 * catalog, for coverage and Navigator layers when no bundle was imported. It has no analytics,
 * so coverage built on it cannot say which data feeds a technique.
 */
import type { AttackCatalog, AttackStatus, AttackTechnique } from './catalog.js';
import { ATTACK_VERSION, OTHER_IDS, TACTICS, TECHNIQUES } from './enterprise-attack.js';

function status(value: string): AttackStatus {
  return value === 'revoked' || value === 'deprecated' ? value : '';
}

let cached: AttackCatalog | undefined;

/** The built-in Enterprise catalog (built once). `versionSource` is `collection`: the table's release. */
export function builtinCatalog(): AttackCatalog {
  if (cached) return cached;
  const techniques: AttackTechnique[] = TECHNIQUES.map(([id, name, tactics, s]) => ({
    id,
    name,
    tactics: tactics.split(' ').filter((t) => t !== ''),
    platforms: [],
    subtechnique: id.includes('.'),
    status: status(s),
    revokedBy: null,
  }));
  cached = {
    domain: 'enterprise-attack',
    name: 'Enterprise ATT&CK',
    version: ATTACK_VERSION,
    versionSource: 'collection',
    stixVersion: 'unknown',
    attackSpecVersion: null,
    modified: null,
    tactics: TACTICS.map(([shortname, id, name]) => ({ id, shortname, name })),
    techniques,
    logSources: [],
    otherIds: [...OTHER_IDS],
    counts: {
      tactics: TACTICS.length,
      techniques: techniques.filter((t) => !t.subtechnique).length,
      subtechniques: techniques.filter((t) => t.subtechnique).length,
      revoked: techniques.filter((t) => t.status === 'revoked').length,
      deprecated: techniques.filter((t) => t.status === 'deprecated').length,
      analytics: 0,
      detectionStrategies: 0,
      logSourceReferences: 0,
      techniquesWithLogSources: 0,
    },
    warnings: [],
  };
  return cached;
}
