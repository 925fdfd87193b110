/**
 * Incidents (case management): the service the API routes and the detection pipeline call. Every
 * change runs in one transaction that takes the incident lock (`lockIncidents`), writes its
 * timeline and audit entries, and publishes the changed incidents on the stream after the commit.
 */
import type { Kysely } from 'kysely';
import type { AlertHook } from '../pipeline/detect-stage.js';
import { ErrorCodes, VigilError } from '../errors.js';
import { type Actor, SYSTEM_ACTOR, writeAudit } from '../store/audit.js';
import type { Database } from '../store/database.js';
import {
  entitiesOf,
  type IncidentQuery,
  type IncidentStats,
  incidentStats,
  listIncidentRows,
  lockIncidents,
  mergedInto,
} from '../store/incidents.js';
import {
  countComments,
  linkableAlerts,
  listComments,
  listObservables,
  listTasks,
  listTimeline,
  lockIncidentAlerts,
} from '../store/incidents-items.js';
import type { DatabaseSchema } from '../store/schema.js';
import { groupAlerts } from './grouping.js';
import * as items from './items.js';
import { mergeIncidents, splitIncident } from './merge.js';
import { raiseRisk, type RiskIncidentInput } from './risk-incident.js';
import { type IncidentUpdate, uniqueTags, updateIncident } from './update.js';
import { worstSeverity } from './severity.js';
import type {
  Incident,
  IncidentComment,
  IncidentDetail,
  IncidentPublisher,
  IncidentSeverity,
  Observable,
  ObservableType,
  RiskEntityType,
  RiskLookup,
  Task,
  TaskStatus,
  TimelineEntry,
} from './types.js';
import { commentView, incidentView, loadIncidents, observableView, taskView, timelineView } from './view.js';
import { alertStatusOnClose, OPEN_ALERT_STATUSES } from './workflow.js';
import { ChangeSet, createIncident, type IncidentSettings, linkAlerts, settle, type Work } from './work.js';

export type { RiskIncidentInput } from './risk-incident.js';
export type { IncidentUpdate } from './update.js';

export interface IncidentServiceOptions {
  /** Grouping window, ms (`VIGIL_INCIDENT_WINDOW_MS`); 0 = alerts open no incidents by themselves. */
  readonly windowMs: number;
  /** Entity types alerts are grouped on (`VIGIL_INCIDENT_GROUP_BY`, default host, user, ip). */
  readonly groupBy?: readonly RiskEntityType[];
  /** Entity risk scores (the risk contract); without it severity follows the alerts only. */
  readonly riskOf?: RiskLookup;
  /** The risk threshold (`VIGIL_RISK_THRESHOLD`, default 100): `high` from it, `critical` from 2.5 ×. */
  readonly riskThreshold?: number;
  /** Receives every created or updated incident after its transaction commits (the stream). */
  readonly publish?: IncidentPublisher;
  readonly now?: () => Date;
}

export interface NewIncidentInput {
  readonly title: string;
  readonly description?: string | undefined;
  /** Default: the worst level of `alertIds`, else medium. */
  readonly severity?: IncidentSeverity | undefined;
  readonly assignee?: string | null | undefined;
  readonly tags?: readonly string[] | undefined;
  /** Alerts to link (moved from their incident when they are in one). */
  readonly alertIds?: readonly number[] | undefined;
}

/** What {@link IncidentService.raiseRiskIncident} did. */
export interface RiskIncidentResult {
  readonly incident: Incident;
  readonly created: boolean;
  /** Alerts linked now (alerts already in another incident stay there). */
  readonly linkedAlertIds: readonly number[];
  /** Publishes the change on the stream; call it after the transaction commits. */
  readonly publish: () => void;
}

export class IncidentService {
  private readonly settings: IncidentSettings;
  private readonly now: () => Date;

  /**
   * @param database - the store
   * @param options - grouping window and entities, risk look-up, stream publisher, clock
   */
  constructor(
    private readonly database: Database,
    private readonly options: IncidentServiceOptions,
  ) {
    this.settings = {
      windowMs: options.windowMs,
      groupBy: options.groupBy ?? ['host', 'user', 'ip'],
      riskOf: options.riskOf,
      riskThreshold: options.riskThreshold ?? 100,
    };
    this.now = options.now ?? (() => new Date());
  }

  /**
   * The detection stage's alert hook (`afterRecord`, in the detection transaction): groups new
   * alerts into incidents and folds suppressed repeats into theirs (`grouping.ts`). Its callback
   * publishes after the commit, behind the batch's alert messages.
   */
  readonly groupingHook: AlertHook = async (trx, changes, now) => {
    if (changes.length === 0) return;
    await lockIncidents(trx);
    const w: Work = { trx, actor: SYSTEM_ACTOR, now, changes: new ChangeSet(), settings: this.settings };
    await groupAlerts(w, changes);
    const publish = await w.changes.publisher(trx, this.options.publish);
    // The detection stage publishes the batch's alerts right after this callback returns;
    // a microtask lets those go first, so clients see the alerts before the incidents naming them.
    return () => queueMicrotask(publish);
  };

  private async run<T>(
    actor: Actor,
    fn: (w: Work) => Promise<T>,
    before?: (trx: Kysely<DatabaseSchema>) => Promise<void>,
  ): Promise<T> {
    const now = this.now();
    const { result, publish } = await this.database.db.transaction().execute(async (trx) => {
      if (before) await before(trx);
      await lockIncidents(trx);
      const w: Work = { trx, actor, now, changes: new ChangeSet(), settings: this.settings };
      const result = await fn(w);
      return { result, publish: await w.changes.publisher(trx, this.options.publish) };
    });
    publish();
    return result;
  }

  private async view(db: Kysely<DatabaseSchema>, id: number): Promise<Incident> {
    const [v] = await loadIncidents(db, [id]);
    if (!v) throw new VigilError(ErrorCodes.NOT_FOUND, `incident ${id}`);
    return v;
  }

  /**
   * Lists incidents (filters and keyset pagination as in `store/incidents.ts`).
   * @throws VigilError `VIGIL_ERR_BAD_REQUEST` for a foreign cursor
   */
  async list(q: IncidentQuery): Promise<{ incidents: Incident[]; next?: string }> {
    const db = this.database.db;
    const { rows, next } = await listIncidentRows(db, q);
    const entities = await entitiesOf(
      db,
      rows.map((r) => r.id),
    );
    const incidents = rows.map((r) => incidentView(r, entities.get(r.id) ?? []));
    return next ? { incidents, next } : { incidents };
  }

  /** An incident with its observables, tasks, comment count and merged incidents. @throws VigilError `VIGIL_ERR_NOT_FOUND` */
  async get(id: number): Promise<IncidentDetail> {
    const db = this.database.db;
    const incident = await this.view(db, id);
    return {
      ...incident,
      observables: (await listObservables(db, id)).map(observableView),
      tasks: (await listTasks(db, id)).map(taskView),
      comment_count: await countComments(db, id),
      merged: await mergedInto(db, id),
    };
  }

  /**
   * Opens an incident by hand (kind `manual`), linking `alertIds`.
   * @throws VigilError `VIGIL_ERR_NOT_FOUND` (alert), `VIGIL_ERR_UNPROCESSABLE` (assignee)
   */
  async create(input: NewIncidentInput, actor: Actor): Promise<Incident> {
    return this.run(actor, async (w) => {
      await items.checkAssignee(w, input.assignee);
      const alerts = await this.alertsOrThrow(w, input.alertIds ?? []);
      const row = await createIncident(
        w,
        {
          kind: 'manual',
          title: input.title,
          description: input.description,
          severity:
            input.severity ?? (alerts.length > 0 ? worstSeverity(alerts.map((a) => a.level)) : 'medium'),
          assignee: input.assignee,
          tags: uniqueTags(input.tags ?? []),
        },
        { by: 'api' },
      );
      if (alerts.length > 0) await this.link(w, row.id, alerts, false);
      return this.view(w.trx, row.id);
    });
  }

  private async alertsOrThrow(w: Work, ids: readonly number[]) {
    const alerts = await linkableAlerts(w.trx, [...new Set(ids)]);
    const missing = [...new Set(ids)].filter((id) => !alerts.some((a) => a.id === id));
    if (missing.length > 0) throw new VigilError(ErrorCodes.NOT_FOUND, `alert ${missing.join(', ')}`);
    return alerts;
  }

  private async link(
    w: Work,
    id: number,
    alerts: Awaited<ReturnType<typeof linkableAlerts>>,
    audit: boolean,
  ) {
    const r = await linkAlerts(w, id, alerts, true);
    await settle(w, [id, ...r.movedFrom.keys()], new Set(r.movedFrom.keys()));
    if (audit)
      await writeAudit(
        w.trx,
        {
          actor: w.actor,
          action: 'incident.link_alerts',
          target: String(id),
          details: { alert_ids: r.linked, moved_from: Object.fromEntries(r.movedFrom), skipped: r.skipped },
        },
        w.now,
      );
    return r;
  }

  /**
   * Changes fields and the status (`update.ts`: workflow, timestamps, closing the open alerts).
   * @throws VigilError `VIGIL_ERR_NOT_FOUND`, `VIGIL_ERR_INCIDENT_TRANSITION` (409),
   *   `VIGIL_ERR_BAD_REQUEST` (status duplicate: use merge), `VIGIL_ERR_UNPROCESSABLE` (assignee)
   */
  async update(id: number, patch: IncidentUpdate, actor: Actor): Promise<Incident> {
    const closing = patch.status !== undefined && alertStatusOnClose(patch.status) !== undefined;
    return this.run(
      actor,
      async (w) => {
        await updateIncident(w, id, patch);
        return this.view(w.trx, id);
      },
      // Alerts before the incident lock: the order the detection transaction takes them in.
      closing ? (trx) => lockIncidentAlerts(trx, id, OPEN_ALERT_STATUSES) : undefined,
    );
  }

  /** @throws VigilError `VIGIL_ERR_NOT_FOUND` */
  async addComment(id: number, body: string, actor: Actor): Promise<IncidentComment> {
    return this.run(actor, (w) => items.addComment(w, id, body));
  }

  /** Comments, oldest first. @throws VigilError `VIGIL_ERR_NOT_FOUND`, `VIGIL_ERR_BAD_REQUEST` (cursor) */
  async comments(
    id: number,
    limit: number,
    cursor?: string,
  ): Promise<{ comments: IncidentComment[]; next?: string }> {
    await this.view(this.database.db, id);
    const { rows, next } = await listComments(this.database.db, id, limit, cursor);
    return next ? { comments: rows.map(commentView), next } : { comments: rows.map(commentView) };
  }

  /** The append-only timeline, oldest first. @throws VigilError `VIGIL_ERR_NOT_FOUND`, `VIGIL_ERR_BAD_REQUEST` (cursor) */
  async timeline(
    id: number,
    limit: number,
    cursor?: string,
  ): Promise<{ timeline: TimelineEntry[]; next?: string }> {
    await this.view(this.database.db, id);
    const { rows, next } = await listTimeline(this.database.db, id, limit, cursor);
    return next ? { timeline: rows.map(timelineView), next } : { timeline: rows.map(timelineView) };
  }

  /** See `items.addObservable`. */
  async addObservable(
    id: number,
    input: { type: ObservableType; value: string; description?: string | undefined },
    actor: Actor,
  ): Promise<Observable> {
    return this.run(actor, (w) => items.addObservable(w, id, input));
  }

  /** @throws VigilError `VIGIL_ERR_NOT_FOUND` */
  async removeObservable(id: number, observableId: number, actor: Actor): Promise<void> {
    return this.run(actor, (w) => items.removeObservable(w, id, observableId));
  }

  /** See `items.addTask`. */
  async addTask(
    id: number,
    input: { title: string; assignee?: string | null | undefined },
    actor: Actor,
  ): Promise<Task> {
    return this.run(actor, (w) => items.addTask(w, id, input));
  }

  /** See `items.changeTask`. */
  async updateTask(
    id: number,
    taskId: number,
    patch: {
      title?: string | undefined;
      status?: TaskStatus | undefined;
      assignee?: string | null | undefined;
    },
    actor: Actor,
  ): Promise<Task> {
    return this.run(actor, (w) => items.changeTask(w, id, taskId, patch));
  }

  /**
   * Links alerts to an incident, moving those in another incident (timeline on both sides).
   * @throws VigilError `VIGIL_ERR_NOT_FOUND` (incident or alert), `VIGIL_ERR_CONFLICT` (duplicate incident)
   */
  async addAlerts(id: number, alertIds: readonly number[], actor: Actor): Promise<Incident> {
    return this.run(actor, async (w) => {
      await this.linkChecked(w, id, alertIds);
      return this.view(w.trx, id);
    });
  }

  /**
   * {@link addAlerts} inside the caller's transaction (bulk alert actions).
   * @returns the callback publishing the change; call it after the commit
   */
  async addAlertsWithin(
    trx: Kysely<DatabaseSchema>,
    id: number,
    alertIds: readonly number[],
    actor: Actor,
    now: Date,
  ): Promise<() => void> {
    await lockIncidents(trx);
    const w: Work = { trx, actor, now, changes: new ChangeSet(), settings: this.settings };
    await this.linkChecked(w, id, alertIds);
    return w.changes.publisher(trx, this.options.publish);
  }

  private async linkChecked(w: Work, id: number, alertIds: readonly number[]): Promise<void> {
    const row = await items.mustExist(w, id);
    if (row.status === 'duplicate')
      throw new VigilError(
        ErrorCodes.CONFLICT,
        `incident ${id} is a duplicate of incident ${row.duplicate_of}`,
      );
    await this.link(w, id, await this.alertsOrThrow(w, alertIds), true);
  }

  /** Merges incidents into `id` (`merge.ts`). @returns the merged incident */
  async merge(id: number, sourceIds: readonly number[], actor: Actor, comment?: string): Promise<Incident> {
    return this.run(actor, async (w) => {
      await mergeIncidents(w, id, sourceIds);
      if (comment !== undefined) await items.addComment(w, id, comment);
      return this.view(w.trx, id);
    });
  }

  /** Splits alerts of `id` into a new incident (`merge.ts`). @returns the new incident */
  async split(
    id: number,
    alertIds: readonly number[],
    actor: Actor,
    options: { title?: string | undefined; comment?: string | undefined } = {},
  ): Promise<Incident> {
    return this.run(actor, async (w) => {
      const row = await splitIncident(w, id, alertIds, options.title);
      if (options.comment !== undefined) await items.addComment(w, row.id, options.comment);
      return this.view(w.trx, row.id);
    });
  }

  /**
   * Opens (or updates, when one is open) the `risk` incident of an entity whose risk crossed its
   * threshold, linking the contributing alerts not yet in an incident, with a `risk_threshold`
   * timeline entry. Runs inside the caller's transaction (the risk stage's alert hook).
   */
  async raiseRiskIncident(
    trx: Kysely<DatabaseSchema>,
    input: RiskIncidentInput,
    now: Date,
  ): Promise<RiskIncidentResult> {
    await lockIncidents(trx);
    const w: Work = { trx, actor: SYSTEM_ACTOR, now, changes: new ChangeSet(), settings: this.settings };
    const r = await raiseRisk(w, input);
    const publish = await w.changes.publisher(trx, this.options.publish);
    return {
      incident: await this.view(trx, r.row.id),
      created: r.created,
      linkedAlertIds: r.linked,
      publish,
    };
  }

  /** Counts and mean response times over incidents created in [from, to). */
  async metrics(from?: string, to?: string): Promise<IncidentStats> {
    return incidentStats(this.database.db, from, to);
  }
}
