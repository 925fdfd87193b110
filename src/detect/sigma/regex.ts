/**
 * Regular expressions for the `re` modifier, on a linear-time engine.
 *
 * Sigma's `re` values are PCRE-flavoured (`sigma-appendix-modifiers.md`, "Regular Expression");
 * Vigil runs them on RE2 semantics (re2js, a port of Go's `regexp`): matching time is linear in
 * the input, so a crafted log line cannot stall detection (ReDoS), and inline flags such as the
 * `(?i)` prefix used by SigmaHQ rules work. Features RE2 rejects by design (look-around,
 * backreferences) make the rule fail to load with the engine's reason.
 */
import { RE2JS } from 're2js';

/** A compiled Sigma regex. `test` searches anywhere in the input (unanchored, like `re.search`). */
export interface SigmaRegex {
  readonly source: string;
  test(input: string): boolean;
}

/** Thrown for a pattern the linear-time engine cannot compile. */
export class RegexError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RegexError';
  }
}

/**
 * Compiles a Sigma regex.
 * @param pattern - the rule's value, verbatim
 * @param flags - the `i`, `m`, `s` sub-modifiers
 * @throws RegexError when RE2 rejects the pattern (syntax error or unsupported Perl feature)
 */
export function compileRegex(pattern: string, flags: { i: boolean; m: boolean; s: boolean }): SigmaRegex {
  let bits = 0;
  if (flags.i) bits |= RE2JS.CASE_INSENSITIVE;
  if (flags.m) bits |= RE2JS.MULTILINE;
  if (flags.s) bits |= RE2JS.DOTALL;
  try {
    const re = RE2JS.compile(pattern, bits);
    return { source: pattern, test: (input: string) => re.test(input) };
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new RegexError(`${reason} (pattern: ${pattern})`);
  }
}
