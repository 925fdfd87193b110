/**
 * The audit log's hash chain (src/store/audit-hash.ts, audit.ts, audit-query.ts) on every store
 * kind: written through writeAudit, tampered with behind the API's back (trigger disabled, raw
 * SQL), verified; listed with filters and keyset pagination; exported in chain order.
 */
import { type RawBuilder, sql } from 'kysely';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type AuditEntry, writeAudit } from '../../src/store/audit.js';
import { auditHash, GENESIS_HASH } from '../../src/store/audit-hash.js';
import { exportAudit, MAX_LISTED_BREAKS, queryAudit, verifyAuditChain } from '../../src/store/audit-query.js';
import type { Database } from '../../src/store/database.js';
import { openTestDatabase, STORE_KINDS } from '../helpers/service.js';

const T0 = Date.parse('2026-03-01T10:00:00.000Z');

function entry(i: number): AuditEntry {
  return {
    actor: { name: i % 2 ? 'user:alice' : 'user:bob', ip: i % 3 ? '10.0.0.7' : null },
    action: 'alert.update',
    target: String(i),
    before: { status: 'new' },
    after: {
      status: 'acknowledged',
      note: `ünïcode ${i} ✓`,
      ratio: 0.1 * i,
      nested: { b: [1, 'x'], a: null },
    },
    details: { z: 1, a: { y: true, x: 1.5 } },
  };
}

async function seed(database: Database, n: number): Promise<void> {
  for (let i = 1; i <= n; i++) await writeAudit(database.db, entry(i), new Date(T0 + i * 1000));
}

const BULK_ROW = {
  actor: 'system',
  actor_ip: null,
  action: 'event.retention',
  outcome: 'success',
  before: null,
  after: null,
} as const;

/** Inserts `n` chained rows in bulk (as writeAudit would have written them). */
async function seedBulk(database: Database, n: number): Promise<void> {
  let prev = GENESIS_HASH;
  for (let start = 1; start <= n; start += 500) {
    const rows = [];
    for (let id = start; id < Math.min(start + 500, n + 1); id++) {
      const at = new Date(T0 + id).toISOString();
      const row = { ...BULK_ROW, id, at, target: `batch-${id}`, details: { deleted: id } };
      const hash = auditHash(prev, row);
      rows.push({ ...row, details: JSON.stringify(row.details), prev_hash: prev, hash });
      prev = hash;
    }
    await database.db.insertInto('audit_log').values(rows).execute();
  }
}

/** Runs raw SQL with the append-only trigger off, as an owner working behind the API's back would. */
async function behindTheBack(database: Database, ...statements: RawBuilder<unknown>[]): Promise<void> {
  await sql`ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only`.execute(database.db);
  try {
    for (const s of statements) await s.execute(database.db);
  } finally {
    await sql`ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only`.execute(database.db);
  }
}

async function storedHash(database: Database, id: number): Promise<string> {
  const q = database.db.selectFrom('audit_log').select('hash').where('id', '=', id);
  return (await q.executeTakeFirstOrThrow()).hash;
}

describe.each(STORE_KINDS)('audit chain on %s', (kind) => {
  let database: Database;
  beforeAll(async () => {
    database = await openTestDatabase(kind);
  }, 60_000);
  afterAll(async () => {
    await database.close();
  });
  // TRUNCATE fires no row trigger: each test starts from an empty log.
  beforeEach(async () => {
    await sql`TRUNCATE audit_log`.execute(database.db);
  });

  describe('verifyAuditChain', () => {
    it('accepts an empty log, with the genesis hash as last hash', async () => {
      expect(await verifyAuditChain(database.db)).toEqual({
        ok: true,
        entries: 0,
        lastHash: GENESIS_HASH,
        breakCount: 0,
        breaks: [],
      });
    });

    it('accepts entries written by writeAudit (JSON round-trip through jsonb included)', async () => {
      await seed(database, 6);
      expect(await verifyAuditChain(database.db)).toEqual({
        ok: true,
        entries: 6,
        lastHash: await storedHash(database, 6),
        breakCount: 0,
        breaks: [],
      });
    });

    it('reports an edited details field as a hash_mismatch at that id only', async () => {
      await seed(database, 6);
      const found = await storedHash(database, 3);
      await behindTheBack(database, sql`UPDATE audit_log SET details = '{"z": 2}' WHERE id = 3`);
      const v = await verifyAuditChain(database.db);
      expect(v).toMatchObject({ ok: false, entries: 6, breakCount: 1 });
      expect(v.breaks).toEqual([{ id: 3, reason: 'hash_mismatch', expected: expect.any(String), found }]);
    });

    it('reports an edited actor as a hash_mismatch at that id only', async () => {
      await seed(database, 6);
      await behindTheBack(database, sql`UPDATE audit_log SET actor = 'user:mallory' WHERE id = 5`);
      const v = await verifyAuditChain(database.db);
      expect(v.breaks.map((b) => [b.id, b.reason])).toEqual([[5, 'hash_mismatch']]);
    });

    it('reports a deleted middle row as a gap at the next row', async () => {
      await seed(database, 6);
      await behindTheBack(database, sql`DELETE FROM audit_log WHERE id = 4`);
      const v = await verifyAuditChain(database.db);
      expect(v).toMatchObject({ ok: false, entries: 5, breakCount: 1 });
      expect(v.breaks).toEqual([{ id: 5, reason: 'gap', expected: '4', found: '5' }]);
    });

    it('reports a deleted first row as a gap', async () => {
      await seed(database, 3);
      await behindTheBack(database, sql`DELETE FROM audit_log WHERE id = 1`);
      expect((await verifyAuditChain(database.db)).breaks).toEqual([
        { id: 2, reason: 'gap', expected: '1', found: '2' },
      ]);
    });

    it("reports an edit whose row hash was recomputed as the next row's prev_hash_mismatch", async () => {
      await seed(database, 6);
      const row = await database.db
        .selectFrom('audit_log')
        .selectAll()
        .where('id', '=', 3)
        .executeTakeFirstOrThrow();
      const details = { z: 1, forged: true };
      const forged = auditHash(row.prev_hash, {
        ...row,
        id: Number(row.id),
        at: row.at.toISOString(),
        details,
      });
      await behindTheBack(
        database,
        sql`UPDATE audit_log SET details = ${JSON.stringify(details)}::jsonb, hash = ${forged} WHERE id = 3`,
      );
      const v = await verifyAuditChain(database.db);
      expect(v.breaks).toEqual([{ id: 4, reason: 'prev_hash_mismatch', expected: forged, found: row.hash }]);
    });

    it('goes on past a break: two edited rows among 2,500 (three pages) give two breaks', async () => {
      await seedBulk(database, 2500);
      expect(await verifyAuditChain(database.db)).toMatchObject({ ok: true, entries: 2500 });
      await behindTheBack(
        database,
        sql`UPDATE audit_log SET target = 'other' WHERE id = 17`,
        sql`UPDATE audit_log SET at = at + interval '1 second' WHERE id = 1999`,
      );
      const v = await verifyAuditChain(database.db);
      expect(v).toMatchObject({ ok: false, entries: 2500, breakCount: 2 });
      expect(v.breaks.map((b) => [b.id, b.reason])).toEqual([
        [17, 'hash_mismatch'],
        [1999, 'hash_mismatch'],
      ]);
      expect(v.lastHash).toBe(await storedHash(database, 2500));
    });

    it(`lists at most ${MAX_LISTED_BREAKS} breaks and counts them all`, async () => {
      await seedBulk(database, 150);
      await behindTheBack(database, sql`UPDATE audit_log SET outcome = 'failure'`);
      const v = await verifyAuditChain(database.db);
      expect(v.breakCount).toBe(150);
      expect(v.breaks).toHaveLength(MAX_LISTED_BREAKS);
      expect(v.breaks[0]).toMatchObject({ id: 1, reason: 'hash_mismatch' });
    });

    it('is protected by the append-only trigger: UPDATE and DELETE are refused while it is enabled', async () => {
      await seed(database, 3);
      await expect(sql`UPDATE audit_log SET actor = 'x' WHERE id = 2`.execute(database.db)).rejects.toThrow(
        /append-only/,
      );
      await expect(sql`DELETE FROM audit_log WHERE id = 2`.execute(database.db)).rejects.toThrow(
        /append-only/,
      );
      expect(await verifyAuditChain(database.db)).toMatchObject({ ok: true, entries: 3 });
    });

    it('stays valid with 50 concurrent writers, each in its own transaction: ids 1..50', async () => {
      await Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          database.db.transaction().execute(async (tx) => {
            await writeAudit(tx, entry(i + 1), new Date(T0));
          }),
        ),
      );
      const v = await verifyAuditChain(database.db);
      expect(v).toMatchObject({ ok: true, entries: 50, breakCount: 0 });
      const ids = (await database.db.selectFrom('audit_log').select('id').orderBy('id').execute()).map((r) =>
        Number(r.id),
      );
      expect(ids).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
      expect(new Set((await queryAudit(database.db, { limit: 100 })).entries.map((e) => e.target)).size).toBe(
        50,
      );
    });
  });

  describe('queryAudit', () => {
    const at = (s: number) => new Date(T0 + s * 1000);
    beforeEach(async () => {
      const w = (e: Partial<AuditEntry>, s: number) => writeAudit(database.db, { ...entry(0), ...e }, at(s));
      await w({ actor: { name: 'user:alice', ip: '10.0.0.1' }, action: 'auth.login' }, 1); // 1
      await w({ actor: { name: 'user:bob', ip: null }, action: 'auth.login', outcome: 'failure' }, 2); // 2
      await w({ actor: { name: 'user:alice', ip: null }, action: 'auth.logout' }, 3); // 3
      await w({ actor: { name: 'system', ip: null }, action: 'rule_set.upload', target: 'r1' }, 3); // 4
      await w({ actor: { name: 'system', ip: null }, action: 'rulexset.upload', target: 'r1' }, 3); // 5
      await w({ actor: { name: 'user:alice', ip: null }, action: 'authz.check' }, 4); // 6
      await w({ actor: { name: 'user:bob', ip: null }, action: 'alert.update', target: '42' }, 5); // 7
    });
    const ids = async (q: Parameters<typeof queryAudit>[1]) =>
      (await queryAudit(database.db, q)).entries.map((e) => e.id);

    it('lists newest first (at, then id), with every field and both hashes', async () => {
      const page = await queryAudit(database.db, { limit: 100 });
      expect(page.next).toBeUndefined();
      expect(page.entries.map((e) => e.id)).toEqual([7, 6, 5, 4, 3, 2, 1]);
      expect(page.entries[6]).toMatchObject({
        id: 1,
        at: at(1).toISOString(),
        actor: 'user:alice',
        actor_ip: '10.0.0.1',
        action: 'auth.login',
        outcome: 'success',
        before: { status: 'new' },
        details: { z: 1, a: { y: true, x: 1.5 } },
        prev_hash: GENESIS_HASH,
        hash: page.entries[5]!.prev_hash,
      });
    });

    it('filters by exact actor, target and outcome', async () => {
      expect(await ids({ limit: 100, actor: 'user:alice' })).toEqual([6, 3, 1]);
      expect(await ids({ limit: 100, target: 'r1' })).toEqual([5, 4]);
      expect(await ids({ limit: 100, outcome: 'failure' })).toEqual([2]);
      expect(await ids({ limit: 100, actor: 'user:bob', outcome: 'success' })).toEqual([7]);
    });

    it('filters by exact action, or by prefix when it ends with "." (LIKE wildcards escaped)', async () => {
      expect(await ids({ limit: 100, action: 'auth.login' })).toEqual([2, 1]);
      expect(await ids({ limit: 100, action: 'auth' })).toEqual([]);
      expect(await ids({ limit: 100, action: 'auth.' })).toEqual([3, 2, 1]);
      expect(await ids({ limit: 100, action: 'rule_set.' })).toEqual([4]);
    });

    it('filters by time: from inclusive, to exclusive', async () => {
      expect(await ids({ limit: 100, from: at(3).toISOString(), to: at(5).toISOString() })).toEqual([
        6, 5, 4, 3,
      ]);
    });

    it('pages with a keyset cursor, ties on `at` broken by id, no row twice or missed', async () => {
      const seen: number[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const page = await queryAudit(database.db, { limit: 2, cursor });
        seen.push(...page.entries.map((e) => e.id));
        cursor = page.next;
        pages++;
      } while (cursor);
      expect(seen).toEqual([7, 6, 5, 4, 3, 2, 1]);
      expect(pages).toBe(4);
      const filtered = await queryAudit(database.db, { limit: 1, actor: 'system' });
      expect(filtered.entries.map((e) => e.id)).toEqual([5]);
      expect(await ids({ limit: 1, actor: 'system', cursor: filtered.next })).toEqual([4]);
    });

    it('refuses a cursor it did not issue with VIGIL_ERR_BAD_REQUEST', async () => {
      await expect(queryAudit(database.db, { limit: 10, cursor: 'bm90LWEtY3Vyc29y' })).rejects.toMatchObject({
        code: 'VIGIL_ERR_BAD_REQUEST',
      });
    });

    it('exports in id order, filtered or not, records re-verifiable from their own fields', async () => {
      const all = [];
      for await (const r of exportAudit(database.db)) all.push(r);
      expect(all.map((r) => r.id)).toEqual([1, 2, 3, 4, 5, 6, 7]);
      let prev = GENESIS_HASH;
      for (const r of all) {
        expect(r.prev_hash).toBe(prev);
        expect(auditHash(r.prev_hash, r)).toBe(r.hash);
        prev = r.hash;
      }
      const auth = [];
      for await (const r of exportAudit(database.db, { action: 'auth.' })) auth.push(r.id);
      expect(auth).toEqual([1, 2, 3]);
    });
  });
});
