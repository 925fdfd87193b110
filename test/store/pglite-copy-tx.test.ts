/**
 * Review: on PGlite the event writer's COPY runs in `PGlite.transaction()` on the same session
 * Kysely uses. Kysely's transactions (detection: alerts + cursor; alert PATCH + audit; rule upload
 * + audit) are plain BEGIN … COMMIT queries, so a COPY that runs between two of their statements
 * commits (or, when it fails, rolls back) the other transaction's work.
 */
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/store/database.js';
import { readCursor, writeCursor } from '../../src/store/cursors.js';
import { EventStore } from '../../src/store/events.js';

const row = (i: number) => ({
  timestamp: '2026-11-20T00:00:00.000Z',
  ingested: '2026-11-20T00:00:00.000Z',
  source: 'http',
  decoder: 'json',
  format: 'json',
  logsource: {},
  ecs: { message: `m${i}` },
  original: `{"message":"m${i}"}`,
});

describe('review: PGlite COPY vs Kysely transactions', () => {
  it('a rolled-back Kysely transaction stays rolled back when an append runs meanwhile', async () => {
    const database = await openDatabase({ kind: 'pglite-memory' });
    const events = await EventStore.open(database);
    try {
      let append: Promise<number> | undefined;
      await database.db
        .transaction()
        .execute(async (trx) => {
          await writeCursor(trx, 'detection', 42);
          append = events.append([row(1)]); // the writer appends concurrently (other request)
          await new Promise((r) => setTimeout(r, 50));
          throw new Error('detection batch failed');
        })
        .catch(() => undefined);
      await append;
      expect(await readCursor(database.db, 'detection')).toBe(0);
    } finally {
      await database.close();
    }
  });

  it('a failing append does not roll back a concurrent Kysely transaction', async () => {
    const database = await openDatabase({ kind: 'pglite-memory' });
    const events = await EventStore.open(database);
    try {
      let append: Promise<unknown> | undefined;
      await database.db.transaction().execute(async (trx) => {
        await writeCursor(trx, 'a', 1);
        // an event with a NUL character: the COPY into jsonb fails and PGlite issues ROLLBACK
        append = events.append([{ ...row(2), ecs: { message: 'x\u0000y' } }]).catch(() => undefined);
        await new Promise((r) => setTimeout(r, 50));
        await writeCursor(trx, 'b', 2);
      });
      await append;
      expect(await readCursor(database.db, 'a')).toBe(1);
      expect(await readCursor(database.db, 'b')).toBe(2);
    } finally {
      await database.close();
    }
  });
});
