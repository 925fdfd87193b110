/**
 * The detections of a scan, in constant memory: the first {@link SPILL_AFTER} are kept in memory;
 * beyond that every detection is appended to a temporary JSON Lines file and only its sort key
 * (event time, input position) and file offset stay in memory (≈ 60 bytes each). The timeline is
 * then read back in event-time order.
 */
import { closeSync, mkdtempSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DetectionRecord } from './types.js';

/** Detections kept in memory before the log spills to disk. */
export const SPILL_AFTER = 10_000;
/** Bytes buffered before a write to the spill file. */
const WRITE_BUFFER = 1 << 20;

interface Entry {
  /** `@timestamp`, or undefined (sorted after dated detections). */
  readonly ts: string | undefined;
  /** Position in input order. */
  readonly seq: number;
  /** In memory, or at `offset`/`length` in the spill file. */
  readonly record?: DetectionRecord;
  readonly offset: number;
  readonly length: number;
}

function compareEntries(a: Entry, b: Entry): number {
  if (a.ts !== undefined && b.ts !== undefined && a.ts !== b.ts) return a.ts < b.ts ? -1 : 1;
  if (a.ts === undefined && b.ts !== undefined) return 1;
  if (a.ts !== undefined && b.ts === undefined) return -1;
  return a.seq - b.seq;
}

export class DetectionLog {
  private readonly entries: Entry[] = [];
  private dir: string | undefined;
  private fd: number | undefined;
  private written = 0;
  private pending: string[] = [];
  private pendingBytes = 0;

  constructor(private readonly spillAfter = SPILL_AFTER) {}

  get size(): number {
    return this.entries.length;
  }

  /** True once detections live on disk. */
  get spilled(): boolean {
    return this.fd !== undefined;
  }

  add(d: DetectionRecord): void {
    const ts = d['@timestamp'];
    const seq = this.entries.length;
    if (this.fd === undefined && seq >= this.spillAfter) this.spill();
    if (this.fd === undefined) {
      this.entries.push({ ts, seq, record: d, offset: 0, length: 0 });
      return;
    }
    const line = `${JSON.stringify(d)}\n`;
    const length = Buffer.byteLength(line);
    this.entries.push({ ts, seq, offset: this.written + this.pendingBytes, length });
    this.pending.push(line);
    this.pendingBytes += length;
    if (this.pendingBytes >= WRITE_BUFFER) this.flush();
  }

  private spill(): void {
    this.dir = mkdtempSync(join(tmpdir(), 'vigil-detections-'));
    this.fd = openSync(join(this.dir, 'detections.jsonl'), 'w+');
    const kept = this.entries.splice(0);
    for (const e of kept) {
      // Re-add through the file path so every entry has an offset.
      const line = `${JSON.stringify(e.record)}\n`;
      const length = Buffer.byteLength(line);
      this.entries.push({ ts: e.ts, seq: e.seq, offset: this.written + this.pendingBytes, length });
      this.pending.push(line);
      this.pendingBytes += length;
    }
    this.flush();
  }

  private flush(): void {
    if (this.fd === undefined || this.pending.length === 0) return;
    const buf = Buffer.from(this.pending.join(''));
    let done = 0;
    while (done < buf.length) done += writeSync(this.fd, buf, done, buf.length - done, this.written + done);
    this.written += buf.length;
    this.pending = [];
    this.pendingBytes = 0;
  }

  private read(e: Entry): DetectionRecord {
    if (e.record) return e.record;
    const buf = Buffer.alloc(e.length);
    let done = 0;
    while (done < e.length) done += readSync(this.fd!, buf, done, e.length - done, e.offset + done);
    return JSON.parse(buf.toString('utf8')) as DetectionRecord;
  }

  /** Detections in input order. */
  *all(): Generator<DetectionRecord> {
    this.flush();
    for (const e of this.entries) yield this.read(e);
  }

  /** Detections in event-time order (input order among equal or missing times). */
  *timeline(): Generator<DetectionRecord> {
    this.flush();
    const order = [...this.entries].sort(compareEntries);
    for (const e of order) yield this.read(e);
  }

  /** Removes the spill file. */
  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    if (this.dir !== undefined) rmSync(this.dir, { recursive: true, force: true });
    this.fd = undefined;
    this.dir = undefined;
  }
}
