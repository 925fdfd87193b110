/**
 * 0003_correlation: the correlation engine's persisted state (docs/correlation.md, "In the
 * service"). One row per stage: the detection cursor the state is consistent with, and the state.
 * Append-only once shipped.
 */
import { type Kysely, type Migration, sql } from 'kysely';

export const correlationMigration: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await sql`
      CREATE TABLE correlation_state (
        name text PRIMARY KEY,
        cursor bigint NOT NULL,
        state jsonb NOT NULL,
        saved_at timestamptz NOT NULL
      )`.execute(db);
  },
};
