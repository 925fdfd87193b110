/**
 * Log templates in the service, on PGlite and PostgreSQL: merged templates fold into their
 * survivor (counts, rebuild); a failed miner save stores nothing; the configuration switch.
 */
import { sql } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { closeTestContext, STORE_KINDS } from '../helpers/service.js';
import { durable, ingest, open, templateOf } from './context.js';
import { DAY_ONE, type FixtureLine, rfc5424 } from './fixtures.js';

describe.each(STORE_KINDS)('log template merges and failures on %s', (kind) => {
  const cleanups: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const c of cleanups.reverse()) await c();
  });

  it('folds merged templates into the survivor; a failed save stores nothing', async () => {
    const db = await durable(kind);
    cleanups.push(db.drop);
    const ctx = await open(db);
    try {
      // A column of a few distinct words splits templates; more words make it a variable and
      // the split templates merge into the lowest id (docs/templates.md).
      const words = ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot', 'golf'];
      const lines = words.map((w, i) => ({
        text: rfc5424(
          `2024-05-03T0${i}:00:00Z`,
          'app-01',
          'svcd',
          `Watchdog restarted service ${w} after timeout`,
        ),
      }));
      const first = await ingest(ctx, lines.slice(0, 2) as FixtureLine[]);
      const rest = await ingest(ctx, lines.slice(2) as FixtureLine[]);
      const mined = await Promise.all(
        [...first, ...rest].map(async (id) => templateOf((await ctx.events.get(id))!.ecs)!.id),
      );
      const seen = [...new Set(mined)].sort((a, b) => a - b);
      expect(seen.length, 'the fixture must make the miner split, then merge').toBeGreaterThan(1);
      const live = mined[mined.length - 1]!;
      expect(live).toBe(seen[0]);
      const rows = await ctx.database.db.selectFrom('log_templates').selectAll().orderBy('id').execute();
      expect(rows.map((r) => [r.id, r.merged_into, Number(r.count)])).toEqual(
        seen.map((id) => (id === live ? [id, null, words.length] : [id, live, 0])),
      );
      const detail = await ctx.templates.get(live);
      expect(detail!.merged).toEqual(seen.filter((id) => id !== live));
      const series = await ctx.templates.series(
        live,
        Date.parse('2024-05-03T00:00:00Z'),
        Date.parse('2024-05-04T00:00:00Z'),
        'day',
      );
      expect(series).toEqual([{ bucket: '2024-05-03T00:00:00.000Z', count: words.length }]);
      // The rebuild counts events under the template they were merged into.
      const counts = () =>
        ctx.database.db
          .selectFrom('log_template_counts')
          .selectAll()
          .orderBy('template_id')
          .orderBy('bucket')
          .execute();
      const before = await counts();
      await ctx.templates.rebuildCounts({ name: 'test', ip: null });
      expect(await counts()).toEqual(before);
      expect(new Set(before.map((c) => c.template_id))).toEqual(new Set([live]));

      // The miner cannot be saved: the append fails and nothing is stored.
      const stored = async () =>
        Number(
          (await ctx.database.db
            .selectFrom('events')
            .select((eb) => eb.fn.countAll().as('n'))
            .executeTakeFirst())!.n,
        );
      const n = await stored();
      const fresh = { text: rfc5424('2024-05-03T09:00:00Z', 'app-01', 'cachd', 'Cache shard rebalanced') };
      await sql`ALTER TABLE log_template_miner RENAME TO log_template_miner_gone`.execute(ctx.database.db);
      await expect(ingest(ctx, [fresh as FixtureLine])).rejects.toThrow();
      expect(await stored()).toBe(n);
      await sql`ALTER TABLE log_template_miner_gone RENAME TO log_template_miner`.execute(ctx.database.db);
      const [id] = await ingest(ctx, [fresh as FixtureLine]);
      const t = templateOf((await ctx.events.get(id!))!.ecs)!;
      expect((await ctx.templates.get(t.id))!.count).toBe(1);
      expect(await ctx.metrics.registry.getSingleMetricAsString('vigil_template_lines_total')).toMatch(
        /result="new"/,
      );
    } finally {
      await closeTestContext(ctx);
    }
  }, 60_000);

  it('mines nothing when VIGIL_TEMPLATES is false', async () => {
    const db = await durable(kind);
    cleanups.push(db.drop);
    const ctx = await open(db, { VIGIL_TEMPLATES: 'false' });
    try {
      const eventIds = await ingest(ctx, DAY_ONE);
      for (const id of eventIds) expect(templateOf((await ctx.events.get(id))!.ecs)).toBeUndefined();
      expect(await ctx.database.db.selectFrom('log_templates').selectAll().execute()).toEqual([]);
    } finally {
      await closeTestContext(ctx);
    }
  }, 60_000);
});
