/**
 * Migration `0007_ml`: model registry (ml_models) and training jobs (ml_training_jobs). Append-only once shipped.
 */
import { type Kysely, type Migration } from 'kysely';

export const mlMigration: Migration = {
  async up(_db: Kysely<unknown>): Promise<void> {
    // (filled in by the owner of this slot)
  },
};
