/**
 * The service's rule set: Vigil's pack and the configured rule directories (read-only), plus
 * uploads, enabled/disabled overrides and Sigma filters kept in the database by rule id. Every
 * change reloads the detector in place, so it takes effect on the next batch without a restart,
 * and writes an audit entry.
 */
import { type CorrelationPlan, correlationKey, planCorrelations } from '../detect/sigma/correlation/plan.js';
import { type AttackLookup, catalogLookup } from '../detect/attack/catalog.js';
import { createDetector, type Detector } from '../detect/sigma/detector.js';
import { loadCatalog } from '../store/attack.js';
import { parseRules } from '../detect/sigma/parse.js';
import type { Diagnostic, SigmaFilter, SigmaRule } from '../detect/sigma/types.js';
import { ErrorCodes, VigilError } from '../errors.js';
import { type Actor, writeAudit } from '../store/audit.js';
import type { Database } from '../store/database.js';
import {
  listFilters,
  listUploads,
  ruleStates,
  saveFilter,
  saveUpload,
  setFilterEnabled,
  setRuleState,
  type StoredFilter,
} from '../store/rules.js';
import { loadRuleFiles } from './loader.js';
import { selectByStatus } from './select.js';

/** A rule as the API lists it. */
export interface RuleInfo {
  readonly id: string;
  readonly title: string;
  readonly level: string | undefined;
  readonly status: string | undefined;
  readonly tags: string[];
  readonly logsource: Record<string, unknown>;
  /** `rule`, or the correlation type for a correlation rule. */
  readonly kind: 'rule' | 'correlation';
  /** `file` (a rule directory) or `upload` (the API). */
  readonly origin: 'file' | 'upload';
  readonly path: string;
  readonly enabled: boolean;
  /** False when the rule did not compile (see diagnostics). */
  readonly active: boolean;
}

/** One consistent view of the rules, replaced as a whole on reload. */
export interface RuleSnapshot {
  readonly detector: Detector;
  /** The enabled correlation rules, resolved against the detector's rules. */
  readonly correlation: CorrelationPlan;
  /** The imported ATT&CK catalog rule tags resolve against (undefined: the built-in table). */
  readonly attack: AttackLookup | undefined;
  readonly rules: readonly RuleInfo[];
  readonly diagnostics: readonly Diagnostic[];
  readonly filters: readonly StoredFilter[];
  readonly loadedAt: string;
}

/** The id alerts are keyed by: the rule's `id`, else its title. */
export function ruleKey(rule: SigmaRule): string {
  return rule.id ?? rule.title;
}

const RUNNABLE = new Set(['stable', 'test', 'experimental'] as const);

/** Parses YAML that must hold exactly one rule (or one filter). @throws VigilError 400 with the diagnostics */
function parseOne<K extends 'rule' | 'filter'>(yaml: string, kind: K): K extends 'rule' ? SigmaRule : SigmaFilter {
  const parsed = parseRules(yaml, kind === 'rule' ? 'upload.yml' : 'filter.yml');
  const errors = parsed.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length > 0) throw new VigilError(ErrorCodes.RULE_INVALID, errors.map((d) => d.message).join('; '));
  const list = kind === 'rule' ? parsed.rules : parsed.filters;
  if (list.length !== 1 || parsed.rules.length + parsed.filters.length !== 1)
    throw new VigilError(ErrorCodes.RULE_INVALID, `expected exactly one ${kind} document`);
  return list[0] as K extends 'rule' ? SigmaRule : SigmaFilter;
}

export class RuleService {
  private snapshot: RuleSnapshot | undefined;

  /**
   * @param directories - rule files or directories (Vigil's pack first)
   * @param now - the clock (injected for tests)
   */
  constructor(
    private readonly database: Database,
    private readonly directories: readonly string[],
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** The current rules; call {@link reload} once before. */
  current(): RuleSnapshot {
    if (!this.snapshot) throw new Error('RuleService.reload() was not called');
    return this.snapshot;
  }

  /** Re-reads the directories and the database and builds a new detector. */
  async reload(): Promise<RuleSnapshot> {
    const db = this.database.db;
    const files = await loadRuleFiles(this.directories);
    const diagnostics: Diagnostic[] = [...files.diagnostics];
    const byKey = new Map<string, { rule: SigmaRule; origin: 'file' | 'upload' }>();
    for (const rule of selectByStatus(files.rules, RUNNABLE).rules)
      byKey.set(ruleKey(rule), { rule, origin: 'file' });
    for (const upload of await listUploads(db)) {
      const parsed = parseRules(upload.yaml, `upload:${upload.ruleId}`);
      diagnostics.push(...parsed.diagnostics);
      for (const rule of parsed.rules) byKey.set(ruleKey(rule), { rule, origin: 'upload' });
    }
    const states = await ruleStates(db);
    const storedFilters = await listFilters(db);
    const filters: SigmaFilter[] = [...files.filters];
    for (const f of storedFilters.filter((x) => x.enabled)) {
      const parsed = parseRules(f.yaml, `filter:${f.id}`);
      diagnostics.push(...parsed.diagnostics);
      filters.push(...parsed.filters);
    }
    const enabled = [...byKey.values()].filter(({ rule }) => states.get(ruleKey(rule)) !== false);
    // Rule tags resolve against the imported ATT&CK Enterprise catalog when there is one.
    const imported = await loadCatalog(db, 'enterprise-attack');
    const attack = imported ? catalogLookup(imported) : undefined;
    const detector = createDetector(
      enabled.map((e) => e.rule),
      { filters, attack },
    );
    diagnostics.push(...detector.diagnostics);
    const correlations = selectByStatus(files.correlations, RUNNABLE).rules;
    const correlation = planCorrelations(
      detector.rules.map((r) => r.rule),
      correlations.filter((c) => states.get(correlationKey(c)) !== false),
    );
    diagnostics.push(...correlation.diagnostics);
    const active = new Set(detector.rules.map((r) => ruleKey(r.rule)));
    for (const c of correlation.correlations) active.add(correlationKey(c));
    const rules: RuleInfo[] = [...byKey.entries()].map(([id, { rule, origin }]) => ({
      id,
      kind: 'rule',
      title: rule.title,
      level: rule.level,
      status: rule.status,
      tags: [...rule.tags],
      logsource: { ...rule.logsource },
      origin,
      path: rule.source.path,
      enabled: states.get(id) !== false,
      active: active.has(id),
    }));
    for (const c of correlations) {
      const id = correlationKey(c);
      rules.push({
        id,
        kind: 'correlation',
        title: c.title,
        level: c.level,
        status: c.status,
        tags: [...c.tags],
        logsource: {},
        origin: 'file',
        path: c.source.path,
        enabled: states.get(id) !== false,
        active: active.has(id),
      });
    }
    this.snapshot = {
      detector,
      attack,
      correlation,
      rules,
      diagnostics,
      filters: storedFilters,
      loadedAt: this.now().toISOString(),
    };
    return this.snapshot;
  }

  /** @throws VigilError `VIGIL_ERR_NOT_FOUND` */
  rule(id: string): { info: RuleInfo; rule: SigmaRule | undefined } {
    const info = this.current().rules.find((r) => r.id === id);
    if (!info) throw new VigilError(ErrorCodes.NOT_FOUND, `rule ${id}`);
    const active = this.current().detector.rules.find((r) => ruleKey(r.rule) === id);
    return { info, rule: active?.rule };
  }

  /**
   * Validates and stores a Sigma rule (it replaces a rule with the same id), then reloads.
   * @throws VigilError `VIGIL_ERR_RULE_INVALID` (400) with the parser's or compiler's message
   */
  async upload(yaml: string, actor: Actor): Promise<RuleInfo> {
    const rule = parseOne(yaml, 'rule');
    if (!rule.id) throw new VigilError(ErrorCodes.RULE_INVALID, 'an uploaded rule needs an id');
    const check = createDetector([rule]);
    const bad = check.diagnostics.find((d) => d.severity === 'error');
    if (bad || check.rules.length !== 1)
      throw new VigilError(ErrorCodes.RULE_INVALID, bad?.message ?? 'the rule cannot run here');
    const now = this.now();
    await this.database.db.transaction().execute(async (trx) => {
      await saveUpload(trx, rule.id!, yaml, now);
      await writeAudit(trx, { actor, action: 'rule.upload', target: rule.id!, details: { title: rule.title } }, now);
    });
    await this.reload();
    return this.rule(rule.id).info;
  }

  /** @throws VigilError `VIGIL_ERR_NOT_FOUND` */
  async setEnabled(id: string, enabled: boolean, actor: Actor): Promise<RuleInfo> {
    this.rule(id);
    const now = this.now();
    await this.database.db.transaction().execute(async (trx) => {
      await setRuleState(trx, id, enabled, now);
      await writeAudit(trx, { actor, action: enabled ? 'rule.enable' : 'rule.disable', target: id, details: {} }, now);
    });
    await this.reload();
    return this.rule(id).info;
  }

  /**
   * Stores a Sigma filter (`sigma-filters-specification.md`) and reloads.
   * @throws VigilError `VIGIL_ERR_RULE_INVALID`
   */
  async uploadFilter(yaml: string, actor: Actor): Promise<StoredFilter> {
    const filter = parseOne(yaml, 'filter');
    if (!filter.id) throw new VigilError(ErrorCodes.RULE_INVALID, 'a filter needs an id');
    const now = this.now();
    await this.database.db.transaction().execute(async (trx) => {
      await saveFilter(trx, filter.id!, filter.title, yaml, now);
      await writeAudit(
        trx,
        { actor, action: 'filter.upload', target: filter.id!, details: { title: filter.title, rules: filter.rules } },
        now,
      );
    });
    await this.reload();
    return this.current().filters.find((f) => f.id === filter.id)!;
  }

  /** @throws VigilError `VIGIL_ERR_NOT_FOUND` */
  async setFilterEnabled(id: string, enabled: boolean, actor: Actor): Promise<StoredFilter> {
    const now = this.now();
    await this.database.db.transaction().execute(async (trx) => {
      if (!(await setFilterEnabled(trx, id, enabled, now))) throw new VigilError(ErrorCodes.NOT_FOUND, `filter ${id}`);
      await writeAudit(
        trx,
        { actor, action: enabled ? 'filter.enable' : 'filter.disable', target: id, details: {} },
        now,
      );
    });
    await this.reload();
    return this.current().filters.find((f) => f.id === id)!;
  }
}
