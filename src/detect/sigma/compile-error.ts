/**
 * Compile errors: why a rule cannot be compiled, as a diagnostic severity and catalogue code.
 */
import { ErrorCodes, errorMessage } from '../../errors.js';
import { ModifierError } from './modifiers.js';
import { RegexError } from './regex.js';

/** Why a rule could not be compiled, with the YAML path of the offending detection item. */
export class CompileError extends Error {
  constructor(
    message: string,
    readonly path: string,
    readonly severity: 'error' | 'inactive' | 'unsupported',
    readonly code: string,
    /** 1-based line of the offending item in its file. */
    readonly line?: number,
  ) {
    super(message);
    this.name = 'CompileError';
  }
}

/**
 * Regex features RE2 refuses by design (look-around, backreferences, possessive quantifiers,
 * `\Z`): such a rule is valid PCRE that a linear-time engine cannot run, so it is reported as
 * unsupported rather than invalid.
 */
const RE2_UNSUPPORTED = [
  /unsupported Perl syntax/,
  /invalid escape sequence: `\\[1-9Zk]/,
  /invalid named capture: `\(\?<[=!]/,
  /invalid nested repetition operator: `[^`]*\+`/,
];

export function toCompileError(err: unknown, path: string, line: number | undefined): CompileError {
  if (err instanceof ModifierError) {
    return err.inactive
      ? new CompileError(err.message, path, 'inactive', ErrorCodes.RULE_PLACEHOLDER.code, line)
      : new CompileError(
          errorMessage(ErrorCodes.RULE_MODIFIER, err.message),
          path,
          'error',
          ErrorCodes.RULE_MODIFIER.code,
          line,
        );
  }
  if (err instanceof RegexError) {
    const unsupported = RE2_UNSUPPORTED.some((re) => re.test(err.message));
    return new CompileError(
      errorMessage(ErrorCodes.RULE_REGEX, err.message),
      path,
      unsupported ? 'unsupported' : 'error',
      ErrorCodes.RULE_REGEX.code,
      line,
    );
  }
  const message = err instanceof Error ? err.message : String(err);
  return new CompileError(
    errorMessage(ErrorCodes.RULE_INVALID, message),
    path,
    'error',
    ErrorCodes.RULE_INVALID.code,
    line,
  );
}
