/**
 * Sigma `attack.*` tags → ECS `threat.*` fields.
 *
 * Sources: Sigma specification v2.1, `sigma-appendix-tags.md` ("Namespace: attack": `t1234`,
 * `t1234.001`, tactic short names, `g1234`, `s1234`); ECS threat field set (`threat.framework`,
 * `threat.tactic.*`, `threat.technique.*`, `threat.technique.subtechnique.*`). Tags the bundled
 * ATT&CK version does not know (e.g. tactics introduced later, such as `attack.stealth`) are kept
 * verbatim in `unknown` and counted by callers — they are not errors.
 */
import type { AttackLookup } from './catalog.js';
import { ATTACK_VERSION, OTHER_IDS, TACTICS, TECHNIQUES } from './enterprise-attack.js';

export interface AttackRef {
  readonly id: string;
  readonly name: string;
  readonly reference: string;
}

/** ECS-shaped ATT&CK classification of one rule. */
export interface ThreatInfo {
  readonly framework: 'MITRE ATT&CK';
  readonly tactics: readonly AttackRef[];
  readonly techniques: readonly AttackRef[];
  readonly subtechniques: readonly AttackRef[];
  /** ATT&CK group (`g1234`) and software (`s1234`) ids named by the tags. */
  readonly groups: readonly string[];
  readonly software: readonly string[];
  /** Data source (`ds1234`) and mitigation (`m1234`) ids named by the tags. */
  readonly others: readonly string[];
  /** `attack.*` tags this ATT&CK version does not know, verbatim. */
  readonly unknown: readonly string[];
}

const tacticByShortName = new Map(TACTICS.map(([short, id, name]) => [short, { id, name }]));
const techniqueById = new Map(TECHNIQUES.map(([id, name]) => [id, name]));
const otherIds = new Set(OTHER_IDS);

/** The built-in table (`enterprise-attack.ts`, ATT&CK Enterprise {@link ATTACK_VERSION}) as a lookup. */
export const builtinAttack: AttackLookup = {
  version: ATTACK_VERSION,
  tactic: (shortname) => tacticByShortName.get(shortname),
  technique: (id) => techniqueById.get(id),
  other: (id) => otherIds.has(id),
};

function ref(id: string, name: string, kind: 'tactics' | 'techniques'): AttackRef {
  const path = kind === 'techniques' ? id.replace('.', '/') : id;
  return { id, name, reference: `https://attack.mitre.org/${kind}/${path}/` };
}

/** The ATT&CK release the tables come from. */
export const attackVersion: string = ATTACK_VERSION;

/**
 * Maps a rule's tags (already lower-case) to ECS threat fields.
 * @param tags - e.g. `['attack.execution', 'attack.t1059.001']`
 * @param lookup - what the tags resolve against: the built-in table (default) or an imported
 *   catalog (`catalogLookup` in `catalog.ts`)
 */
export function threatFromTags(tags: readonly string[], lookup: AttackLookup = builtinAttack): ThreatInfo {
  const tactics: AttackRef[] = [];
  const techniques: AttackRef[] = [];
  const subtechniques: AttackRef[] = [];
  const groups: string[] = [];
  const software: string[] = [];
  const others: string[] = [];
  const unknown: string[] = [];
  const seen = new Set<string>();
  const add = (list: AttackRef[], r: AttackRef): void => {
    if (!seen.has(r.id)) {
      seen.add(r.id);
      list.push(r);
    }
  };
  for (const tag of tags) {
    if (!tag.startsWith('attack.')) continue;
    const value = tag.slice('attack.'.length);
    const tactic = lookup.tactic(value);
    if (tactic) {
      add(tactics, ref(tactic.id, tactic.name, 'tactics'));
      continue;
    }
    const tech = /^t(\d{4})(?:\.(\d{3}))?$/.exec(value);
    if (tech) {
      const parentId = `T${tech[1]}`;
      const parentName = lookup.technique(parentId);
      if (tech[2] !== undefined) {
        const subId = `${parentId}.${tech[2]}`;
        const subName = lookup.technique(subId);
        if (subName === undefined || parentName === undefined) unknown.push(tag);
        else {
          add(techniques, ref(parentId, parentName, 'techniques'));
          add(subtechniques, ref(subId, subName, 'techniques'));
        }
      } else if (parentName === undefined) unknown.push(tag);
      else add(techniques, ref(parentId, parentName, 'techniques'));
      continue;
    }
    const id = value.toUpperCase();
    if (!lookup.other(id)) unknown.push(tag);
    else if (id.startsWith('G')) groups.push(id);
    else if (id.startsWith('S')) software.push(id);
    else others.push(id);
  }
  return { framework: 'MITRE ATT&CK', tactics, techniques, subtechniques, groups, software, others, unknown };
}
