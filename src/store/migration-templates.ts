/**
 * Migration `0009_templates`: log templates mined from unknown lines and their counts over time. Append-only once shipped.
 */
import { type Kysely, type Migration } from 'kysely';

export const templatesMigration: Migration = {
  async up(_db: Kysely<unknown>): Promise<void> {
    // (filled in by the owner of this slot)
  },
};
