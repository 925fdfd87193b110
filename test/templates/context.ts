/**
 * Service contexts for the template tests: reopenable databases (restart tests), ingest of
 * fixture lines through the real IngestService, and the stored template of an event.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { expect } from 'vitest';
import { createServiceContext, type ServiceContext } from '../../src/service/vigil.js';
import { type Database, openDatabase } from '../../src/store/database.js';
import type { Json } from '../helpers/inject.js';
import { freshPostgres, testConfig } from '../helpers/service.js';
import type { FixtureLine } from './fixtures.js';

/** A database that can be reopened: a PGlite data dir or a PostgreSQL database. */
export async function durable(kind: string): Promise<{ open(): Promise<Database>; drop(): Promise<void> }> {
  if (kind === 'pglite') {
    const dataDir = mkdtempSync(join(tmpdir(), 'vigil-templates-db-'));
    return { open: () => openDatabase({ kind: 'pglite', dataDir }), drop: async () => {} };
  }
  const pg = await freshPostgres();
  return { open: () => openDatabase({ kind: 'postgres', url: pg.url }), drop: pg.drop };
}

export async function open(
  db: { open(): Promise<Database> },
  env: Record<string, string> = {},
): Promise<ServiceContext> {
  return createServiceContext(testConfig({ VIGIL_BUILTIN_RULES: 'false', ...env }), {
    database: await db.open(),
    log: pino({ level: 'silent' }),
  });
}

export async function ingest(ctx: ServiceContext, lines: readonly FixtureLine[]): Promise<number[]> {
  const r = await ctx.ingest.ingestLines(
    lines.map((l, i) => ({ line: i + 1, text: l.text })),
    'syslog',
    'syslog-tcp',
  );
  expect(r.rejected).toBe(0);
  return r.items.map((i) => ('id' in i ? i.id : -1));
}

type Ecs = Json;
export const templateOf = (ecs: Ecs) =>
  ecs.vigil?.template as { id: number; text: string; parameters: string[]; entities?: string[] } | undefined;
