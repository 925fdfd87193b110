/**
 * Migration `0008_ueba`: UEBA entity baselines, open window accumulators and scored windows. Append-only once shipped.
 */
import { type Kysely, type Migration } from 'kysely';

export const uebaMigration: Migration = {
  async up(_db: Kysely<unknown>): Promise<void> {
    // (filled in by the owner of this slot)
  },
};
