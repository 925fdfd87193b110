/**
 * Opening the service's store from a command (`vigil audit …`, `vigil users …`) the way
 * `vigil serve` does: the same configuration (flags > environment > `--config` file), PostgreSQL
 * with `DATABASE_URL`, else the embedded PGlite store under the data directory. PGlite is
 * single-process, so this takes the data directory's lock and refuses while a server runs there.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { type Config, loadConfig } from '../config/config.js';
import { ErrorCodes, VigilError } from '../errors.js';
import { type Database, openDatabase } from '../store/database.js';

export interface StoreAccessOptions {
  /** `--data-dir`: overrides `VIGIL_DATA_DIR` and the file's `data_dir`. */
  readonly dataDir?: string | undefined;
  /** `--config`: YAML settings file, overrides `VIGIL_CONFIG`. */
  readonly config?: string | undefined;
  /**
   * Refuse an embedded data directory that holds no store yet instead of creating an empty one
   * (for commands that only read, where an empty store would answer as if all were well).
   */
  readonly mustExist?: boolean | undefined;
}

/**
 * Opens the store (running pending migrations, as `vigil serve` would), runs `fn`, and closes
 * the store (releasing the data directory's lock) whether `fn` succeeds or throws.
 * @returns what `fn` returns
 * @throws VigilError `VIGIL_ERR_CONFIG` for a bad setting; `VIGIL_ERR_STORE_LOCKED` (its message
 *   says to stop the server or use its API) while `vigil serve` holds the data directory;
 *   `VIGIL_ERR_USAGE` with `mustExist` when the data directory has no store; the driver's error
 *   when PostgreSQL cannot be reached; whatever `fn` throws
 */
export async function withStore<T>(
  opts: StoreAccessOptions,
  fn: (db: Database, config: Config) => Promise<T>,
): Promise<T> {
  const config = loadConfig({ dataDir: opts.dataDir, config: opts.config }, process.env);
  if (!config.databaseUrl && opts.mustExist && !existsSync(join(config.dataDir, 'pglite')))
    throw new VigilError(
      ErrorCodes.USAGE,
      `no Vigil store in ${config.dataDir}; pass the server's --data-dir (or VIGIL_DATA_DIR, or DATABASE_URL)`,
    );
  const database = await openDatabase(
    config.databaseUrl
      ? { kind: 'postgres', url: config.databaseUrl }
      : { kind: 'pglite', dataDir: config.dataDir },
  );
  try {
    return await fn(database, config);
  } finally {
    await database.close();
  }
}
