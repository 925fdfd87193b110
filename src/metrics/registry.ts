/**
 * Prometheus metrics (prom-client), one registry per running service so tests can run several.
 * Names follow Prometheus conventions: `_total` counters, base units (seconds), `vigil_` prefix.
 */
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

export interface Metrics {
  readonly registry: Registry;
  /** Events stored, by source (`http`, `es-bulk`, `syslog-udp`, `syslog-tcp`). */
  readonly eventsIngested: Counter<'source'>;
  /** Records rejected to the dead-letter store, by source. */
  readonly eventsRejected: Counter<'source'>;
  /** Requests refused with 429 because the ingest queue was full, by source. */
  readonly ingestThrottled: Counter<'source'>;
  /** Alerts created (not suppressed repeats), by level. */
  readonly alertsCreated: Counter<'level'>;
  /** Repeats folded into an open alert, by level. */
  readonly alertsSuppressed: Counter<'level'>;
  /** Stored events not yet through detection. */
  readonly detectionLag: Gauge;
  /** Items waiting, by queue (`ingest`, `detection`). */
  readonly queueDepth: Gauge<'queue'>;
  readonly correlation: Gauge<'counter'>;
  /** Batch latency by stage (`store`, `detect`), seconds. */
  readonly batchSeconds: Histogram<'stage'>;
  /** HTTP request duration by method, route and status, seconds. */
  readonly httpSeconds: Histogram<'method' | 'route' | 'status_code'>;
  /** WebSocket messages dropped for slow clients. */
  readonly streamDropped: Counter;
  /** Entities whose risk score crossed the threshold, by entity type (`host`, `user`, `ip`). */
  readonly riskCrossings: Counter<'type'>;
  /** UEBA windows closed, by entity type and result (`alerted`, `normal`, `cold`: no active model, `unscored`). */
  readonly uebaWindows: Counter<'type' | 'result'>;
  /** UEBA state: open windows, late and future events not counted. */
  readonly ueba: Gauge<'counter'>;
}

/** Values read at scrape time. */
export interface MetricSources {
  lag(): number;
  depths(): Readonly<Record<string, number>>;
  /** Correlation engine counters (`LiveCorrelationStats`), by name. */
  correlation?(): Readonly<Record<string, number>>;
  /** UEBA counters (`UebaStats`), by name. */
  ueba?(): Readonly<Record<string, number>>;
}

/** @param sources - read on each scrape; settable after creation (the pipeline is built later) */
export function createMetrics(sources: { current?: MetricSources } = {}): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const registers = [registry];
  return {
    registry,
    eventsIngested: new Counter({
      name: 'vigil_events_ingested_total',
      help: 'Events stored, by source',
      labelNames: ['source'],
      registers,
    }),
    eventsRejected: new Counter({
      name: 'vigil_events_rejected_total',
      help: 'Records that could not be decoded (kept as dead letters), by source',
      labelNames: ['source'],
      registers,
    }),
    ingestThrottled: new Counter({
      name: 'vigil_ingest_throttled_total',
      help: 'Ingest requests refused with 429 (queue full), by source',
      labelNames: ['source'],
      registers,
    }),
    alertsCreated: new Counter({
      name: 'vigil_alerts_created_total',
      help: 'Alerts created, by level',
      labelNames: ['level'],
      registers,
    }),
    alertsSuppressed: new Counter({
      name: 'vigil_alerts_suppressed_total',
      help: 'Rule matches folded into an open alert of the same rule and entity, by level',
      labelNames: ['level'],
      registers,
    }),
    detectionLag: new Gauge({
      name: 'vigil_detection_cursor_lag_events',
      help: 'Stored events not yet through detection',
      registers,
      collect() {
        if (sources.current) this.set(sources.current.lag());
      },
    }),
    queueDepth: new Gauge({
      name: 'vigil_queue_depth',
      help: 'Items waiting, by queue',
      labelNames: ['queue'],
      registers,
      collect() {
        if (!sources.current) return;
        for (const [queue, n] of Object.entries(sources.current.depths())) this.set({ queue }, n);
      },
    }),
    correlation: new Gauge({
      name: 'vigil_correlation',
      help:
        'Correlation engine: groups and events held, matches fed and held for re-ordering, alerts fired, ' +
        'late matches (not correlated), matches without a group-by value, groups expired, and groups and ' +
        'events shed at the memory bounds (counts since start)',
      labelNames: ['counter'],
      registers,
      collect() {
        const stats = sources.current?.correlation?.();
        if (stats) for (const [counter, n] of Object.entries(stats)) this.set({ counter }, n);
      },
    }),
    batchSeconds: new Histogram({
      name: 'vigil_batch_duration_seconds',
      help: 'Batch latency by pipeline stage',
      labelNames: ['stage'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    }),
    httpSeconds: new Histogram({
      name: 'vigil_http_request_duration_seconds',
      help: 'HTTP request duration',
      labelNames: ['method', 'route', 'status_code'],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    }),
    streamDropped: new Counter({
      name: 'vigil_stream_dropped_total',
      help: 'Live-stream messages dropped for slow WebSocket clients',
      registers,
    }),
    riskCrossings: new Counter({
      name: 'vigil_risk_crossings_total',
      help: 'Entities whose risk score crossed the threshold (a risk incident), by entity type',
      labelNames: ['type'],
      registers,
    }),
    uebaWindows: new Counter({
      name: 'vigil_ueba_windows_total',
      help: 'UEBA entity windows closed, by entity type and result (alerted, normal, cold: no active model, unscored)',
      labelNames: ['type', 'result'],
      registers,
    }),
    ueba: new Gauge({
      name: 'vigil_ueba',
      help: 'UEBA: open entity windows, events not counted because late or too far in the future (since start)',
      labelNames: ['counter'],
      registers,
      collect() {
        const stats = sources.current?.ueba?.();
        if (stats) for (const [counter, n] of Object.entries(stats)) this.set({ counter }, n);
      },
    }),
  };
}
