/**
 * An ATT&CK catalog: the tactics, techniques, sub-techniques and analytics' log-source references
 * of one ATT&CK domain, as read from its STIX bundle (`stix.ts`) or from the store, and the
 * lookup rule tags resolve against (`threat.ts`).
 *
 * Words are ATT&CK's and STIX's: a tactic's `shortname` is `x_mitre_shortname` (also the Sigma tag,
 * `attack.credential-access`, and the Navigator layer's `tactic`); ids are the `external_id` of the
 * `mitre-attack` external reference (`TA0006`, `T1110`, `T1110.001`, `AN0110`, `DET0103`, `DC0084`).
 */

/** An ATT&CK domain, as in `x_mitre_domains` and the Navigator layer's `domain`. */
export type AttackDomain = 'enterprise-attack' | 'ics-attack' | 'mobile-attack';

export const ATTACK_DOMAINS: readonly AttackDomain[] = ['enterprise-attack', 'ics-attack', 'mobile-attack'];

/** True when `value` names an ATT&CK domain. */
export function isAttackDomain(value: string): value is AttackDomain {
  return (ATTACK_DOMAINS as readonly string[]).includes(value);
}

export interface AttackTactic {
  /** `TA0006` */
  readonly id: string;
  /** `credential-access` (`x_mitre_shortname`) */
  readonly shortname: string;
  readonly name: string;
}

/** `''` for a current technique; revoked and deprecated ones stay resolvable but are flagged. */
export type AttackStatus = '' | 'revoked' | 'deprecated';

export interface AttackTechnique {
  /** `T1110` or, for a sub-technique, `T1110.001` */
  readonly id: string;
  readonly name: string;
  /** Tactic short names from `kill_chain_phases`, in the bundle's order. */
  readonly tactics: readonly string[];
  /** `x_mitre_platforms` (`Windows`, `Linux`, …). */
  readonly platforms: readonly string[];
  readonly subtechnique: boolean;
  readonly status: AttackStatus;
  /** For a revoked technique: the technique that replaced it (`revoked-by` relationship), if any. */
  readonly revokedBy: string | null;
}

/**
 * One log-source reference of an analytic that detects a technique (ATT&CK v18 detection model:
 * `x-mitre-detection-strategy` —detects→ `attack-pattern`; the strategy's `x_mitre_analytic_refs`
 * → `x-mitre-analytic`; its `x_mitre_log_source_references[]`). Says which data feeds which
 * technique.
 */
export interface AttackLogSource {
  /** Technique or sub-technique id. */
  readonly technique: string;
  /** Detection strategy id (`DET0103`). */
  readonly strategy: string;
  /** Analytic id (`AN0110`). */
  readonly analytic: string;
  /** Log source name, e.g. `WinEventLog:Security`, `auditd:SYSCALL`, `linux:syslog`. */
  readonly name: string;
  /** Free text as written by ATT&CK: `EventCode=4625`, `EventCode=4663, 4670, 4656`, `execve`, … */
  readonly channel: string;
  /** Data component id (`DC0084`), when the reference resolves. */
  readonly dataComponent: string | null;
}

/** Where a catalog's ATT&CK release number came from. */
export type AttackVersionSource = 'option' | 'collection' | 'file-name' | 'spec-version' | 'unknown';

export interface AttackCatalogCounts {
  readonly tactics: number;
  /** Techniques that are not sub-techniques, revoked and deprecated included. */
  readonly techniques: number;
  readonly subtechniques: number;
  readonly revoked: number;
  readonly deprecated: number;
  /** `x-mitre-analytic` objects of the domain (not revoked or deprecated). */
  readonly analytics: number;
  readonly detectionStrategies: number;
  readonly logSourceReferences: number;
  /** Techniques (current ones) that at least one analytic's log source feeds. */
  readonly techniquesWithLogSources: number;
}

/** One domain of ATT&CK, as imported. */
export interface AttackCatalog {
  readonly domain: AttackDomain;
  /** `Enterprise ATT&CK`, `ICS ATT&CK` (collection or matrix name). */
  readonly name: string;
  /** ATT&CK release (`18.1`, or `18` when inferred); null when nothing says. */
  readonly version: string | null;
  readonly versionSource: AttackVersionSource;
  /** STIX version of the bundle: `2.0` or `2.1`. */
  readonly stixVersion: string;
  /** Highest `x_mitre_attack_spec_version` among the objects (`3.3.0`). */
  readonly attackSpecVersion: string | null;
  /** Latest `modified` among the objects (ISO 8601). */
  readonly modified: string | null;
  /** Tactics in matrix order (`x-mitre-matrix.tactic_refs`), else by id. */
  readonly tactics: readonly AttackTactic[];
  /** Techniques and sub-techniques, by id. */
  readonly techniques: readonly AttackTechnique[];
  readonly logSources: readonly AttackLogSource[];
  /** Group (G), software (S), data source (DS), mitigation (M) and campaign (C) ids. */
  readonly otherIds: readonly string[];
  readonly counts: AttackCatalogCounts;
  /** What the reader skipped or could not interpret (never fatal). */
  readonly warnings: readonly string[];
}

/** What rule tags are resolved against: the built-in table or an imported catalog. */
export interface AttackLookup {
  /** ATT&CK release of the lookup (`18.1`), null when unknown. */
  readonly version: string | null;
  /** `credential-access` → its id and name. */
  tactic(shortname: string): { readonly id: string; readonly name: string } | undefined;
  /** `T1110.001` → its name (revoked and deprecated ids resolve too). */
  technique(id: string): string | undefined;
  /** True for a known group, software, data source, mitigation or campaign id (`G0016`). */
  other(id: string): boolean;
}

/**
 * A lookup over a catalog (or the parts of one read back from the store).
 * @param catalog - tactics, techniques, other ids and version
 */
export function catalogLookup(
  catalog: Pick<AttackCatalog, 'version' | 'tactics' | 'techniques' | 'otherIds'>,
): AttackLookup {
  const tactics = new Map(catalog.tactics.map((t) => [t.shortname, { id: t.id, name: t.name }]));
  const techniques = new Map(catalog.techniques.map((t) => [t.id, t.name]));
  const others = new Set(catalog.otherIds);
  return {
    version: catalog.version,
    tactic: (shortname) => tactics.get(shortname),
    technique: (id) => techniques.get(id),
    other: (id) => others.has(id),
  };
}

/** `18.1` → `18` (the Navigator's `versions.attack` names major releases); null stays null. */
export function majorVersion(version: string | null): string | null {
  if (version === null) return null;
  const m = /^(\d+)/.exec(version);
  return m ? m[1]! : null;
}
