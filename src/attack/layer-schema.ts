/**
 * The ATT&CK Navigator layer file format, version 4.5, as typebox schemas (they document the
 * layer route in OpenAPI and type the layer builder).
 *
 * Source: mitre-attack/attack-navigator `layers/LAYERFORMATv4_5.md` ("Property Table" and the
 * Filter, Version, Technique, Gradient, LegendItem, Metadata, Link, Divider and Layout object
 * tables). Required there: `name`, `domain`; `versions.navigator`, `versions.layer` ("4.5");
 * `techniqueID`; gradient `colors` (≥ 2), `minValue`, `maxValue`; legend `label`, `color`;
 * metadata `name`, `value`; link `label`, `url`; divider `divider`.
 */
import { type Static, Type } from 'typebox';

export const LayerDivider = Type.Object({ divider: Type.Boolean() });

export const LayerMetadata = Type.Union([
  Type.Object({ name: Type.String(), value: Type.String() }),
  LayerDivider,
]);

export const LayerLink = Type.Union([
  Type.Object({
    label: Type.String(),
    url: Type.String({ description: "With a protocol, e.g. 'https://'" }),
  }),
  LayerDivider,
]);

export const LayerTechnique = Type.Object({
  techniqueID: Type.String({
    pattern: '^T\\d{4}(\\.\\d{3})?$',
    description: 'T####, or T####.### for a sub-technique',
  }),
  tactic: Type.Optional(
    Type.String({ description: 'Tactic short name; absent: under every tactic of the technique' }),
  ),
  comment: Type.Optional(Type.String()),
  enabled: Type.Optional(Type.Boolean()),
  score: Type.Optional(Type.Number()),
  color: Type.Optional(Type.String()),
  metadata: Type.Optional(Type.Array(LayerMetadata)),
  links: Type.Optional(Type.Array(LayerLink)),
  showSubtechniques: Type.Optional(Type.Boolean()),
});

export const LayerGradient = Type.Object({
  colors: Type.Array(Type.String(), { minItems: 2 }),
  minValue: Type.Number(),
  maxValue: Type.Number({ description: 'Must be > minValue' }),
});

export const LayerLegendItem = Type.Object({ label: Type.String(), color: Type.String() });

export const LayerLayout = Type.Object({
  layout: Type.Optional(Type.Union([Type.Literal('side'), Type.Literal('flat'), Type.Literal('mini')])),
  showID: Type.Optional(Type.Boolean()),
  showName: Type.Optional(Type.Boolean()),
  showAggregateScores: Type.Optional(Type.Boolean()),
  countUnscored: Type.Optional(Type.Boolean()),
  aggregateFunction: Type.Optional(
    Type.Union([Type.Literal('average'), Type.Literal('min'), Type.Literal('max'), Type.Literal('sum')]),
  ),
  expandedSubtechniques: Type.Optional(
    Type.Union([Type.Literal('none'), Type.Literal('all'), Type.Literal('annotated')]),
  ),
});

export const NavigatorLayer = Type.Object(
  {
    name: Type.String(),
    versions: Type.Optional(
      Type.Object({
        attack: Type.Optional(Type.String({ description: 'ATT&CK major version, e.g. "18"' })),
        navigator: Type.String({ description: 'At least "4.9.0"' }),
        layer: Type.Literal('4.5'),
      }),
    ),
    domain: Type.Union([
      Type.Literal('enterprise-attack'),
      Type.Literal('mobile-attack'),
      Type.Literal('ics-attack'),
    ]),
    description: Type.Optional(Type.String()),
    customDataURL: Type.Optional(Type.String()),
    filters: Type.Optional(Type.Object({ platforms: Type.Optional(Type.Array(Type.String())) })),
    sorting: Type.Optional(Type.Union([Type.Literal(0), Type.Literal(1), Type.Literal(2), Type.Literal(3)])),
    layout: Type.Optional(LayerLayout),
    hideDisabled: Type.Optional(Type.Boolean()),
    techniques: Type.Optional(Type.Array(LayerTechnique)),
    gradient: Type.Optional(LayerGradient),
    legendItems: Type.Optional(Type.Array(LayerLegendItem)),
    showTacticRowBackground: Type.Optional(Type.Boolean()),
    tacticRowBackground: Type.Optional(Type.String()),
    selectTechniquesAcrossTactics: Type.Optional(Type.Boolean()),
    selectSubtechniquesWithParent: Type.Optional(Type.Boolean()),
    selectVisibleTechniques: Type.Optional(Type.Boolean()),
    metadata: Type.Optional(Type.Array(LayerMetadata)),
    links: Type.Optional(Type.Array(LayerLink)),
  },
  { $id: 'NavigatorLayer', description: 'ATT&CK Navigator layer, format 4.5' },
);

export type NavigatorLayer = Static<typeof NavigatorLayer>;
export type LayerTechnique = Static<typeof LayerTechnique>;
export type LayerMetadata = Static<typeof LayerMetadata>;

/** The layers Vigil makes: `rules` (coverage of the enabled rules) or `detections` (alerts). */
export const LayerKindSchema = Type.Union([Type.Literal('rules'), Type.Literal('detections')], {
  description: 'rules: coverage of the enabled rules; detections: alerts per technique',
});
