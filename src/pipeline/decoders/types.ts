/**
 * Decoded events: the Sigma view the engine reads, the ECS projection the rest of Vigil uses,
 * and the original record kept as evidence (DESIGN.md, "One event, two views").
 */
import type { FieldValue, SigmaEvent } from '../../detect/sigma/types.js';

/** A nested ECS document (`{ "@timestamp": …, host: { name: … }, … }`). */
export type EcsDocument = { [key: string]: unknown };

export interface DecodedEvent extends SigmaEvent {
  /** The input shape the decoder recognized, e.g. `windows-evtx-json`, `linux-syslog`, `web-w3c`. */
  readonly decoder: string;
  /** Decoded fields under Sigma taxonomy names where the shape has them, else as the source names them. */
  readonly fields: Readonly<Record<string, FieldValue>>;
  /** The raw record: the text line, or the parsed JSON object. */
  readonly original: unknown;
  /** The ECS projection, built on first call (only for events someone looks at). */
  ecs(): EcsDocument;
}

/** Settings that decoders need for records that leave things out. */
export interface DecodeOptions {
  /** Year for timestamps without one (RFC 3164 syslog). */
  readonly year: number;
  /** IANA zone (or `UTC`) for timestamps without an offset. */
  readonly timezone: string;
  /**
   * Latest plausible time (ms since the epoch), e.g. the file's modification time: a timestamp
   * without a year that would fall after it belongs to the year before (a December line in a
   * file written in January). Absent when the year was given explicitly.
   */
  readonly latest?: number;
}

export const DEFAULT_DECODE_OPTIONS: DecodeOptions = { year: new Date().getUTCFullYear(), timezone: 'UTC' };
