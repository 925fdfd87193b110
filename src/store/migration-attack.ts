/**
 * Migration for attack (see docs). Owned by the attack work; append-only once shipped.
 */
import type { Kysely, Migration } from 'kysely';

export const attackMigration: Migration = {
  async up(_db: Kysely<unknown>): Promise<void> {},
};
