/**
 * `/api/v1/stats`: events and alerts per time bucket, alerts by level, by rule and by ATT&CK tactic.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { sql } from 'kysely';
import { Type } from 'typebox';
import { ErrorCodes, VigilError } from '../../errors.js';
import type { ServiceContext } from '../../service/vigil.js';
import { DateTime, errors } from '../schemas.js';

const INTERVALS: Record<string, string> = {
  '1m': '1 minute',
  '5m': '5 minutes',
  '15m': '15 minutes',
  '1h': '1 hour',
  '6h': '6 hours',
  '1d': '1 day',
};
const MAX_BUCKETS = 2000;
const MS: Record<string, number> = {
  '1m': 60_000,
  '5m': 300_000,
  '15m': 900_000,
  '1h': 3_600_000,
  '6h': 21_600_000,
  '1d': 86_400_000,
};

const Bucket = Type.Object({ bucket: Type.String(), count: Type.Integer() });
const Count = Type.Object({ key: Type.String(), count: Type.Integer() });

export const statsRoutes: FastifyPluginAsyncTypebox<{ ctx: ServiceContext }> = async (app, { ctx }) => {
  app.get(
    '/api/v1/stats',
    {
      config: { auth: 'stats:read' },
      schema: {
        tags: ['stats'],
        summary: 'Counts over time',
        description:
          'Events per bucket of @timestamp; alerts per bucket of last_seen, by level, rule and ATT&CK tactic.',
        querystring: Type.Object({
          from: DateTime,
          to: DateTime,
          interval: Type.Optional(Type.Union(Object.keys(INTERVALS).map((k) => Type.Literal(k)))),
        }),
        response: {
          200: Type.Object({
            interval: Type.String(),
            events: Type.Array(Bucket),
            alerts: Type.Array(Bucket),
            alerts_by_level: Type.Array(Count),
            alerts_by_rule: Type.Array(Count),
            alerts_by_tactic: Type.Array(Count),
            correlation: Type.Record(Type.String(), Type.Number(), {
              description:
                'Correlation engine counters now (not bounded by from/to): groups and events held, fed, fired, late, missingGroup, expired, shedGroups, shedEvents, held, forced (docs/correlation.md)',
            }),
          }),
          ...errors(400),
        },
      },
    },
    async (request) => {
      const { from, to } = request.query;
      const interval = request.query.interval ?? '1h';
      const span = Date.parse(to) - Date.parse(from);
      if (!(span > 0)) throw new VigilError(ErrorCodes.BAD_REQUEST, '`to` must be after `from`');
      if (span / MS[interval]! > MAX_BUCKETS)
        throw new VigilError(
          ErrorCodes.BAD_REQUEST,
          `more than ${MAX_BUCKETS} buckets: use a longer interval`,
        );
      const db = ctx.database.db;
      const f = new Date(from);
      const t = new Date(to);
      const width = sql.lit(INTERVALS[interval]!);
      const bucket = (col: 'timestamp' | 'last_seen') =>
        sql<Date>`date_bin(${width}::interval, ${sql.ref(col)}, timestamptz '2000-01-01T00:00:00Z')`;
      const events = await db
        .selectFrom('events')
        .select([bucket('timestamp').as('bucket'), (eb) => eb.fn.countAll<number>().as('count')])
        .where('timestamp', '>=', f)
        .where('timestamp', '<', t)
        .groupBy('bucket')
        .orderBy('bucket')
        .execute();
      const alerts = await db
        .selectFrom('alerts')
        .select([bucket('last_seen').as('bucket'), (eb) => eb.fn.countAll<number>().as('count')])
        .where('last_seen', '>=', f)
        .where('last_seen', '<', t)
        .groupBy('bucket')
        .orderBy('bucket')
        .execute();
      const by = async (col: 'level' | 'rule_id') =>
        (
          await db
            .selectFrom('alerts')
            .select([sql.ref<string>(col).as('key'), (eb) => eb.fn.countAll<number>().as('count')])
            .where('last_seen', '>=', f)
            .where('last_seen', '<', t)
            .groupBy(col)
            .orderBy('count', 'desc')
            .limit(100)
            .execute()
        ).map((r) => ({ key: r.key, count: Number(r.count) }));
      const tactics = await sql<{ key: string; count: number }>`
        SELECT tactic AS key, count(*) AS count
        FROM alerts, jsonb_array_elements_text(tactics) AS tactic
        WHERE last_seen >= ${f} AND last_seen < ${t}
        GROUP BY tactic ORDER BY count DESC`.execute(db);
      const buckets = (rows: { bucket: Date; count: number | string | bigint }[]) =>
        rows.map((r) => ({ bucket: new Date(r.bucket).toISOString(), count: Number(r.count) }));
      return {
        interval,
        events: buckets(events),
        alerts: buckets(alerts),
        alerts_by_level: await by('level'),
        alerts_by_rule: await by('rule_id'),
        alerts_by_tactic: tactics.rows.map((r) => ({ key: r.key, count: Number(r.count) })),
        correlation: { ...ctx.correlation.stats() },
      };
    },
  );
};
