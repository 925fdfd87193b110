/**
 * Persisted pipeline cursors: the id of the last event a stage has finished with.
 */
import type { Kysely } from 'kysely';
import type { DatabaseSchema } from './schema.js';

export async function readCursor(db: Kysely<DatabaseSchema>, name: string): Promise<number> {
  const row = await db.selectFrom('cursors').select('position').where('name', '=', name).executeTakeFirst();
  return row ? Number(row.position) : 0;
}

/** Saves a cursor (inside the caller's transaction, with the work it covers). */
export async function writeCursor(db: Kysely<DatabaseSchema>, name: string, position: number): Promise<void> {
  await db
    .insertInto('cursors')
    .values({ name, position })
    .onConflict((oc) => oc.column('name').doUpdateSet({ position }))
    .execute();
}
