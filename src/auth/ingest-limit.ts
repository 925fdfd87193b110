/**
 * The ingest rate limit: events per second per API key (or user), counted across the REST
 * ingest route and the Elasticsearch listener, with `rate-limiter-flexible` (fixed one-second
 * windows; in Redis when `REDIS_URL` is set, so the limit holds across instances). A request
 * with more events than one second's budget takes the whole budget rather than being refused for
 * ever.
 */
import type { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { ErrorCodes, VigilError } from '../errors.js';

export class IngestLimiter {
  private readonly limiter: RateLimiterMemory | RateLimiterRedis;

  /** @param eventsPerSecond - budget per key */
  constructor(
    private readonly eventsPerSecond: number,
    redis: Redis | undefined,
  ) {
    const options = { points: eventsPerSecond, duration: 1, keyPrefix: 'vigil:ingest' };
    this.limiter = redis
      ? new RateLimiterRedis({ ...options, storeClient: redis })
      : new RateLimiterMemory(options);
  }

  /**
   * Takes `events` from the key's budget.
   * @throws VigilError `VIGIL_ERR_RATE_LIMITED` (429) with `retryAfterSeconds`
   */
  async take(key: string, events: number): Promise<void> {
    if (events <= 0) return;
    try {
      await this.limiter.consume(key, Math.min(events, this.eventsPerSecond));
    } catch (err) {
      if (!(err instanceof RateLimiterRes)) throw err;
      const wait = Math.max(1, Math.ceil(err.msBeforeNext / 1000));
      const e = new VigilError(ErrorCodes.RATE_LIMITED, `${this.eventsPerSecond} events/s per key`, wait);
      e.retryAfterSeconds = wait;
      throw e;
    }
  }
}
