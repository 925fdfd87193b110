/**
 * Entity risk (risk-based alerting): records what each batch of alert changes adds to the risk of
 * its hosts, users and source IPs inside the detection transaction, reports entities that cross
 * the threshold, and lists the riskiest entities with the alerts that explain their scores.
 * Scoring is in `score.ts` (pure); storage in `src/store/risk.ts`; `docs/risk.md` explains both.
 */
import type { Kysely } from 'kysely';
import type { AlertHook } from '../pipeline/detect-stage.js';
import type { AlertChange } from '../store/alerts.js';
import {
  contributionsOfAlerts,
  contributionsOfEntities,
  decodeRiskCursor,
  encodeRiskCursor,
  evictRiskContributions,
  listRiskEntities,
  lockRiskEntities,
  readRiskAlerts,
  readRiskEntities,
  rekeyRiskEntities,
  type RiskAlertRow,
  type RiskContributionRow,
  type RiskContributionValues,
  type RiskEntityRow,
  type RiskEntityValues,
  saveRiskContributions,
  saveRiskEntities,
} from '../store/risk.js';
import type { DatabaseSchema } from '../store/schema.js';
import { addToContribution, entitiesOf, stateOf } from './contribution.js';
import { contributionNow, entityView, type RiskEntityView } from './explain.js';
import {
  applyBatch,
  currentScore,
  decay,
  entityId,
  type EntityRef,
  type EntityType,
  rankFloor,
  rankKey,
  type RiskInput,
  type RiskParams,
} from './score.js';

type Db = Kysely<DatabaseSchema>;
type MutableEntity = { -readonly [K in keyof RiskEntityValues]: RiskEntityValues[K] };

/** Contribution rows kept per entity; older ones are folded into the entity's remainder. */
export const MAX_CONTRIBUTIONS = 100;

/** An entity whose score reached the threshold in a batch (once until it re-arms). */
export interface RiskCrossing {
  readonly entity: EntityRef;
  /** Score at the crossing (points). */
  readonly score: number;
  readonly threshold: number;
  /** The alerts that contributed (kept contributions, most points first). */
  readonly alertIds: number[];
}

/**
 * Called inside the detection transaction with the batch's crossings (e.g. to raise risk
 * incidents in the same transaction); may return a callback run after the commit.
 */
export type CrossingHandler = (
  trx: Db,
  crossings: readonly RiskCrossing[],
  now: Date,
) => Promise<(() => void) | void>;

export interface RiskServiceOptions extends RiskParams {
  readonly onCrossing?: CrossingHandler;
  /** After the commit, per crossing (metrics). */
  readonly onCommittedCrossing?: (crossing: RiskCrossing) => void;
}

export interface RiskEntityListQuery {
  readonly type?: EntityType | undefined;
  /** Only entities with at least this current score. */
  readonly minScore?: number | undefined;
  readonly limit: number;
  readonly cursor?: string | undefined;
  /** Contributions listed per entity (the rest are summed into `remainder`). */
  readonly contributions: number;
}

export class RiskService {
  private onCrossing: CrossingHandler | undefined;

  private constructor(private readonly o: RiskServiceOptions) {
    this.onCrossing = o.onCrossing;
  }

  /**
   * Opens the service on a database: re-keys stored entities if the half-life changed.
   */
  static async open(db: Db, options: RiskServiceOptions): Promise<RiskService> {
    await rekeyRiskEntities(db, options.halfLifeMs);
    return new RiskService(options);
  }

  get params(): RiskParams {
    return { threshold: this.o.threshold, halfLifeMs: this.o.halfLifeMs };
  }

  /** Sets (or clears) the handler of crossings, e.g. once the incident service exists. */
  setCrossingHandler(handler: CrossingHandler | undefined): void {
    this.onCrossing = handler;
  }

  /**
   * The hook for the detection stage's `alertHooks`: records the batch's risk and hands the
   * crossings to the crossing handler, in the same transaction.
   */
  readonly hook: AlertHook = async (trx, changes, now) => {
    const crossings = await this.record(trx, changes, now);
    if (crossings.length === 0) return undefined;
    const after = this.onCrossing ? await this.onCrossing(trx, crossings, now) : undefined;
    const each = this.o.onCommittedCrossing;
    if (!after && !each) return undefined;
    return () => {
      if (each) for (const c of crossings) each(c);
      after?.();
    };
  };

  /**
   * Adds the risk of a batch of alert changes (in order) to their entities, inside the caller's
   * transaction, at detection time `now`. Entities are read from the alerts' `host_name`,
   * `user_name` and `source_ip`; alerts with none add nothing. Not idempotent: call it once per
   * batch of changes, in the transaction that recorded them (the detection stage does; a replayed
   * batch yields no changes, so nothing is counted twice).
   * @returns the entities that crossed the threshold in this batch
   */
  async record(trx: Db, changes: readonly AlertChange[], now: Date): Promise<RiskCrossing[]> {
    if (changes.length === 0) return [];
    const ids = [...new Set(changes.map((c) => c.alert.id))];
    const alerts = new Map((await readRiskAlerts(trx, ids)).map((a) => [a.id, a] as const));
    const work = new Map<
      string,
      { ref: EntityRef; items: { kind: AlertChange['kind']; alert: RiskAlertRow }[] }
    >();
    for (const c of changes) {
      const a = alerts.get(c.alert.id);
      if (!a) continue;
      for (const ref of entitiesOf(a)) {
        const id = entityId(ref);
        let w = work.get(id);
        if (!w) work.set(id, (w = { ref, items: [] }));
        w.items.push({ kind: c.kind, alert: a });
      }
    }
    if (work.size === 0) return [];
    const refs = [...work.values()].map((w) => w.ref);
    const rows = new Map<string, RiskEntityRow>();
    for (const r of await lockRiskEntities(trx, refs)) rows.set(`${r.type}:${r.value}`, r);
    const existing = new Map<string, RiskContributionValues>();
    for (const r of await contributionsOfAlerts(trx, ids))
      existing.set(`${r.entity_type}:${r.entity_value}#${r.alert_id}`, r);
    const planned = [...work].map(([id, w]) => this.plan(w.ref, rows.get(id), w.items, existing, now));
    await saveRiskContributions(
      trx,
      planned.flatMap((p) => p.contributions),
    );
    for (const p of planned) if (p.entity.kept > MAX_CONTRIBUTIONS) await this.fold(trx, p.entity);
    await saveRiskEntities(
      trx,
      planned.map((p) => p.entity),
    );
    const crossed = planned.filter((p) => p.crossed);
    if (crossed.length === 0) return [];
    const h = this.o.halfLifeMs;
    const kept = await contributionsOfEntities(
      trx,
      crossed.map((p) => p.entity),
    );
    return crossed.map(({ entity: e }) => {
      const at = e.score_at.getTime();
      const alertIds = kept
        .filter((c) => c.entity_type === e.type && c.entity_value === e.value)
        .map((c) => ({ id: c.alert_id, now: contributionNow(c, at, h) }))
        .sort((a, b) => b.now - a.now || b.id - a.id)
        .map((c) => c.id);
      return {
        entity: { type: e.type as EntityType, value: e.value },
        score: decay(e.score, at, now.getTime(), h),
        threshold: this.o.threshold,
        alertIds,
      };
    });
  }

  /** Scores one entity's share of a batch: its new row and the contribution rows it touches. */
  private plan(
    ref: EntityRef,
    row: RiskEntityRow | undefined,
    items: readonly { kind: AlertChange['kind']; alert: RiskAlertRow }[],
    existing: ReadonlyMap<string, RiskContributionValues>,
    now: Date,
  ): { entity: MutableEntity; contributions: RiskContributionValues[]; crossed: boolean } {
    const h = this.o.halfLifeMs;
    const inputs: RiskInput[] = items.map(({ kind, alert }) => ({
      kind,
      ruleId: alert.rule_id,
      level: alert.level,
      status: alert.rule_status,
      tactics: alert.tactics,
    }));
    const result = applyBatch(stateOf(row), inputs, now.getTime(), this.params);
    const s = result.state;
    const at = new Date(s.at);
    const touched = new Map<number, RiskContributionValues>();
    let added = 0;
    items.forEach(({ kind, alert }, i) => {
      const prev = touched.get(alert.id) ?? existing.get(`${entityId(ref)}#${alert.id}`);
      if (!prev) added++;
      touched.set(alert.id, addToContribution(prev, ref, alert, kind, result.scored[i]!, at, h));
    });
    const created = items.filter((i) => i.kind === 'created').length;
    const times = items.map((i) => [i.alert.first_seen.getTime(), i.alert.last_seen.getTime()] as const);
    const entity: MutableEntity = {
      type: ref.type,
      value: ref.value,
      score: s.score,
      score_at: at,
      rank: rankKey(s.score, s.at, h),
      half_life_ms: h,
      crossed: s.crossed,
      crossed_at: result.crossed ? at : (row?.crossed_at ?? null),
      first_seen: new Date(Math.min(row?.first_seen.getTime() ?? Infinity, ...times.map((t) => t[0]))),
      last_seen: new Date(Math.max(row?.last_seen.getTime() ?? -Infinity, ...times.map((t) => t[1]))),
      alerts: (row?.alerts ?? 0) + created,
      repeats: (row?.repeats ?? 0) + items.length - created,
      tactics: { ...s.tactics },
      rules: { ...s.rules },
      kept: (row?.kept ?? 0) + added,
      remainder_points: row?.remainder_points ?? 0,
      remainder_at: row?.remainder_at ?? null,
      remainder_alerts: row?.remainder_alerts ?? 0,
    };
    return { entity, contributions: [...touched.values()], crossed: result.crossed };
  }

  /**
   * Folds an entity's least recently active contributions beyond {@link MAX_CONTRIBUTIONS} into
   * its remainder (points decayed to the entity's `score_at`, then summed).
   */
  private async fold(trx: Db, e: MutableEntity): Promise<void> {
    const h = this.o.halfLifeMs;
    const at = e.score_at.getTime();
    const evicted = await evictRiskContributions(trx, e, e.kept - MAX_CONTRIBUTIONS);
    let points = e.remainder_at ? decay(e.remainder_points, e.remainder_at.getTime(), at, h) : 0;
    for (const c of evicted) points += contributionNow(c, at, h);
    e.remainder_points = points;
    e.remainder_at = e.score_at;
    e.remainder_alerts += evicted.length;
    e.kept -= evicted.length;
  }

  /**
   * Current scores of entities (points, decayed to `now`), keyed `${type}:${value}`; an entity
   * with no risk recorded scores 0.
   */
  async riskOf(trx: Db, entities: readonly EntityRef[], now: Date): Promise<Map<string, number>> {
    const out = new Map<string, number>(entities.map((e) => [entityId(e), 0]));
    for (const r of await readRiskEntities(trx, entities))
      out.set(`${r.type}:${r.value}`, currentScore(stateOf(r), now.getTime(), this.o.halfLifeMs));
    return out;
  }

  /**
   * The riskiest entities at `now`, with their contributions.
   * @throws VigilError `VIGIL_ERR_BAD_REQUEST` for a cursor this service did not issue
   */
  async list(
    db: Db,
    q: RiskEntityListQuery,
    now: Date,
  ): Promise<{ entities: RiskEntityView[]; next?: string }> {
    const h = this.o.halfLifeMs;
    const rows = await listRiskEntities(db, {
      type: q.type,
      minRank:
        q.minScore !== undefined && q.minScore > 0 ? rankFloor(q.minScore, now.getTime(), h) : undefined,
      limit: q.limit,
      after: q.cursor ? decodeRiskCursor(q.cursor) : undefined,
    });
    const page = rows.slice(0, q.limit);
    const entities = await this.views(db, page, now, q.contributions);
    const last = page[page.length - 1];
    return rows.length > q.limit && last
      ? { entities, next: encodeRiskCursor({ rank: last.rank, type: last.type, value: last.value }) }
      : { entities };
  }

  /** One entity at `now` with all its kept contributions, or undefined. */
  async get(db: Db, ref: EntityRef, now: Date): Promise<RiskEntityView | undefined> {
    const rows = await readRiskEntities(db, [ref]);
    return (await this.views(db, rows, now, MAX_CONTRIBUTIONS))[0];
  }

  private async views(
    db: Db,
    rows: readonly RiskEntityRow[],
    now: Date,
    max: number,
  ): Promise<RiskEntityView[]> {
    const contributions = await contributionsOfEntities(db, rows);
    const byEntity = new Map<string, RiskContributionRow[]>();
    for (const c of contributions) {
      const id = `${c.entity_type}:${c.entity_value}`;
      const list = byEntity.get(id);
      if (list) list.push(c);
      else byEntity.set(id, [c]);
    }
    return rows.map((r) =>
      entityView(r, byEntity.get(`${r.type}:${r.value}`) ?? [], now.getTime(), this.params, max),
    );
  }
}
