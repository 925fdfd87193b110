/**
 * Persisted correlation state: saved with the detection cursor it is consistent with, inside the
 * detection transaction.
 */
import type { Kysely } from 'kysely';
import type { DatabaseSchema } from './schema.js';

export async function readCorrelationState(
  db: Kysely<DatabaseSchema>,
  name: string,
): Promise<{ cursor: number; state: Record<string, unknown> } | undefined> {
  const row = await db
    .selectFrom('correlation_state')
    .select(['cursor', 'state'])
    .where('name', '=', name)
    .executeTakeFirst();
  return row ? { cursor: Number(row.cursor), state: row.state } : undefined;
}

/**
 * Saves the state (inside the caller's transaction, with the cursor it matches).
 * @param text - the state as JSON text
 */
export async function writeCorrelationState(
  db: Kysely<DatabaseSchema>,
  name: string,
  cursor: number,
  text: string,
  now: Date,
): Promise<void> {
  await db
    .insertInto('correlation_state')
    .values({ name, cursor, state: text, saved_at: now })
    .onConflict((oc) => oc.column('name').doUpdateSet({ cursor, state: text, saved_at: now }))
    .execute();
}
