/**
 * Migration for risk (see docs). Owned by the risk work; append-only once shipped.
 */
import type { Kysely, Migration } from 'kysely';

export const riskMigration: Migration = {
  async up(_db: Kysely<unknown>): Promise<void> {},
};
