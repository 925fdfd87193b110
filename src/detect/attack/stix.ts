/**
 * Reads an ATT&CK domain out of its STIX bundle (a parsed JSON value; no I/O here).
 *
 * Sources: STIX 2.0 and 2.1 (OASIS), `bundle` and `relationship` objects; MITRE's "ATT&CK Data
 * Model" of the ATT&CK spec versions 3.2.0 and 3.3.0 as found in the v18.1 bundles
 * (`mitre/cti` enterprise-attack, STIX 2.0; `attack-stix-data` ics-attack-18.1, STIX 2.1):
 * - `x-mitre-tactic`: `x_mitre_shortname`, id in the `mitre-attack` external reference (`TA0006`);
 * - `attack-pattern`: technique (`T1110`) or sub-technique (`x_mitre_is_subtechnique`, `T1110.001`),
 *   tactics in `kill_chain_phases` (`kill_chain_name` `mitre-attack`, `mitre-ics-attack`,
 *   `mitre-mobile-attack`), `revoked`, `x_mitre_deprecated`, `revoked-by` relationships;
 * - v18 detection model: `x-mitre-detection-strategy` (`DET…`) —`detects`→ `attack-pattern`;
 *   the strategy's `x_mitre_analytic_refs` → `x-mitre-analytic` (`AN…`) whose
 *   `x_mitre_log_source_references[]` = `{x_mitre_data_component_ref, name, channel}`;
 * - `x-mitre-collection` (`x_mitre_version`, the release; present in attack-stix-data bundles,
 *   absent from the reassembled `mitre/cti` one), `x-mitre-matrix` (`external_id` = domain,
 *   `tactic_refs` = tactic order).
 */
import { ErrorCodes, VigilError } from '../../errors.js';
import {
  type AttackCatalog,
  type AttackDomain,
  type AttackLogSource,
  type AttackStatus,
  type AttackTactic,
  type AttackTechnique,
  type AttackVersionSource,
  isAttackDomain,
} from './catalog.js';

export interface StixReadOptions {
  /** The ATT&CK release, when the caller knows it (wins over what the bundle says). */
  readonly version?: string | undefined;
  /** The bundle's file name, a last hint for the release (`ics-attack-18.1.stix21.json.gz`). */
  readonly fileName?: string | undefined;
  /** Which domain to read when the bundle does not say (its matrix, its techniques' domains). */
  readonly domain?: AttackDomain | undefined;
}

/** `kill_chain_name` of each domain's tactics. */
const KILL_CHAINS: Readonly<Record<AttackDomain, string>> = {
  'enterprise-attack': 'mitre-attack',
  'ics-attack': 'mitre-ics-attack',
  'mobile-attack': 'mitre-mobile-attack',
};

/**
 * ATT&CK spec version → the first ATT&CK release that used it, for bundles that carry no
 * `x-mitre-collection`. 3.3.0 (detection strategies and analytics) arrived with ATT&CK v18
 * (October 2025). A lower bound: later releases may keep the same spec version.
 */
const FIRST_RELEASE_OF_SPEC: Readonly<Record<string, string>> = { '3.3.0': '18' };

type Obj = Readonly<Record<string, unknown>>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function str(o: Obj, key: string): string | undefined {
  const v = o[key];
  return typeof v === 'string' ? v : undefined;
}

function strings(o: Obj, key: string): string[] {
  const v = o[key];
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

function objects(o: Obj, key: string): Obj[] {
  const v = o[key];
  return Array.isArray(v) ? v.filter(isObj) : [];
}

/** Source names of ATT&CK's own external reference (older ICS and mobile objects use the domain's). */
const MITRE_SOURCES = new Set(['mitre-attack', 'mitre-ics-attack', 'mitre-mobile-attack']);

/** The `external_id` of the `mitre-attack` (or `mitre-ics-attack`, `mitre-mobile-attack`) reference. */
function mitreId(o: Obj): string | undefined {
  for (const r of objects(o, 'external_references'))
    if (MITRE_SOURCES.has(str(r, 'source_name') ?? '')) return str(r, 'external_id');
  return undefined;
}

function status(o: Obj): AttackStatus {
  return o.revoked === true ? 'revoked' : o.x_mitre_deprecated === true ? 'deprecated' : '';
}

const live = (o: Obj): boolean => status(o) === '';

/** Compares dotted numeric versions (`3.10.0` > `3.9.0`). */
function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return Number.isNaN(d) ? 0 : d;
  }
  return 0;
}

/** `ics-attack-18.1.stix21.json.gz` → `18.1`; `enterprise-attack.json.gz` → undefined. */
export function versionFromFileName(fileName: string): string | undefined {
  const base = fileName.split(/[\\/]/).pop() ?? '';
  return /(?:^|[-_v])(\d{1,3}\.\d{1,3})(?=[._-]|$)/.exec(base)?.[1];
}

function pickDomain(objs: readonly Obj[], options: StixReadOptions): AttackDomain {
  if (options.domain) return options.domain;
  for (const o of objs) {
    if (o.type !== 'x-mitre-matrix') continue;
    const id = mitreId(o);
    if (id !== undefined && isAttackDomain(id)) return id;
  }
  const votes = new Map<AttackDomain, number>();
  for (const o of objs)
    if (o.type === 'attack-pattern')
      for (const d of strings(o, 'x_mitre_domains'))
        if (isAttackDomain(d)) votes.set(d, (votes.get(d) ?? 0) + 1);
  const best = [...votes.entries()].sort((a, b) => b[1] - a[1])[0];
  if (!best) throw new VigilError(ErrorCodes.ATTACK_BUNDLE, 'no ATT&CK domain (no matrix, no techniques)');
  return best[0];
}

/** True when the object belongs to the domain (objects without `x_mitre_domains` belong). */
function inDomain(o: Obj, domain: AttackDomain): boolean {
  const ds = strings(o, 'x_mitre_domains');
  return ds.length === 0 || ds.includes(domain);
}

interface VersionInfo {
  readonly version: string | null;
  readonly versionSource: AttackVersionSource;
}

function pickVersion(
  collection: Obj | undefined,
  specVersion: string | null,
  options: StixReadOptions,
): VersionInfo {
  if (options.version) return { version: options.version, versionSource: 'option' };
  const fromCollection = collection ? str(collection, 'x_mitre_version') : undefined;
  if (fromCollection) return { version: fromCollection, versionSource: 'collection' };
  const fromName = options.fileName ? versionFromFileName(options.fileName) : undefined;
  if (fromName) return { version: fromName, versionSource: 'file-name' };
  const inferred = specVersion ? FIRST_RELEASE_OF_SPEC[specVersion] : undefined;
  if (inferred) return { version: inferred, versionSource: 'spec-version' };
  return { version: null, versionSource: 'unknown' };
}

/** The bundle's objects by type, with what is read across all of them. */
interface BundleIndex {
  readonly domain: AttackDomain;
  readonly byType: ReadonlyMap<string, readonly Obj[]>;
  /** STIX id → ATT&CK id (`attack-pattern--…` → `T1110`). */
  readonly stixIdToMitre: ReadonlyMap<string, string>;
  readonly stixVersion: string | undefined;
  readonly attackSpecVersion: string | null;
  readonly modified: string | null;
  readonly collection: Obj | undefined;
  readonly matrix: Obj | undefined;
  /** Objects of a type that belong to the domain. */
  of(type: string): Obj[];
}

function indexBundle(bundle: Obj, objs: readonly Obj[], domain: AttackDomain): BundleIndex {
  const byType = new Map<string, Obj[]>();
  const stixIdToMitre = new Map<string, string>();
  let stixVersion = str(bundle, 'spec_version');
  let attackSpecVersion: string | null = null;
  let modified: string | null = null;
  let collection: Obj | undefined;
  let matrix: Obj | undefined;
  for (const o of objs) {
    const type = str(o, 'type') ?? '';
    const list = byType.get(type);
    if (list) list.push(o);
    else byType.set(type, [o]);
    const id = str(o, 'id');
    const mid = mitreId(o);
    if (id !== undefined && mid !== undefined) stixIdToMitre.set(id, mid);
    stixVersion ??= str(o, 'spec_version');
    const spec = str(o, 'x_mitre_attack_spec_version');
    if (spec && (attackSpecVersion === null || compareVersions(spec, attackSpecVersion) > 0))
      attackSpecVersion = spec;
    const m = str(o, 'modified');
    if (m && (modified === null || m > modified)) modified = m;
    if (type === 'x-mitre-collection') collection ??= o;
    if (type === 'x-mitre-matrix' && mid === domain) matrix ??= o;
  }
  return {
    domain,
    byType,
    stixIdToMitre,
    stixVersion,
    attackSpecVersion,
    modified,
    collection,
    matrix,
    of: (type) => (byType.get(type) ?? []).filter((o) => inDomain(o, domain)),
  };
}

/** Current tactics, in the matrix's order (`tactic_refs`), the rest by id. */
function readTactics(ix: BundleIndex): AttackTactic[] {
  const order = new Map((ix.matrix ? strings(ix.matrix, 'tactic_refs') : []).map((ref, i) => [ref, i]));
  const rows: { tactic: AttackTactic; rank: number }[] = [];
  for (const o of ix.of('x-mitre-tactic')) {
    const id = mitreId(o);
    const shortname = str(o, 'x_mitre_shortname');
    if (!live(o) || id === undefined || shortname === undefined) continue;
    const rank = order.get(str(o, 'id') ?? '') ?? Number.MAX_SAFE_INTEGER;
    rows.push({ tactic: { id, shortname, name: str(o, 'name') ?? id }, rank });
  }
  rows.sort((a, b) => a.rank - b.rank || a.tactic.id.localeCompare(b.tactic.id));
  return rows.map((r) => r.tactic);
}

interface Techniques {
  readonly list: AttackTechnique[];
  /** STIX id → technique id. */
  readonly byStixId: ReadonlyMap<string, string>;
}

/** Techniques and sub-techniques by id; revoked and deprecated ones flagged, with `revoked-by`. */
function readTechniques(ix: BundleIndex, tactics: readonly AttackTactic[], warnings: string[]): Techniques {
  const killChain = KILL_CHAINS[ix.domain];
  const tacticNames = new Set(tactics.map((t) => t.shortname));
  const revokedBy = new Map<string, string>();
  for (const r of ix.byType.get('relationship') ?? []) {
    if (str(r, 'relationship_type') !== 'revoked-by') continue;
    const source = str(r, 'source_ref') ?? '';
    const target = ix.stixIdToMitre.get(str(r, 'target_ref') ?? '');
    if (source.startsWith('attack-pattern--') && target) revokedBy.set(source, target);
  }
  const techniques = new Map<string, AttackTechnique>();
  const byStixId = new Map<string, string>();
  let withoutId = 0;
  for (const o of ix.of('attack-pattern')) {
    const id = mitreId(o);
    if (id === undefined || !/^T\d{4}(\.\d{3})?$/.test(id)) {
      withoutId++;
      continue;
    }
    const phases = objects(o, 'kill_chain_phases')
      .filter((k) => str(k, 'kill_chain_name') === killChain)
      .map((k) => str(k, 'phase_name'))
      .filter((p): p is string => p !== undefined);
    for (const p of phases)
      if (!tacticNames.has(p) && live(o))
        warnings.push(`${id}: tactic "${p}" is not a tactic of ${ix.domain}`);
    const stixId = str(o, 'id') ?? '';
    const t: AttackTechnique = {
      id,
      name: str(o, 'name') ?? id,
      tactics: [...new Set(phases)],
      platforms: strings(o, 'x_mitre_platforms'),
      subtechnique: o.x_mitre_is_subtechnique === true || id.includes('.'),
      status: status(o),
      revokedBy: revokedBy.get(stixId) ?? null,
    };
    const previous = techniques.get(id);
    // The same id twice (a revoked copy beside the current one): keep the current one.
    if (previous && previous.status === '' && t.status !== '') continue;
    if (previous) warnings.push(`${id}: defined twice; kept the ${t.status || 'current'} one`);
    techniques.set(id, t);
    byStixId.set(stixId, id);
  }
  if (withoutId > 0) warnings.push(`${withoutId} attack-pattern objects without an ATT&CK id skipped`);
  return { list: [...techniques.values()].sort((a, b) => a.id.localeCompare(b.id)), byStixId };
}

interface LogSources {
  readonly rows: AttackLogSource[];
  readonly analytics: number;
  readonly strategies: number;
}

/**
 * The v18 detection model: strategy —`detects`→ technique; the strategy's analytics → their log
 * source references. Revoked or deprecated strategies, analytics and relationships are skipped.
 */
function readLogSources(ix: BundleIndex, techniques: Techniques, warnings: string[]): LogSources {
  const analytics = new Map<string, Obj>();
  for (const a of ix.of('x-mitre-analytic')) if (live(a)) analytics.set(str(a, 'id') ?? '', a);
  const strategies = new Map<string, Obj>();
  for (const s of ix.of('x-mitre-detection-strategy')) if (live(s)) strategies.set(str(s, 'id') ?? '', s);
  const rows: AttackLogSource[] = [];
  const seen = new Set<string>();
  let unresolved = 0;
  for (const r of ix.byType.get('relationship') ?? []) {
    if (str(r, 'relationship_type') !== 'detects' || !live(r)) continue;
    const strategy = strategies.get(str(r, 'source_ref') ?? '');
    const technique = techniques.byStixId.get(str(r, 'target_ref') ?? '');
    if (!strategy || technique === undefined) continue;
    const strategyId = mitreId(strategy) ?? '';
    for (const ref of strings(strategy, 'x_mitre_analytic_refs')) {
      const analytic = analytics.get(ref);
      if (!analytic) continue;
      const analyticId = mitreId(analytic) ?? '';
      for (const ls of objects(analytic, 'x_mitre_log_source_references')) {
        const name = str(ls, 'name');
        if (!name) continue;
        const channel = str(ls, 'channel') ?? '';
        const componentRef = str(ls, 'x_mitre_data_component_ref');
        const dataComponent = componentRef ? (ix.stixIdToMitre.get(componentRef) ?? null) : null;
        if (componentRef && dataComponent === null) unresolved++;
        const key = `${technique}\u0000${analyticId}\u0000${name}\u0000${channel}`;
        if (seen.has(key)) continue;
        seen.add(key);
        rows.push({ technique, strategy: strategyId, analytic: analyticId, name, channel, dataComponent });
      }
    }
  }
  if (unresolved > 0)
    warnings.push(`${unresolved} log-source references name a data component not in the bundle`);
  return { rows, analytics: analytics.size, strategies: strategies.size };
}

/** Group (G), software (S), data source (DS), mitigation (M) and campaign (C) ids. */
function readOtherIds(ix: BundleIndex): string[] {
  const ids = new Set<string>();
  for (const type of [
    'intrusion-set',
    'malware',
    'tool',
    'x-mitre-data-source',
    'course-of-action',
    'campaign',
  ])
    for (const o of ix.of(type)) {
      const id = mitreId(o);
      if (id && /^(G|S|DS|M|C)\d{4}$/.test(id)) ids.add(id);
    }
  return [...ids].sort();
}

/**
 * Reads one ATT&CK domain from a STIX 2.0 or 2.1 bundle.
 * @param bundle - the parsed JSON of the bundle (`{type: 'bundle', objects: [...]}`)
 * @returns the catalog: tactics in matrix order, techniques and sub-techniques by id (revoked and
 *   deprecated ones flagged, not dropped), the analytics' log-source references per technique,
 *   group/software/data source/mitigation/campaign ids, counts and non-fatal warnings
 * @throws VigilError `VIGIL_ERR_ATTACK_BUNDLE` when the value is not a STIX bundle, or the bundle
 *   holds no ATT&CK domain, tactics or techniques
 */
export function parseStixBundle(bundle: unknown, options: StixReadOptions = {}): AttackCatalog {
  if (!isObj(bundle) || bundle.type !== 'bundle' || !Array.isArray(bundle.objects))
    throw new VigilError(
      ErrorCodes.ATTACK_BUNDLE,
      'not a STIX bundle (expected {"type":"bundle","objects":[…]})',
    );
  const objs = bundle.objects.filter(isObj);
  const domain = pickDomain(objs, options);
  const ix = indexBundle(bundle, objs, domain);
  const warnings: string[] = [];
  const tactics = readTactics(ix);
  const techniques = readTechniques(ix, tactics, warnings);
  if (tactics.length === 0 || techniques.list.length === 0)
    throw new VigilError(ErrorCodes.ATTACK_BUNDLE, `no ${domain} tactics or techniques in the bundle`);
  const logSources = readLogSources(ix, techniques, warnings);
  const list = techniques.list;
  const fed = new Set(logSources.rows.map((l) => l.technique));
  const { version, versionSource } = pickVersion(ix.collection, ix.attackSpecVersion, options);
  return {
    domain,
    name: (ix.collection && str(ix.collection, 'name')) ?? (ix.matrix && str(ix.matrix, 'name')) ?? domain,
    version,
    versionSource,
    stixVersion: ix.stixVersion ?? 'unknown',
    attackSpecVersion: ix.attackSpecVersion,
    modified: ix.modified,
    tactics,
    techniques: list,
    logSources: logSources.rows,
    otherIds: readOtherIds(ix),
    counts: {
      tactics: tactics.length,
      techniques: list.filter((t) => !t.subtechnique).length,
      subtechniques: list.filter((t) => t.subtechnique).length,
      revoked: list.filter((t) => t.status === 'revoked').length,
      deprecated: list.filter((t) => t.status === 'deprecated').length,
      analytics: logSources.analytics,
      detectionStrategies: logSources.strategies,
      logSourceReferences: logSources.rows.length,
      techniquesWithLogSources: list.filter((t) => t.status === '' && fed.has(t.id)).length,
    },
    warnings,
  };
}
