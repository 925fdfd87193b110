/**
 * The model registry: every trained version of the service's models with its parameters,
 * training window, metrics, histograms and status, and an in-memory cache of the live (active
 * and shadow) versions' parsed model files for the scorers (`ActiveModels`).
 *
 * Promotion policy (`docs/ml-registry.md`):
 * - at most one `active` and at most one `shadow` version per model name (partial unique
 *   indexes back this in the database);
 * - a version becoming `active` (new or by `setStatus`) retires the previous active one;
 * - a version becoming `shadow` retires the previous shadow one;
 * - `retired` versions are kept (history, rollback: set one `active` again);
 * - retiring the active version leaves the model without one: its scorer stops.
 * Every change is audited (`model.register`, `model.update`) in its transaction.
 */
import type { Kysely } from 'kysely';
import { checkModelFile, type ModelFile } from '../detect/model-file.js';
import { ErrorCodes, VigilError } from '../errors.js';
import { type Actor, SYSTEM_ACTOR, writeAudit } from '../store/audit.js';
import {
  getModelRow,
  insertModel,
  listModelRows,
  lockModelName,
  type ModelListFilter,
  type ModelRow,
  moveStatus,
  readLiveModelRows,
  readModelFiles,
  readModelHistograms,
  setModelStatus,
} from '../store/ml-models.js';
import type { DatabaseSchema } from '../store/schema.js';
import type { ActiveModels, ModelStatus, ModelVersion, TrainedModel } from './types.js';

type Db = Kysely<DatabaseSchema>;

interface Live {
  readonly version: ModelVersion;
  readonly file: ModelFile;
}

/** The API view of a registry row. */
export function modelVersionOf(r: ModelRow): ModelVersion {
  return {
    id: r.id,
    name: r.name,
    version: r.version,
    status: r.status,
    kind: r.kind,
    params: r.params,
    metrics: r.metrics,
    window: { from: r.window_from.toISOString(), to: r.window_to.toISOString() },
    rows: r.rows,
    created_at: r.created_at.toISOString(),
    job_id: r.job_id,
  };
}

export interface RegisterOptions {
  /** The training job that produced it (null: registered by other means). */
  readonly jobId: number | null;
  /** Status of the new version: `active` (retires the previous active) or `shadow`. */
  readonly promote: 'active' | 'shadow';
  /** Audit actor (default `system`). */
  readonly actor?: Actor;
}

export class ModelRegistry implements ActiveModels {
  private live = new Map<string, { active: Live | undefined; shadows: Live[] }>();
  private signature = '';
  private readonly listeners: (() => void)[] = [];

  private constructor(
    private readonly db: Db,
    private readonly now: () => Date,
    private readonly onInvalid: (id: number, err: Error) => void,
  ) {}

  /**
   * Opens the registry and loads the live versions.
   * @param onInvalid - told about a stored model file that no longer parses (it is skipped)
   */
  static async open(
    db: Db,
    options: { now?: () => Date; onInvalid?: (id: number, err: Error) => void } = {},
  ): Promise<ModelRegistry> {
    const r = new ModelRegistry(
      db,
      options.now ?? (() => new Date()),
      options.onInvalid ?? (() => undefined),
    );
    await r.refresh();
    return r;
  }

  active(name: string): Live | undefined {
    return this.live.get(name)?.active;
  }

  shadows(name: string): readonly Live[] {
    return this.live.get(name)?.shadows ?? [];
  }

  onChange(listener: () => void): void {
    this.listeners.push(listener);
  }

  /**
   * Reloads the live versions when they changed in the database (also changes made by another
   * instance); parses only files not already cached. Listeners run when something changed.
   * @returns whether something changed
   */
  async refresh(): Promise<boolean> {
    const rows = await readLiveModelRows(this.db);
    const signature = rows.map((r) => `${r.id}:${r.status}`).join(',');
    if (signature === this.signature) return false;
    const cached = new Map<number, ModelFile>();
    for (const m of this.live.values())
      for (const l of [m.active, ...m.shadows]) if (l) cached.set(l.version.id, l.file);
    const files = await readModelFiles(
      this.db,
      rows.filter((r) => !cached.has(r.id)).map((r) => r.id),
    );
    const next = new Map<string, { active: Live | undefined; shadows: Live[] }>();
    for (const r of rows) {
      let file = cached.get(r.id);
      if (!file) {
        try {
          file = checkModelFile(JSON.parse(files.get(r.id) ?? 'null'));
        } catch (err) {
          this.onInvalid(r.id, err as Error);
          continue;
        }
      }
      const entry = next.get(r.name) ?? { active: undefined, shadows: [] };
      if (r.status === 'active') entry.active = { version: modelVersionOf(r), file };
      else entry.shadows.push({ version: modelVersionOf(r), file });
      next.set(r.name, entry);
    }
    this.live = next;
    this.signature = signature;
    for (const l of this.listeners) l();
    return true;
  }

  /**
   * Stores a trained model as the name's next version with status `promote`, retiring the
   * previous version of that status, and audits it. Inside `db` when it is a transaction (then
   * call {@link refresh} after the commit), else in its own transaction (refreshed here).
   * @throws VigilError `VIGIL_ERR_ML_MODEL` (422) when the model file is not a readable Vigil model
   */
  async register(
    db: Db,
    name: string,
    trained: TrainedModel,
    options: RegisterOptions,
  ): Promise<ModelVersion> {
    try {
      checkModelFile(trained.file);
    } catch (err) {
      throw new VigilError(ErrorCodes.ML_MODEL, (err as Error).message);
    }
    const run = async (trx: Db): Promise<ModelVersion> => {
      const at = this.now();
      await lockModelName(trx, name);
      const retired = await moveStatus(trx, name, options.promote, 'retired', at);
      const row = await insertModel(trx, {
        name,
        status: options.promote,
        kind: trained.file.kind,
        params: trained.file.params,
        metrics: trained.metrics,
        windowFrom: trained.window.from,
        windowTo: trained.window.to,
        rows: trained.rows,
        histograms: trained.histograms,
        file: JSON.stringify(trained.file),
        jobId: options.jobId,
        at,
      });
      await writeAudit(
        trx,
        {
          actor: options.actor ?? SYSTEM_ACTOR,
          action: 'model.register',
          target: `${name}@${row.version}`,
          after: { id: row.id, status: row.status, rows: row.rows },
          details: { job_id: options.jobId, retired },
        },
        at,
      );
      return modelVersionOf(row);
    };
    if (db.isTransaction) return run(db);
    const version = await this.db.transaction().execute(run);
    await this.refresh();
    return version;
  }

  /** Versions, by name then newest version first. */
  async list(filter: ModelListFilter = {}): Promise<ModelVersion[]> {
    return (await listModelRows(this.db, filter)).map(modelVersionOf);
  }

  /** @throws VigilError `VIGIL_ERR_NOT_FOUND` (404) */
  async get(id: number): Promise<ModelVersion> {
    const r = await getModelRow(this.db, id);
    if (!r) throw new VigilError(ErrorCodes.NOT_FOUND, `model version ${id}`);
    return modelVersionOf(r);
  }

  /** A version's training histograms (`FeatureHistogram[]`, the drift reference). @throws VigilError `VIGIL_ERR_NOT_FOUND` */
  async histograms(id: number): Promise<{ feature: string; edges: number[]; fractions: number[] }[]> {
    const h = await readModelHistograms(this.db, id);
    if (!h) throw new VigilError(ErrorCodes.NOT_FOUND, `model version ${id}`);
    return h;
  }

  /**
   * Changes a version's status under the promotion policy (the previous holder of `active` or
   * `shadow` is retired), audited as `model.update`. Setting the current status changes nothing.
   * @throws VigilError `VIGIL_ERR_NOT_FOUND` (404)
   */
  async setStatus(id: number, status: ModelStatus, actor: Actor): Promise<ModelVersion> {
    const result = await this.db.transaction().execute(async (trx) => {
      const first = await getModelRow(trx, id);
      if (!first) throw new VigilError(ErrorCodes.NOT_FOUND, `model version ${id}`);
      await lockModelName(trx, first.name);
      const row = (await getModelRow(trx, id)) ?? first;
      if (row.status === status) return { version: modelVersionOf(row), changed: false };
      const at = this.now();
      const retired = status === 'retired' ? [] : await moveStatus(trx, row.name, status, 'retired', at, id);
      await setModelStatus(trx, id, status, at);
      await writeAudit(
        trx,
        {
          actor,
          action: 'model.update',
          target: `${row.name}@${row.version}`,
          before: { id, status: row.status },
          after: { id, status },
          details: { retired },
        },
        at,
      );
      return { version: { ...modelVersionOf(row), status }, changed: true };
    });
    if (result.changed) await this.refresh();
    return result.version;
  }
}
