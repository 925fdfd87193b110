/**
 * `vigil rules check <paths...>`: loads and compiles a rule tree and reports what loaded and,
 * for every rule that did not, why (like `sigma check`). Exit code 1 when any rule has an error.
 */
import type { Command } from 'commander';
import { planCorrelations } from '../detect/sigma/correlation/plan.js';
import { createDetector } from '../detect/sigma/detector.js';
import type { Diagnostic } from '../detect/sigma/types.js';
import { loadRuleFiles } from '../rules/loader.js';
import { selectByStatus } from '../rules/select.js';
import { DEFAULT_STATUSES, parseStatuses, readPlaceholders } from './options.js';
import type { CommandIO } from './scan-command.js';

export interface RulesCheckOptions {
  placeholders?: string;
  status?: string;
  format: string;
}

export interface RulesCheckReport {
  files: number;
  loaded: number;
  /** Correlation rules that resolved. */
  correlations: number;
  excludedByStatus: number;
  inactive: number;
  unsupported: number;
  errors: number;
  warnings: number;
  diagnostics: Diagnostic[];
}

function line(d: Diagnostic): string {
  const where = `${d.source.path}${d.line ? `:${d.line}` : ''}`;
  return `${d.severity.padEnd(11)} ${where}${d.ruleId ? ` [${d.ruleId}]` : ''}${d.path ? ` ${d.path}` : ''}: ${d.message} (${d.code})`;
}

export async function rulesCheck(paths: string[], opts: RulesCheckOptions, io: CommandIO): Promise<number> {
  const statuses = opts.status ? parseStatuses(opts.status) : new Set(DEFAULT_STATUSES);
  const placeholders = opts.placeholders
    ? await readPlaceholders(opts.placeholders)
    : new Map<string, string[]>();
  const set = await loadRuleFiles(paths);
  const selected = selectByStatus(set.rules, statuses);
  const detector = createDetector(selected.rules, { filters: set.filters, placeholders });
  const plan = planCorrelations(
    detector.rules.map((r) => r.rule),
    selectByStatus(set.correlations, statuses).rules,
  );
  const diagnostics = [...set.diagnostics, ...detector.diagnostics, ...plan.diagnostics];
  const count = (s: Diagnostic['severity']) => diagnostics.filter((d) => d.severity === s).length;
  const report: RulesCheckReport = {
    files: set.files,
    loaded: detector.rules.length,
    correlations: plan.correlations.length,
    excludedByStatus: selected.excluded,
    inactive: count('inactive'),
    unsupported: count('unsupported'),
    errors: count('error'),
    warnings: count('warning'),
    diagnostics,
  };
  if (opts.format === 'json') {
    io.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  } else {
    for (const d of diagnostics) io.stdout.write(`${line(d)}\n`);
    io.stdout.write(
      `${report.files} files: ${report.loaded} rules and ${report.correlations} correlation rules loaded, ${report.inactive} inactive, ${report.unsupported} unsupported, ${report.errors} errors, ${report.warnings} warnings, ${report.excludedByStatus} excluded by status, ${set.filters.length} filters\n`,
    );
  }
  return report.errors > 0 ? 1 : 0;
}

export function registerRules(program: Command, io: CommandIO, setExit: (code: number) => void): void {
  const rules = program.command('rules').description('work with Sigma rules');
  rules
    .command('check')
    .description(
      'load and compile rules; report loaded, inactive, unsupported and invalid rules with reasons',
    )
    .argument('<paths...>', 'rule files or directories')
    .option('--placeholders <file>', 'YAML file of placeholder values for |expand rules')
    .option('--status <list>', `statuses to include (default: ${DEFAULT_STATUSES.join(',')})`)
    .option('-f, --format <format>', 'text or json', 'text')
    .action(async (paths: string[], opts: RulesCheckOptions) => {
      setExit(await rulesCheck(paths, opts, io));
    });
}
