/**
 * Migration `0010_assets`: assets an analyst marks critical (hosts and addresses), the targets of
 * the attack-path API's shortest paths. See `docs/attack-paths.md`. Append-only once shipped.
 */
import { type Kysely, type Migration, sql } from 'kysely';

export const assetsMigration: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await sql`
      CREATE TABLE assets (
        name text PRIMARY KEY,
        kind text NOT NULL CHECK (kind IN ('host', 'ip')),
        critical boolean NOT NULL,
        note text,
        marked_by text NOT NULL,
        marked_at timestamptz NOT NULL
      )`.execute(db);
  },
};
