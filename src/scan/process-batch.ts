/**
 * The per-batch work of a scan, the same in a worker thread and inline: decode each record,
 * match it, and build detection records for the matches at or above the minimum level.
 */
import type { Detector } from '../detect/sigma/detector.js';
import type { SigmaRule } from '../detect/sigma/types.js';
import { CHUNK_SIZE, decodeChunk, type EvtxProblem } from '../pipeline/decoders/evtx/chunk.js';
import { decodeJson } from '../pipeline/decoders/json.js';
import { isDecodeFailure, textFormat } from '../pipeline/decoders/text.js';
import type { DecodedEvent, DecodeOptions } from '../pipeline/decoders/types.js';
import type { RawPrefilter } from '../pipeline/prefilter.js';
import { chunkOffset } from '../pipeline/sources/evtx-file.js';
import { MAX_VALUE_CHARS } from '../pipeline/sources/json-splitter.js';
import { DEFAULT_LEVEL, detectionRecord, levelRank } from './detection.js';
import { correlationMatch } from './correlate.js';
import {
  type BatchJob,
  type CorrelationMatch,
  correlationRuleKey,
  type BatchResult,
  type DetectionRecord,
  type Failure,
  MAX_FAILURE_SAMPLES,
  type ProcessOptions,
} from './types.js';

const decodeOptionsCache = new Map<string, DecodeOptions>();

/** One shared DecodeOptions object per (year, zone, latest), so decoders can memoize on it. */
function decodeOptions(year: number, timezone: string, latest: number | undefined): DecodeOptions {
  const key = `${year}|${timezone}|${latest ?? ''}`;
  let o = decodeOptionsCache.get(key);
  if (!o) {
    o = Object.freeze({ year, timezone, latest });
    if (decodeOptionsCache.size > 10_000) decodeOptionsCache.clear();
    decodeOptionsCache.set(key, o);
  }
  return o;
}

function describeJsonError(err: unknown): string {
  return `invalid JSON: ${err instanceof Error ? err.message : String(err)}`;
}

/** `chunk 3 (offset 0x31000): record 812: unexpected token 0x1b …` */
export function describeEvtxProblem(p: EvtxProblem): string {
  const where = p.chunk === null ? 'file header' : `chunk ${p.chunk}`;
  return `${where} (offset 0x${p.offset.toString(16)}): ${p.kind}: ${p.reason}`;
}

/**
 * Processes one batch. Never throws for bad input: bad records become failures.
 * @param prefilter - skips JSON lines no rule can match without parsing them (they still count as
 *   events); omitted, every line is parsed
 */
export function processBatch(
  job: BatchJob,
  detector: Detector,
  options: ProcessOptions,
  prefilter?: RawPrefilter,
): BatchResult {
  const { file, batch } = job;
  const decode = decodeOptions(file.year, file.timezone, file.latest);
  const minRank = levelRank(options.minLevel);
  const detections: DetectionRecord[] = [];
  const correlationMatches: CorrelationMatch[] = [];
  let untimed = 0;
  const correlation = options.correlation;
  const failures: Failure[] = [];
  let failureCount = 0;
  let events = 0;

  const fail = (line: number, reason: string, offset?: number): void => {
    failureCount++;
    if (failures.length < MAX_FAILURE_SAMPLES)
      failures.push(
        offset === undefined ? { path: file.path, line, reason } : { path: file.path, line, offset, reason },
      );
  };
  const handle = (event: DecodedEvent, line: number, only?: readonly number[], offset?: number): void => {
    events++;
    const matches = detector.match(event, only);
    // The rules correlations read: one correlation input per event, whatever the number of rules.
    let read: { rules: SigmaRule[]; fields: Set<string> } | undefined;
    for (let i = 0; i < matches.length; i++) {
      const rule = matches[i]!;
      const key = correlation ? correlationRuleKey(rule.rule) : undefined;
      const reads = key === undefined ? undefined : correlation?.[key];
      if (reads) {
        read ??= { rules: [], fields: new Set() };
        read.rules.push(rule.rule);
        for (const f of reads.fields) read.fields.add(f);
        if (!reads.standalone) continue;
      }
      if (levelRank(rule.rule.level ?? DEFAULT_LEVEL) < minRank) continue;
      const explanation = detector.explain(event, rule);
      detections.push(
        detectionRecord(
          rule,
          event,
          explanation,
          { path: file.path, line, index: events, offset },
          options.includeOriginal,
        ),
      );
    }
    if (read) {
      const m = correlationMatch(read.rules, event, [...read.fields], {
        path: file.path,
        line,
        index: events,
        offset,
      });
      if (m) correlationMatches.push(m);
      else untimed++;
    }
  };
  const handleJson = (text: string, line: number, only?: readonly number[]): void => {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (err) {
      fail(line, describeJsonError(err));
      return;
    }
    const event = decodeJson(value, decode);
    if (event) handle(event, line, only);
    else fail(line, 'not a JSON object');
  };

  if (batch.kind === 'evtx') {
    const bytes = batch.bytes;
    for (let i = 0; i * CHUNK_SIZE < bytes.length; i++) {
      const index = batch.firstChunk + i;
      const start = i * CHUNK_SIZE;
      const chunk = decodeChunk(
        bytes.subarray(start, Math.min(start + CHUNK_SIZE, bytes.length)),
        index,
        chunkOffset(index),
      );
      for (const p of chunk.problems) fail(0, describeEvtxProblem(p), p.offset);
      for (const record of chunk.records) {
        const event = decodeJson(record.event, decode);
        if (event) handle(event, 0, undefined, record.offset);
        else fail(0, `record ${record.recordId}: not a Windows event`, record.offset);
      }
    }
  } else if (batch.kind === 'values') {
    for (const v of batch.values) handleJson(v.text, v.line);
  } else if (file.format === 'jsonl') {
    const text = batch.text;
    let line = batch.firstLine;
    let start = 0;
    while (start <= text.length) {
      let end = text.indexOf('\n', start);
      if (end < 0) end = text.length;
      let s = start;
      let e = end;
      while (s < e && text.charCodeAt(s) <= 32) s++;
      while (e > s && text.charCodeAt(e - 1) <= 32) e--;
      if (e - s > MAX_VALUE_CHARS) {
        fail(line, `record larger than ${MAX_VALUE_CHARS} characters`);
      } else if (e > s) {
        const record = text.slice(s, e);
        const selection = prefilter === undefined ? true : prefilter.select(record);
        if (selection === false) events++;
        else handleJson(record, line, selection === true ? undefined : selection);
      }
      line++;
      start = end + 1;
    }
  } else {
    const format = textFormat(file.format);
    if (!format) throw new Error(`unknown text format ${file.format}`);
    let header = batch.header;
    const text = batch.text;
    let line = batch.firstLine;
    let start = 0;
    while (start <= text.length) {
      let end = text.indexOf('\n', start);
      if (end < 0) end = text.length;
      const raw = text.charCodeAt(end - 1) === 13 ? text.slice(start, end - 1) : text.slice(start, end);
      if (raw.charCodeAt(0) === 35 /* # */ && format.header) header = format.header(raw, header);
      const result = raw.trim() === '' ? null : format.decode(raw, header, decode);
      if (result !== null) {
        if (isDecodeFailure(result)) fail(line, result.error);
        else handle(result, line);
      }
      line++;
      start = end + 1;
    }
  }
  return { seq: job.seq, events, detections, failures, failureCount, correlationMatches, untimed };
}
