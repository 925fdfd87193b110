/**
 * The database: Kysely over embedded PGlite (default, under the data directory) or PostgreSQL
 * (`DATABASE_URL`). One schema, one migration set (`migrations.ts`), run at open.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { Kysely, PostgresDialect } from 'kysely';
import { PGliteDialect } from 'kysely-pglite-dialect';
import pg from 'pg';
import { acquireDirectoryLock, type DirectoryLock } from './lock.js';
import { migrate } from './migrations.js';
import type { DatabaseSchema } from './schema.js';

const INT8 = 20;

/** Where the database lives. */
export type DatabaseTarget =
  | { readonly kind: 'pglite'; readonly dataDir: string }
  | { readonly kind: 'pglite-memory' }
  | { readonly kind: 'postgres'; readonly url: string; readonly onError?: (err: Error) => void };

/** An open database. */
export interface Database {
  readonly kind: 'pglite' | 'postgres';
  readonly db: Kysely<DatabaseSchema>;
  /**
   * Runs `COPY table (columns) FROM STDIN` with the rows in PostgreSQL text format inside one
   * transaction (PostgreSQL: `pg-copy-streams`; PGlite: `COPY … FROM '/dev/blob'`).
   * @param text - rows, tab-separated, `\N` for null, escaped with {@link copyText}
   */
  copy(table: string, columns: readonly string[], text: string): Promise<void>;
  /** True when a trivial query answers. */
  ping(): Promise<boolean>;
  close(): Promise<void>;
}

/** Escapes one value for PostgreSQL's COPY text format (`\\`, `\t`, `\n`, `\r`; null → `\N`). */
export function copyText(value: string | null): string {
  if (value === null) return '\\N';
  let out = '';
  let last = 0;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    let esc: string | undefined;
    if (c === 92) esc = '\\\\';
    else if (c === 9) esc = '\\t';
    else if (c === 10) esc = '\\n';
    else if (c === 13) esc = '\\r';
    else if (c === 0) esc = ''; // PostgreSQL text cannot hold NUL
    if (esc !== undefined) {
      out += value.slice(last, i) + esc;
      last = i + 1;
    }
  }
  return last === 0 ? value : out + value.slice(last);
}

async function openPglite(dataDir: string | undefined): Promise<Database> {
  let lock: DirectoryLock | undefined;
  if (dataDir !== undefined) {
    await mkdir(dataDir, { recursive: true });
    lock = await acquireDirectoryLock(dataDir);
  }
  try {
    const client = await PGlite.create(dataDir === undefined ? undefined : join(dataDir, 'pglite'), {
      parsers: { [INT8]: (v: string) => Number(v) },
    });
    const db = new Kysely<DatabaseSchema>({ dialect: new PGliteDialect(client) });
    await migrate(db as Kysely<unknown>);
    return {
      kind: 'pglite',
      db,
      async copy(table, columns, text) {
        const blob = new Blob([text]);
        // PGlite has one session. Kysely's transactions are BEGIN … COMMIT statements on it,
        // serialized only by the dialect's connection lock: hold that lock for the COPY, or the
        // COPY's COMMIT would commit (or its ROLLBACK discard) another transaction's statements.
        await db.connection().execute(async () => {
          await client.transaction(async (tx) => {
            await tx.query(`COPY ${table} (${columns.join(', ')}) FROM '/dev/blob'`, [], { blob });
          });
        });
      },
      async ping() {
        await client.query('SELECT 1');
        return true;
      },
      async close() {
        await db.destroy();
        if (!client.closed) await client.close();
        await lock?.release();
      },
    };
  } catch (err) {
    await lock?.release();
    throw err;
  }
}

async function openPostgres(url: string, onError?: (err: Error) => void): Promise<Database> {
  const { default: copyStreams } = await import('pg-copy-streams');
  const pool: pg.Pool = new pg.Pool({
    connectionString: url,
    max: 10,
    types: {
      getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
        oid === INT8
          ? (v: string) => Number(v)
          : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
    },
  });
  // An idle client's connection can drop (PostgreSQL restarted, DROP DATABASE … FORCE): without a
  // listener, pg would raise it as an uncaught error and end the process. The pool replaces it.
  pool.on('error', (err) => onError?.(err));
  const db = new Kysely<DatabaseSchema>({ dialect: new PostgresDialect({ pool }) });
  try {
    await migrate(db as Kysely<unknown>);
  } catch (err) {
    await db.destroy();
    throw err;
  }
  return {
    kind: 'postgres',
    db,
    async copy(table, columns, text) {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const stream = client.query(copyStreams.from(`COPY ${table} (${columns.join(', ')}) FROM STDIN`));
        await new Promise<void>((resolve, reject) => {
          stream.on('finish', resolve);
          stream.on('error', reject);
          stream.end(text);
        });
        await client.query('COMMIT');
      } catch (err) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw err;
      } finally {
        client.release();
      }
    },
    async ping() {
      await pool.query('SELECT 1');
      return true;
    },
    async close() {
      await db.destroy();
    },
  };
}

/**
 * Opens the database and runs the migrations.
 * PGlite under a data directory takes the directory's lock first (see `lock.ts`).
 * @throws VigilError `VIGIL_ERR_STORE_LOCKED` when another process holds the data directory;
 *   the driver's error when PostgreSQL cannot be reached or a migration fails
 */
export async function openDatabase(target: DatabaseTarget): Promise<Database> {
  if (target.kind === 'postgres') return openPostgres(target.url, target.onError);
  return openPglite(target.kind === 'pglite' ? target.dataDir : undefined);
}
