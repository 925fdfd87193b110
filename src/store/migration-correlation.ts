/**
 * Migration for correlation (see docs). Owned by the correlation work; append-only once shipped.
 */
import type { Kysely, Migration } from 'kysely';

export const correlationMigration: Migration = {
  async up(_db: Kysely<unknown>): Promise<void> {},
};
