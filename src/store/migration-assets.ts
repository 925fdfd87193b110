/**
 * Migration `0010_assets`: assets (critical marking) for attack paths. Append-only once shipped.
 */
import { type Kysely, type Migration } from 'kysely';

export const assetsMigration: Migration = {
  async up(_db: Kysely<unknown>): Promise<void> {
    // (filled in by the owner of this slot)
  },
};
