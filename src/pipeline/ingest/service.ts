/**
 * Ingest: every source (HTTP, Elasticsearch bulk, syslog) hands its records here. Good records
 * are stored through the event writer, bad ones as dead letters, and the call resolves only when
 * both are durable, so the caller's acknowledgement is honest.
 */
import { ErrorCodes, VigilError } from '../../errors.js';
import type { Metrics } from '../../metrics/registry.js';
import type { DeadLetterStore, NewDeadLetter } from '../../store/dead-letters.js';
import type { DecodeOptions } from '../decoders/types.js';
import { type Prepared, type PreparedEvent, prepareJson, prepareLine } from './prepare.js';
import type { EventWriter } from './writer.js';

/** One record of a request: a parsed JSON value, or the reason it did not parse. */
export type JsonRecord =
  | { readonly line: number; readonly text: string; readonly value: unknown }
  | { readonly line: number; readonly text: string; readonly error: string };

/** One text line of a known format (`syslog`, …). */
export interface LineRecord {
  readonly line: number | null;
  readonly text: string;
}

/** What happened to each record, by position in the input. */
export interface IngestResult {
  readonly accepted: number;
  readonly rejected: number;
  /** Per input record: the stored event id, or the reason it became a dead letter. */
  readonly items: readonly (
    { readonly id: number } | { readonly error: string; readonly line: number | null }
  )[];
}

export class IngestService {
  constructor(
    private readonly writer: EventWriter,
    private readonly deadLetters: DeadLetterStore,
    private readonly metrics: Metrics,
    private readonly decodeOptions: () => DecodeOptions,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** Stops taking events and waits until the queued ones are stored. */
  close(): Promise<void> {
    return this.writer.close();
  }

  /** Events waiting to be stored. */
  get queueDepth(): number {
    return this.writer.depth;
  }

  /**
   * Stores JSON records from `source` (`http`, `es-bulk`).
   * @param keepDead - store records that do not decode as dead letters (false when replaying one)
   * @throws VigilError `VIGIL_ERR_BUSY` (429) when the queue is full: nothing was stored
   */
  ingestJson(records: readonly JsonRecord[], source: string, keepDead = true): Promise<IngestResult> {
    const ingested = this.now().toISOString();
    const options = this.decodeOptions();
    return this.finish(
      records.map((r): Prepared =>
        'error' in r
          ? { dead: { source, line: r.line, reason: r.error, raw: r.text } }
          : prepareJson(r.value, r.text, source, r.line, options, ingested),
      ),
      source,
      ingested,
      keepDead,
    );
  }

  /**
   * Stores text lines of one format from `source` (`syslog-udp`, `syslog-tcp`, …).
   * @param options - decode options for these lines (RFC 3164 year and zone), default the service's
   * @param keepDead - store lines that do not decode as dead letters (false when replaying one)
   * @throws VigilError `VIGIL_ERR_BUSY` (429) when the queue is full
   */
  ingestLines(
    lines: readonly LineRecord[],
    format: string,
    source: string,
    options: DecodeOptions = this.decodeOptions(),
    keepDead = true,
  ): Promise<IngestResult> {
    const ingested = this.now().toISOString();
    const prepared: Prepared[] = [];
    for (const l of lines) {
      const p = prepareLine(l.text, format, source, l.line, options, ingested);
      if (p) prepared.push(p);
    }
    return this.finish(prepared, source, ingested, keepDead);
  }

  /** @param keepDead - store failures as dead letters (false when replaying one) */
  private async finish(
    prepared: readonly Prepared[],
    source: string,
    ingested: string,
    keepDead: boolean,
  ): Promise<IngestResult> {
    const events: PreparedEvent[] = [];
    const dead: NewDeadLetter[] = [];
    for (const p of prepared) {
      if ('ok' in p) events.push(p.ok);
      else dead.push(p.dead);
    }
    let firstId: number;
    if (!this.writer.accepts(events.length)) {
      this.metrics.ingestThrottled.inc({ source });
      throw new VigilError(ErrorCodes.BUSY, this.writer.depth, 1);
    }
    try {
      // Dead letters first: once the events are stored the request must not fail any more.
      if (keepDead) await this.deadLetters.add(dead, ingested);
      firstId = await this.writer.submit(events);
    } catch (err) {
      if (err instanceof VigilError && err.code === ErrorCodes.BUSY.code)
        this.metrics.ingestThrottled.inc({ source });
      throw err;
    }
    if (events.length > 0) this.metrics.eventsIngested.inc({ source }, events.length);
    if (dead.length > 0 && keepDead) this.metrics.eventsRejected.inc({ source }, dead.length);
    let id = firstId;
    const items = prepared.map((p) =>
      'ok' in p ? { id: id++ } : { error: p.dead.reason, line: p.dead.line },
    );
    return { accepted: events.length, rejected: dead.length, items };
  }
}
