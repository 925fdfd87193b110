/**
 * Conformance: the `re` modifier on a linear-time engine.
 *
 * Spec: Sigma specification v2.1, `sigma-appendix-modifiers.md`, "Regular Expression" (PCRE
 * flavour limited to `. ^ $ * + ? {n,m} [..] | ()`; other metacharacters are unsupported).
 * Vigil runs regexes on RE2 semantics (`src/detect/sigma/regex.ts`), so matching time is linear
 * in the input and look-around is reported as unsupported.
 */
import { describe, expect, it } from 'vitest';
import { matcher, problems } from '../../helpers/sigma.js';

function re(pattern: string, modifiers = 're') {
  return matcher(`    selection:\n        F|${modifiers}: '${pattern}'\n    condition: selection`);
}

const LONG = 100_000;

describe('regex: linear time (no catastrophic backtracking)', () => {
  it('(a+)+$ against 100,000 a followed by ! completes and does not match', { timeout: 10_000 }, () => {
    expect(re('(a+)+$')({ F: `${'a'.repeat(LONG)}!` })).toBe(false);
  });

  it('(a|a)*b against 100,000 a completes and does not match', { timeout: 10_000 }, () => {
    expect(re('(a|a)*b')({ F: 'a'.repeat(LONG) })).toBe(false);
  });

  it('(a|aa)*c against 100,000 a completes and does not match', { timeout: 10_000 }, () => {
    expect(re('^(a|aa)*c$')({ F: 'a'.repeat(LONG) })).toBe(false);
  });

  it('the same pathological pattern still matches where it should', { timeout: 10_000 }, () => {
    expect(re('(a+)+$')({ F: 'a'.repeat(LONG) })).toBe(true);
    expect(re('(a|a)*b')({ F: `${'a'.repeat(LONG)}b` })).toBe(true);
  });

  it('a keyword regex over a long event completes', { timeout: 10_000 }, () => {
    const m = matcher("    keywords:\n        '|re': '(x+x+)+y'\n    condition: keywords");
    expect(m({ a: 'x'.repeat(LONG), b: 'x'.repeat(LONG) })).toBe(false);
    expect(m({ a: 'x'.repeat(LONG), b: 'xxy' })).toBe(true);
  });
});

describe('regex: inline flags', () => {
  it('the (?i) prefix makes the pattern case-insensitive', () => {
    // Node's RegExp rejects a leading (?i); SigmaHQ rules use it.
    const sigmaHqStyle = '(?i)abc';
    expect(() => new RegExp(sigmaHqStyle)).toThrow(SyntaxError);
    const m = re('(?i)^evil\\.exe$');
    expect(m({ F: 'EVIL.EXE' })).toBe(true);
    expect(m({ F: 'good.exe' })).toBe(false);
  });

  it('without (?i) the same pattern is case-sensitive', () => {
    expect(re('^evil\\.exe$')({ F: 'EVIL.EXE' })).toBe(false);
  });

  it('a scoped (?i:...) group is case-insensitive only inside it', () => {
    const m = re('^(?i:abc)DEF$');
    expect(m({ F: 'ABCDEF' })).toBe(true);
    expect(m({ F: 'abcdef' })).toBe(false);
  });
});

describe('regex: escapes in YAML values', () => {
  it('a backslash is passed to the regex engine verbatim (\\d, \\.)', () => {
    const m = re('^\\d{3}\\.exe$');
    expect(m({ F: '123.exe' })).toBe(true);
    expect(m({ F: '123xexe' })).toBe(false);
  });

  it('a regex value is not a Sigma wildcard string (\\\\ is one literal backslash)', () => {
    const m = re('^C:\\\\Windows$');
    expect(m({ F: 'C:\\Windows' })).toBe(true);
    expect(m({ F: 'C:\\\\Windows' })).toBe(false);
  });
});

describe('regex: unsupported and invalid patterns', () => {
  const diagnosticsOf = (pattern: string) =>
    problems(`    selection:\n        F|re: '${pattern}'\n    condition: selection`);

  it('a look-ahead (?=x) is unsupported (VIGIL_ERR_RULE_REGEX)', () => {
    expect(diagnosticsOf('a(?=x)')).toMatchObject([
      { severity: 'unsupported', code: 'VIGIL_ERR_RULE_REGEX', path: 'detection.selection.F|re' },
    ]);
  });

  it('a negative look-ahead (?!x) is unsupported', () => {
    expect(diagnosticsOf('(?!x)a')).toMatchObject([
      { severity: 'unsupported', code: 'VIGIL_ERR_RULE_REGEX' },
    ]);
  });

  it('a back-reference \\1 is unsupported', () => {
    expect(diagnosticsOf('(a)\\1')).toMatchObject([
      { severity: 'unsupported', code: 'VIGIL_ERR_RULE_REGEX' },
    ]);
  });

  it('a syntax error is an error, not unsupported', () => {
    expect(diagnosticsOf('(unclosed')).toMatchObject([
      { severity: 'error', code: 'VIGIL_ERR_RULE_REGEX', path: 'detection.selection.F|re' },
    ]);
  });

  it('a supported pattern yields no diagnostic', () => {
    expect(diagnosticsOf('^a(b|c)*$')).toEqual([]);
  });
});
