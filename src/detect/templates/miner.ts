/**
 * Online log template mining: Drain's fixed-depth parse tree (He, Zhu, Zheng, Lyu, ICWS 2017;
 * tree.ts) over masked tokens (masking.ts), refined by low-cardinality splitting after Brain
 * (Yu, He, Chen, Wang, Lyu, "Brain: Log Parsing with Bidirectional Parallel Tree", IEEE TSC
 * 2023, §III-C, the child direction: a column with few distinct values holds constants of
 * different templates, not a variable). ONE configuration for every log source:
 * {@link DEFAULT_MINER_OPTIONS}, chosen once on all Loghub-2k systems (docs/templates.md).
 *
 * Per message: tokenize and mask; find the Drain cluster (same token count, same leading tokens,
 * similarity ≥ `similarity`) or found one; positions where the message differs from the cluster
 * become `<*>` in the cluster. Each such column remembers its distinct values while they look
 * like constants (columns.ts: at most `maxSplitValues` of them, or up to 16 upper-case state
 * names; each with a letter outside masked spans; no two differing only in digits): the cluster's
 * messages are then told apart by those values, each combination being its own template with its
 * own id. When a column breaks the rule it is a variable: the templates that differed only there
 * merge into the one with the lowest id, whose template generalizes. A merged-away id is never
 * reused; {@link TemplateMiner.resolve} maps it to the survivor.
 *
 * Pure; no I/O.
 */
import { ErrorCodes, VigilError } from '../../errors.js';

export { MINER_FORMAT, MINER_FORMAT_VERSION, type MinerState } from './state.js';
import { joins, splittable } from './columns.js';
import { WILDCARD } from './masking.js';
import { MINER_FORMAT, MINER_FORMAT_VERSION, type MinerState, restoreMiner } from './state.js';
import { MaskCache, type TokenizedMessage, tokenize } from './tokens.js';
import { type BaseCluster, ParseTree } from './tree.js';

/** The tunables of the miner. The defaults are the one configuration used for every source. */
export interface MinerOptions {
  /** Tree depth as in Drain: the leading `depth - 2` tokens key the internal levels (default 4). */
  readonly depth: number;
  /** Similarity threshold in [0, 1] to join a Drain cluster (Drain's `st`; default 0.5). */
  readonly similarity: number;
  /** Children per internal tree node before new tokens share the `<*>` child (Drain3; default 100). */
  readonly maxChildren: number;
  /** A column with at most this many distinct word values splits templates (default 3; < 2 = plain Drain). */
  readonly maxSplitValues: number;
}

/** The one default configuration (chosen on Loghub-2k for all systems at once; docs/templates.md). */
export const DEFAULT_MINER_OPTIONS: MinerOptions = Object.freeze({
  depth: 4,
  similarity: 0.5,
  maxChildren: 100,
  maxSplitValues: 3,
});

/** The template a message belongs to. */
export interface TemplateMatch {
  /** Stable id (1, 2, … in creation order; kept when the template generalizes). */
  readonly templateId: number;
  /** Masked tokens joined by one space, variables as `<*>`. */
  readonly template: string;
  /** The message's values at the template's `<*>`, in order. */
  readonly parameters: readonly string[];
  /** True when this message founded the template. */
  readonly created: boolean;
  /** True when this message generalized the template (a constant became `<*>`, or templates merged). */
  readonly changed: boolean;
}

/** A template and how many messages it has absorbed. */
export interface TemplateCluster {
  readonly id: number;
  readonly template: string;
  readonly count: number;
}

/** A template: a Drain cluster with its split columns set to values. */
export interface Group {
  readonly id: number;
  readonly base: BaseEntry;
  /** The values at `base.split`, in order. */
  values: string[];
  count: number;
  tokens: string[];
  text: string;
}

/** A Drain cluster with its columns and templates. */
export interface BaseEntry {
  readonly cluster: BaseCluster;
  /** The id of its first template (never merged away: merges keep the lowest id). */
  readonly first: number;
  /** Generalized position → its distinct values while it may split, or null once it is a variable. */
  readonly columns: Map<number, Set<string> | null>;
  /** The splitting positions, ascending. */
  split: number[];
  /** Templates by the key of their values. */
  readonly groups: Map<string, Group>;
}

const KEY_SEPARATOR = '\u0000';

function parametersOf(template: readonly string[], msg: TokenizedMessage): string[] {
  const out: string[] = [];
  for (let i = 0; i < template.length; i++) {
    if (template[i] === WILDCARD) out.push(msg.raw[i]!);
    else for (const p of msg.params[i]!) out.push(p);
  }
  return out;
}

/**
 * A Drain-style template miner with low-cardinality splitting. `add` learns, `match` looks up.
 * @example
 * const miner = new TemplateMiner();
 * miner.add('Accepted password for alice from 203.0.113.9 port 4242 ssh2');
 * // { templateId: 1, template: 'Accepted password for alice from <*> port <*> ssh2', … }
 */
export class TemplateMiner {
  readonly options: MinerOptions;
  private readonly cache = new MaskCache();
  private readonly tree: ParseTree;
  /** By `BaseCluster.index`. */
  private readonly bases: BaseEntry[] = [];
  private readonly live = new Map<number, Group>();
  private readonly aliases = new Map<number, number>();
  private nextId = 1;

  /** @throws VigilError `VIGIL_ERR_ML_MODEL` when an option is out of range */
  constructor(options: Partial<MinerOptions> = {}) {
    const o = { ...DEFAULT_MINER_OPTIONS, ...options };
    const bad = (what: string): never => {
      throw new VigilError(ErrorCodes.ML_MODEL, `template miner option ${what}`);
    };
    if (!Number.isInteger(o.depth) || o.depth < 2 || o.depth > 16) bad(`depth ${o.depth} (integer 2..16)`);
    if (!(o.similarity >= 0 && o.similarity <= 1)) bad(`similarity ${o.similarity} (0..1)`);
    if (!Number.isInteger(o.maxChildren) || o.maxChildren < 2)
      bad(`maxChildren ${o.maxChildren} (integer ≥ 2)`);
    if (!Number.isInteger(o.maxSplitValues) || o.maxSplitValues < 0)
      bad(`maxSplitValues ${o.maxSplitValues}`);
    this.options = Object.freeze({
      depth: o.depth,
      similarity: o.similarity,
      maxChildren: o.maxChildren,
      maxSplitValues: o.maxSplitValues,
    });
    this.tree = new ParseTree(o.depth, o.maxChildren);
  }

  /** Number of templates (live ids). */
  get size(): number {
    return this.live.size;
  }

  /** Learns from one message and returns its template (new, generalized or unchanged). */
  add(message: string): TemplateMatch {
    const msg = tokenize(message, this.cache);
    const cluster = this.tree.best(msg.masked, this.options.similarity);
    if (cluster === undefined) {
      const base: BaseEntry = {
        cluster: this.tree.create(msg.masked),
        first: this.nextId,
        columns: new Map(),
        split: [],
        groups: new Map(),
      };
      this.bases.push(base);
      const group = this.newGroup(base, [], 1);
      return this.result(group, msg, true, false);
    }
    const base = this.bases[cluster.index]!;
    cluster.count++;
    const before = base.groups.get(this.keyOf(base, msg.masked));
    const beforeText = before?.text;
    if (this.learn(base, msg.masked)) this.regroup(base);
    const key = this.keyOf(base, msg.masked);
    let group = base.groups.get(key);
    if (group === undefined) {
      group = this.newGroup(
        base,
        base.split.map((p) => msg.masked[p]!),
        1,
      );
      return this.result(group, msg, true, false);
    }
    group.count++;
    const changed = before === undefined ? true : before !== group || beforeText !== group.text;
    return this.result(group, msg, false, changed);
  }

  /**
   * The most specific known template that covers the message (every constant equal), without
   * learning.
   * @returns undefined when no template covers it
   */
  match(message: string): TemplateMatch | undefined {
    const msg = tokenize(message, this.cache);
    for (const cluster of this.tree.covering(msg.masked)) {
      const base = this.bases[cluster.index]!;
      const group = base.groups.get(this.keyOf(base, msg.masked));
      if (group !== undefined) return this.result(group, msg, false, false);
    }
    return undefined;
  }

  /** The live id an id was merged into (itself when live); undefined for an id never issued. */
  resolve(id: number): number | undefined {
    let cur = id;
    for (let next = this.aliases.get(cur); next !== undefined; next = this.aliases.get(cur)) cur = next;
    return this.live.has(cur) ? cur : undefined;
  }

  /** The templates in id order. */
  clusters(): TemplateCluster[] {
    return [...this.live.values()]
      .sort((a, b) => a.id - b.id)
      .map((g) => ({ id: g.id, template: g.text, count: g.count }));
  }

  /** The miner's state as plain JSON (`MinerState`): the live templates in id order, and the merged ids. */
  toJSON(): MinerState {
    const clusters: MinerState['clusters'][number][] = [];
    for (const g of [...this.live.values()].sort((x, y) => x.id - y.id)) {
      const first = g.base.first;
      clusters.push({
        id: g.id,
        tokens: [...g.tokens],
        count: g.count,
        path: [...g.base.cluster.path],
        ...(first !== g.id ? { base: first } : {}),
      });
    }
    return {
      format: MINER_FORMAT,
      version: MINER_FORMAT_VERSION,
      options: this.options,
      nextId: this.nextId,
      clusters,
      aliases: [...this.aliases],
    };
  }

  /**
   * Rebuilds a miner from `toJSON()` output: same ids, templates, counts and behaviour.
   * @throws VigilError `VIGIL_ERR_ML_MODEL` naming what is wrong with the state
   */
  static fromJSON(state: unknown): TemplateMiner {
    return restoreMiner(state, (options) => new TemplateMiner(options));
  }

  /**
   * @internal Restores one Drain cluster from its templates (state.ts): the positions where the
   * templates differ are its splitting columns, their values the columns' values; elsewhere the
   * templates agree with the Drain template.
   * @param firstId - the id of the cluster's first template (its `base`)
   * @param templates - the cluster's templates in id order (same length and path)
   */
  restoreBase(
    path: readonly string[],
    firstId: number,
    templates: readonly { readonly id: number; readonly tokens: readonly string[]; readonly count: number }[],
  ): void {
    const first = templates[0]!;
    const split: number[] = [];
    const tokens = [...first.tokens];
    for (let p = 0; p < tokens.length; p++) {
      if (templates.some((t) => t.tokens[p] !== first.tokens[p])) {
        split.push(p);
        tokens[p] = WILDCARD;
      }
    }
    const total = templates.reduce((n, t) => n + t.count, 0);
    const cluster = this.tree.restore(tokens, path, total);
    const base: BaseEntry = { cluster, first: firstId, columns: new Map(), split, groups: new Map() };
    for (const p of split) base.columns.set(p, new Set(templates.map((t) => t.tokens[p]!)));
    this.bases.push(base);
    for (const t of templates)
      this.newGroup(
        base,
        split.map((p) => t.tokens[p]!),
        t.count,
        t.id,
      );
  }

  /** @internal Sets the id counter and the merged-id aliases after a restore (state.ts). */
  restoreIds(nextId: number, aliases: readonly (readonly [number, number])[]): void {
    this.nextId = nextId;
    for (const [from, to] of aliases) this.aliases.set(from, to);
  }

  /** @internal The largest id in use (state.ts checks `nextId` against it). */
  maxId(): number {
    let max = 0;
    for (const id of this.live.keys()) max = Math.max(max, id);
    for (const id of this.aliases.keys()) max = Math.max(max, id);
    return max;
  }

  /**
   * Drain's template update plus the columns: returns true when the split positions or the
   * cluster's template changed (the templates must be rebuilt).
   */
  private learn(base: BaseEntry, tokens: readonly string[]): boolean {
    const template = base.cluster.tokens;
    const k = this.options.maxSplitValues;
    let dirty = false;
    for (let i = 0; i < template.length; i++) {
      const t = template[i]!;
      const v = tokens[i]!;
      if (t === WILDCARD) {
        const column = base.columns.get(i);
        if (column === undefined || column === null || column.has(v)) continue;
        if (joins(column, v, k)) column.add(v);
        else {
          base.columns.set(i, null);
          dirty = true;
        }
      } else if (t !== v) {
        template[i] = WILDCARD;
        const column = new Set([t]);
        base.columns.set(i, splittable(t) && joins(column, v, k) ? column.add(v) : null);
        dirty = true;
      }
    }
    return dirty;
  }

  /** Rebuilds a cluster's templates after its split positions or template changed; merges duplicates. */
  private regroup(base: BaseEntry): void {
    const oldSplit = base.split;
    const split = [...base.columns]
      .filter(([, v]) => v !== null)
      .map(([p]) => p)
      .sort((a, b) => a - b);
    base.split = split;
    const groups = [...base.groups.values()].sort((a, b) => a.id - b.id);
    base.groups.clear();
    for (const g of groups) {
      // A new split position held the old constant, still in the cluster's tokens of the group.
      const values = split.map((p) => {
        const at = oldSplit.indexOf(p);
        return at >= 0 ? g.values[at]! : g.tokens[p]!;
      });
      const key = values.join(KEY_SEPARATOR);
      const survivor = base.groups.get(key);
      if (survivor !== undefined) {
        survivor.count += g.count;
        this.live.delete(g.id);
        this.aliases.set(g.id, survivor.id);
        continue;
      }
      g.values = values;
      this.render(g);
      base.groups.set(key, g);
    }
  }

  private keyOf(base: BaseEntry, tokens: readonly string[]): string {
    return base.split.map((p) => tokens[p]!).join(KEY_SEPARATOR);
  }

  private newGroup(base: BaseEntry, values: string[], count: number, id = this.nextId++): Group {
    const group: Group = { id, base, values, count, tokens: [], text: '' };
    this.render(group);
    base.groups.set(values.join(KEY_SEPARATOR), group);
    this.live.set(id, group);
    return group;
  }

  private render(group: Group): void {
    const tokens = [...group.base.cluster.tokens];
    group.base.split.forEach((p, i) => (tokens[p] = group.values[i]!));
    group.tokens = tokens;
    group.text = tokens.join(' ');
  }

  private result(group: Group, msg: TokenizedMessage, created: boolean, changed: boolean): TemplateMatch {
    return {
      templateId: group.id,
      template: group.text,
      parameters: parametersOf(group.tokens, msg),
      created,
      changed,
    };
  }
}
