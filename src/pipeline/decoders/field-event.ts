/**
 * The one {@link DecodedEvent} implementation every decoder builds: a flat field map, optional
 * per-logsource aliases (Sigma name → the field the shape really has), and a lazy ECS builder.
 */
import { foldCase } from '../../detect/sigma/case-fold.js';
import { leafValues } from '../../detect/sigma/event.js';
import type { EventLogSource, FieldValue } from '../../detect/sigma/types.js';
import type { DecodedEvent, EcsDocument } from './types.js';

export type EcsBuilder = (event: FieldEvent) => EcsDocument;

const foldedNames = new Map<string, string>();

/** Field names repeat across events: fold each once. */
function foldedName(name: string): string {
  let f = foldedNames.get(name);
  if (f === undefined) {
    f = foldCase(name);
    if (foldedNames.size < 100_000) foldedNames.set(name, f);
  }
  return f;
}

export class FieldEvent implements DecodedEvent {
  private ecsDoc: EcsDocument | undefined;
  private keywords: FieldValue[] | undefined;
  /** Case-folded field name → field name, built on the first lookup miss. */
  private folded: Map<string, string> | undefined;

  constructor(
    readonly decoder: string,
    readonly fields: Readonly<Record<string, FieldValue>>,
    readonly logsource: EventLogSource,
    readonly original: unknown,
    private readonly buildEcs: EcsBuilder,
    /** Sigma field → source fields to try, in order. */
    readonly aliases?: Readonly<Record<string, readonly string[]>>,
    /** Extra text keyword searches see (the raw line of text logs). */
    private readonly text?: string,
  ) {}

  get(name: string): FieldValue | undefined {
    const alias = this.aliases?.[name];
    if (alias !== undefined) {
      for (const a of alias) {
        const v = this.fields[a];
        if (v !== undefined) return v;
      }
    }
    const v = this.fields[name];
    if (v !== undefined || Object.hasOwn(this.fields, name)) return v;
    // Case-insensitive fallback (SigmaHQ and Windows disagree on a few names, e.g. ProcessGUID).
    if (this.folded === undefined) {
      this.folded = new Map();
      for (const key in this.fields) this.folded.set(foldedName(key), key);
    }
    const key = this.folded.get(foldedName(name));
    return key === undefined ? undefined : this.fields[key];
  }

  keywordValues(): readonly FieldValue[] {
    if (this.keywords === undefined) {
      this.keywords = leafValues(this.fields);
      if (this.text !== undefined) this.keywords.push(this.text);
    }
    return this.keywords;
  }

  ecs(): EcsDocument {
    this.ecsDoc ??= this.buildEcs(this);
    return this.ecsDoc;
  }
}

/** Sets `doc[a][b][c] = value` for the dotted path `a.b.c`, skipping undefined/empty values. */
export function setEcs(doc: EcsDocument, path: string, value: unknown): void {
  if (value === undefined || value === null || value === '' || value === '-') return;
  const keys = path.split('.');
  let node = doc;
  for (let i = 0; i < keys.length - 1; i++) {
    const k = keys[i]!;
    let next = node[k];
    if (typeof next !== 'object' || next === null || Array.isArray(next)) {
      next = {};
      node[k] = next;
    }
    node = next as EcsDocument;
  }
  node[keys[keys.length - 1]!] = value;
}

/** Reads a dotted path from a nested ECS document. */
export function getEcs(doc: EcsDocument, path: string): unknown {
  let node: unknown = doc;
  for (const k of path.split('.')) {
    if (typeof node !== 'object' || node === null) return undefined;
    node = (node as EcsDocument)[k];
  }
  return node;
}
