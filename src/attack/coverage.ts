/**
 * ATT&CK coverage (pure: values in, values out): which techniques the enabled rules cover (their
 * `attack.*` tags resolved against the catalog), which of those the data seen can feed (the
 * catalog's analytic log sources against `log-sources.ts`), and detections per technique per day.
 *
 * Tag semantics (Sigma specification v2.1, `sigma-appendix-tags.md`, "Namespace: attack"): a rule
 * covers every technique or sub-technique it names (`attack.t1059.001` covers T1059.001, and is
 * counted on T1059 as sub-technique coverage, not as a rule of T1059). A tactic tag
 * (`attack.execution`) places the rule under that tactic when its technique has several. Tags
 * the catalog does not know are kept verbatim in `unknown_tags`; a tag naming a revoked technique
 * counts for the technique that replaced it (`revoked-by`) and is listed in `revoked_tags`.
 */
import { type AttackCatalog, catalogLookup } from '../detect/attack/catalog.js';
import { threatFromTags } from '../detect/attack/threat.js';
import type { DetectionCount, SeenSource } from '../store/attack.js';
import { matchLogSource, type SeenData, seenData } from './log-sources.js';
import type { CoverageReport, RuleRef, TechniqueCoverage } from './schemas.js';

export type { CoverageReport, RuleRef, TechniqueCoverage } from './schemas.js';

/** A rule as coverage needs it. */
export interface CoverageRule {
  readonly id: string;
  readonly title: string;
  readonly level?: string | undefined;
  readonly tags: readonly string[];
}

export interface CoverageInput {
  readonly catalog: AttackCatalog;
  /** `imported` (the store) or `builtin` (`enterprise-attack.ts`). */
  readonly catalogSource: 'imported' | 'builtin';
  readonly rules: readonly CoverageRule[];
  /** The kinds of stored events; undefined when unknown (offline coverage). */
  readonly seen?: readonly SeenSource[] | undefined;
  /** Alerts per technique per day; undefined when unknown (offline coverage). */
  readonly detections?: readonly DetectionCount[] | undefined;
  /** List every current technique of the catalog, not only the covered or detected ones. */
  readonly all?: boolean | undefined;
}

/**
 * Whether the data seen can feed a technique (`TechniqueCoverage.data.status`): `seen` (a log
 * source of its analytics was seen), `not-seen`, `no-analytics` (the catalog names no log source
 * for it), `unknown` (no data profile, or the built-in catalog, which has no analytics).
 */
export type DataStatus = TechniqueCoverage['data']['status'];

type TechniqueLogSource = TechniqueCoverage['data']['log_sources'][number];

const TECHNIQUE_TAG = /^attack\.t(\d{4})(?:\.(\d{3}))?$/;

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

function dataOf(
  sources: readonly TechniqueLogSource[],
  data: SeenData | undefined,
  hasAnalytics: boolean,
): TechniqueCoverage['data'] {
  if (!hasAnalytics) return { status: 'unknown', seen: null, match: null, log_sources: [] };
  if (sources.length === 0) return { status: 'no-analytics', seen: null, match: null, log_sources: [] };
  if (!data) return { status: 'unknown', seen: null, match: null, log_sources: [...sources] };
  const matched = sources.map((s) => ({ ...s, match: matchLogSource(data, s.name, s.channel) }));
  const exact = matched.some((s) => s.match === 'event-code');
  const named = matched.some((s) => s.match === 'log-source');
  return {
    status: exact || named ? 'seen' : 'not-seen',
    seen: exact || named,
    match: exact ? 'event-code' : named ? 'log-source' : null,
    log_sources: matched,
  };
}

/**
 * Computes coverage.
 * @returns techniques covered by rules or detected (every current technique with `all`), by id,
 *   with rules, data status and detections per day; unknown and revoked tags; the data profile
 */
export function computeCoverage(input: CoverageInput): CoverageReport {
  const { catalog } = input;
  const lookup = catalogLookup(catalog);
  const byId = new Map(catalog.techniques.map((t) => [t.id, t]));
  const rulesByTechnique = new Map<string, RuleRef[]>();
  const unknown = new Map<string, string[]>();
  const revoked = new Map<
    string,
    { technique: string; status: 'revoked' | 'deprecated'; to: string | null; rules: string[] }
  >();
  let withTechniques = 0;
  let withUnknown = 0;
  for (const rule of input.rules) {
    const tags = rule.tags.map((t) => t.toLowerCase());
    const threat = threatFromTags(tags, lookup);
    const ruleTactics = new Set(
      tags
        .filter((t) => t.startsWith('attack.') && lookup.tactic(t.slice(7)) !== undefined)
        .map((t) => t.slice(7)),
    );
    for (const tag of threat.unknown) push(unknown, tag, rule.id);
    if (threat.unknown.length > 0) withUnknown++;
    const named = new Set<string>();
    for (const tag of tags) {
      const m = TECHNIQUE_TAG.exec(tag);
      if (!m) continue;
      const id = m[2] === undefined ? `T${m[1]}` : `T${m[1]}.${m[2]}`;
      const t = byId.get(id);
      if (!t) continue;
      if (t.status === '') named.add(id);
      else {
        const to = t.revokedBy && byId.get(t.revokedBy)?.status === '' ? t.revokedBy : null;
        const entry = revoked.get(tag) ?? { technique: id, status: t.status, to, rules: [] };
        if (!entry.rules.includes(rule.id)) entry.rules.push(rule.id);
        revoked.set(tag, entry);
        if (to) named.add(to);
      }
    }
    if (named.size > 0) withTechniques++;
    for (const id of named) {
      const t = byId.get(id)!;
      push(rulesByTechnique, id, {
        id: rule.id,
        title: rule.title,
        level: rule.level ?? null,
        tactics: t.tactics.filter((x) => ruleTactics.has(x)),
      });
    }
  }
  const subRules = new Map<string, Set<string>>();
  for (const [id, refs] of rulesByTechnique) {
    if (!id.includes('.')) continue;
    const parent = id.slice(0, id.indexOf('.'));
    const set = subRules.get(parent) ?? new Set<string>();
    for (const r of refs) set.add(r.id);
    subRules.set(parent, set);
  }

  const detected = new Map<
    string,
    { alerts: number; events: number; days: { day: string; alerts: number; events: number }[] }
  >();
  const unknownDetections = new Map<string, number>();
  for (const d of input.detections ?? []) {
    const t = byId.get(d.technique);
    if (!t) {
      unknownDetections.set(d.technique, (unknownDetections.get(d.technique) ?? 0) + d.alerts);
      continue;
    }
    const e = detected.get(d.technique) ?? { alerts: 0, events: 0, days: [] };
    e.alerts += d.alerts;
    e.events += d.events;
    e.days.push({ day: d.day, alerts: d.alerts, events: d.events });
    detected.set(d.technique, e);
  }

  const sourcesByTechnique = new Map<string, TechniqueLogSource[]>();
  for (const l of catalog.logSources)
    push(sourcesByTechnique, l.technique, {
      name: l.name,
      channel: l.channel,
      analytic: l.analytic,
      match: null,
    });
  const data = input.seen ? seenData(input.seen) : undefined;
  const hasAnalytics = catalog.logSources.length > 0;

  const ids = input.all
    ? catalog.techniques.filter((t) => t.status === '').map((t) => t.id)
    : [...new Set([...rulesByTechnique.keys(), ...detected.keys()])];
  const techniques: TechniqueCoverage[] = ids.sort().map((id) => {
    const t = byId.get(id)!;
    const d = detected.get(id);
    return {
      id,
      name: t.name,
      tactics: [...t.tactics],
      subtechnique: t.subtechnique,
      status: t.status,
      rules: rulesByTechnique.get(id) ?? [],
      subtechnique_rules: subRules.get(id)?.size ?? 0,
      data: dataOf(sourcesByTechnique.get(id) ?? [], data, hasAnalytics),
      detections: d
        ? { alerts: d.alerts, events: d.events, days: d.days.sort((a, b) => a.day.localeCompare(b.day)) }
        : { alerts: 0, events: 0, days: [] },
    };
  });
  const covered = techniques.filter((t) => t.rules.length > 0);
  const current = catalog.techniques.filter((t) => t.status === '');
  return {
    attack: {
      domain: catalog.domain,
      name: catalog.name,
      version: catalog.version,
      source: input.catalogSource,
    },
    summary: {
      rules: input.rules.length,
      rules_with_techniques: withTechniques,
      rules_with_unknown_tags: withUnknown,
      techniques_total: current.filter((t) => !t.subtechnique).length,
      subtechniques_total: current.filter((t) => t.subtechnique).length,
      techniques_covered: covered.filter((t) => !t.subtechnique).length,
      subtechniques_covered: covered.filter((t) => t.subtechnique).length,
      covered_data_seen: covered.filter((t) => t.data.status === 'seen').length,
      covered_data_not_seen: covered.filter((t) => t.data.status === 'not-seen').length,
      covered_no_analytics: covered.filter((t) => t.data.status === 'no-analytics').length,
      techniques_detected: techniques.filter((t) => t.detections.alerts > 0).length,
    },
    techniques,
    unknown_tags: [...unknown.entries()]
      .map(([tag, rules]) => ({ tag, rules }))
      .sort((a, b) => b.rules.length - a.rules.length || a.tag.localeCompare(b.tag)),
    revoked_tags: [...revoked.entries()]
      .map(([tag, r]) => ({
        tag,
        technique: r.technique,
        status: r.status,
        replaced_by: r.to,
        rules: r.rules,
      }))
      .sort((a, b) => a.tag.localeCompare(b.tag)),
    unknown_detections: [...unknownDetections.entries()]
      .map(([technique, alerts]) => ({ technique, alerts }))
      .sort((a, b) => a.technique.localeCompare(b.technique)),
    data: {
      known: data !== undefined,
      sources: data
        ? [...data.sources.values()]
            .map((x) => ({ ...x, codes: x.codes ? [...x.codes] : null }))
            .sort((a, b) => b.events - a.events || a.name.localeCompare(b.name))
        : [],
      unmapped: data ? [...data.unmapped] : [],
    },
  };
}
