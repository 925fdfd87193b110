/**
 * What an ingest listener (Elasticsearch bulk, syslog) gets from the service, and gives back.
 */
import type { Logger } from 'pino';
import type { IngestLimiter } from '../auth/ingest-limit.js';
import type { AuthService } from '../auth/service.js';
import type { Config } from '../config/config.js';
import type { Metrics } from '../metrics/registry.js';
import type { IngestService } from '../pipeline/ingest/service.js';

export interface ListenerContext {
  readonly ingest: IngestService;
  readonly config: Config;
  readonly log: Logger;
  readonly metrics: Metrics;
  /** Authenticates HTTP listeners' callers (API keys with `ingest:write`). */
  readonly auth: AuthService;
  /** Events/s per key. */
  readonly ingestLimiter: IngestLimiter;
}

export interface RunningListener {
  readonly name: string;
  /** Bound ports by transport (`http`, `udp`, `tcp`): the real ones when 0 was asked for. */
  readonly ports: Readonly<Record<string, number>>;
  /** Stops accepting, finishes what was received (acknowledged work is stored), closes. */
  close(): Promise<void>;
}

/** Starts a listener on `port` (0 = any free port) at `host`. */
export type ListenerFactory = (ctx: ListenerContext, port: number, host: string) => Promise<RunningListener>;
