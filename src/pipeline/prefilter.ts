/**
 * Raw-line pre-filter for Windows event JSON: decides, without parsing a line, that no rule can
 * match it, so the line can be skipped (DESIGN.md, "Where time goes").
 *
 * 1. Route: the line's `Channel` and `EventID` are read with string search (evtx-JSON and flat
 *    nxlog/OTRF shapes) and turned into the logsource the Windows decoder would give the event;
 *    the detector says which rules that route evaluates.
 * 2. Literals: each candidate rule has necessary literals (`requiredLiterals`); the route's
 *    literals, written as they appear inside JSON strings, are compiled into one case-insensitive
 *    alternation. A line containing none of them cannot match any candidate.
 *
 * Conservative by construction: when the line does not look like one complete JSON object, when a
 * key appears twice, when a value is escaped, or when any candidate rule has no necessary literal,
 * the line is parsed as usual. Literals are cut at characters a JSON writer may escape in more than
 * one way (`"`, `/`, `<`, `>`, `&`, `'`, non-ASCII, control characters); `\` is always written `\\`.
 */
import type { ActiveRule, Detector } from '../detect/sigma/detector.js';
import { requiredLiterals } from '../detect/sigma/literals.js';
import { windowsLogSource } from './decoders/windows/decode.js';

/**
 * What the pre-filter says of a line: `false` no rule can match it (skip it unparsed), `true` parse
 * it and evaluate every candidate rule, or the indexes of the only rules whose literals occur in it.
 */
export type RawSelection = boolean | readonly number[];

export interface RawPrefilter {
  select(line: string): RawSelection;
}

/** Shortest raw fragment worth searching for; shorter ones filter nothing. */
const MIN_FRAGMENT = 4;
/**
 * Routes with more distinct fragments than this (process creation: thousands) are not searched: a
 * search through that many alternatives costs more than parsing and evaluating the line.
 */
const MAX_FRAGMENTS = 1500;
/** Routes memoized (distinct channel × EventID pairs); beyond this, lines are parsed. */
const MAX_ROUTES = 4096;

const SAFE = /[a-z0-9 _.,:;=+!#$%()@^{}|~[\]*?`-]|\\/;

/**
 * The longest piece of `literal` that appears verbatim (case aside) in a JSON string holding it,
 * with `\` doubled; `undefined` when no piece is long enough.
 */
export function jsonFragment(literal: string): string | undefined {
  let bestText = '';
  let current = '';
  let currentLength = 0;
  let bestLength = 0;
  for (const ch of literal) {
    if (SAFE.test(ch) && ch.length === 1) {
      current += ch === '\\' ? '\\\\' : ch;
      currentLength++;
      if (currentLength > bestLength) {
        bestLength = currentLength;
        bestText = current;
      }
    } else {
      current = '';
      currentLength = 0;
    }
  }
  return bestLength >= MIN_FRAGMENT ? bestText : undefined;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** A route's literal search: every fragment's rules, and the pruning statistics. */
interface LiteralRoute {
  readonly key: string;
  /** Alternation of the route's fragments, `gi`: every occurrence is visited (see `select`). */
  readonly search: RegExp;
  /** Folded fragment → indexes of the rules that need it (or a longer fragment containing it). */
  readonly rulesOf: ReadonlyMap<string, readonly number[]>;
  /** Rules without necessary literals: evaluated on every line of the route. */
  readonly always: readonly number[];
  readonly candidates: number;
  seen: number;
  /** Sum over the lines seen of the rules selected for evaluation. */
  selected: number;
}

/** One route's decision: `true` = always parse, `false` = never (no rule), or the literal search. */
type RouteTest = boolean | LiteralRoute;

/** Lines sampled per route before judging whether its literal search pays off. */
const ADAPT_AFTER = 2000;
/**
 * When the search still leaves this share of the route's rules to evaluate, on average, it saves
 * too little: the route is then parsed and evaluated in full.
 */
const ADAPT_SELECTED_RATE = 0.8;

const CHANNEL = /"Channel"\s*:\s*"([^"\\]*)"/;
/** `4688`, `"4688"`, `{"#text": 4688}` and evtx_dump's `{"#attributes": {"Qualifiers": …}, "#text": 7045}`. */
const EVENT_ID = /"EventID"\s*:\s*(?:\{(?:[^{}]|\{[^{}]*\})*?"#text"\s*:\s*)?"?(\d{1,9})\b/;
/**
 * `\uXXXX` escapes of characters that fragments contain literally (letters, digits, `+`, `=`,
 * backtick, …: System.Text.Json writes `+` as `\u002B`, Gson `=` as `\u003d`), and the Kelvin sign,
 * which case-folds to `k` while the regex `i` flag does not fold it: lines with these are parsed.
 */
const UNSAFE_ESCAPE = /\\u00(?:2[013-589a-e]|3[0-9abdf]|[4-6][0-9a-f]|7[0-9a-e])|\\u212a/i;
const KELVIN = '\u212a';

/**
 * Reads the only `"key": value` matched by `re` in the line (native regex search: a JavaScript
 * loop over the characters would cost more than parsing the JSON). `null` when the key appears
 * twice (e.g. UserData's `Channel` of event 104): the line is then parsed instead.
 */
function uniqueMatch(line: string, re: RegExp, key: string): string | undefined | null {
  const first = line.indexOf(key);
  if (first < 0) return undefined;
  const m = re.exec(line);
  // The first occurrence of the key must be the one read (not a later, nested one).
  if (m === null || m.index !== first) return null;
  return line.includes(key, first + key.length) ? null : m[1];
}

/**
 * Builds the pre-filter for a detector.
 * @returns a pre-filter, or `undefined` when the rules make one pointless
 */
export function createWindowsJsonPrefilter(detector: Detector): RawPrefilter {
  const literalCache = new Map<ActiveRule, readonly string[] | null>();
  const fragmentsOf = (rule: ActiveRule): readonly string[] | null => {
    let frags = literalCache.get(rule);
    if (frags === undefined) {
      const lits = requiredLiterals(rule.compiled);
      if (lits === null) frags = null;
      else {
        const out: string[] = [];
        for (const l of lits) {
          const f = jsonFragment(l);
          if (f === undefined) {
            out.length = 0;
            frags = null;
            break;
          }
          out.push(f);
        }
        if (frags !== null) frags = out;
      }
      literalCache.set(rule, frags);
    }
    return frags;
  };

  const routes = new Map<string, RouteTest>();
  const routeTest = (channel: string, eventId: number | undefined): RouteTest => {
    const key = `${channel.toLowerCase()}|${eventId ?? ''}`;
    let test = routes.get(key);
    if (test !== undefined) return test;
    const candidates = detector.candidates(
      windowsLogSource(channel, eventId),
      eventId === undefined ? undefined : String(eventId),
    );
    if (candidates.length === 0) test = false;
    else {
      const needs = new Map<string, number[]>();
      const always: number[] = [];
      for (const rule of candidates) {
        const f = fragmentsOf(rule);
        if (f === null) {
          always.push(rule.index);
          continue;
        }
        for (const x of f) {
          const folded = x.toLowerCase();
          const list = needs.get(folded) ?? [];
          list.push(rule.index);
          needs.set(folded, list);
        }
      }
      if (needs.size === 0 || needs.size > MAX_FRAGMENTS) test = true;
      else {
        // Keep fragments that contain no other: a line with the longer one has the shorter too, so
        // the shorter stands for both. Kept fragments never both start at one position, which lets
        // `select` find every occurrence by restarting one character after each match.
        const list = [...needs.keys()].sort((a, b) => a.length - b.length);
        const kept: string[] = [];
        for (const f of list) if (!kept.some((k) => f.includes(k))) kept.push(f);
        const rulesOf = new Map<string, number[]>(kept.map((k) => [k, []]));
        for (const [f, rules] of needs) {
          for (const k of kept) if (f.includes(k)) rulesOf.get(k)!.push(...rules);
        }
        for (const [k, rules] of rulesOf)
          rulesOf.set(
            k,
            [...new Set(rules)].sort((a, b) => a - b),
          );
        test = {
          key,
          search: new RegExp(kept.map(escapeRegExp).join('|'), 'gi'),
          rulesOf,
          always,
          candidates: candidates.length,
          seen: 0,
          selected: 0,
        };
      }
    }
    if (routes.size < MAX_ROUTES) routes.set(key, test);
    return test;
  };

  /** Rules whose fragments occur in the line, plus the route's rules without literals. */
  const occurring = (route: LiteralRoute, line: string): readonly number[] => {
    const re = route.search;
    re.lastIndex = 0;
    const hits: number[] = [];
    const seenFragments = new Set<string>();
    for (let m = re.exec(line); m !== null; m = re.exec(line)) {
      const fragment = m[0].toLowerCase();
      if (!seenFragments.has(fragment)) {
        seenFragments.add(fragment);
        for (const r of route.rulesOf.get(fragment) ?? []) hits.push(r);
      }
      re.lastIndex = m.index + 1;
    }
    if (hits.length === 0) return route.always;
    return [...new Set(route.always.length > 0 ? [...route.always, ...hits] : hits)];
  };

  return {
    select(line: string): RawSelection {
      const n = line.length;
      if (n < 2 || line.charCodeAt(0) !== 123 || line.charCodeAt(n - 1) !== 125) return true;
      const channel = uniqueMatch(line, CHANNEL, '"Channel"');
      if (typeof channel !== 'string') return true;
      // Evtx-JSON and flat Windows JSON always carry EventID; a line without it may be another
      // shape (Winlogbeat, Zeek, generic JSON) that the decoder routes differently.
      const id = uniqueMatch(line, EVENT_ID, '"EventID"');
      if (typeof id !== 'string' || line.includes('"winlog')) return true;
      if (UNSAFE_ESCAPE.test(line) || line.includes(KELVIN)) return true;
      const route = routeTest(channel, Number(id));
      if (typeof route === 'boolean') return route;
      const rules = occurring(route, line);
      // A search that prunes little costs more than it saves: evaluate the route in full instead.
      route.seen++;
      route.selected += rules.length;
      if (
        route.seen === ADAPT_AFTER &&
        route.selected > route.seen * route.candidates * ADAPT_SELECTED_RATE
      ) {
        routes.set(route.key, true);
      }
      return rules.length === 0 ? false : rules;
    },
  };
}
