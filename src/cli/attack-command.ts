/**
 * `vigil attack import <file>`: reads an ATT&CK STIX bundle (`.json` or `.json.gz`, STIX 2.0 or
 * 2.1) into the store, replacing that domain's catalog in one transaction audited as
 * `cli:<OS user>`, and prints what it read. Opens the store directly (see `store-access.ts`):
 * stop the server on the same embedded data directory first, or use `POST /api/v1/attack/import`.
 *
 * `vigil attack coverage --rules <paths…>`: offline coverage of a rule tree (no store): the
 * techniques its rules cover, tags the ATT&CK version does not know, and optionally a Navigator
 * layer file. ATT&CK comes from `--bundle`, else the built-in Enterprise table.
 */
import { writeFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { userInfo } from 'node:os';
import type { Command } from 'commander';
import { readBundleFile } from '../attack/bundle-file.js';
import { computeCoverage, type CoverageReport } from '../attack/coverage.js';
import { buildLayer } from '../attack/navigator.js';
import { coverageRules, importAttackBundle, type ImportResult } from '../attack/service.js';
import { builtinCatalog } from '../detect/attack/builtin-catalog.js';
import { type AttackCatalog, type AttackDomain, isAttackDomain } from '../detect/attack/catalog.js';
import { parseStixBundle } from '../detect/attack/stix.js';
import { planCorrelations } from '../detect/sigma/correlation/plan.js';
import { createDetector } from '../detect/sigma/detector.js';
import { ErrorCodes, VigilError } from '../errors.js';
import { loadRuleFiles } from '../rules/loader.js';
import { selectByStatus } from '../rules/select.js';
import type { Actor } from '../store/audit.js';
import { VERSION } from '../version.js';
import { DEFAULT_STATUSES, parseStatuses } from './options.js';
import type { CommandIO } from './scan-command.js';
import { withStore } from './store-access.js';

export interface AttackImportOptions {
  dataDir?: string;
  config?: string;
  attackVersion?: string;
  domain?: string;
  format: string;
}

export interface AttackCoverageOptions {
  rules: string[];
  bundle?: string;
  attackVersion?: string;
  status?: string;
  layer?: string;
  format: string;
}

function cliActor(): Actor {
  let name = 'unknown';
  try {
    name = userInfo().username;
  } catch {
    // no passwd entry (containers): keep 'unknown'
  }
  return { name: `cli:${name}`, ip: null };
}

function checkFormat(format: string): void {
  if (format !== 'text' && format !== 'json')
    throw new VigilError(ErrorCodes.USAGE, `--format: "${format}" is not one of text, json`);
}

function checkVersion(version: string | undefined): void {
  if (version !== undefined && !/^\d{1,3}(\.\d{1,3})?$/.test(version))
    throw new VigilError(ErrorCodes.USAGE, `--attack-version: "${version}" is not a release like 18 or 18.1`);
}

function parseDomain(value: string | undefined): AttackDomain | undefined {
  if (value === undefined || isAttackDomain(value)) return value;
  throw new VigilError(
    ErrorCodes.USAGE,
    `--domain: "${value}" is not enterprise-attack, ics-attack or mobile-attack`,
  );
}

const VERSION_SOURCES: Readonly<Record<string, string>> = {
  option: 'from --attack-version',
  collection: "from the bundle's x-mitre-collection",
  'file-name': 'from the file name',
  'spec-version': 'inferred from the ATT&CK spec version; pass --attack-version to set it',
  unknown: 'unknown; pass --attack-version to set it',
};

function importText(r: ImportResult): string {
  const i = r.imported;
  const c = i.counts;
  const lines = [
    `imported ${i.name} (${i.domain}) version ${i.version ?? '?'} (${VERSION_SOURCES[i.version_source]}), STIX ${i.stix_version}`,
    `  ${c.tactics} tactics, ${c.techniques} techniques, ${c.subtechniques} sub-techniques (${c.revoked} revoked, ${c.deprecated} deprecated)`,
    `  ${c.analytics} analytics, ${c.detectionStrategies} detection strategies, ${c.logSourceReferences} log-source references (${c.techniquesWithLogSources} techniques fed)`,
    ...i.warnings.map((w) => `  warning: ${w}`),
    r.previous
      ? `  replaced version ${r.previous.version ?? '?'} imported ${r.previous.imported_at} by ${r.previous.imported_by}`
      : '  first import of this domain',
  ];
  return `${lines.join('\n')}\n`;
}

/**
 * Runs `vigil attack import`.
 * @returns 0
 * @throws VigilError `VIGIL_ERR_USAGE` for a bad option; `VIGIL_ERR_INPUT_READ`,
 *   `VIGIL_ERR_ATTACK_BUNDLE` for an unreadable or unusable file; `VIGIL_ERR_STORE_LOCKED` while a
 *   server holds the data directory
 */
export async function attackImport(file: string, opts: AttackImportOptions, io: CommandIO): Promise<number> {
  checkFormat(opts.format);
  checkVersion(opts.attackVersion);
  const domain = parseDomain(opts.domain);
  const read = await readBundleFile(file);
  const result = await withStore(opts, (database) =>
    importAttackBundle(
      database,
      read,
      { source: basename(file), version: opts.attackVersion, domain },
      cliActor(),
      new Date(),
    ),
  );
  io.stdout.write(opts.format === 'json' ? `${JSON.stringify(result, null, 2)}\n` : importText(result));
  return 0;
}

function coverageText(report: CoverageReport, catalog: AttackCatalog): string {
  const s = report.summary;
  const out = [
    `ATT&CK: ${catalog.name} ${catalog.version ?? '(version unknown)'}${report.attack.source === 'builtin' ? ' (built-in table)' : ''}`,
    `rules: ${s.rules} loaded, ${s.rules_with_techniques} name techniques, ${s.rules_with_unknown_tags} carry tags unknown to this version`,
    `covered: ${s.techniques_covered} of ${s.techniques_total} techniques, ${s.subtechniques_covered} of ${s.subtechniques_total} sub-techniques`,
    'by tactic (techniques covered directly or through a sub-technique / current techniques):',
  ];
  const covered = new Set<string>();
  for (const t of report.techniques)
    if (t.rules.length > 0) covered.add(t.subtechnique ? t.id.slice(0, t.id.indexOf('.')) : t.id);
  for (const tactic of catalog.tactics) {
    const all = catalog.techniques.filter(
      (t) => t.status === '' && !t.subtechnique && t.tactics.includes(tactic.shortname),
    );
    const n = all.filter((t) => covered.has(t.id)).length;
    out.push(`  ${tactic.id} ${tactic.shortname.padEnd(22)} ${String(n).padStart(4)} / ${all.length}`);
  }
  if (report.unknown_tags.length > 0) {
    out.push(
      `tags this ATT&CK version does not know (kept verbatim, not errors): ${report.unknown_tags.length}`,
    );
    for (const u of report.unknown_tags)
      out.push(`  ${u.tag.padEnd(32)} ${u.rules.length} rule${u.rules.length === 1 ? '' : 's'}`);
  }
  if (report.revoked_tags.length > 0) {
    out.push(`tags naming revoked or deprecated techniques: ${report.revoked_tags.length}`);
    for (const r of report.revoked_tags)
      out.push(
        `  ${r.tag.padEnd(32)} ${r.status}${r.replaced_by ? `, counted for ${r.replaced_by}` : ', counted nowhere'} (${r.rules.length} rule${r.rules.length === 1 ? '' : 's'})`,
      );
  }
  return `${out.join('\n')}\n`;
}

/**
 * Runs `vigil attack coverage`: loads and compiles the rules (only compiled rules count, as in the
 * service), computes coverage, prints it, and writes the Navigator layer when `--layer` is given.
 * @returns 0
 * @throws VigilError `VIGIL_ERR_USAGE`, `VIGIL_ERR_INPUT_READ`, `VIGIL_ERR_ATTACK_BUNDLE`
 */
export async function attackCoverage(opts: AttackCoverageOptions, io: CommandIO): Promise<number> {
  checkFormat(opts.format);
  checkVersion(opts.attackVersion);
  const statuses = opts.status ? parseStatuses(opts.status) : new Set(DEFAULT_STATUSES);
  let catalog = builtinCatalog();
  if (opts.bundle !== undefined) {
    const read = await readBundleFile(opts.bundle);
    catalog = parseStixBundle(read.bundle, { version: opts.attackVersion, fileName: basename(opts.bundle) });
  }
  const set = await loadRuleFiles(opts.rules);
  const detector = createDetector(selectByStatus(set.rules, statuses).rules, { filters: set.filters });
  const report = computeCoverage({
    catalog,
    catalogSource: opts.bundle !== undefined ? 'imported' : 'builtin',
    rules: coverageRules(
      detector.rules,
      planCorrelations(
        detector.rules.map((r) => r.rule),
        selectByStatus(set.correlations, statuses).rules,
      ).correlations,
    ),
  });
  if (opts.layer !== undefined) {
    const layer = buildLayer(report, catalog, {
      kind: 'rules',
      generatedAt: new Date(),
      generator: `Vigil ${VERSION}`,
    });
    await writeFile(opts.layer, `${JSON.stringify(layer, null, 2)}\n`);
    io.stderr.write(
      `vigil: wrote a Navigator layer of ${layer.techniques?.length ?? 0} entries to ${opts.layer}\n`,
    );
  }
  io.stdout.write(
    opts.format === 'json' ? `${JSON.stringify(report, null, 2)}\n` : coverageText(report, catalog),
  );
  return 0;
}

export function registerAttack(program: Command, io: CommandIO, setExit: (code: number) => void): void {
  const attack = program
    .command('attack')
    .description('MITRE ATT&CK: import a STIX bundle, coverage, Navigator layers');
  attack
    .command('import')
    .description(
      "import an ATT&CK STIX bundle (.json or .json.gz) into the store, replacing that domain's catalog",
    )
    .argument('<file>', 'STIX bundle, e.g. enterprise-attack.json.gz')
    .option('--attack-version <version>', 'ATT&CK release (e.g. 18.1), when the bundle does not say')
    .option(
      '--domain <domain>',
      'enterprise-attack, ics-attack or mobile-attack, when the bundle does not say',
    )
    .option('--data-dir <dir>', 'embedded store (VIGIL_DATA_DIR, default ./data); stop the server first')
    .option('--config <file>', 'YAML settings file (VIGIL_CONFIG)')
    .option('-f, --format <format>', 'text or json', 'text')
    .action(async (file: string, opts: AttackImportOptions) => {
      setExit(await attackImport(file, opts, io));
    });
  attack
    .command('coverage')
    .description('offline ATT&CK coverage of a rule tree, with tags unknown to the ATT&CK version')
    .requiredOption('--rules <paths...>', 'rule files or directories')
    .option('--bundle <file>', 'ATT&CK STIX bundle to resolve tags against (default: the built-in table)')
    .option('--attack-version <version>', 'ATT&CK release of --bundle, when it does not say')
    .option('--status <list>', `statuses to include (default: ${DEFAULT_STATUSES.join(',')})`)
    .option('--layer <file>', 'also write an ATT&CK Navigator layer (format 4.5) of the coverage')
    .option('-f, --format <format>', 'text or json', 'text')
    .action(async (opts: AttackCoverageOptions) => {
      setExit(await attackCoverage(opts, io));
    });
}
