/**
 * Reading a serialized template miner (`MinerState`, miner.ts) back: checks the shape before
 * anything is built, so a damaged or foreign document fails with a clear message instead of
 * producing a miner that misbehaves later. Pure; no I/O.
 */
import { ErrorCodes, VigilError } from '../../errors.js';
import type { MinerOptions, TemplateMiner } from './miner.js';

export const MINER_FORMAT = 'vigil-template-miner';
export const MINER_FORMAT_VERSION = 1;

/**
 * Serialized miner (`toJSON()`), read back by `TemplateMiner.fromJSON`; one record per live
 * template, so it can also be kept as rows. Documented in docs/templates.md (Persisted state).
 */
export interface MinerState {
  readonly format: typeof MINER_FORMAT;
  readonly version: typeof MINER_FORMAT_VERSION;
  readonly options: MinerOptions;
  /** The next id to issue. */
  readonly nextId: number;
  /** The live templates in id order. */
  readonly clusters: readonly {
    readonly id: number;
    /** The template's tokens (`template.split(' ')`; `[]` for an empty message). */
    readonly tokens: readonly string[];
    readonly count: number;
    /** The parse-tree path it is filed under (child keys below its length node). */
    readonly path: readonly string[];
    /**
     * The id of the first template of its Drain cluster, when another one: templates with the
     * same `base` were told apart by low-cardinality columns. Absent = a cluster of its own.
     */
    readonly base?: number;
  }[];
  /** `[merged id, id it merged into]` (`fromJSON` accepts its absence: `resolve` then forgets merged ids). */
  readonly aliases: readonly (readonly [number, number])[];
}

function bad(what: string): never {
  throw new VigilError(ErrorCodes.ML_MODEL, `template miner state: ${what}`);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function strings(v: unknown, what: string): string[] {
  if (!Array.isArray(v) || !v.every((s) => typeof s === 'string'))
    return bad(`${what} must be an array of strings`);
  return v as string[];
}

function count(v: unknown, what: string): number {
  if (!Number.isInteger(v) || (v as number) < 0) return bad(`${what} must be a non-negative integer`);
  return v as number;
}

function id(v: unknown, what: string): number {
  if (!Number.isInteger(v) || (v as number) < 1) return bad(`${what} must be a positive integer`);
  return v as number;
}

interface Restored {
  readonly id: number;
  readonly tokens: string[];
  readonly count: number;
  readonly path: string[];
  readonly base: number;
}

/**
 * Builds a miner from a parsed `toJSON()` document (or rows kept by the service in that shape).
 * Templates sharing a `base` are restored as one Drain cluster (miner.ts `restoreBase`).
 * @param create - makes an empty miner with the stored options (the miner validates them)
 * @throws VigilError `VIGIL_ERR_ML_MODEL` naming the first problem (format, version, a field)
 */
export function restoreMiner(
  state: unknown,
  create: (options: Partial<MinerOptions>) => TemplateMiner,
): TemplateMiner {
  if (!isObject(state)) return bad('not an object');
  if (state.format !== MINER_FORMAT) return bad(`format is not "${MINER_FORMAT}"`);
  if (state.version !== MINER_FORMAT_VERSION)
    return bad(`version ${String(state.version)} is not supported (expected ${MINER_FORMAT_VERSION})`);
  if (!isObject(state.options)) return bad('options missing');
  if (!Array.isArray(state.clusters)) return bad('clusters missing');
  const aliasList: unknown = state.aliases ?? [];
  if (!Array.isArray(aliasList)) return bad('aliases must be an array');
  const miner = create(state.options as Partial<MinerOptions>);
  const seen = new Set<number>();
  const claim = (n: number, what: string): void => {
    if (seen.has(n)) bad(`${what}: id ${n} used twice`);
    seen.add(n);
  };
  const bases = new Map<number, Restored[]>();
  state.clusters.forEach((c: unknown, i) => {
    const what = `clusters[${i}]`;
    if (!isObject(c)) return bad(`${what} is not an object`);
    const cid = id(c.id, `${what}.id`);
    claim(cid, what);
    const r: Restored = {
      id: cid,
      tokens: strings(c.tokens, `${what}.tokens`),
      count: count(c.count, `${what}.count`),
      path: strings(c.path, `${what}.path`),
      base: c.base === undefined ? cid : id(c.base, `${what}.base`),
    };
    let group = bases.get(r.base);
    if (group === undefined) bases.set(r.base, (group = []));
    const head = group[0];
    if (head && (head.tokens.length !== r.tokens.length || head.path.join(' ') !== r.path.join(' ')))
      bad(`${what}: base ${r.base} holds templates of another length or path`);
    group.push(r);
  });
  for (const [first, group] of [...bases].sort((a, b) => a[0] - b[0])) {
    group.sort((a, b) => a.id - b.id);
    miner.restoreBase(group[0]!.path, first, group);
  }
  const aliases = aliasList.map((a: unknown, j): [number, number] => {
    if (!Array.isArray(a) || a.length !== 2) return bad(`aliases[${j}] must be [id, into]`);
    const from = id(a[0], `aliases[${j}][0]`);
    claim(from, `aliases[${j}]`);
    return [from, id(a[1], `aliases[${j}][1]`)];
  });
  // A cycle would make `resolve` loop for ever.
  const into = new Map(aliases);
  const acyclic = new Set<number>();
  for (const [from] of aliases) {
    const seen = new Set<number>();
    for (let cur = from; into.has(cur) && !acyclic.has(cur); cur = into.get(cur)!) {
      if (seen.has(cur)) bad(`aliases: id ${from} leads back to itself`);
      seen.add(cur);
    }
    for (const s of seen) acyclic.add(s);
  }
  const nextId = id(state.nextId, 'nextId');
  miner.restoreIds(nextId, aliases);
  if (nextId <= miner.maxId()) bad('nextId must exceed every id');
  for (const [from] of aliases)
    if (miner.resolve(from) === undefined) bad(`aliases: id ${from} leads to no template`);
  return miner;
}
