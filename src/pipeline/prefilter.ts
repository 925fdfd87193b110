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

export interface RawPrefilter {
  /** False when no rule can match the line; true when the line must be parsed and matched. */
  mayMatch(line: string): boolean;
}

/** Shortest raw fragment worth searching for; shorter ones filter nothing. */
const MIN_FRAGMENT = 4;
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

/** A route's literal test and its pass statistics. */
interface LiteralRoute {
  readonly key: string;
  readonly test: RegExp;
  seen: number;
  passed: number;
}

/** One route's decision: `true` = always parse, `false` = never (no rule), or the literal test. */
type RouteTest = boolean | LiteralRoute;

/** Lines sampled per route before judging whether its literal test pays off. */
const ADAPT_AFTER = 2000;
/** Above this pass rate the literal test is dropped for the route (every line is parsed). */
const ADAPT_PASS_RATE = 0.5;

const CHANNEL = /"Channel"\s*:\s*"([^"\\]*)"/;
const EVENT_ID = /"EventID"\s*:\s*(?:\{[^{}]*?"#text"\s*:\s*)?"?(\d{1,9})\b/;

/**
 * Reads the only `"key": value` matched by `re` in the line (native regex search: a JavaScript
 * loop over the characters would cost more than parsing the JSON). `null` when the key appears
 * twice (e.g. UserData's `Channel` of event 104): the line is then parsed instead.
 */
function uniqueMatch(line: string, re: RegExp, key: string): string | undefined | null {
  const m = re.exec(line);
  if (m === null) return line.includes(key) ? null : undefined;
  return line.includes(key, m.index + key.length) ? null : m[1];
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
      const fragments = new Set<string>();
      for (const rule of candidates) {
        const f = fragmentsOf(rule);
        if (f === null) {
          test = true;
          break;
        }
        for (const x of f) fragments.add(x.toLowerCase());
      }
      if (test === undefined) {
        // Drop fragments that contain another one: the shorter already covers them.
        const list = [...fragments].sort((a, b) => a.length - b.length);
        const kept: string[] = [];
        for (const f of list) if (!kept.some((k) => f.includes(k))) kept.push(f);
        test = { key, test: new RegExp(kept.map(escapeRegExp).join('|'), 'i'), seen: 0, passed: 0 };
      }
    }
    if (routes.size < MAX_ROUTES) routes.set(key, test);
    return test;
  };

  return {
    mayMatch(line: string): boolean {
      const n = line.length;
      if (n < 2 || line.charCodeAt(0) !== 123 || line.charCodeAt(n - 1) !== 125) return true;
      const channel = uniqueMatch(line, CHANNEL, '"Channel"');
      if (typeof channel !== 'string') return true;
      const id = uniqueMatch(line, EVENT_ID, '"EventID"');
      if (id === null) return true;
      const route = routeTest(channel, id === undefined ? undefined : Number(id));
      if (typeof route === 'boolean') return route;
      const pass = route.test.test(line);
      // A route whose literals are in most lines costs a search and saves no parse: stop testing it.
      route.seen++;
      if (pass) route.passed++;
      if (route.seen === ADAPT_AFTER && route.passed > route.seen * ADAPT_PASS_RATE) {
        routes.set(route.key, true);
      }
      return pass;
    },
  };
}
