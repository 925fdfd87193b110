/**
 * Log templates in the service: mines the syslog lines no decoder understood (enrich.ts) as the
 * event writer appends them, keeps the templates durable before any event refers to them, counts
 * stored events per template, hour and host, and answers the API (`docs/templates-service.md`).
 *
 * Runs inside the event writer's single loop (`beforeAppend`/`afterAppend` hooks), so one miner
 * per process sees every line in append order, with no locking.
 */
import type { Logger } from 'pino';
import { Counter, Gauge, type Registry } from 'prom-client';
import { extractEntities, type MinerState, TemplateMiner } from '../detect/templates/index.js';
import { ErrorCodes, VigilError } from '../errors.js';
import type { PreparedEvent } from '../pipeline/ingest/prepare.js';
import type { StoredBatch } from '../pipeline/ingest/writer.js';
import { type Actor, writeAudit } from '../store/audit.js';
import type { Database } from '../store/database.js';
import {
  getTemplate,
  hourlyCounts,
  listTemplates,
  mergedInto,
  type TemplateQuery,
  type TemplateRecord,
  templateHosts,
} from '../store/templates-read.js';
import {
  addCounts,
  type CountDelta,
  HOUR_MS,
  loadMiner,
  rebuildCounts,
  saveMiner,
  type TemplateMerge,
  type TemplateUpsert,
} from '../store/templates.js';
import { enrichRow, hostOf, SYSLOG_DECODER, templateIdOf, unknownMessage } from './enrich.js';

/**
 * Templates the miner may hold; past it, lines only match existing templates and the rest are
 * stored without one (a flood of unique lines cannot grow memory and the saved state without bound).
 */
export const MAX_TEMPLATES = 20_000;

export interface TemplateServiceOptions {
  /** Mine unknown lines (`Config.ml.templates`); when false the hooks pass events through. */
  readonly enabled: boolean;
  readonly log: Logger;
  /** Where `vigil_templates` and `vigil_template_lines_total` are registered. */
  readonly registry?: Registry;
  readonly now?: () => Date;
  /** Default {@link MAX_TEMPLATES}. */
  readonly maxTemplates?: number;
}

/** What happened to mined lines since start. */
export interface TemplateStats {
  /** Lines that founded a template. */
  readonly created: number;
  /** Lines that joined one (generalizing it or not). */
  readonly matched: number;
  /** Lines past the template cap that no template covered (stored without a template). */
  readonly unmatched: number;
  /** Saves of the miner (each before an append that needed it). */
  readonly saves: number;
  /** Batches whose counts could not be written (see `rebuildCounts`). */
  readonly countFailures: number;
  /** Time spent mining and enriching, saving the miner, and writing counts, ms (cumulative). */
  readonly mineMs: number;
  readonly saveMs: number;
  readonly countMs: number;
}

export class TemplateService {
  /** Text of each live template as saved (to find the ones to upsert). */
  private readonly savedText: Map<number, string>;
  /** Ids saved as merged. */
  private readonly savedMerged: Set<number>;
  /** The last text and first message of templates seen since the last save. */
  private readonly pending = new Map<number, { text: string; sample: string }>();
  private dirty = false;
  /** Rows this service enriched: only these are counted (a JSON event may carry its own `vigil.template`). */
  private readonly mined = new WeakSet<object>();
  /** Tail of the serialized counting work. */
  private counting: Promise<unknown> = Promise.resolve();
  /** Highest event id a rebuild has counted. */
  private countedThrough = 0;
  private readonly stats = {
    created: 0,
    matched: 0,
    unmatched: 0,
    saves: 0,
    countFailures: 0,
    mineMs: 0,
    saveMs: 0,
    countMs: 0,
  };
  private readonly lines: Counter<'result'> | undefined;
  private readonly now: () => Date;
  private readonly maxTemplates: number;

  private constructor(
    private readonly database: Database,
    private readonly miner: TemplateMiner,
    saved: { live: Map<number, string>; merged: Set<number> },
    private readonly options: TemplateServiceOptions,
  ) {
    this.savedText = saved.live;
    this.savedMerged = saved.merged;
    this.now = options.now ?? (() => new Date());
    this.maxTemplates = options.maxTemplates ?? MAX_TEMPLATES;
    if (options.registry) {
      const registers = [options.registry];
      this.lines = new Counter({
        name: 'vigil_template_lines_total',
        help: 'Unknown syslog lines mined, by result (new: founded a template, matched, unmatched: over the template cap)',
        labelNames: ['result'],
        registers,
      });
      new Gauge({
        name: 'vigil_templates',
        help: 'Live log templates the miner holds',
        registers,
        collect: function (this: Gauge) {
          this.set(miner.size);
        },
      });
    }
  }

  /**
   * Restores the miner from its saved state (same ids, templates and merges). A state this
   * version cannot read (another miner format) is set aside with a warning: mining starts afresh
   * with ids after the highest saved one, so stored events keep their meaning.
   * @throws the database error
   */
  static async open(database: Database, options: TemplateServiceOptions): Promise<TemplateService> {
    const saved = await loadMiner(database.db);
    let miner: TemplateMiner | undefined;
    if (saved.state !== undefined) {
      try {
        miner = TemplateMiner.fromJSON(JSON.parse(saved.state));
      } catch (err) {
        options.log.warn(
          { err: (err as Error).message, templates: saved.live.size },
          'saved log template miner cannot be restored; mining afresh after the highest saved id',
        );
      }
    }
    if (miner === undefined) {
      const empty: MinerState = { ...new TemplateMiner().toJSON(), nextId: saved.maxId + 1 };
      miner = TemplateMiner.fromJSON(empty);
      saved.live.clear();
    }
    return new TemplateService(database, miner, saved, options);
  }

  /** Live templates the miner holds. */
  get size(): number {
    return this.miner.size;
  }

  /** Mining results since start. */
  statistics(): TemplateStats {
    return { ...this.stats };
  }

  /**
   * The writer's `beforeAppend` hook: mines the unknown lines among `events`, saves the miner
   * when a template was created, changed or merged, and returns the events with their rows
   * enriched (the same array when nothing was mined).
   * @throws the database error when the miner cannot be saved (the append then fails, as if the
   *   database had refused the events; the changes are saved with the next batch)
   */
  async beforeAppend(events: readonly PreparedEvent[]): Promise<readonly PreparedEvent[]> {
    if (!this.options.enabled) return events;
    const started = performance.now();
    let out: PreparedEvent[] | undefined;
    for (let i = 0; i < events.length; i++) {
      const e = events[i]!;
      const message = unknownMessage(e.event);
      if (message === undefined) continue;
      const match = this.miner.size < this.maxTemplates ? this.miner.add(message) : this.miner.match(message);
      if (match === undefined) {
        this.stats.unmatched++;
        this.lines?.inc({ result: 'unmatched' });
        continue;
      }
      this.stats[match.created ? 'created' : 'matched']++;
      this.lines?.inc({ result: match.created ? 'new' : 'matched' });
      if (match.created || match.changed) {
        this.dirty = true;
        const p = this.pending.get(match.templateId);
        if (p) p.text = match.template;
        else this.pending.set(match.templateId, { text: match.template, sample: message });
      }
      const row = enrichRow(e.row, match, extractEntities(match, message));
      this.mined.add(row);
      out ??= events.slice();
      out[i] = { event: e.event, row };
    }
    const mined = performance.now();
    this.stats.mineMs += mined - started;
    if (this.dirty) {
      await this.save();
      this.stats.saveMs += performance.now() - mined;
    }
    return out ?? events;
  }

  /** Saves the state, the templates whose text differs from the saved one, and new merges. */
  private async save(): Promise<void> {
    const state = this.miner.toJSON();
    const live = this.miner.clusters();
    const upserts: TemplateUpsert[] = [];
    for (const c of live) {
      if (this.savedText.get(c.id) === c.template) continue;
      upserts.push({ id: c.id, template: c.template, sample: this.pending.get(c.id)?.sample ?? c.template });
    }
    const merges: TemplateMerge[] = [];
    for (const [from] of state.aliases ?? []) {
      if (this.savedMerged.has(from)) continue;
      const into = this.miner.resolve(from);
      if (into === undefined) continue;
      merges.push({ from, into });
      // Created and merged since the last save: events may name it, so it needs its row.
      if (!this.savedText.has(from)) {
        const p = this.pending.get(from);
        upserts.push({ id: from, template: p?.text ?? '', sample: p?.sample ?? '' });
      }
    }
    upserts.sort((a, b) => a.id - b.id);
    await saveMiner(
      this.database.db,
      { upserts, merges, state: JSON.stringify(state), templates: live.length },
      this.now(),
    );
    for (const u of upserts) this.savedText.set(u.id, u.template);
    for (const m of merges) {
      this.savedMerged.add(m.from);
      this.savedText.delete(m.from);
    }
    this.pending.clear();
    this.dirty = false;
    this.stats.saves++;
  }

  /** Runs `work` after the counting work queued before it (count batches and rebuilds never overlap). */
  private serial<T>(work: () => Promise<T>): Promise<T> {
    const run = this.counting.then(work);
    this.counting = run.catch(() => undefined);
    return run;
  }

  /**
   * The writer's `afterAppend` hook: adds the batch's mined events to the counts. Never rejects:
   * the events are committed, so a failure is logged and counted (`rebuildCounts` repairs it).
   */
  afterAppend(batch: StoredBatch): Promise<void> {
    return this.serial(() => this.count(batch));
  }

  private async count(batch: StoredBatch): Promise<void> {
    const deltas = new Map<
      string,
      { templateId: number; bucket: number; host: string; count: number; first: number; last: number }
    >();
    for (let i = 0; i < batch.events.length; i++) {
      const e = batch.events[i]!;
      // Counted already by a rebuild that read this event.
      if (batch.firstId + i <= this.countedThrough || !this.mined.has(e.row)) continue;
      const mined = templateIdOf(e.row.ecs);
      // Counted under the live template (it may have merged later in the same batch).
      const id = mined === undefined ? undefined : (this.miner.resolve(mined) ?? mined);
      const ms = Date.parse(e.row.timestamp);
      if (id === undefined || Number.isNaN(ms)) continue;
      const bucket = Math.floor(ms / HOUR_MS) * HOUR_MS;
      const host = hostOf(e.row.ecs);
      const key = `${id}\u0000${bucket}\u0000${host}`;
      const d = deltas.get(key);
      if (d) {
        d.count++;
        d.first = Math.min(d.first, ms);
        d.last = Math.max(d.last, ms);
      } else deltas.set(key, { templateId: id, bucket, host, count: 1, first: ms, last: ms });
    }
    if (deltas.size === 0) return;
    const started = performance.now();
    try {
      await addCounts(this.database.db, [...deltas.values()] as CountDelta[]);
      this.stats.countMs += performance.now() - started;
    } catch (err) {
      this.stats.countFailures++;
      this.options.log.error(
        { err: (err as Error).message, firstId: batch.firstId, events: batch.events.length },
        'log template counts not written (derived data; rebuild with POST /api/v1/templates/counts/rebuild)',
      );
    }
  }

  /**
   * Recomputes all counts from the stored events (one scan of the events table), with an audit
   * entry `templates.rebuild_counts` in the same transaction.
   * @returns (template, hour, host) rows written and the highest event id read
   * @throws the database error (nothing changed then)
   */
  rebuildCounts(actor: Actor): Promise<{ rows: number; through: number }> {
    return this.serial(async () => {
      const started = this.now();
      const r = await rebuildCounts(this.database.db, SYSLOG_DECODER, async (trx) => {
        await writeAudit(
          trx,
          { actor, action: 'templates.rebuild_counts', target: 'log_template_counts', details: {} },
          started,
        );
      });
      this.countedThrough = Math.max(this.countedThrough, r.through);
      return r;
    });
  }

  /** A page of templates (see `listTemplates`). @throws VigilError `VIGIL_ERR_BAD_REQUEST` for a bad cursor */
  list(q: TemplateQuery): Promise<{ templates: TemplateRecord[]; next?: string }> {
    return listTemplates(this.database.db, q);
  }

  /** True when a template with this id is saved. */
  async exists(id: number): Promise<boolean> {
    return (await getTemplate(this.database.db, id)) !== undefined;
  }

  /**
   * One template with the hosts that logged it most and its hourly counts over the
   * {@link DETAIL_HOURS} hours up to its last event.
   * @returns undefined for an unknown id
   */
  async get(id: number): Promise<TemplateDetail | undefined> {
    const t = await getTemplate(this.database.db, id);
    if (!t) return undefined;
    const hosts = await templateHosts(this.database.db, id, DETAIL_HOSTS);
    const merged = await mergedInto(this.database.db, id);
    if (t.last_seen === null) return { ...t, merged, hosts, recent: [] };
    const to = Math.floor(Date.parse(t.last_seen) / HOUR_MS) * HOUR_MS + HOUR_MS;
    const recent = await this.series(id, to - DETAIL_HOURS * HOUR_MS, to, 'hour');
    return { ...t, merged, hosts, recent };
  }

  /**
   * Counts of one template per bucket in `[from, to)` (ms, widened to whole buckets), every bucket
   * listed (zero when empty), oldest first; for one host when given.
   * @throws VigilError `VIGIL_ERR_BAD_REQUEST` when `to <= from` or the range spans more than
   *   {@link MAX_BUCKETS} buckets
   */
  async series(
    id: number,
    from: number,
    to: number,
    bucket: BucketSize,
    host?: string,
  ): Promise<{ bucket: string; count: number }[]> {
    const size = bucket === 'hour' ? HOUR_MS : DAY_MS;
    const start = Math.floor(from / size) * size;
    const end = Math.ceil(to / size) * size;
    if (!(end > start)) throw new VigilError(ErrorCodes.BAD_REQUEST, '`to` must be after `from`');
    if ((end - start) / size > MAX_BUCKETS)
      throw new VigilError(ErrorCodes.BAD_REQUEST, `at most ${MAX_BUCKETS} ${bucket} buckets per request`);
    const counts = new Array<number>((end - start) / size).fill(0);
    for (const r of await hourlyCounts(this.database.db, id, start, end, host))
      counts[Math.floor((r.bucket - start) / size)]! += r.count;
    return counts.map((count, i) => ({ bucket: new Date(start + i * size).toISOString(), count }));
  }
}

/** Hosts listed in a template's detail. */
export const DETAIL_HOSTS = 20;
/** Hours of counts in a template's detail. */
export const DETAIL_HOURS = 48;
/** Buckets one counts request may span. */
export const MAX_BUCKETS = 2000;
const DAY_MS = 86_400_000;

export type BucketSize = 'hour' | 'day';

/** A template with its top hosts and recent hourly counts. */
export interface TemplateDetail extends TemplateRecord {
  /** Ids of the templates merged into this one (their events name those ids). */
  readonly merged: number[];
  /** Hosts (`host.name`, `''` when absent) that logged it most, all time. */
  readonly hosts: { host: string; count: number }[];
  /** Hourly counts over the 48 hours up to `last_seen`, oldest first. */
  readonly recent: { bucket: string; count: number }[];
}
