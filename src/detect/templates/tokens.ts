/**
 * Splits a log message into tokens and masks each one (masking.ts), with a bounded cache of
 * masked tokens: most tokens of a log stream repeat, so masking runs once per distinct token.
 * Pure; no I/O.
 */
import { type MaskedToken, WILDCARD, mayChange, maskToken } from './masking.js';

/** A message after tokenizing and masking. */
export interface TokenizedMessage {
  /** The masked tokens (the tree and the templates work on these). */
  readonly masked: readonly string[];
  /** The original tokens, same length as `masked`. */
  readonly raw: readonly string[];
  /** The masked spans of each token (`params[i]` belongs to `masked[i]`). */
  readonly params: readonly (readonly string[])[];
}

/** How many following tokens a double-quoted value may span. */
const MAX_QUOTED_SPAN = 16;

function quotes(token: string): number {
  let n = 0;
  for (let i = token.indexOf('"'); i !== -1; i = token.indexOf('"', i + 1)) n++;
  return n;
}

/**
 * Splits on runs of whitespace (ASCII space, tab, line breaks, form feed, vertical tab, no-break
 * space), dropping empty pieces at either end. A double-quoted value that
 * spans spaces (`tag="View Lock",`) stays one token, its spaces normalized to one, when its
 * closing quote comes within {@link MAX_QUOTED_SPAN} tokens.
 */
export function splitTokens(message: string): string[] {
  const pieces: string[] = [];
  let start = -1;
  let quoted = false;
  for (let i = 0; i <= message.length; i++) {
    const c = i < message.length ? message.charCodeAt(i) : 32;
    if (c === 32 || (c >= 9 && c <= 13) || c === 160) {
      if (start >= 0) pieces.push(message.slice(start, i));
      start = -1;
    } else {
      if (start < 0) start = i;
      if (c === 34) quoted = true;
    }
  }
  return quoted ? joinQuoted(pieces) : pieces;
}

function joinQuoted(pieces: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < pieces.length; i++) {
    const piece = pieces[i]!;
    if (quotes(piece) % 2 === 1) {
      let j = i + 1;
      while (j < pieces.length && j - i <= MAX_QUOTED_SPAN && quotes(pieces[j]!) % 2 === 0) j++;
      if (j < pieces.length && j - i <= MAX_QUOTED_SPAN) {
        out.push(pieces.slice(i, j + 1).join(' '));
        i = j;
        continue;
      }
    }
    out.push(piece);
  }
  return out;
}

/** A bounded token → masked-token cache (cleared when full; masking is deterministic). */
export class MaskCache {
  private readonly entries = new Map<string, MaskedToken>();

  /** @param limit - entries kept before the cache is cleared (default 100,000) */
  constructor(private readonly limit = 100_000) {}

  mask(token: string): MaskedToken {
    let m = this.entries.get(token);
    if (m === undefined) {
      m = maskToken(token);
      if (this.entries.size >= this.limit) this.entries.clear();
      this.entries.set(token, m);
    }
    return m;
  }
}

const NO_PARAMS: readonly string[] = Object.freeze([]);

/** True for a run of ASCII digits (what `maskToken` masks whole as a number). */
function isNumber(token: string): boolean {
  for (let i = 0; i < token.length; i++) {
    const c = token.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return token.length > 0;
}

/** Tokenizes and masks one message. */
export function tokenize(message: string, cache: MaskCache): TokenizedMessage {
  const raw = splitTokens(message);
  const masked = new Array<string>(raw.length);
  const params = new Array<readonly string[]>(raw.length);
  for (let i = 0; i < raw.length; i++) {
    const token = raw[i]!;
    if (!mayChange(token)) {
      // A plain word: no cache look-up, no allocation.
      masked[i] = token;
      params[i] = NO_PARAMS;
      continue;
    }
    if (isNumber(token)) {
      // Counters, ports, ids: mostly unique, not worth a cache entry.
      masked[i] = WILDCARD;
      params[i] = [token];
      continue;
    }
    const m = cache.mask(token);
    masked[i] = m.text;
    params[i] = m.params;
  }
  return { masked, raw, params };
}
