/**
 * ATT&CK in the store: the imported catalog of each domain (replaced as a whole by an import),
 * and the two aggregates coverage reads — which log sources the stored events come from, and
 * alerts per technique per day.
 */
import { type Kysely, sql } from 'kysely';
import {
  type AttackCatalog,
  type AttackCatalogCounts,
  type AttackDomain,
  type AttackVersionSource,
  isAttackDomain,
} from '../detect/attack/catalog.js';
import type { DatabaseSchema } from './schema.js';

type Db = Kysely<DatabaseSchema>;

/** Rows per INSERT (PostgreSQL allows 65,535 parameters per statement). */
const CHUNK = 500;

/** What an import recorded about the bundle, as the API lists it. */
export interface AttackImport {
  readonly domain: AttackDomain;
  readonly name: string;
  readonly version: string | null;
  readonly version_source: AttackVersionSource;
  readonly stix_version: string;
  readonly attack_spec_version: string | null;
  readonly modified: string | null;
  readonly source: string;
  readonly sha256: string;
  readonly imported_at: string;
  readonly imported_by: string;
  readonly counts: AttackCatalogCounts;
  readonly warnings: string[];
}

/** Where the bundle came from and who imported it. */
export interface ImportMeta {
  readonly source: string;
  readonly sha256: string;
  readonly importedBy: string;
  readonly importedAt: Date;
}

async function inChunks<T>(rows: readonly T[], insert: (chunk: T[]) => Promise<unknown>): Promise<void> {
  for (let i = 0; i < rows.length; i += CHUNK) await insert(rows.slice(i, i + CHUNK));
}

/**
 * Replaces the catalog of `catalog.domain` (its import row, tactics, techniques and log sources)
 * with `catalog`. Run it inside the caller's transaction so the swap is atomic.
 */
export async function replaceCatalog(trx: Db, catalog: AttackCatalog, meta: ImportMeta): Promise<void> {
  const domain = catalog.domain;
  await trx.deleteFrom('attack_imports').where('domain', '=', domain).execute();
  await trx
    .insertInto('attack_imports')
    .values({
      domain,
      name: catalog.name,
      version: catalog.version,
      version_source: catalog.versionSource,
      stix_version: catalog.stixVersion,
      attack_spec_version: catalog.attackSpecVersion,
      modified: catalog.modified,
      source: meta.source,
      sha256: meta.sha256,
      imported_at: meta.importedAt,
      imported_by: meta.importedBy,
      counts: JSON.stringify(catalog.counts),
      warnings: JSON.stringify(catalog.warnings),
      other_ids: JSON.stringify(catalog.otherIds),
    })
    .execute();
  await inChunks(
    catalog.tactics.map((t, position) => ({
      domain,
      id: t.id,
      shortname: t.shortname,
      name: t.name,
      position,
    })),
    (rows) => trx.insertInto('attack_tactics').values(rows).execute(),
  );
  await inChunks(
    catalog.techniques.map((t) => ({
      domain,
      id: t.id,
      name: t.name,
      tactics: JSON.stringify(t.tactics),
      platforms: JSON.stringify(t.platforms),
      subtechnique: t.subtechnique,
      status: t.status,
      revoked_by: t.revokedBy,
    })),
    (rows) => trx.insertInto('attack_techniques').values(rows).execute(),
  );
  await inChunks(
    catalog.logSources.map((l) => ({
      domain,
      technique_id: l.technique,
      strategy_id: l.strategy,
      analytic_id: l.analytic,
      name: l.name,
      channel: l.channel,
      data_component: l.dataComponent,
    })),
    (rows) => trx.insertInto('attack_log_sources').values(rows).execute(),
  );
}

type ImportRow = Omit<AttackImport, 'imported_at' | 'domain' | 'version_source'> & {
  domain: string;
  version_source: string;
  imported_at: Date;
};

const VERSION_SOURCES: readonly AttackVersionSource[] = [
  'option',
  'collection',
  'file-name',
  'spec-version',
  'unknown',
];

function versionSource(value: string): AttackVersionSource {
  return VERSION_SOURCES.find((v) => v === value) ?? 'unknown';
}

function domainOf(value: string): AttackDomain {
  if (!isAttackDomain(value)) throw new Error(`attack_imports holds an unknown domain "${value}"`);
  return value;
}

function toImport(r: ImportRow): AttackImport {
  return {
    ...r,
    domain: domainOf(r.domain),
    version_source: versionSource(r.version_source),
    imported_at: r.imported_at.toISOString(),
  };
}

const IMPORT_COLUMNS = [
  'domain',
  'name',
  'version',
  'version_source',
  'stix_version',
  'attack_spec_version',
  'modified',
  'source',
  'sha256',
  'imported_at',
  'imported_by',
  'counts',
  'warnings',
] as const;

/** The import of each domain, by domain. */
export async function listImports(db: Db): Promise<AttackImport[]> {
  const rows = await db.selectFrom('attack_imports').select(IMPORT_COLUMNS).orderBy('domain').execute();
  return rows.map(toImport);
}

/** The import of one domain, or undefined when none was imported. */
export async function getImport(db: Db, domain: AttackDomain): Promise<AttackImport | undefined> {
  const r = await db
    .selectFrom('attack_imports')
    .select(IMPORT_COLUMNS)
    .where('domain', '=', domain)
    .executeTakeFirst();
  return r ? toImport(r) : undefined;
}

/**
 * Reads a domain's imported catalog back (warnings included; `logSources` ordered by technique,
 * analytic, name and channel).
 * @returns undefined when the domain was never imported
 */
export async function loadCatalog(db: Db, domain: AttackDomain): Promise<AttackCatalog | undefined> {
  const head = await db
    .selectFrom('attack_imports')
    .selectAll()
    .where('domain', '=', domain)
    .executeTakeFirst();
  if (!head) return undefined;
  const [tactics, techniques, logSources] = await Promise.all([
    db.selectFrom('attack_tactics').selectAll().where('domain', '=', domain).orderBy('position').execute(),
    db.selectFrom('attack_techniques').selectAll().where('domain', '=', domain).orderBy('id').execute(),
    db
      .selectFrom('attack_log_sources')
      .selectAll()
      .where('domain', '=', domain)
      .orderBy('technique_id')
      .orderBy('analytic_id')
      .orderBy('name')
      .orderBy('channel')
      .execute(),
  ]);
  return {
    domain,
    name: head.name,
    version: head.version,
    versionSource: versionSource(head.version_source),
    stixVersion: head.stix_version,
    attackSpecVersion: head.attack_spec_version,
    modified: head.modified,
    tactics: tactics.map((t) => ({ id: t.id, shortname: t.shortname, name: t.name })),
    techniques: techniques.map((t) => ({
      id: t.id,
      name: t.name,
      tactics: t.tactics,
      platforms: t.platforms,
      subtechnique: t.subtechnique,
      status: t.status === 'revoked' || t.status === 'deprecated' ? t.status : '',
      revokedBy: t.revoked_by,
    })),
    logSources: logSources.map((l) => ({
      technique: l.technique_id,
      strategy: l.strategy_id,
      analytic: l.analytic_id,
      name: l.name,
      channel: l.channel,
      dataComponent: l.data_component,
    })),
    otherIds: head.other_ids,
    counts: head.counts,
    warnings: head.warnings,
  };
}

/**
 * One kind of stored event: its Sigma logsource (`product`, comma-joined `service` and `category`,
 * as the events table keeps them), decoder, Windows channel and `event.code`, with how many events.
 */
export interface SeenSource {
  readonly product: string | null;
  readonly service: string | null;
  readonly category: string | null;
  readonly decoder: string;
  /** ECS `winlog.channel`. */
  readonly channel: string | null;
  /** ECS `event.code` (Windows EventID, auditd record type). */
  readonly code: string | null;
  readonly events: number;
  /** Event-time span (ISO 8601). */
  readonly first: string;
  readonly last: string;
}

/**
 * The kinds of events in the store (a grouped scan of the events table: its cost grows with the
 * table; bound it with `since`).
 * @param since - only events ingested at or after this time
 */
export async function seenSources(db: Db, since?: Date): Promise<SeenSource[]> {
  const where = since ? sql`WHERE ingested >= ${since}` : sql``;
  const r = await sql<{
    product: string | null;
    service: string | null;
    category: string | null;
    decoder: string;
    channel: string | null;
    code: string | null;
    events: number | string;
    first: Date;
    last: Date;
  }>`
    SELECT logsource->>'product' AS product, logsource->>'service' AS service,
      logsource->>'category' AS category, decoder,
      ecs->'winlog'->>'channel' AS channel, ecs->'event'->>'code' AS code,
      count(*) AS events, min(timestamp) AS first, max(timestamp) AS last
    FROM events ${where}
    GROUP BY 1, 2, 3, 4, 5, 6
    ORDER BY 7 DESC, 1, 2, 3, 4, 5, 6`.execute(db);
  return r.rows.map((row) => ({
    ...row,
    events: Number(row.events),
    first: new Date(row.first).toISOString(),
    last: new Date(row.last).toISOString(),
  }));
}

/** Alerts naming one technique (or sub-technique) created on one UTC day. */
export interface DetectionCount {
  readonly technique: string;
  /** `YYYY-MM-DD` (UTC) of the alerts' `created_at`. */
  readonly day: string;
  readonly alerts: number;
  /** Matched events those alerts count (`event_count`, repeats included). */
  readonly events: number;
}

/**
 * Alerts per technique per UTC day of `created_at`, in [from, to), false positives excluded.
 * An alert counts once for each technique and sub-technique it names (`alerts.techniques`).
 */
export async function detectionsByDay(db: Db, from: Date, to: Date): Promise<DetectionCount[]> {
  const r = await sql<{ technique: string; day: string; alerts: number | string; events: number | string }>`
    SELECT t.technique, to_char(a.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day,
      count(*) AS alerts, sum(a.event_count) AS events
    FROM alerts a CROSS JOIN LATERAL jsonb_array_elements_text(a.techniques) AS t(technique)
    WHERE a.created_at >= ${from} AND a.created_at < ${to} AND a.status <> 'false_positive'
    GROUP BY 1, 2
    ORDER BY 1, 2`.execute(db);
  return r.rows.map((row) => ({
    technique: row.technique,
    day: row.day,
    alerts: Number(row.alerts),
    events: Number(row.events),
  }));
}
