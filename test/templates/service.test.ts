/**
 * Log templates in the service, on PGlite and PostgreSQL: unknown syslog lines ingested through
 * the real IngestService get templates and entities stored with them, known lines do not; counts
 * per hour; the API (list, detail, counts, events by template, rebuild) with RBAC and OpenAPI;
 * ids survive a restart; the per-host features. Merges and failures: merge.test.ts.
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, describe, expect, it } from 'vitest';
import { buildApi } from '../../src/server/app.js';
import { templateActivityByHost } from '../../src/templates/features.js';
import { seedAccounts, type TestAccounts } from '../helpers/auth.js';
import { type Json, jsonCaller } from '../helpers/inject.js';
import { closeTestContext, STORE_KINDS } from '../helpers/service.js';
import { durable, ingest, open, templateOf } from './context.js';
import { DAY_ONE, DAY_TWO, type FixtureLine } from './fixtures.js';

/** Expected counts from the fixture table: group → (hour ms → host → n). */
function expected(lines: readonly FixtureLine[]) {
  const out = new Map<string, { total: number; hours: Map<number, number>; hosts: Map<string, number> }>();
  for (const l of lines) {
    if (l.group === 'known') continue;
    let g = out.get(l.group);
    if (!g) out.set(l.group, (g = { total: 0, hours: new Map(), hosts: new Map() }));
    const hour = Math.floor(l.time / 3_600_000) * 3_600_000;
    g.total++;
    g.hours.set(hour, (g.hours.get(hour) ?? 0) + 1);
    g.hosts.set(l.host, (g.hosts.get(l.host) ?? 0) + 1);
  }
  return out;
}

describe.each(STORE_KINDS)('log templates in the service on %s', (kind) => {
  const cleanups: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const c of cleanups.reverse()) await c();
  });

  it('mines unknown lines, serves them over the API and keeps ids across a restart', async () => {
    const db = await durable(kind);
    cleanups.push(db.drop);
    let ctx = await open(db);
    let app: FastifyInstance = await buildApi(ctx);
    let accounts: TestAccounts = await seedAccounts(ctx);
    const call = jsonCaller(
      () => app,
      () => accounts.viewer,
    );
    /** group → template id, learned from the stored events. */
    const ids = new Map<string, number>();
    try {
      const eventIds = await ingest(ctx, DAY_ONE);
      for (let i = 0; i < DAY_ONE.length; i++) {
        const l = DAY_ONE[i]!;
        const e = await ctx.events.get(eventIds[i]!);
        const t = templateOf(e!.ecs);
        if (l.group === 'known') {
          // A line a decoder rule understood is not mined.
          expect(t).toBeUndefined();
          expect((e!.ecs.event as Json).action).toBeDefined();
          continue;
        }
        expect(t, l.text).toBeDefined();
        if (ids.has(l.group)) expect(t!.id).toBe(ids.get(l.group));
        else ids.set(l.group, t!.id);
        // One parameter per `<*>` of the template as it was when the event was mined.
        expect(t!.parameters).toHaveLength(t!.text.split('<*>').length - 1);
        expect(((e!.ecs.host as Json | undefined)?.name as string | undefined) ?? '').toBe(l.host);
      }
      // Different groups, different templates.
      expect(new Set(ids.values()).size).toBe(3);
      // The tunnel lines: the IP after "from" is source.ip (docs/templates.md, Entity extraction).
      const tunnels = DAY_ONE.flatMap((l, i) => (l.group === 'tunnel' ? [eventIds[i]!] : []));
      const second = await ctx.events.get(tunnels[1]!);
      expect((second!.ecs.source as Json).ip).toBe('198.51.100.8');
      expect(templateOf(second!.ecs)!.entities).toContain('source.ip');
      // The header-less relay lines got host.name from their message (the loop above checked the
      // value); the one with a header kept it.
      const relays = DAY_ONE.flatMap((l, i) => (l.group === 'relay' ? [eventIds[i]!] : []));
      expect(templateOf((await ctx.events.get(relays[0]!))!.ecs)!.entities).toContain('host.name');
      expect(templateOf((await ctx.events.get(relays[1]!))!.ecs)!.entities).toContain('host.name');
      expect(templateOf((await ctx.events.get(relays[2]!))!.ecs)!.entities ?? []).not.toContain('host.name');

      // A JSON event carrying its own vigil.template is stored as sent but not counted.
      const forged = { message: 'x', vigil: { template: { id: ids.get('backup') } } };
      await ctx.ingest.ingestJson([{ line: 1, text: JSON.stringify(forged), value: forged }], 'http');

      const want = expected(DAY_ONE);
      // The templates table and the counts API agree with the fixture table.
      for (const [group, g] of want) {
        const id = ids.get(group)!;
        const detail = await call('GET', `/api/v1/templates/${id}`);
        expect(detail.status).toBe(200);
        expect(detail.body.count).toBe(g.total);
        expect(detail.body.template).toContain('<*>');
        expect(DAY_ONE.some((l) => l.text.endsWith(detail.body.sample as string))).toBe(true);
        const times = DAY_ONE.filter((l) => l.group === group).map((l) => l.time);
        expect(Date.parse(detail.body.first_seen as string)).toBe(Math.min(...times));
        expect(Date.parse(detail.body.last_seen as string)).toBe(Math.max(...times));
        expect(Object.fromEntries((detail.body.hosts as Json[]).map((h) => [h.host, h.count]))).toEqual(
          Object.fromEntries(g.hosts),
        );
        const hourly = await call(
          'GET',
          `/api/v1/templates/${id}/counts?from=2024-05-01T00:00:00Z&to=2024-05-02T00:00:00Z&bucket=hour`,
        );
        expect(hourly.status).toBe(200);
        expect(hourly.body.counts).toHaveLength(24);
        expect(hourly.body.total).toBe(g.total);
        for (const c of hourly.body.counts as Json[])
          expect(c.count, `${group} ${c.bucket}`).toBe(g.hours.get(Date.parse(c.bucket as string)) ?? 0);
        const daily = await call(
          'GET',
          `/api/v1/templates/${id}/counts?from=2024-05-01T00:00:00Z&to=2024-05-03T00:00:00Z&bucket=day`,
        );
        expect(daily.body.counts).toEqual([
          { bucket: '2024-05-01T00:00:00.000Z', count: g.total },
          { bucket: '2024-05-02T00:00:00.000Z', count: 0 },
        ]);
        // Events of the template, through the event search.
        const events = await call('GET', `/api/v1/events?filter=vigil.template.id:${id}&limit=100`);
        expect(events.status).toBe(200);
        const sources = (events.body.events as Json[]).filter((e) => e.decoder === 'linux-syslog');
        expect(sources).toHaveLength(g.total);
      }
      // One host only.
      const backup = ids.get('backup')!;
      const web02 = await call(
        'GET',
        `/api/v1/templates/${backup}/counts?from=2024-05-01T00:00:00Z&to=2024-05-02T00:00:00Z&host=web-02`,
      );
      expect(web02.body.total).toBe(want.get('backup')!.hosts.get('web-02'));

      // List: by count, filtered, paged.
      const list = await call('GET', '/api/v1/templates');
      const counts = (list.body.templates as Json[]).map((t) => t.count as number);
      expect(counts).toEqual([...counts].sort((a, b) => b - a));
      expect(counts).toHaveLength(3);
      const filtered = await call('GET', '/api/v1/templates?q=backup%20JOB');
      expect((filtered.body.templates as Json[]).map((t) => t.id)).toEqual([backup]);
      for (const sort of ['count', 'last_seen', 'id']) {
        const seen: number[] = [];
        let cursor: string | undefined;
        do {
          const page = await call(
            'GET',
            `/api/v1/templates?sort=${sort}&limit=1${cursor ? `&cursor=${cursor}` : ''}`,
          );
          expect(page.status).toBe(200);
          seen.push(...(page.body.templates as Json[]).map((t) => t.id as number));
          cursor = page.body.next as string | undefined;
        } while (cursor);
        expect([...seen].sort()).toEqual([...ids.values()].sort());
      }
      expect((await call('GET', '/api/v1/templates?sort=id&cursor=bm9wZQ')).status).toBe(400);
      expect((await call('GET', '/api/v1/templates/999999')).status).toBe(404);
      expect((await call('GET', '/api/v1/templates/999999/counts')).status).toBe(404);
      expect(
        (
          await call(
            'GET',
            `/api/v1/templates/${backup}/counts?from=2024-05-02T00:00:00Z&to=2024-05-01T00:00:00Z`,
          )
        ).status,
      ).toBe(400);
      expect(
        (
          await call(
            'GET',
            `/api/v1/templates/${backup}/counts?from=2020-01-01T00:00:00Z&to=2024-05-01T00:00:00Z`,
          )
        ).status,
      ).toBe(400);

      // Features for UEBA: per host, over the day's two busy hours.
      const from = Date.parse('2024-05-01T10:00:00Z');
      const to = Date.parse('2024-05-01T12:00:00Z');
      const activity = await templateActivityByHost(ctx.database.db, from, to, { rareBelow: 3 });
      const mined = DAY_ONE.filter((l) => l.group !== 'known');
      const hosts = [...new Set(mined.map((l) => l.host))].sort();
      expect(activity.map((a) => a.host)).toEqual(hosts);
      for (const a of activity) {
        const mine = mined.filter((l) => l.host === a.host);
        const groups = new Set(mine.map((l) => l.group));
        expect(a.events).toBe(mine.length);
        expect(a.templates).toBe(groups.size);
        // Everything is new on day one.
        expect(a.newTemplates).toBe(groups.size);
        expect(a.newForHost).toBe(groups.size);
        expect(a.rareEvents).toBe(mine.filter((l) => want.get(l.group)!.total < 3).length);
      }
    } finally {
      await app.close();
      await closeTestContext(ctx);
    }

    // Restart on the same database: same ids, new templates after them.
    ctx = await open(db);
    app = await buildApi(ctx);
    accounts = await seedAccounts(ctx);
    try {
      expect(ctx.templates.size).toBe(3);
      const eventIds = await ingest(ctx, DAY_TWO);
      const again = templateOf((await ctx.events.get(eventIds[0]!))!.ecs)!;
      expect(again.id).toBe(ids.get('backup'));
      const disk = templateOf((await ctx.events.get(eventIds[1]!))!.ecs)!;
      expect(disk.id).toBe(Math.max(...ids.values()) + 1);
      const detail = await call('GET', `/api/v1/templates/${ids.get('backup')!}`);
      expect(detail.body.count).toBe(expected([...DAY_ONE, ...DAY_TWO]).get('backup')!.total);
      // Day two on web-01: backup (4 events) is neither new anywhere nor new to the host, nor
      // rare below 3; the disk template (1 event) is all three.
      const activity = await templateActivityByHost(
        ctx.database.db,
        Date.parse('2024-05-02T09:00:00Z'),
        Date.parse('2024-05-02T10:00:00Z'),
        { rareBelow: 3 },
      );
      expect(activity).toEqual([
        { host: 'web-01', events: 2, templates: 2, newTemplates: 1, newForHost: 1, rareEvents: 1 },
      ]);

      // Rebuild: admin only, audited, and it restores lost counts exactly.
      const before = await ctx.database.db
        .selectFrom('log_template_counts')
        .selectAll()
        .orderBy('template_id')
        .orderBy('bucket')
        .orderBy('host_name')
        .execute();
      const totals = await ctx.database.db
        .selectFrom('log_templates')
        .select(['id', 'count', 'first_seen', 'last_seen'])
        .orderBy('id')
        .execute();
      await ctx.database.db.deleteFrom('log_template_counts').execute();
      await ctx.database.db.updateTable('log_templates').set({ count: 0 }).execute();
      expect((await call('POST', '/api/v1/templates/counts/rebuild')).status).toBe(403);
      const r = await call('POST', '/api/v1/templates/counts/rebuild', undefined, {
        authorization: accounts.admin,
      });
      expect(r.status).toBe(200);
      expect(r.body.rows).toBe(before.length);
      expect(
        await ctx.database.db
          .selectFrom('log_template_counts')
          .selectAll()
          .orderBy('template_id')
          .orderBy('bucket')
          .orderBy('host_name')
          .execute(),
      ).toEqual(before);
      expect(
        await ctx.database.db
          .selectFrom('log_templates')
          .select(['id', 'count', 'first_seen', 'last_seen'])
          .orderBy('id')
          .execute(),
      ).toEqual(totals);
      const audit = await ctx.database.db
        .selectFrom('audit_log')
        .select(['actor'])
        .where('action', '=', 'templates.rebuild_counts')
        .execute();
      expect(audit).toEqual([{ actor: 'user:admin' }]);
      // Events after the rebuild are counted once.
      await ingest(ctx, [DAY_TWO[0]!]);
      const after = await call('GET', `/api/v1/templates/${ids.get('backup')!}`);
      expect(after.body.count).toBe(detail.body.count + 1);

      // RBAC: no token 401; OpenAPI lists the routes.
      expect((await call('GET', '/api/v1/templates', undefined, { authorization: '' })).status).toBe(401);
      expect(
        (await call('GET', `/api/v1/templates/${disk.id}/counts`, undefined, { authorization: '' })).status,
      ).toBe(401);
      const doc = (await call('GET', '/openapi.json')).body;
      for (const path of [
        '/api/v1/templates',
        '/api/v1/templates/{id}',
        '/api/v1/templates/{id}/counts',
        '/api/v1/templates/counts/rebuild',
      ])
        expect(doc.paths[path], path).toBeDefined();
    } finally {
      await app.close();
      await closeTestContext(ctx);
    }
  }, 120_000);
});
