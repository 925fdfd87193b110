/**
 * Per-event memo of field values, shared by every rule evaluated against one event.
 *
 * Field names are interned to small integer ids at compile time ({@link FieldTable}); the cache
 * keeps one slot per id, stamped with an epoch so that moving to the next event costs one
 * increment instead of clearing arrays. A field is fetched, stringified and lower-cased at most
 * once per event however many rules ask for it.
 */
import { foldCase } from './case-fold.js';
import type { FieldValue, SigmaEvent } from './types.js';

/** A field value as matchers see it: one string, several (arrays), `null`, or absent. */
export type FieldStrings = string | readonly string[] | null | undefined;

/** Interns field names to dense ids. */
export class FieldTable {
  private readonly ids = new Map<string, number>();
  readonly names: string[] = [];

  /** Returns the id of `name`, creating it on first use. */
  id(name: string): number {
    let id = this.ids.get(name);
    if (id === undefined) {
      id = this.names.length;
      this.ids.set(name, id);
      this.names.push(name);
    }
    return id;
  }

  get size(): number {
    return this.names.length;
  }
}

function scalarText(v: FieldValue): string | undefined {
  switch (typeof v) {
    case 'string':
      return v;
    case 'number':
    case 'boolean':
    case 'bigint':
      return String(v);
    case 'object':
      return v === null ? undefined : JSON.stringify(v);
    default:
      return undefined;
  }
}

function collect(v: FieldValue, out: string[]): void {
  if (Array.isArray(v)) {
    for (const el of v as readonly FieldValue[]) collect(el, out);
    return;
  }
  const s = scalarText(v);
  if (s !== undefined) out.push(s);
}

/**
 * Converts an event value to the strings Sigma compares against: numbers and booleans as their
 * decimal/`true`/`false` text, arrays element-wise (a match on any element counts), objects as JSON.
 */
export function toFieldStrings(v: FieldValue | undefined): FieldStrings {
  if (v === undefined) return undefined;
  if (v === null) return null;
  if (Array.isArray(v)) {
    const out: string[] = [];
    collect(v, out);
    return out;
  }
  return scalarText(v);
}

function lowerStrings(v: FieldStrings): FieldStrings {
  if (typeof v === 'string') return foldCase(v);
  if (v === null || v === undefined) return v;
  return v.map(foldCase);
}

/** The memo for the event being matched. One instance per detector; not shared across threads. */
export class EventCache {
  event: SigmaEvent | undefined;
  private epoch = 0;
  private readonly names: readonly string[];
  private rawStamp: number[];
  private strStamp: number[];
  private lowerStamp: number[];
  private raws: (FieldValue | undefined)[];
  private strs: FieldStrings[];
  private lowers: FieldStrings[];
  private keywordEpoch = -1;
  private keywordLowers: string[] = [];
  private keywordLowerEpoch = -1;
  private keywordStrs: string[] = [];
  private joinedEpoch = -1;
  private joined = '';

  constructor(fields: FieldTable) {
    this.names = fields.names;
    const n = fields.size;
    this.rawStamp = new Array<number>(n).fill(-1);
    this.strStamp = new Array<number>(n).fill(-1);
    this.lowerStamp = new Array<number>(n).fill(-1);
    this.raws = new Array<FieldValue | undefined>(n);
    this.strs = new Array<FieldStrings>(n);
    this.lowers = new Array<FieldStrings>(n);
  }

  /** Starts matching a new event. */
  reset(event: SigmaEvent): void {
    this.event = event;
    this.epoch++;
  }

  /** Field value as the event holds it (`undefined` = absent). */
  raw(id: number): FieldValue | undefined {
    if (this.rawStamp[id] !== this.epoch) {
      this.raws[id] = this.event!.get(this.names[id]!);
      this.rawStamp[id] = this.epoch;
    }
    return this.raws[id];
  }

  /** Field value as strings, original case. */
  str(id: number): FieldStrings {
    if (this.strStamp[id] !== this.epoch) {
      this.strs[id] = toFieldStrings(this.raw(id));
      this.strStamp[id] = this.epoch;
    }
    return this.strs[id];
  }

  /** Field value as lower-cased strings (Sigma's default case-insensitive matching). */
  lower(id: number): FieldStrings {
    if (this.lowerStamp[id] !== this.epoch) {
      this.lowers[id] = lowerStrings(this.str(id));
      this.lowerStamp[id] = this.epoch;
    }
    return this.lowers[id];
  }

  private loadKeywords(): void {
    if (this.keywordEpoch === this.epoch) return;
    const out: string[] = [];
    for (const v of this.event!.keywordValues()) collect(v, out);
    this.keywordStrs = out;
    this.keywordEpoch = this.epoch;
  }

  /** Every value keyword searches look at, original case. */
  keywords(): readonly string[] {
    this.loadKeywords();
    return this.keywordStrs;
  }

  /** Every value keyword searches look at, lower-cased. */
  keywordsLower(): readonly string[] {
    if (this.keywordLowerEpoch !== this.epoch) {
      this.loadKeywords();
      this.keywordLowers = this.keywordStrs.map(foldCase);
      this.keywordLowerEpoch = this.epoch;
    }
    return this.keywordLowers;
  }

  /**
   * The lower-cased keyword values joined by NUL: one native substring search finds a keyword in
   * any value (keywords never contain NUL, so a match cannot straddle two values).
   */
  keywordsJoinedLower(): string {
    if (this.joinedEpoch !== this.epoch) {
      this.loadKeywords();
      this.joined = foldCase(this.keywordStrs.join('\u0000'));
      this.joinedEpoch = this.epoch;
    }
    return this.joined;
  }
}
