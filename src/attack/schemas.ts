/**
 * Typebox schemas of what the ATT&CK API returns (coverage report, imports, catalog summary).
 * They document `/api/v1/attack/*` in OpenAPI, and the report's TypeScript types derive from
 * them (`coverage.ts`), so the two cannot drift.
 */
import { type Static, Type } from 'typebox';
import type { AttackImport as StoredImport, SeenSource as StoredSeenSource } from '../store/attack.js';

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()]);

export const AttackDomainSchema = Type.Union(
  [Type.Literal('enterprise-attack'), Type.Literal('ics-attack'), Type.Literal('mobile-attack')],
  { description: 'ATT&CK domain' },
);

export const AttackStatusSchema = Type.Union(
  [Type.Literal(''), Type.Literal('revoked'), Type.Literal('deprecated')],
  {
    description: "'' for a current technique",
  },
);

export const CatalogCounts = Type.Object({
  tactics: Type.Integer(),
  techniques: Type.Integer({
    description: 'Techniques that are not sub-techniques (revoked and deprecated included)',
  }),
  subtechniques: Type.Integer(),
  revoked: Type.Integer(),
  deprecated: Type.Integer(),
  analytics: Type.Integer(),
  detectionStrategies: Type.Integer(),
  logSourceReferences: Type.Integer(),
  techniquesWithLogSources: Type.Integer(),
});

export const AttackImport = Type.Object(
  {
    domain: AttackDomainSchema,
    name: Type.String(),
    version: Nullable(Type.String()),
    version_source: Type.Union(
      [
        Type.Literal('option'),
        Type.Literal('collection'),
        Type.Literal('file-name'),
        Type.Literal('spec-version'),
        Type.Literal('unknown'),
      ],
      { description: 'Where the release number came from' },
    ),
    stix_version: Type.String(),
    attack_spec_version: Nullable(Type.String()),
    modified: Nullable(Type.String()),
    source: Type.String({ description: 'File name, or api' }),
    sha256: Type.String(),
    imported_at: Type.String(),
    imported_by: Type.String(),
    counts: CatalogCounts,
    warnings: Type.Array(Type.String()),
  },
  { $id: 'AttackImport' },
);

export const SeenSource = Type.Object({
  product: Nullable(Type.String()),
  service: Nullable(Type.String({ description: 'Sigma services, comma-joined' })),
  category: Nullable(Type.String({ description: 'Sigma categories, comma-joined' })),
  decoder: Type.String(),
  channel: Nullable(Type.String({ description: 'winlog.channel' })),
  code: Nullable(Type.String({ description: 'event.code' })),
  events: Type.Integer(),
  first: Type.String(),
  last: Type.String(),
});

const RuleRef = Type.Object({
  id: Type.String(),
  title: Type.String(),
  level: Nullable(Type.String()),
  tactics: Type.Array(Type.String(), { description: "The rule's tactic tags among the technique's tactics" }),
});

const LogSourceMatch = Type.Union(
  [
    Type.Literal('event-code'),
    Type.Literal('log-source'),
    Type.Literal('other-events'),
    Type.Literal('none'),
  ],
  {
    description:
      'event-code: seen with one of its EventCodes; log-source: seen by name; other-events: seen, not those codes',
  },
);

export const TechniqueCoverage = Type.Object({
  id: Type.String(),
  name: Type.String(),
  tactics: Type.Array(Type.String()),
  subtechnique: Type.Boolean(),
  status: AttackStatusSchema,
  rules: Type.Array(RuleRef),
  subtechnique_rules: Type.Integer({ description: 'Distinct rules naming one of its sub-techniques' }),
  data: Type.Object({
    status: Type.Union([
      Type.Literal('seen'),
      Type.Literal('not-seen'),
      Type.Literal('no-analytics'),
      Type.Literal('unknown'),
    ]),
    seen: Nullable(Type.Boolean()),
    match: Nullable(Type.Union([Type.Literal('event-code'), Type.Literal('log-source')])),
    log_sources: Type.Array(
      Type.Object({
        name: Type.String(),
        channel: Type.String(),
        analytic: Type.String(),
        match: Nullable(LogSourceMatch),
      }),
    ),
  }),
  detections: Type.Object({
    alerts: Type.Integer(),
    events: Type.Integer(),
    days: Type.Array(Type.Object({ day: Type.String(), alerts: Type.Integer(), events: Type.Integer() })),
  }),
});

const TagUse = Type.Object({ tag: Type.String(), rules: Type.Array(Type.String()) });

export const CoverageReport = Type.Object(
  {
    attack: Type.Object({
      domain: AttackDomainSchema,
      name: Type.String(),
      version: Nullable(Type.String()),
      source: Type.Union([Type.Literal('imported'), Type.Literal('builtin')]),
    }),
    summary: Type.Object({
      rules: Type.Integer(),
      rules_with_techniques: Type.Integer(),
      rules_with_unknown_tags: Type.Integer(),
      techniques_total: Type.Integer(),
      subtechniques_total: Type.Integer(),
      techniques_covered: Type.Integer(),
      subtechniques_covered: Type.Integer(),
      covered_data_seen: Type.Integer(),
      covered_data_not_seen: Type.Integer(),
      covered_no_analytics: Type.Integer(),
      techniques_detected: Type.Integer(),
    }),
    techniques: Type.Array(TechniqueCoverage),
    unknown_tags: Type.Array(TagUse, { description: 'attack.* tags the catalog does not know, verbatim' }),
    revoked_tags: Type.Array(
      Type.Object({
        tag: Type.String(),
        rules: Type.Array(Type.String()),
        technique: Type.String(),
        status: Type.Union([Type.Literal('revoked'), Type.Literal('deprecated')]),
        replaced_by: Nullable(Type.String()),
      }),
    ),
    unknown_detections: Type.Array(Type.Object({ technique: Type.String(), alerts: Type.Integer() })),
    data: Type.Object({
      known: Type.Boolean(),
      sources: Type.Array(
        Type.Object({
          name: Type.String(),
          events: Type.Integer(),
          codes: Nullable(Type.Array(Type.String())),
        }),
      ),
      unmapped: Type.Array(SeenSource),
    }),
  },
  { $id: 'AttackCoverage' },
);

export type TechniqueCoverage = Static<typeof TechniqueCoverage>;
export type CoverageReport = Static<typeof CoverageReport>;
export type RuleRef = Static<typeof RuleRef>;

/** Fails to compile when `B` is not assignable to `A`. */
type Agrees<A, B extends A> = B;
/** Compile-time checks: the store's shapes are what the schemas say. */
export type StoreShapesAgree = [
  Agrees<Static<typeof AttackImport>, StoredImport>,
  Agrees<Static<typeof SeenSource>, StoredSeenSource>,
];
