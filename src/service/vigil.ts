/**
 * The running service: the engine plus durable edges (DESIGN.md). Opens the store, loads the
 * rules, starts the writer → detection pipeline, the API and the listeners; stops them in the
 * reverse order, draining what was acknowledged.
 */
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import pino, { type Logger } from 'pino';
import { IngestLimiter } from '../auth/ingest-limit.js';
import { type AdminBootstrap, AuthService } from '../auth/service.js';
import type { Config } from '../config/config.js';
import { createMetrics, type MetricSources, type Metrics } from '../metrics/registry.js';
import '../pipeline/decoders/register.js';
import type { DecodeOptions } from '../pipeline/decoders/types.js';
import { LiveCorrelation } from '../pipeline/correlate-stage.js';
import { type AlertHook, DetectionStage } from '../pipeline/detect-stage.js';
import { IncidentService } from '../incidents/service.js';
import { GraphService } from '../graph/service.js';
import { IngestService } from '../pipeline/ingest/service.js';
import { MlMonitor } from '../ml/metrics.js';
import { ModelRegistry } from '../ml/registry.js';
import { TrainingService } from '../ml/training.js';
import { UebaStage } from '../ml/ueba/stage.js';
import { uebaTrainers } from '../ml/ueba/trainer.js';
import { EventWriter } from '../pipeline/ingest/writer.js';
import { type RiskCrossing, RiskService } from '../risk/service.js';
import { RuleService } from '../rules/service.js';
import { openDatabase, type Database } from '../store/database.js';
import { DeadLetterStore } from '../store/dead-letters.js';
import { EventStore } from '../store/events.js';
import { StreamHub } from '../stream/hub.js';
import { TemplateService } from '../templates/service.js';
import type { ListenerFactory, RunningListener } from './listener.js';

/** Vigil's own rule pack, shipped beside `dist/`. */
export const BUILTIN_RULES_DIR = fileURLToPath(new URL('../../rules/', import.meta.url));

/** Everything the API routes use. */
export interface ServiceContext {
  readonly config: Config;
  readonly log: Logger;
  readonly metrics: Metrics;
  readonly database: Database;
  readonly events: EventStore;
  readonly deadLetters: DeadLetterStore;
  readonly rules: RuleService;
  readonly ingest: IngestService;
  readonly detection: DetectionStage;
  /** Correlation rules' live state (stats for metrics and `/api/v1/stats`). */
  readonly correlation: LiveCorrelation;
  /** Entity risk (risk-based alerting); its hook runs first in `alertHooks`. */
  readonly risk: RiskService;
  /** Incidents (case management, automatic grouping). */
  readonly incidents: IncidentService;
  /** Attack paths: the logon/network graph, lateral-movement signals, critical assets. */
  readonly graph: GraphService;
  /** Log templates of syslog lines no decoder understood (mined in the event writer). */
  readonly templates: TemplateService;
  /** Model registry (active/shadow versions for scorers), training jobs and ML metrics (docs/ml-registry.md). */
  /** UEBA scoring in the detection stage (docs/ueba.md); undefined when `Config.ml.ueba` is off. */
  readonly ueba: UebaStage | undefined;
  readonly ml: {
    readonly registry: ModelRegistry;
    readonly training: TrainingService;
    readonly monitor: MlMonitor;
  };
  readonly hub: StreamHub;
  readonly auth: AuthService;
  readonly ingestLimiter: IngestLimiter;
  /** What start-up did about the first admin (the CLI prints the password file's path). */
  readonly adminBootstrap: AdminBootstrap;
  /** Shared with rate limits and revocations when `REDIS_URL` is set. */
  readonly redis: Redis | undefined;
  readonly decodeOptions: () => DecodeOptions;
  readonly now: () => Date;
}

export interface ServiceOptions {
  /** Logger (default: pino at `config.logLevel` on stderr). */
  readonly log?: Logger;
  /** Database override (tests: an in-memory PGlite). Default from `config.databaseUrl`/`dataDir`. */
  readonly database?: Database;
  readonly now?: () => Date;
}

function decodeOptionsFor(config: Config, now: () => Date): () => DecodeOptions {
  let cached: { hour: number; options: DecodeOptions } | undefined;
  return () => {
    const t = now().getTime();
    const hour = Math.floor(t / 3_600_000);
    if (cached?.hour !== hour) {
      const options: DecodeOptions =
        config.syslogYear !== undefined
          ? { year: config.syslogYear, timezone: config.syslogTimezone }
          : // A line without a year is from the last 12 months: one that would fall more than a
            // day ahead of now belongs to the year before (a December line read in January).
            { year: new Date(t).getUTCFullYear(), timezone: config.syslogTimezone, latest: t + 86_400_000 };
      cached = { hour, options: Object.freeze(options) };
    }
    return cached.options;
  };
}

/**
 * Opens the store and starts the pipeline (no network yet).
 * @throws VigilError `VIGIL_ERR_STORE_LOCKED`, or the database's error
 */
export async function createServiceContext(
  config: Config,
  options: ServiceOptions = {},
): Promise<ServiceContext> {
  const log = options.log ?? pino({ level: config.logLevel, base: { service: 'vigil' } });
  const now = options.now ?? (() => new Date());
  const sources: { current?: MetricSources } = {};
  const metrics = createMetrics(sources);
  const database =
    options.database ??
    (await openDatabase(
      config.databaseUrl
        ? {
            kind: 'postgres',
            url: config.databaseUrl,
            onError: (err: Error) => log.warn({ err: err.message }, 'idle PostgreSQL connection lost'),
          }
        : { kind: 'pglite', dataDir: config.dataDir },
    ));
  const redis = config.redisUrl
    ? new Redis(config.redisUrl, { maxRetriesPerRequest: 2, enableOfflineQueue: true, lazyConnect: true })
    : undefined;
  try {
    if (redis) {
      redis.on('error', (err: Error) => log.warn({ err: err.message }, 'Redis connection error'));
      await redis.connect();
    }
    const events = await EventStore.open(database);
    const auth = await AuthService.open(database.db, config, redis, now);
    const adminBootstrap = await auth.bootstrap();
    if (adminBootstrap.created && adminBootstrap.weakPassword)
      log.warn({ user: adminBootstrap.name }, 'VIGIL_ADMIN_PASSWORD does not meet the password policy');
    const deadLetters = new DeadLetterStore(database);
    const dirs = config.builtinRules ? [BUILTIN_RULES_DIR, ...config.rules] : [...config.rules];
    const rules = new RuleService(database, dirs, now);
    const snapshot = await rules.reload();
    log.info(
      {
        rules: snapshot.detector.rules.length,
        diagnostics: snapshot.diagnostics.length,
        store: database.kind,
      },
      'rules loaded',
    );
    const hub = new StreamHub(1000, (n) => metrics.streamDropped.inc(n));
    const graph = await GraphService.open(database.db, config.ml.criticalAssets, { now });
    const registry = await ModelRegistry.open(database.db, {
      now,
      onInvalid: (id, err) =>
        log.error({ version: id, err: err.message }, 'stored model file unreadable; skipped'),
    });
    // Trainers are added by their owners (addTrainer); the schedule starts with the service.
    const training = await TrainingService.open({
      db: database.db,
      registry,
      now,
      log: log.child({ component: 'training' }),
      trainingWindowMs: config.ml.trainingWindowMs,
      retrainMs: config.ml.retrainMs,
    });
    for (const t of uebaTrainers({
      windowMs: config.ml.uebaWindowMs,
      threshold: config.ml.uebaThreshold,
      now,
    }))
      training.addTrainer(t);
    const ueba = config.ml.ueba
      ? new UebaStage({
          models: registry,
          windowMs: config.ml.uebaWindowMs,
          latenessMs: config.ml.uebaLatenessMs,
          idleMs: config.ml.uebaIdleMs,
          threshold: config.ml.uebaThreshold,
          attack: () => rules.current().attack,
          onWindows: (type, result, n) => metrics.uebaWindows.inc({ type, result }, n),
          onInvalidModel: (v, err) =>
            log.error(
              { model: v.name, version: v.version, err: err.message },
              'UEBA model unusable; skipped',
            ),
        })
      : undefined;
    const monitor = new MlMonitor({ db: database.db, registry, training, now, log });
    monitor.register(metrics.registry);
    const decodeOptions = decodeOptionsFor(config, now);
    // Work run inside each detection transaction with the batch's alert changes, in order
    // (entity risk, then incident grouping). Each hook's post-commit callback publishes.
    const alertHooks: AlertHook[] = [];
    const risk = await RiskService.open(database.db, {
      threshold: config.riskThreshold,
      halfLifeMs: config.riskHalfLifeMs,
      onCommittedCrossing: (c) => metrics.riskCrossings.inc({ type: c.entity.type }),
    });
    // First: incident grouping reads the risk this batch added.
    alertHooks.unshift(risk.hook);
    // Then: alerts join or open incidents (docs/incidents.md); changes go to the stream.
    const incidents = new IncidentService(database, {
      windowMs: config.incidentWindowMs,
      groupBy: config.incidentGroupBy,
      riskOf: (trx, entities, at) => risk.riskOf(trx, entities, at),
      riskThreshold: config.riskThreshold,
      publish: (change, incident) => hub.publishIncident(change, incident),
      now,
    });
    alertHooks.push(incidents.groupingHook);
    // Last: entities whose risk crossed the threshold in this batch raise (or update) their risk
    // incident, after grouping so the batch's alerts first join their entity's incident.
    let crossings: RiskCrossing[] = [];
    risk.setCrossingHandler((_trx, crossed) => {
      crossings = [...crossed];
      return Promise.resolve();
    });
    // (Cleared first in every batch: a batch whose transaction failed leaves nothing behind.)
    alertHooks.unshift(() => {
      crossings = [];
      return Promise.resolve();
    });
    alertHooks.push(async (trx, _changes, at) => {
      const due = crossings;
      crossings = [];
      const publish: (() => void)[] = [];
      for (const c of due) publish.push((await incidents.raiseRiskIncident(trx, c, at)).publish);
      return () => {
        for (const p of publish) p();
      };
    });
    const correlation = new LiveCorrelation({
      latenessMs: config.correlationLatenessMs,
      maxGroups: config.correlationMaxGroups,
      maxEventsPerGroup: config.correlationMaxEventsPerGroup,
      maxHeld: config.ingestQueueEvents,
      snapshotMs: config.correlationSnapshotMs,
    });
    const detection = new DetectionStage({
      database,
      events,
      rules,
      correlation,
      behaviour: ueba,
      decodeOptions,
      suppressMs: config.suppressMs,
      batchEvents: config.batchEvents,
      maxBuffered: config.ingestQueueEvents,
      now,
      onDetected: (items, changes, ms) => {
        metrics.batchSeconds.observe({ stage: 'detect' }, ms / 1000);
        for (const c of changes) {
          const level = String((c.alert.rule as { level?: string } | undefined)?.level ?? 'medium');
          (c.kind === 'created' ? metrics.alertsCreated : metrics.alertsSuppressed).inc({ level });
        }
        hub.publish(items, changes);
      },
      afterRecord: async (trx, changes, at) => {
        const after: (() => void)[] = [];
        for (const hook of alertHooks) {
          const done = await hook(trx, changes, at);
          if (done) after.push(done);
        }
        return () => {
          for (const f of after) f();
        };
      },
      onError: (err) => log.error({ err }, 'detection batch failed; retrying'),
    });
    const templates = await TemplateService.open(database, {
      enabled: config.ml.templates,
      log,
      registry: metrics.registry,
      now,
    });
    const writer = new EventWriter(events, {
      maxQueued: config.ingestQueueEvents,
      batchEvents: config.batchEvents,
      onStored: (batch) => detection.push(batch),
      onBatch: (ms) => metrics.batchSeconds.observe({ stage: 'store' }, ms / 1000),
      beforeAppend: (batch) => templates.beforeAppend(batch),
      afterAppend: (batch) => templates.afterAppend(batch),
    });
    const ingest = new IngestService(writer, deadLetters, metrics, decodeOptions, now);
    sources.current = {
      lag: () => detection.lag,
      depths: () => ({ ingest: writer.depth, detection: detection.lag }),
      correlation: () => ({ ...correlation.stats() }),
      ueba: () => ({ ...ueba?.stats() }),
    };
    await detection.start();
    return {
      config,
      log,
      metrics,
      database,
      events,
      deadLetters,
      rules,
      ingest,
      detection,
      correlation,
      risk,
      incidents,
      graph,
      templates,
      ueba,
      ml: { registry, training, monitor },
      hub,
      auth,
      ingestLimiter: new IngestLimiter(config.auth.ingestRateLimit, redis),
      adminBootstrap,
      redis,
      decodeOptions,
      now,
    };
  } catch (err) {
    redis?.disconnect();
    await database.close();
    throw err;
  }
}

/** A running service. */
export interface Vigil {
  readonly context: ServiceContext;
  /** Bound ports: `api`, and per listener (`es`, `syslog-udp`, `syslog-tcp`). */
  readonly ports: Readonly<Record<string, number>>;
  /** Graceful stop: listeners and API stop accepting, queued events are stored and detected. */
  stop(): Promise<void>;
}

export type ApiFactory = (ctx: ServiceContext) => Promise<{ port: number; close(): Promise<void> }>;

/**
 * Starts the whole service.
 * @param api - starts the HTTP API (injected so this module does not depend on `server/`)
 * @param listeners - ingest listeners with their ports (0 = off is filtered by the caller)
 */
export async function startVigil(
  config: Config,
  api: ApiFactory,
  listeners: readonly { readonly factory: ListenerFactory; readonly port: number }[],
  options: ServiceOptions = {},
): Promise<Vigil> {
  const context = await createServiceContext(config, options);
  const running: RunningListener[] = [];
  let server: { port: number; close(): Promise<void> } | undefined;
  const stop = async (): Promise<void> => {
    await Promise.allSettled(running.map((l) => l.close()));
    await server?.close();
    await context.ml.training.close();
    await context.ingest.close();
    await context.detection.stop();
    context.auth.close();
    context.redis?.disconnect();
    await context.database.close();
  };
  try {
    server = await api(context);
    context.ml.training.startSchedule();
    const ports: Record<string, number> = { api: server.port };
    for (const l of listeners) {
      const r = await l.factory(
        {
          ingest: context.ingest,
          config,
          log: context.log,
          metrics: context.metrics,
          auth: context.auth,
          ingestLimiter: context.ingestLimiter,
        },
        l.port,
        config.host,
      );
      running.push(r);
      for (const [k, v] of Object.entries(r.ports)) ports[k === 'http' ? r.name : `${r.name}-${k}`] = v;
    }
    return { context, ports, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
