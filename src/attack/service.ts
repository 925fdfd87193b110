/**
 * ATT&CK for the service and the CLI: importing a domain's STIX bundle into the store (one
 * transaction, audited), the catalog rule tags resolve to (the imported one, else the built-in
 * table for Enterprise), coverage of the enabled rules with the data seen and the detections,
 * and Navigator layers of it. Routes and commands call these; the work is in `coverage.ts`,
 * `navigator.ts`, `detect/attack/stix.ts` and `store/attack.ts`.
 */
import { builtinCatalog } from '../detect/attack/builtin-catalog.js';
import type { AttackCatalog, AttackDomain } from '../detect/attack/catalog.js';
import { parseStixBundle } from '../detect/attack/stix.js';
import { correlationKey } from '../detect/sigma/correlation/plan.js';
import type { SigmaCorrelation } from '../detect/sigma/correlation/types.js';
import type { ActiveRule } from '../detect/sigma/detector.js';
import { ErrorCodes, VigilError } from '../errors.js';
import { ruleKey } from '../rules/service.js';
import {
  type AttackImport,
  detectionsByDay,
  getImport,
  loadCatalog,
  replaceCatalog,
  seenSources,
} from '../store/attack.js';
import { type Actor, writeAudit } from '../store/audit.js';
import type { Database } from '../store/database.js';
import { VERSION } from '../version.js';
import type { BundleBytes } from './bundle-file.js';
import { computeCoverage, type CoverageReport, type CoverageRule } from './coverage.js';
import type { NavigatorLayer } from './layer-schema.js';
import { buildLayer, type LayerKind } from './navigator.js';

const DAY_MS = 86_400_000;

export interface ImportOptions {
  /** The file name (or `api`), recorded and used as a version hint. */
  readonly source: string;
  /** The ATT&CK release, overriding what the bundle says (`--attack-version`). */
  readonly version?: string | undefined;
  readonly domain?: AttackDomain | undefined;
}

export interface ImportResult {
  readonly imported: AttackImport;
  /** The import it replaced, if any. */
  readonly previous: AttackImport | null;
}

function auditView(i: AttackImport): Record<string, unknown> {
  return { name: i.name, version: i.version, sha256: i.sha256, counts: i.counts };
}

/**
 * Imports a bundle: parses it, replaces the domain's catalog and writes the `attack.import`
 * audit entry, in one transaction.
 * @throws VigilError `VIGIL_ERR_ATTACK_BUNDLE` when it is not a usable ATT&CK bundle
 */
export async function importAttackBundle(
  database: Database,
  read: BundleBytes,
  options: ImportOptions,
  actor: Actor,
  now: Date,
): Promise<ImportResult> {
  const catalog = parseStixBundle(read.bundle, {
    version: options.version,
    fileName: options.source,
    domain: options.domain,
  });
  return database.db.transaction().execute(async (trx) => {
    const previous = (await getImport(trx, catalog.domain)) ?? null;
    await replaceCatalog(trx, catalog, {
      source: options.source,
      sha256: read.sha256,
      importedBy: actor.name,
      importedAt: now,
    });
    const imported = (await getImport(trx, catalog.domain))!;
    await writeAudit(
      trx,
      {
        actor,
        action: 'attack.import',
        target: catalog.domain,
        before: previous ? auditView(previous) : null,
        after: auditView(imported),
        details: {
          source: options.source,
          bytes: read.bytes,
          gzip: read.gzip,
          stix_version: catalog.stixVersion,
          version_source: catalog.versionSource,
          warnings: catalog.warnings.length,
        },
      },
      now,
    );
    return { imported, previous };
  });
}

/** The catalog of a domain, where it came from, and its import record. */
export interface CurrentCatalog {
  readonly catalog: AttackCatalog;
  readonly source: 'imported' | 'builtin';
  readonly imported: AttackImport | null;
}

const cache = new WeakMap<Database, Map<AttackDomain, { key: string; catalog: AttackCatalog }>>();

/**
 * The catalog rule tags resolve to: the domain's imported one, else (Enterprise only) the
 * built-in table. Cached per database until the next import.
 * @throws VigilError `VIGIL_ERR_NOT_FOUND` for a domain other than Enterprise never imported
 */
export async function currentCatalog(database: Database, domain: AttackDomain): Promise<CurrentCatalog> {
  const imported = (await getImport(database.db, domain)) ?? null;
  if (!imported) {
    if (domain !== 'enterprise-attack')
      throw new VigilError(ErrorCodes.NOT_FOUND, `${domain} catalog (import it with vigil attack import)`);
    return { catalog: builtinCatalog(), source: 'builtin', imported: null };
  }
  const key = `${imported.imported_at}|${imported.sha256}`;
  let byDomain = cache.get(database);
  if (!byDomain) {
    byDomain = new Map();
    cache.set(database, byDomain);
  }
  const hit = byDomain.get(domain);
  if (hit?.key === key) return { catalog: hit.catalog, source: 'imported', imported };
  const catalog = (await loadCatalog(database.db, domain))!;
  byDomain.set(domain, { key, catalog });
  return { catalog, source: 'imported', imported };
}

/** The detector's active rules as coverage reads them (id as alerts key them: `id`, else title). */
export function coverageRules(
  rules: readonly ActiveRule[],
  correlations: readonly SigmaCorrelation[] = [],
): CoverageRule[] {
  return [
    ...rules.map((r) => ({
      id: ruleKey(r.rule),
      title: r.rule.title,
      level: r.rule.level,
      tags: r.rule.tags,
    })),
    // Correlation rules detect techniques too (brute force, spraying): counted by their own tags.
    ...correlations.map((c) => ({ id: correlationKey(c), title: c.title, level: c.level, tags: c.tags })),
  ];
}

export interface CoverageOptions {
  readonly domain: AttackDomain;
  /** Detections over the last `days` UTC days, today included. */
  readonly days: number;
  /** Only events ingested since then count as data seen (default: all stored events). */
  readonly since?: Date | undefined;
  /** List every current technique, not only covered or detected ones. */
  readonly all?: boolean | undefined;
  readonly now: Date;
}

export interface ServiceCoverage {
  readonly report: CoverageReport;
  readonly current: CurrentCatalog;
  readonly window: { readonly from: string; readonly to: string };
}

/** Coverage of the enabled rules, with the stored data and the alerts of the window. */
export async function serviceCoverage(
  database: Database,
  rules: readonly CoverageRule[],
  options: CoverageOptions,
): Promise<ServiceCoverage> {
  const current = await currentCatalog(database, options.domain);
  const today = Math.floor(options.now.getTime() / DAY_MS) * DAY_MS;
  const from = new Date(today - (options.days - 1) * DAY_MS);
  const to = new Date(today + DAY_MS);
  const [seen, detections] = await Promise.all([
    seenSources(database.db, options.since),
    detectionsByDay(database.db, from, to),
  ]);
  const report = computeCoverage({
    catalog: current.catalog,
    catalogSource: current.source,
    rules,
    seen,
    detections,
    all: options.all,
  });
  return { report, current, window: { from: from.toISOString(), to: to.toISOString() } };
}

/** A Navigator layer of the service's coverage (`rules`) or detections (`detections`). */
export async function serviceLayer(
  database: Database,
  rules: readonly CoverageRule[],
  kind: LayerKind,
  options: CoverageOptions,
): Promise<NavigatorLayer> {
  const { report, current, window } = await serviceCoverage(database, rules, { ...options, all: false });
  return buildLayer(report, current.catalog, {
    kind,
    generatedAt: options.now,
    generator: `Vigil ${VERSION}`,
    window: kind === 'detections' ? window : undefined,
  });
}
