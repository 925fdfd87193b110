import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { VigilError } from '../../src/errors.js';
import { MAX_CONTRIBUTIONS, type RiskCrossing, RiskService } from '../../src/risk/service.js';
import { type AlertMatch, recordMatches } from '../../src/store/alerts.js';
import type { Database } from '../../src/store/database.js';
import { openTestDatabase, STORE_KINDS } from '../helpers/service.js';

const H = 3_600_000;
const T0 = Date.parse('2026-11-20T10:00:00Z');
const at = (ms: number): Date => new Date(T0 + ms);

let nextEvent = 0;

function match(o: {
  rule: string;
  level?: string;
  status?: string;
  tactics?: string[];
  host?: string | null;
  user?: string | null;
  ip?: string | null;
  time?: number;
}): AlertMatch {
  const id = ++nextEvent;
  const level = o.level ?? 'high';
  return {
    ruleId: o.rule,
    ruleTitle: `Rule ${o.rule}`,
    level,
    techniques: [],
    tactics: o.tactics ?? ['TA0002'],
    host: o.host === undefined ? 'WS-01' : o.host,
    user: o.user ?? null,
    sourceIp: o.ip ?? null,
    document: { rule: { id: o.rule, name: `Rule ${o.rule}`, level, status: o.status ?? 'stable' } },
    evidence: { id, timestamp: at(o.time ?? 0).toISOString(), ecs: {}, original: '' },
  };
}

describe.each(STORE_KINDS)('entity risk store on %s', (kind) => {
  let database: Database;
  let risk: RiskService;
  let crossings: RiskCrossing[][];

  let committed: RiskCrossing[];

  /**
   * Records matches as alerts, then their risk through the detection hook, in one transaction at
   * `now` (ms after T0), as the detection stage does; runs the hook's post-commit callback.
   * @returns the crossings handed to the crossing handler
   */
  async function detect(matches: AlertMatch[], now: number, suppressMs = 0): Promise<RiskCrossing[]> {
    const before = crossings.length;
    const after = await database.db.transaction().execute(async (trx) => {
      const changes = await recordMatches(trx, matches, suppressMs, at(now));
      return risk.hook(trx, changes, at(now));
    });
    if (after) after();
    return crossings.slice(before).flat();
  }

  beforeAll(async () => {
    database = await openTestDatabase(kind);
  }, 60_000);
  afterAll(async () => {
    await database.close();
  });
  beforeEach(async () => {
    await database.db.deleteFrom('risk_contributions').execute();
    await database.db.deleteFrom('risk_entities').execute();
    await database.db.deleteFrom('alert_events').execute();
    await database.db.deleteFrom('alerts').execute();
    crossings = [];
    committed = [];
    risk = await RiskService.open(database.db, {
      threshold: 100,
      halfLifeMs: H,
      onCrossing: async (_trx, c) => {
        crossings.push([...c]);
      },
      onCommittedCrossing: (c) => committed.push(c),
    });
  });

  it('adds an alert’s risk to its host, user and source IP, explained by the alert', async () => {
    await detect([match({ rule: 'a', host: 'WS-01', user: 'bob', ip: '10.0.0.5' })], 0);
    const scores = await risk.riskOf(
      database.db,
      [
        { type: 'host', value: 'WS-01' },
        { type: 'user', value: 'bob' },
        { type: 'ip', value: '10.0.0.5' },
        { type: 'host', value: 'unknown' },
      ],
      at(H),
    );
    expect(Object.fromEntries(scores)).toEqual({
      'host:WS-01': 36.5,
      'user:bob': 36.5,
      'ip:10.0.0.5': 36.5,
      'host:unknown': 0,
    });
    const view = await risk.get(database.db, { type: 'user', value: 'bob' }, at(0));
    const alertId = (await database.db.selectFrom('alerts').select('id').executeTakeFirstOrThrow()).id;
    expect(view).toMatchObject({
      type: 'user',
      value: 'bob',
      score: 73,
      level: 'medium',
      crossed: false,
      tactics: ['TA0002'],
      alerts: 1,
      first_seen: at(0).toISOString(),
      contributions: [
        {
          alert_id: alertId,
          rule: { id: 'a', name: 'Rule a' },
          level: 'high',
          status: 'stable',
          base: 73,
          multipliers: { status: 1, diversity: 1, repetition: 1 },
          points: 73,
          points_now: 73,
          repeats: { count: 0, points_now: 0 },
        },
      ],
      remainder: { alerts: 0, points_now: 0 },
    });
  });

  it('adds nothing for an alert without entities', async () => {
    expect(await detect([match({ rule: 'a', host: null })], 0)).toEqual([]);
    expect(await database.db.selectFrom('risk_entities').selectAll().execute()).toEqual([]);
  });

  it('counts suppressed repeats on the alert’s contribution', async () => {
    await detect(
      [match({ rule: 'a' }), match({ rule: 'a', time: 1000 }), match({ rule: 'a', time: 2000 })],
      0,
      H,
    );
    const view = await risk.get(database.db, { type: 'host', value: 'WS-01' }, at(0));
    expect(view?.alerts).toBe(1);
    expect(view?.repeats).toBe(2);
    expect(view?.contributions).toHaveLength(1);
    const c = view!.contributions[0]!;
    expect(c.repeats.count).toBe(2);
    expect(c.repeats.points_now).toBeCloseTo(73 * 0.25 * (2 ** -1.5 + 3 ** -1.5), 2);
    expect(view!.score).toBeCloseTo(c.points_now, 2);
  });

  it('raises a crossing once, with the alerts that contributed, and again after re-arming', async () => {
    const first = await detect([match({ rule: 'a', tactics: ['TA0002'] })], 0);
    expect(first).toEqual([]);
    const second = await detect([match({ rule: 'b', tactics: ['TA0005'], user: 'bob' })], 1000);
    const ids = (await database.db.selectFrom('alerts').select('id').orderBy('id').execute()).map(
      (r) => r.id,
    );
    expect(second).toHaveLength(1);
    expect(second[0]).toMatchObject({ entity: { type: 'host', value: 'WS-01' }, threshold: 100 });
    expect(second[0]!.score).toBeCloseTo(73 * 2 ** (-1000 / H) + 73 * 1.5, 6);
    // Most points first: the second alert earned the diversity bonus.
    expect(second[0]!.alertIds).toEqual([ids[1], ids[0]]);
    expect(crossings).toEqual([second]);
    expect(committed).toEqual(second);
    expect(await detect([match({ rule: 'c', tactics: ['TA0040'] })], 2000)).toEqual([]);
    const view = await risk.get(database.db, { type: 'host', value: 'WS-01' }, at(2000));
    expect(view).toMatchObject({ crossed: true, crossed_at: at(1000).toISOString(), level: 'critical' });
    // Five half-lives later the score is below half the threshold: it re-arms and crosses again.
    const again = await detect(
      [match({ rule: 'd', tactics: ['TA0003'] }), match({ rule: 'e', tactics: ['TA0004'] })],
      5 * H,
    );
    expect(again.map((c) => c.entity)).toEqual([{ type: 'host', value: 'WS-01' }]);
  });

  it('keeps the latest contributions and folds older ones into the remainder, keeping the sum', async () => {
    const n = MAX_CONTRIBUTIONS + 5;
    await detect(
      Array.from({ length: n }, (_, i) => match({ rule: `r${i}`, level: 'low' })),
      0,
    );
    await detect([match({ rule: 'late', level: 'low' })], 1000);
    const rows = await database.db
      .selectFrom('risk_contributions')
      .select('alert_id')
      .where('entity_value', '=', 'WS-01')
      .execute();
    expect(rows).toHaveLength(MAX_CONTRIBUTIONS);
    const view = await risk.get(database.db, { type: 'host', value: 'WS-01' }, at(H));
    expect(view!.alerts).toBe(n + 1);
    expect(view!.contributions).toHaveLength(MAX_CONTRIBUTIONS);
    expect(view!.remainder.alerts).toBe(6);
    const sum = view!.contributions.reduce((s, c) => s + c.points_now, 0) + view!.remainder.points_now;
    expect(view!.score).toBeCloseTo(sum, 0);
    expect(view!.score).toBeCloseTo((21 * n) / 2 + 21 * 2 ** (-(H - 1000) / H), 1); // rounded to 0.01
  });

  it('lists the riskiest first by current score, with type, min_score and cursor', async () => {
    // At 2 h: A scored 146 at 0 → 36.5; B 99 at 1 h → 49.5; carol 21 at 1 h → 10.5.
    await detect(
      [
        match({ rule: 'a', host: 'A', tactics: ['TA0002'] }),
        match({ rule: 'b', host: 'A', tactics: ['TA0002'] }),
      ],
      0,
    );
    await detect([match({ rule: 'c', host: 'B', level: 'critical' })], H);
    await detect([match({ rule: 'd', host: null, user: 'carol', level: 'low' })], H);
    const page1 = await risk.list(database.db, { limit: 2, contributions: 1 }, at(2 * H));
    expect(page1.entities.map((e) => `${e.type}:${e.value}`)).toEqual(['host:B', 'host:A']);
    expect(page1.entities[0]!.score).toBeCloseTo(49.5, 2);
    expect(page1.entities[1]!.contributions).toHaveLength(1);
    expect(page1.entities[1]!.score).toBeCloseTo(36.5, 2);
    expect(page1.entities[1]!.remainder).toEqual({ alerts: 1, points_now: 18.25 });
    const page2 = await risk.list(database.db, { limit: 2, contributions: 1, cursor: page1.next }, at(2 * H));
    expect(page2.entities.map((e) => `${e.type}:${e.value}`)).toEqual(['user:carol']);
    expect(page2.next).toBeUndefined();
    const users = await risk.list(database.db, { type: 'user', limit: 10, contributions: 0 }, at(2 * H));
    expect(users.entities.map((e) => e.value)).toEqual(['carol']);
    const over40 = await risk.list(database.db, { minScore: 40, limit: 10, contributions: 0 }, at(2 * H));
    expect(over40.entities.map((e) => e.value)).toEqual(['B']);
    await expect(
      risk.list(database.db, { limit: 2, contributions: 0, cursor: 'bad' }, at(0)),
    ).rejects.toThrow(VigilError);
  });

  it('re-keys stored entities when the half-life changes, so the order holds', async () => {
    await detect([match({ rule: 'a', host: 'A', level: 'critical' })], 0);
    await detect([match({ rule: 'b', host: 'B', level: 'high' })], H);
    // With a one-hour half-life B (73 at H) beats A (99 → 49.5 at H) ...
    expect((await risk.list(database.db, { limit: 5, contributions: 0 }, at(H))).entities[0]!.value).toBe(
      'B',
    );
    // ... with a one-day half-life A (≈ 96.2 at H) beats B.
    const slow = await RiskService.open(database.db, { threshold: 100, halfLifeMs: 24 * H });
    expect(
      (await slow.list(database.db, { limit: 5, contributions: 0 }, at(H))).entities.map((e) => e.value),
    ).toEqual(['A', 'B']);
  });

  it('records through record() alone, without handing crossings to the handler', async () => {
    const out = await database.db.transaction().execute(async (trx) => {
      const changes = await recordMatches(
        trx,
        [match({ rule: 'a', tactics: ['TA0002'] }), match({ rule: 'b', tactics: ['TA0005'] })],
        0,
        at(0),
      );
      return risk.record(trx, changes, at(0));
    });
    expect(out.map((c) => c.entity)).toEqual([{ type: 'host', value: 'WS-01' }]);
    expect(crossings).toEqual([]);
  });

  it('writes nothing when the detection transaction rolls back', async () => {
    await expect(
      database.db.transaction().execute(async (trx) => {
        const changes = await recordMatches(trx, [match({ rule: 'a' })], 0, at(0));
        await risk.record(trx, changes, at(0));
        throw new Error('batch failed');
      }),
    ).rejects.toThrow('batch failed');
    expect(await database.db.selectFrom('risk_entities').selectAll().execute()).toEqual([]);
    expect(await database.db.selectFrom('risk_contributions').selectAll().execute()).toEqual([]);
  });
});
