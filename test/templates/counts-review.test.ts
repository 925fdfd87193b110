/**
 * Review test: one syslog line with an oversized HOSTNAME (the header field is `\S+`, so a
 * sender can put kilobytes there) must not lose the template counts of the other events in its
 * batch, nor make `rebuildCounts` fail for good (a btree index row holds at most ~2.7 kB).
 */
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { closeTestContext, STORE_KINDS } from '../helpers/service.js';
import { durable, ingest, open } from './context.js';
import { type FixtureLine, rfc5424 } from './fixtures.js';

const ADMIN = { name: 'user:admin', ip: '127.0.0.1' };

describe.each(STORE_KINDS)('template counts with an oversized host name (%s)', (kind) => {
  const cleanups: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const c of cleanups.reverse()) await c();
  });

  it('counts every mined line and can rebuild the counts', async () => {
    const db = await durable(kind);
    cleanups.push(db.drop);
    const ctx = await open(db);
    try {
      const huge = randomBytes(6000).toString('base64'); // 8,000 characters, incompressible
      const lines: FixtureLine[] = [
        {
          text: rfc5424('2024-05-03T01:00:00Z', 'app-01', 'svcd', 'Cache warmed in 12 ms'),
          group: 'disk',
          host: 'app-01',
        },
        {
          text: rfc5424('2024-05-03T01:00:01Z', huge, 'svcd', 'Cache warmed in 13 ms'),
          group: 'disk',
          host: huge,
        },
        {
          text: rfc5424('2024-05-03T01:00:02Z', 'app-02', 'svcd', 'Cache warmed in 14 ms'),
          group: 'disk',
          host: 'app-02',
        },
      ] as FixtureLine[];
      await ingest(ctx, lines);
      const total = async () =>
        (await ctx.database.db.selectFrom('log_template_counts').select('count').execute()).reduce(
          (n, r) => n + Number(r.count),
          0,
        );
      expect(ctx.templates.statistics().countFailures).toBe(0);
      expect(await total()).toBe(3);
      const r = await ctx.templates.rebuildCounts(ADMIN);
      expect(r.rows).toBe(3);
      expect(await total()).toBe(3);
    } finally {
      await closeTestContext(ctx);
    }
  }, 60_000);
});
