/**
 * Migration for incidents (see docs). Owned by the incidents work; append-only once shipped.
 */
import type { Kysely, Migration } from 'kysely';

export const incidentsMigration: Migration = {
  async up(_db: Kysely<unknown>): Promise<void> {},
};
