/**
 * Drain's fixed-depth parse tree over masked tokens: He, Zhu, Zheng, Lyu, "Drain: An Online Log
 * Parsing Approach with Fixed Depth Tree", ICWS 2017, §III-B…E, as refined by logpai/Drain3
 * (`drain.py`: `tree_search`, `fast_match`, `get_seq_distance`, `add_seq_to_prefix_tree` with
 * `max_children` and `parametrize_numeric_tokens`).
 *
 * The root's children are keyed by token count; below them `depth - 2` levels keyed by the
 * leading tokens (a token holding a digit goes to the `<*>` child, and so does a new token once
 * a node has `maxChildren` children); a leaf holds the base clusters filed under that path.
 * One change from Drain: the keys skip tokens masked whole, so that a masked timestamp or
 * counter at the start of every line does not file all messages of a length under one `<*>`
 * child (same grouping on Loghub-2k contents, fewer comparisons on lines with headers). A
 * message with fewer such tokens stops higher in the tree; its clusters sit on that node.
 *
 * Pure; no I/O.
 */
import { WILDCARD, hasDigit } from './masking.js';

/** A Drain cluster: the masked tokens with `<*>` where its messages differed. */
export interface BaseCluster {
  /** Creation order among base clusters (0, 1, …). */
  readonly index: number;
  readonly tokens: string[];
  /** The child keys under the length node that lead to this cluster's leaf. */
  readonly path: readonly string[];
  count: number;
}

interface TreeNode {
  readonly children: Map<string, TreeNode>;
  readonly clusters: BaseCluster[];
}

function node(): TreeNode {
  return { children: new Map(), clusters: [] };
}

/**
 * Similarity of a template to a message of the same length (Drain §III-D, simSeq; Drain3
 * `get_seq_distance`): the share of positions where both hold the same constant, out of the
 * positions that are not `<*>` in both (a masked value facing a template `<*>` says nothing
 * either way: counting it as similar let a masked header — timestamp, host, pid — glue unrelated
 * messages together). `params` counts the template's `<*>` facing a constant (the tie-break of
 * `fast_match`).
 */
export function similarity(
  template: readonly string[],
  tokens: readonly string[],
): { sim: number; params: number } {
  let same = 0;
  let both = 0;
  let params = 0;
  for (let i = 0; i < template.length; i++) {
    const t = template[i]!;
    if (t === tokens[i]) {
      if (t === WILDCARD) both++;
      else same++;
    } else if (t === WILDCARD) params++;
  }
  const compared = template.length - both;
  return { sim: compared === 0 ? 1 : same / compared, params };
}

/** True when every constant of the template equals the message token at its position. */
export function covers(template: readonly string[], tokens: readonly string[]): boolean {
  for (let i = 0; i < template.length; i++) {
    const t = template[i]!;
    if (t !== WILDCARD && t !== tokens[i]) return false;
  }
  return true;
}

export class ParseTree {
  private readonly roots = new Map<number, TreeNode>();
  private readonly byLength = new Map<number, BaseCluster[]>();
  private count = 0;

  /**
   * @param depth - Drain's tree depth (internal levels = depth - 2)
   * @param maxChildren - children per internal node before new tokens share the `<*>` child
   */
  constructor(
    private readonly depth: number,
    private readonly maxChildren: number,
  ) {}

  /** Number of base clusters. */
  get size(): number {
    return this.count;
  }

  /**
   * Drain3 `tree_search` + `fast_match`: the most similar cluster on the message's path, if its
   * similarity reaches `threshold` (ties go to the cluster with more `<*>`).
   */
  best(tokens: readonly string[], threshold: number): BaseCluster | undefined {
    const leaf = this.leaf(tokens);
    if (leaf === undefined) return undefined;
    let best: BaseCluster | undefined;
    let bestSim = -1;
    let bestParams = -1;
    for (const c of leaf.clusters) {
      const { sim, params } = similarity(c.tokens, tokens);
      if (sim > bestSim || (sim === bestSim && params > bestParams)) {
        best = c;
        bestSim = sim;
        bestParams = params;
      }
    }
    return best !== undefined && bestSim >= threshold ? best : undefined;
  }

  /**
   * The clusters whose template covers the message: those on its path first, then (only when the
   * caller reads on) the rest of its length group, each part from most to least specific (fewest
   * `<*>` first).
   */
  *covering(tokens: readonly string[]): Generator<BaseCluster> {
    const bySpecificity = (a: BaseCluster, b: BaseCluster): number =>
      wildcards(a.tokens) - wildcards(b.tokens) || a.index - b.index;
    const leaf = this.leaf(tokens);
    const onPath = (leaf?.clusters ?? []).filter((c) => covers(c.tokens, tokens)).sort(bySpecificity);
    yield* onPath;
    const seen = new Set(onPath);
    const others = (this.byLength.get(tokens.length) ?? []).filter(
      (c) => !seen.has(c) && covers(c.tokens, tokens),
    );
    yield* others.sort(bySpecificity);
  }

  /** Files a new cluster for the message (Drain3 `add_seq_to_prefix_tree`). */
  create(tokens: readonly string[]): BaseCluster {
    let cur = this.root(tokens.length);
    const path: string[] = [];
    for (const token of this.keys(tokens)) {
      const key = this.childKey(cur, token);
      path.push(key);
      cur = this.child(cur, key);
    }
    const cluster: BaseCluster = { index: this.count, tokens: [...tokens], path, count: 1 };
    this.attach(cur, cluster);
    return cluster;
  }

  /** Files a restored cluster under its recorded path. */
  restore(tokens: readonly string[], path: readonly string[], count: number): BaseCluster {
    let cur = this.root(tokens.length);
    for (const key of path) cur = this.child(cur, key);
    const cluster: BaseCluster = { index: this.count, tokens: [...tokens], path: [...path], count };
    this.attach(cur, cluster);
    return cluster;
  }

  private attach(leaf: TreeNode, cluster: BaseCluster): void {
    leaf.clusters.push(cluster);
    let group = this.byLength.get(cluster.tokens.length);
    if (group === undefined) this.byLength.set(cluster.tokens.length, (group = []));
    group.push(cluster);
    this.count++;
  }

  private childKey(parent: TreeNode, token: string): string {
    if (parent.children.has(token)) return token;
    if (hasDigit(token)) return WILDCARD;
    const n = parent.children.size;
    if (parent.children.has(WILDCARD)) return n < this.maxChildren ? token : WILDCARD;
    return n + 1 < this.maxChildren ? token : WILDCARD;
  }

  private leaf(tokens: readonly string[]): TreeNode | undefined {
    let cur = this.roots.get(tokens.length);
    for (const token of this.keys(tokens)) {
      if (cur === undefined) break;
      cur = cur.children.get(token) ?? cur.children.get(WILDCARD);
    }
    return cur;
  }

  /** The tokens that key the internal levels: the first `depth - 2` that are not masked whole. */
  private keys(tokens: readonly string[]): string[] {
    const levels = this.depth - 2;
    const out: string[] = [];
    for (let i = 0; i < tokens.length && out.length < levels; i++)
      if (tokens[i] !== WILDCARD) out.push(tokens[i]!);
    return out;
  }

  private root(length: number): TreeNode {
    let r = this.roots.get(length);
    if (r === undefined) this.roots.set(length, (r = node()));
    return r;
  }

  private child(parent: TreeNode, key: string): TreeNode {
    let next = parent.children.get(key);
    if (next === undefined) parent.children.set(key, (next = node()));
    return next;
  }
}

/** Number of `<*>` tokens. */
export function wildcards(template: readonly string[]): number {
  let n = 0;
  for (const t of template) if (t === WILDCARD) n++;
  return n;
}
