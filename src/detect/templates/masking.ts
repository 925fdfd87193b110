/**
 * Default masking of variable values inside one log token, applied before the parse tree sees
 * the token (Drain3's "masking" step, logpai/Drain3 `masking.py`, and its default patterns, here
 * extended and fixed for every log source at once: no per-source regexes).
 *
 * A token is a whitespace-free piece of a message. Masking returns the token's text with each
 * variable span replaced by {@link WILDCARD} and the original spans, in order, as parameters.
 *
 * Whole-value rules (the token, after stripping wrapping punctuation such as `[`, `(`, `"`, `,`
 * and a trailing `.`/`:`/`;`, is one of these → the whole core becomes `<*>`):
 * URL (`scheme://…`), e-mail, IPv4 with optional `:port` or `/prefix`, IPv6 (also bracketed, with
 * port), UUID, MAC address, ISO 8601 date-time, clock time (`12:30:45.123`), date (`2024/1/31`,
 * `2005.06.03`), Unix path (`/…`, `./…`, `~/…`), Windows path (`C:\…`, `\\host\…`), `0x` hex,
 * hex string of 8 or more characters with a digit (hashes, ids), number with optional unit or
 * size suffix (`42`, `-1.5`, `3200ms`, `64KB`, `12%`), dotted version (`v1.2.3`).
 *
 * Partial rules (otherwise): in `key=value` (and `k=v,k2=v2` lists) each value is masked by the
 * whole-value rules, a quoted value and `null` as a whole;
 * embedded IPv4[:port], `0x` hex, hex runs of 6+ characters with a digit, and numbers not touching
 * a letter or digit (Drain3's NUM pattern `((?<=[^A-Za-z0-9])|^)([\-\+]?\d+)((?=[^A-Za-z0-9])|$)`)
 * are masked in place: `blk_-6952` → `blk_<*>`, `core.2275` → `core.<*>`, `lock=2335,` →
 * `lock=<*>,`. Tokens such as `ssh2` or `IPv4` keep their text (the digit touches a letter).
 *
 * Pure; no I/O.
 */

/** The Loghub placeholder for a variable in a template. */
export const WILDCARD = '<*>';

/**
 * Longest token the rules look into; a longer one (a blob, a dump) is one variable, masked whole.
 * Bounds the work per token: some patterns backtrack quadratically over long runs (`a-a-…-a.1`
 * of 40 k characters took 3 s). The longest token in Loghub-2k is 288 characters.
 */
export const MAX_TOKEN_CHARS = 1024;

/** A token after masking. */
export interface MaskedToken {
  /** The token with variable spans replaced by `<*>` (equal to the input when nothing was masked). */
  readonly text: string;
  /** The original text of each `<*>` in `text`, in order. */
  readonly params: readonly string[];
}

/**
 * A whole-value rule: a cheap precondition on the characters present (so most rules are skipped
 * without running their regex), then the anchored pattern.
 */
interface WholeRule {
  readonly needs: (has: CharClasses) => boolean;
  readonly pattern: RegExp;
}

/** Which characters a token holds (one pass). */
interface CharClasses {
  digit: boolean;
  dot: boolean;
  colon: boolean;
  dash: boolean;
  slash: boolean;
  backslash: boolean;
  at: boolean;
}

const WHOLE_RULES: readonly WholeRule[] = [
  { needs: (h) => h.colon && h.slash, pattern: /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\/\S+$/ }, // URL
  { needs: (h) => h.at && h.dot, pattern: /^[\w.+-]+@[\w-]+(\.[\w-]+)+$/ }, // e-mail
  { needs: (h) => h.digit && h.dot, pattern: /^\d{1,3}(\.\d{1,3}){3}(:\d{1,5}|\/\d{1,2})?$/ }, // IPv4[:port|/prefix]
  {
    needs: (h) => h.colon,
    pattern:
      /^\[?(?=[0-9a-fA-F:]*::|(?:[0-9a-fA-F]{1,4}:){7})[0-9a-fA-F]{0,4}(:[0-9a-fA-F]{0,4}){2,7}(%\w+)?\]?(:\d{1,5})?$/,
  }, // IPv6
  {
    needs: (h) => h.dash,
    pattern: /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/,
  }, // UUID
  { needs: (h) => h.colon || h.dash, pattern: /^([0-9a-fA-F]{2,}[:-]){3,}[0-9a-fA-F]{2,}$/ }, // MAC, hex-pair ids (Drain3's ID)
  {
    needs: (h) => h.digit && h.dash,
    pattern: /^\d{4}-\d{1,2}-\d{1,2}([T_-]\d{1,2}[:.]\d{2}([:.]\d{2}([.,]\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/,
  }, // ISO date[-time]
  { needs: (h) => h.digit && h.colon, pattern: /^\d{1,2}:\d{2}(:\d{2})?([.,]\d+)?$/ }, // clock time
  {
    needs: (h) => h.digit && (h.slash || h.dot || h.dash),
    pattern: /^\d{1,4}[/.-]\d{1,2}[/.-]\d{1,4}([:T]\d{1,2}:\d{2}(:\d{2})?([.,]\d+)?)?$/,
  }, // date
  { needs: (h) => h.slash, pattern: /^(\/|~\/|\.{1,2}\/)[^\s/]\S*$/ }, // Unix path
  { needs: (h) => h.backslash, pattern: /^([A-Za-z]:\\|\\\\)\S*$/ }, // Windows path
  { needs: (h) => h.digit, pattern: /^0[xX][0-9a-fA-F]+$/ }, // hex
  { needs: () => true, pattern: /^[0-9a-fA-F]{8,}$/ }, // hash, id, mask
  {
    needs: (h) => h.digit,
    pattern: /^[-+]?\d+([.,]\d+)*([kKmMgGtTpP]i?[bB]?|[bB]|bytes|ms|us|µs|ns|s|%)?$/,
  }, // number, size, duration
  { needs: (h) => h.digit && h.dot, pattern: /^[vV]?\d+(\.\d+)+([-+._][0-9A-Za-z.]+)?$/ }, // version
  { needs: (h) => h.dot, pattern: /^[A-Za-z0-9_$][\w$-]*(\.[\w$-]+){2,}([:/$#@]\S*)?$/ }, // dotted name: host, package, class.method:line
  {
    needs: (h) => h.dot,
    pattern: /^[A-Za-z0-9-]+\.(com|net|org|edu|gov|mil|int|info|biz|io|local|lan|arpa|localdomain)$/i,
  }, // domain
];

/** Day and month names of a written-out date (`Sun Dec 04 04:47:44 2005`): parts of a timestamp. */
const DATE_WORDS = new Set(
  'Mon Tue Wed Thu Fri Sat Sun Jan Feb Mar Apr May Jun Jul Aug Sep Sept Oct Nov Dec'.split(' '),
);

const PARTIAL =
  /(?<![A-Za-z0-9])(?:(?<![\w.$])[A-Za-z_$][\w$-]*(?:\.[\w$-]+){2,}(?:\/[\w$.-]*)?|\d{1,3}(?:\.\d{1,3}){3}(?::\d{1,5})?|0[xX][0-9a-fA-F]+|(?=[0-9a-fA-F]*\d)[0-9a-fA-F]{6,}|[-+]?\d+(?:\.\d+)*)(?![A-Za-z0-9])/g;

const OPENERS = '([{<"\'';
const CLOSERS = ')]}>"\',;.:!?';

/** True when the character code is an ASCII digit. */
function isDigitCode(c: number): boolean {
  return c >= 48 && c <= 57;
}

/** True when masking could change the token (it holds a digit, `/`, `\`, `@`, `:`, `.` or `=`). */
function mayMask(token: string): boolean {
  for (let i = 0; i < token.length; i++) {
    const c = token.charCodeAt(i);
    if (isDigitCode(c) || c === 47 || c === 92 || c === 64 || c === 58 || c === 46 || c === 61) return true;
  }
  return false;
}

/**
 * True when {@link maskToken} may change the token: it holds a digit, `/`, `\`, `@`, `:`, `.` or
 * `=`, or it could be a day or month name. False is exact (the token stays as it is); callers use
 * it to skip the masking cache for plain words.
 */
export function mayChange(token: string): boolean {
  const upper = (c: number): boolean => c >= 65 && c <= 90;
  return (token.length <= 7 && (upper(token.charCodeAt(0)) || upper(token.charCodeAt(1)))) || mayMask(token);
}

/** True when the string holds an ASCII digit. */
export function hasDigit(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (isDigitCode(s.charCodeAt(i))) return true;
  return false;
}

function isWholeValue(core: string): boolean {
  const has: CharClasses = {
    digit: false,
    dot: false,
    colon: false,
    dash: false,
    slash: false,
    backslash: false,
    at: false,
  };
  for (let i = 0; i < core.length; i++) {
    const c = core.charCodeAt(i);
    if (c >= 48 && c <= 57) has.digit = true;
    else if (c === 46) has.dot = true;
    else if (c === 58) has.colon = true;
    else if (c === 45) has.dash = true;
    else if (c === 47) has.slash = true;
    else if (c === 92) has.backslash = true;
    else if (c === 64) has.at = true;
  }
  for (const rule of WHOLE_RULES) if (rule.needs(has) && rule.pattern.test(core)) return true;
  return false;
}

function partial(core: string): MaskedToken {
  const params: string[] = [];
  const text = core.replace(PARTIAL, (m) => {
    params.push(m);
    return WILDCARD;
  });
  return params.length > 0 ? { text, params } : { text: core, params: [] };
}

/** One value: wrapping punctuation kept, the core masked whole or in part. */
function maskValue(value: string): MaskedToken {
  let start = 0;
  let end = value.length;
  while (start < end && OPENERS.includes(value[start]!)) start++;
  while (end > start && CLOSERS.includes(value[end - 1]!)) end--;
  if (start === end) return { text: value, params: [] };
  const core = value.slice(start, end);
  if (isWholeValue(core))
    return { text: `${value.slice(0, start)}${WILDCARD}${value.slice(end)}`, params: [core] };
  const inner = partial(core);
  if (inner.params.length === 0) return { text: value, params: [] };
  return { text: `${value.slice(0, start)}${inner.text}${value.slice(end)}`, params: inner.params };
}

/** A `key=null`: the key has no value this time (a variable, like `key=<*>`). */
const NULLS = /^(null|nil|none|undefined)$/i;
const QUOTED_VALUE = /^([^=\s"']+=)(["'])(.*?)(\2?)$/;
const SEPARATORS = /([,;|&])/;

function maskCore(core: string): MaskedToken {
  if (isWholeValue(core)) return { text: WILDCARD, params: [core] };
  const quoted = QUOTED_VALUE.exec(core);
  if (quoted && quoted[3] !== '') {
    return { text: `${quoted[1]}${quoted[2]}${WILDCARD}${quoted[4]}`, params: [quoted[3]!] };
  }
  if (!core.includes('=') && !SEPARATORS.test(core)) {
    const inner = partial(core);
    return inner.params.length >= 2 ? { text: WILDCARD, params: [core] } : inner;
  }
  // `k=v,k2=v2` and lists: each piece's value masked on its own.
  const pieces = core.split(SEPARATORS);
  const params: string[] = [];
  let text = '';
  for (let i = 0; i < pieces.length; i++) {
    const piece = pieces[i]!;
    if (i % 2 === 1 || piece === '') {
      text += piece;
      continue;
    }
    const eq = piece.indexOf('=');
    const key = eq > 0 ? piece.slice(0, eq + 1) : '';
    const value = eq > 0 ? piece.slice(eq + 1) : piece;
    const m = eq > 0 && NULLS.test(value) ? { text: WILDCARD, params: [value] } : maskValue(value);
    text += key + m.text;
    params.push(...m.params);
  }
  return params.length > 0 ? { text, params } : { text: core, params: [] };
}

/**
 * Masks the variable spans of one whitespace-free token (rules in the module docstring).
 * @returns the masked text and the original text of each `<*>`; the input unchanged (no params)
 *   when nothing is variable. A literal `<*>` in the input is kept as text (and has no param).
 */
export function maskToken(token: string): MaskedToken {
  if (!mayChange(token)) return { text: token, params: [] };
  if (DATE_WORDS.has(token) || token.length > MAX_TOKEN_CHARS) return { text: WILDCARD, params: [token] };
  let start = 0;
  let end = token.length;
  while (start < end && OPENERS.includes(token[start]!)) start++;
  while (end > start && CLOSERS.includes(token[end - 1]!)) end--;
  if (start === end) return { text: token, params: [] };
  const core = token.slice(start, end);
  const wrap = (m: MaskedToken): MaskedToken =>
    m.params.length === 0
      ? { text: token, params: [] }
      : { text: `${token.slice(0, start)}${m.text}${token.slice(end)}`, params: m.params };
  if (DATE_WORDS.has(core)) return wrap({ text: WILDCARD, params: [core] });
  if (!mayMask(token)) return { text: token, params: [] };
  if (isWholeValue(token)) return { text: WILDCARD, params: [token] };
  return wrap(maskCore(core));
}
