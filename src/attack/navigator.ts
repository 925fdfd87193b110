/**
 * ATT&CK Navigator layers (format 4.5, `layer-schema.ts`) from a coverage report (pure).
 *
 * - `rules`: score = enabled rules naming the technique; a technique whose ATT&CK log sources
 *   were not seen in the stored data is coloured orange (an explicit `color` overrides the
 *   gradient, layer format 4.5, Technique object); metadata lists the rules and the data status.
 * - `detections`: score = alerts naming the technique in the window; metadata lists the days.
 *
 * A technique under several tactics gets one entry per tactic (`tactic` = short name) that its
 * rules place it under: a rule tagged with one of the technique's tactics counts only there, a
 * rule tagged with none of them counts under all. Only current techniques of the catalog appear
 * (the Navigator does not draw revoked or deprecated ones); everything left out is named in the
 * layer's metadata.
 */
import { type AttackCatalog, majorVersion } from '../detect/attack/catalog.js';
import type { CoverageReport, RuleRef, TechniqueCoverage } from './coverage.js';
import type { Static } from 'typebox';
import type { LayerKindSchema, LayerMetadata, LayerTechnique, NavigatorLayer } from './layer-schema.js';

/** The Navigator version layers are written for (the format asks for at least 4.9.0). */
export const NAVIGATOR_VERSION = '5.1.0';
export const LAYER_FORMAT_VERSION = '4.5';

export type LayerKind = Static<typeof LayerKindSchema>;

export interface LayerOptions {
  readonly kind: LayerKind;
  /** When the layer was made (written into its metadata). */
  readonly generatedAt: Date;
  /** Vigil's version, for the metadata. */
  readonly generator: string;
  /** The detection window, for `detections` (ISO 8601). */
  readonly window?: { readonly from: string; readonly to: string } | undefined;
  /** Metadata entries per technique listing rules or days, at most (the rest is summed up). */
  readonly maxListed?: number | undefined;
}

/** Colours: ColorBrewer sequential greens and reds, and orange for "no data seen". */
const RULES_GRADIENT = ['#e5f5e0', '#31a354'];
const DETECTIONS_GRADIENT = ['#fee0d2', '#de2d26'];
export const NO_DATA_COLOR = '#fdae61';

function meta(name: string, value: string): LayerMetadata {
  return { name, value };
}

function listed<T>(items: readonly T[], max: number, text: (item: T) => LayerMetadata): LayerMetadata[] {
  const out = items.slice(0, max).map(text);
  if (items.length > max) out.push(meta('…', `${items.length - max} more`));
  return out;
}

function dataText(t: TechniqueCoverage): string {
  switch (t.data.status) {
    case 'seen':
      return t.data.match === 'event-code' ? 'yes (log source and event code)' : 'yes (log source)';
    case 'not-seen':
      return 'no';
    case 'no-analytics':
      return 'ATT&CK names no log source';
    default:
      return 'unknown';
  }
}

function seenSources(t: TechniqueCoverage): string {
  const seen = t.data.log_sources.filter((s) => s.match === 'event-code' || s.match === 'log-source');
  return [
    ...new Set(seen.map((s) => (s.channel && s.match === 'event-code' ? `${s.name} ${s.channel}` : s.name))),
  ]
    .slice(0, 5)
    .join('; ');
}

/** The tactics (short names) to write entries under, with the rules counted there. */
function placements(t: TechniqueCoverage): { tactic: string | undefined; rules: readonly RuleRef[] }[] {
  if (t.tactics.length <= 1) return [{ tactic: undefined, rules: t.rules }];
  return t.tactics
    .map((tactic) => ({
      tactic,
      rules: t.rules.filter((r) => r.tactics.length === 0 || r.tactics.includes(tactic)),
    }))
    .filter((p) => p.rules.length > 0);
}

function rulesEntries(t: TechniqueCoverage, max: number, showSub: boolean): LayerTechnique[] {
  return placements(t).map(({ tactic, rules }) => {
    const data = dataText(t);
    const fed = seenSources(t);
    const metadata: LayerMetadata[] = [
      ...listed(rules, max, (r) => meta('rule', `${r.title} (${r.id}${r.level ? `, ${r.level}` : ''})`)),
      { divider: true },
      meta('data seen', data),
    ];
    if (fed) metadata.push(meta('fed by', fed));
    if (t.subtechnique_rules > 0)
      metadata.push(meta('rules on sub-techniques', String(t.subtechnique_rules)));
    const entry: LayerTechnique = {
      techniqueID: t.id,
      ...(tactic ? { tactic } : {}),
      score: rules.length,
      comment: `${rules.length} enabled rule${rules.length === 1 ? '' : 's'}; data seen: ${data}`,
      enabled: true,
      metadata,
      ...(t.data.status === 'not-seen' ? { color: NO_DATA_COLOR } : {}),
      ...(showSub ? { showSubtechniques: true } : {}),
    };
    return entry;
  });
}

function detectionEntries(t: TechniqueCoverage, max: number, showSub: boolean): LayerTechnique[] {
  const d = t.detections;
  const days = [...d.days].reverse();
  return [
    {
      techniqueID: t.id,
      score: d.alerts,
      comment: `${d.alerts} alert${d.alerts === 1 ? '' : 's'} (${d.events} events)${
        d.days.length > 0 ? `, ${d.days[0]!.day} to ${d.days[d.days.length - 1]!.day}` : ''
      }`,
      enabled: true,
      metadata: listed(days, max, (x) => meta(x.day, `${x.alerts} alerts, ${x.events} events`)),
      ...(showSub ? { showSubtechniques: true } : {}),
    },
  ];
}

/**
 * Builds a Navigator layer from a coverage report.
 * @param catalog - the catalog the report was computed on (ids are checked against it)
 * @returns a layer following the format 4.5: `versions.attack` is the catalog's major release
 *   (absent when unknown), `domain` the catalog's
 */
export function buildLayer(
  report: CoverageReport,
  catalog: AttackCatalog,
  options: LayerOptions,
): NavigatorLayer {
  const max = options.maxListed ?? 20;
  const current = new Set(catalog.techniques.filter((t) => t.status === '').map((t) => t.id));
  const pick =
    options.kind === 'rules'
      ? (t: TechniqueCoverage) => t.rules.length > 0
      : (t: TechniqueCoverage) => t.detections.alerts > 0;
  const chosen = report.techniques.filter(pick);
  const inLayer = chosen.filter((t) => current.has(t.id));
  const left = chosen
    .filter((t) => !current.has(t.id))
    .map((t) => `${t.id} (${t.status || 'not in catalog'})`);
  const parentsWithSubs = new Set(inLayer.filter((t) => t.subtechnique).map((t) => t.id.slice(0, 5)));
  const techniques = inLayer.flatMap((t) =>
    options.kind === 'rules'
      ? rulesEntries(t, max, parentsWithSubs.has(t.id))
      : detectionEntries(t, max, parentsWithSubs.has(t.id)),
  );
  const maxScore = Math.max(1, ...techniques.map((t) => t.score ?? 0));
  const attack = majorVersion(catalog.version);
  const source =
    report.attack.source === 'builtin'
      ? `built-in table (${catalog.name}, ATT&CK ${catalog.version}); no catalog imported (vigil attack import)`
      : `imported ${catalog.name} ${catalog.version ?? '(version unknown)'} (${catalog.versionSource})`;
  const metadata: LayerMetadata[] = [
    meta('generated by', options.generator),
    meta('generated at', options.generatedAt.toISOString()),
    meta('ATT&CK catalog', source),
  ];
  if (options.window) metadata.push(meta('window', `${options.window.from} to ${options.window.to}`));
  if (left.length > 0) metadata.push(meta('left out (revoked, deprecated or unknown)', left.join(', ')));
  if (options.kind === 'rules' && report.unknown_tags.length > 0)
    metadata.push(
      meta(
        `tags unknown to ATT&CK ${catalog.version ?? ''}`.trim(),
        report.unknown_tags.map((u) => `${u.tag} (${u.rules.length})`).join(', '),
      ),
    );
  if (options.kind === 'detections' && report.unknown_detections.length > 0)
    metadata.push(
      meta(
        'detected ids not in the catalog',
        report.unknown_detections.map((u) => `${u.technique} (${u.alerts})`).join(', '),
      ),
    );
  const legendItems =
    options.kind === 'rules'
      ? [
          { label: 'covered by enabled rules (score: rules)', color: RULES_GRADIENT[1]! },
          ...(report.data.known
            ? [
                {
                  label: "covered, but none of ATT&CK's log sources for it seen in the data",
                  color: NO_DATA_COLOR,
                },
              ]
            : []),
        ]
      : [{ label: 'detected (score: alerts)', color: DETECTIONS_GRADIENT[1]! }];
  return {
    name: options.kind === 'rules' ? 'Vigil: rule coverage' : 'Vigil: detections',
    versions: { ...(attack ? { attack } : {}), navigator: NAVIGATOR_VERSION, layer: '4.5' },
    domain: catalog.domain,
    description:
      options.kind === 'rules'
        ? `Techniques the enabled Sigma rules cover, by ATT&CK ${source}.`
        : `Alerts per technique${options.window ? ` from ${options.window.from} to ${options.window.to}` : ''}, by ATT&CK ${source}.`,
    sorting: 3,
    layout: {
      layout: 'side',
      showID: true,
      showName: true,
      showAggregateScores: false,
      countUnscored: false,
      aggregateFunction: 'sum',
      expandedSubtechniques: 'annotated',
    },
    hideDisabled: false,
    techniques,
    gradient: {
      colors: options.kind === 'rules' ? RULES_GRADIENT : DETECTIONS_GRADIENT,
      minValue: 0,
      maxValue: maxScore,
    },
    legendItems,
    showTacticRowBackground: false,
    selectTechniquesAcrossTactics: true,
    selectSubtechniquesWithParent: false,
    selectVisibleTechniques: false,
    metadata,
  };
}
