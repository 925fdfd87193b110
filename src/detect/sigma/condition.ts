/**
 * The Sigma condition language: tokenizer and recursive-descent parser.
 *
 * Source: Sigma specification v2.1, `sigma-rules-specification.md`, section "Condition".
 * Operator precedence from least to most binding: `or`, `and`, `not`, `x of`, `( )`.
 * `x of` takes `1`, any positive integer (at least N), `all` or `any` (alias of 1), followed
 * by `them` (every identifier not starting with `_`) or a pattern with `*` wildcards.
 */
import type { ConditionNode } from './types.js';

/** Thrown for a condition that cannot be parsed or names unknown identifiers. */
export class ConditionError extends Error {
  constructor(
    message: string,
    readonly unsupported = false,
  ) {
    super(message);
    this.name = 'ConditionError';
  }
}

type Token =
  | { readonly t: 'lparen' | 'rparen'; readonly pos: number }
  | { readonly t: 'word'; readonly v: string; readonly pos: number };

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      i++;
    } else if (c === '(') {
      tokens.push({ t: 'lparen', pos: i++ });
    } else if (c === ')') {
      tokens.push({ t: 'rparen', pos: i++ });
    } else if (c === '|') {
      throw new ConditionError(
        `aggregation expressions ("| count() ...", Sigma 1.x) are not part of Sigma 2.x; rewrite as a correlation rule (at offset ${i})`,
        true,
      );
    } else {
      const start = i;
      while (i < text.length && !/[\s()|]/.test(text[i]!)) i++;
      tokens.push({ t: 'word', v: text.slice(start, i), pos: start });
    }
  }
  return tokens;
}

/** Deepest nesting of parentheses and `not` accepted (deeper conditions are rejected, not recursed). */
export const MAX_CONDITION_DEPTH = 256;

const KEYWORDS = new Set(['and', 'or', 'not', 'of', 'them', 'all', 'any']);

function globToRegExp(pattern: string): RegExp {
  const escaped = pattern.replace(/[.+^${}()|[\]\\?]/g, '\\$&').replace(/\*/g, '.*');
  return new RegExp(`^${escaped}$`);
}

/**
 * Parses one condition string against the rule's search identifiers.
 *
 * @param text - the condition, e.g. `selection and not 1 of filter_*`
 * @param identifiers - names of the rule's search identifiers
 * @returns the condition tree with `x of` patterns already expanded to identifier names
 * @throws ConditionError on syntax errors, unknown identifiers or patterns matching nothing
 */
export function parseCondition(text: string, identifiers: readonly string[]): ConditionNode {
  const tokens = tokenize(text);
  let pos = 0;
  let depth = 0;
  const enter = (): void => {
    if (++depth > MAX_CONDITION_DEPTH)
      throw new ConditionError(`condition nests deeper than ${MAX_CONDITION_DEPTH} levels`);
  };
  const known = new Set(identifiers);

  const peekWord = (): string | undefined => {
    const tok = tokens[pos];
    return tok?.t === 'word' ? tok.v.toLowerCase() : undefined;
  };
  const fail = (msg: string): never => {
    const tok = tokens[pos];
    throw new ConditionError(tok ? `${msg} at offset ${tok.pos}` : `${msg} at end of condition`);
  };

  const parseOr = (): ConditionNode => {
    const children = [parseAnd()];
    while (peekWord() === 'or') {
      pos++;
      children.push(parseAnd());
    }
    return children.length === 1 ? children[0]! : { kind: 'or', children };
  };

  const parseAnd = (): ConditionNode => {
    const children = [parseNot()];
    while (peekWord() === 'and') {
      pos++;
      children.push(parseNot());
    }
    return children.length === 1 ? children[0]! : { kind: 'and', children };
  };

  const parseNot = (): ConditionNode => {
    if (peekWord() === 'not') {
      pos++;
      enter();
      const child = parseNot();
      depth--;
      return { kind: 'not', child };
    }
    return parseOf();
  };

  const parseOf = (): ConditionNode => {
    const tok = tokens[pos];
    const next = tokens[pos + 1];
    if (tok?.t === 'word' && next?.t === 'word' && next.v.toLowerCase() === 'of') {
      const q = tok.v.toLowerCase();
      let count: number | 'all';
      if (q === 'all') count = 'all';
      else if (q === 'any') count = 1;
      else if (/^[1-9][0-9]*$/.test(q)) count = Number(q);
      else return fail(`expected "1", "all" or a number before "of", got "${tok.v}"`);
      pos += 2;
      const target = tokens[pos];
      if (target?.t !== 'word') return fail('expected "them" or an identifier pattern after "of"');
      pos++;
      let names: string[];
      if (target.v.toLowerCase() === 'them') {
        names = identifiers.filter((n) => !n.startsWith('_'));
      } else {
        const re = globToRegExp(target.v);
        names = identifiers.filter((n) => re.test(n));
        if (names.length === 0) {
          throw new ConditionError(`pattern "${target.v}" matches no search identifier`);
        }
      }
      if (names.length === 0) throw new ConditionError('"them" matches no search identifier');
      return { kind: 'of', count, names };
    }
    return parsePrimary();
  };

  const parsePrimary = (): ConditionNode => {
    const tok = tokens[pos];
    if (!tok) return fail('expected an identifier');
    if (tok.t === 'lparen') {
      pos++;
      enter();
      const inner = parseOr();
      depth--;
      if (tokens[pos]?.t !== 'rparen') return fail('expected ")"');
      pos++;
      return inner;
    }
    if (tok.t !== 'word') return fail('unexpected ")"');
    const lower = tok.v.toLowerCase();
    if (KEYWORDS.has(lower) && !known.has(tok.v)) return fail(`unexpected keyword "${tok.v}"`);
    if (!known.has(tok.v)) {
      throw new ConditionError(`unknown search identifier "${tok.v}" at offset ${tok.pos}`);
    }
    pos++;
    return { kind: 'ref', name: tok.v };
  };

  if (tokens.length === 0) throw new ConditionError('empty condition');
  const tree = parseOr();
  if (pos < tokens.length) fail('unexpected token');
  return tree;
}

/** Names of the search identifiers a condition tree refers to. */
export function referencedIdentifiers(node: ConditionNode, out = new Set<string>()): Set<string> {
  switch (node.kind) {
    case 'ref':
      out.add(node.name);
      break;
    case 'of':
      for (const n of node.names) out.add(n);
      break;
    case 'not':
      referencedIdentifiers(node.child, out);
      break;
    default:
      for (const c of node.children) referencedIdentifiers(c, out);
  }
  return out;
}

/**
 * Folds a condition tree into a value that must hold for the condition to be true (a necessary
 * property): `and` (and `all of`) combine what both sides need, `or` (and `1/N of`) keep what every
 * branch needs, `not` needs nothing (`null`). Used for the rule index's required values and the
 * pre-filter's necessary literals.
 * @param identifier - the property of one search identifier (`null` when it needs nothing)
 */
export function necessary<T>(
  node: ConditionNode,
  identifier: (name: string) => T | null,
  both: (parts: (T | null)[]) => T | null,
  either: (parts: (T | null)[]) => T | null,
): T | null {
  switch (node.kind) {
    case 'ref':
      return identifier(node.name);
    case 'not':
      return null;
    case 'of': {
      const parts = node.names.map(identifier);
      return node.count === 'all' ? both(parts) : either(parts);
    }
    case 'and':
      return both(node.children.map((c) => necessary(c, identifier, both, either)));
    case 'or':
      return either(node.children.map((c) => necessary(c, identifier, both, either)));
  }
}
