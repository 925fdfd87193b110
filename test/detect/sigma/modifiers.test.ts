/**
 * Conformance: generic and string value modifiers.
 *
 * Spec: Sigma specification v2.1, `sigma-appendix-modifiers.md`, sections "Generic Modifiers",
 * "String Modifiers" and "Regular Expression". Encoding modifiers are in
 * `modifiers-encoding.test.ts`; numeric, time, IP and specific modifiers and modifier errors in
 * `modifiers-typed.test.ts`.
 */
import { describe, expect, it } from 'vitest';
import { MODIFIERS } from '../../../src/detect/sigma/modifiers.js';
import { matcher, problems } from '../../helpers/sigma.js';

/** A matcher for `selection: { <key>: <value as YAML> }`. */
function item(key: string, yamlValue: string) {
  return matcher(`    selection:\n        ${key}: ${yamlValue}\n    condition: selection`);
}

/** The 31 modifiers listed by the appendix, with a value each accepts. */
const APPENDIX_MODIFIERS: readonly [string, string][] = [
  ['all', "['a', 'b']"],
  ['startswith', "'a'"],
  ['endswith', "'a'"],
  ['contains', "'a'"],
  ['exists', 'true'],
  ['cased', "'a'"],
  ['neq', "'a'"],
  ['windash', "'-a'"],
  ['re', "'a'"],
  ['re|i', "'a'"],
  ['re|m', "'a'"],
  ['re|s', "'a'"],
  ['base64', "'a'"],
  ['base64offset', "'a'"],
  ['utf16le', "'a'"],
  ['utf16be', "'a'"],
  ['utf16', "'a'"],
  ['wide', "'a'"],
  ['lt', '1'],
  ['lte', '1'],
  ['gt', '1'],
  ['gte', '1'],
  ['minute', '1'],
  ['hour', '1'],
  ['day', '1'],
  ['week', '1'],
  ['month', '1'],
  ['year', '2020'],
  ['cidr', '10.0.0.0/8'],
  ['expand', "'%a%'"],
  ['fieldref', 'Other'],
];

describe('the appendix modifier list', () => {
  it('has 31 modifiers, every one known to the engine', () => {
    const names = new Set(APPENDIX_MODIFIERS.flatMap(([key]) => key.split('|')));
    expect(names.size).toBe(31);
    expect([...names].filter((name) => !MODIFIERS.has(name))).toEqual([]);
  });

  it.each(APPENDIX_MODIFIERS)('accepts %s', (modifiers, value) => {
    const options = { placeholders: new Map([['a', ['x']]]) };
    expect(
      problems(`    selection:\n        F|${modifiers}: ${value}\n    condition: selection`, options),
    ).toEqual([]);
  });
});

describe('modifier contains', () => {
  it('matches the value anywhere in the field', () => {
    const m = item('CommandLine|contains', "'-enc'");
    expect(m({ CommandLine: 'powershell -enc AAAA' })).toBe(true);
    expect(m({ CommandLine: '-enc' })).toBe(true);
    expect(m({ CommandLine: 'powershell -e AAAA' })).toBe(false);
  });

  it('keeps wildcards inside the value', () => {
    const m = item('F|contains', "'a?c'");
    expect(m({ F: 'xxabcxx' })).toBe(true);
    expect(m({ F: 'xxacxx' })).toBe(false);
  });
});

describe('modifier startswith', () => {
  it('matches the value at the beginning of the field', () => {
    const m = item('User|startswith', "'adm_'");
    expect(m({ User: 'ADM_bob' })).toBe(true);
    expect(m({ User: 'bob_adm_' })).toBe(false);
  });
});

describe('modifier endswith', () => {
  it('matches the value at the end of the field', () => {
    const m = item('Image|endswith', "'\\cmd.exe'");
    expect(m({ Image: 'C:\\Windows\\System32\\CMD.EXE' })).toBe(true);
    expect(m({ Image: 'C:\\Windows\\System32\\cmd.exe.bak' })).toBe(false);
    expect(m({ Image: 'C:\\Windows\\System32\\xcmd.exe' })).toBe(false);
  });
});

describe('modifier all', () => {
  it('links the values of a list with AND', () => {
    const m = item('CommandLine|contains|all', "['/all', 'priv']");
    expect(m({ CommandLine: 'whoami /priv /all' })).toBe(true);
    expect(m({ CommandLine: 'whoami /all' })).toBe(false);
  });

  it('without it the values are OR-linked', () => {
    const m = item('CommandLine|contains', "['/all', 'priv']");
    expect(m({ CommandLine: 'whoami /all' })).toBe(true);
  });

  it("links keywords with AND ('|all')", () => {
    const m = item("'|all'", "['mimikatz', 'sekurlsa']");
    expect(m({ a: 'mimikatz.exe', b: 'sekurlsa::logonpasswords' })).toBe(true);
    expect(m({ a: 'mimikatz.exe' })).toBe(false);
  });

  it('applies across the elements of an array field', () => {
    const m = item('Args|all', "['-a', '-b']");
    expect(m({ Args: ['-b', '-a'] })).toBe(true);
    expect(m({ Args: ['-b', '-c'] })).toBe(false);
  });
});

describe('modifier exists', () => {
  const exists = item('PasswordLastSet|exists', 'true');
  const absent = item('PasswordLastSet|exists', 'false');

  it('true matches a present field whatever its value', () => {
    expect(exists({ PasswordLastSet: '2024-01-01' })).toBe(true);
    expect(exists({ PasswordLastSet: '' })).toBe(true);
    expect(exists({})).toBe(false);
  });

  it('counts a present field whose value is null as existing', () => {
    expect(exists({ PasswordLastSet: null })).toBe(true);
    expect(absent({ PasswordLastSet: null })).toBe(false);
  });

  it('false matches only a missing field', () => {
    expect(absent({})).toBe(true);
    expect(absent({ PasswordLastSet: 'x' })).toBe(false);
  });

  it('works next to other items of a map (spec example)', () => {
    const m = matcher(
      '    selection:\n        EventID: 4738\n        PasswordLastSet|exists: true\n    condition: selection',
    );
    expect(m({ EventID: 4738, PasswordLastSet: 'x' })).toBe(true);
    expect(m({ EventID: 4738 })).toBe(false);
  });
});

describe('modifier cased', () => {
  it('matches case-sensitively', () => {
    const m = item('F|cased', "'CmD'");
    expect(m({ F: 'CmD' })).toBe(true);
    expect(m({ F: 'cmd' })).toBe(false);
  });

  it('combines with contains', () => {
    const m = item('F|contains|cased', "'Evil'");
    expect(m({ F: 'the Evil one' })).toBe(true);
    expect(m({ F: 'the evil one' })).toBe(false);
  });

  it('applies to keywords', () => {
    const m = item("'|cased'", "['Mimikatz']");
    expect(m({ a: 'run Mimikatz' })).toBe(true);
    expect(m({ a: 'run mimikatz' })).toBe(false);
  });
});

describe('modifier neq', () => {
  it('matches a field different from the value', () => {
    const m = item('User|neq', "'SYSTEM'");
    expect(m({ User: 'bob' })).toBe(true);
    expect(m({ User: 'SYSTEM' })).toBe(false);
  });

  it('compares case-insensitively like equality does', () => {
    expect(item('User|neq', "'SYSTEM'")({ User: 'system' })).toBe(false);
  });

  it('with a list, matches a field different from every value', () => {
    const m = item('EventID|neq', '[1, 2]');
    expect(m({ EventID: 3 })).toBe(true);
    expect(m({ EventID: 2 })).toBe(false);
  });

  it('does not match a missing field', () => {
    expect(item('User|neq', "'SYSTEM'")({})).toBe(false);
  });
});

describe('modifier windash', () => {
  const m = item('CommandLine|windash|contains', "' -enc '");

  it('matches -enc, /enc, –enc (en dash), —enc (em dash) and ―enc (horizontal bar)', () => {
    for (const dash of ['-', '/', '\u2013', '\u2014', '\u2015']) {
      expect(m({ CommandLine: `powershell ${dash}enc AAAA` })).toBe(true);
    }
  });

  it('does not match other characters in the dash position', () => {
    expect(m({ CommandLine: 'powershell _enc AAAA' })).toBe(false);
    expect(m({ CommandLine: 'powershell \\enc AAAA' })).toBe(false);
  });

  it('a /flag in the rule matches a -flag in the event', () => {
    expect(item('CommandLine|windash|contains', "'/c'")({ CommandLine: 'cmd.exe -c whoami' })).toBe(true);
  });

  it('expands every flag of a value (all permutations)', () => {
    const two = item('CommandLine|windash|contains', "'-a -b'");
    expect(two({ CommandLine: 'x /a \u2014b' })).toBe(true);
    expect(two({ CommandLine: 'x \u2013a -b' })).toBe(true);
    expect(two({ CommandLine: 'x /a _b' })).toBe(false);
  });

  it('does not expand a dash inside a word (a-b)', () => {
    const word = item('F|windash', "'a-b'");
    expect(word({ F: 'a-b' })).toBe(true);
    expect(word({ F: 'a/b' })).toBe(false);
    expect(word({ F: 'a\u2013b' })).toBe(false);
  });

  it('does not expand a dash that is not followed by a word character', () => {
    const spaced = item('F|windash', "'x - y'");
    expect(spaced({ F: 'x - y' })).toBe(true);
    expect(spaced({ F: 'x / y' })).toBe(false);
  });
});

describe('modifier re', () => {
  it('searches anywhere in the field (unanchored)', () => {
    const m = item('F|re', "'b.d'");
    expect(m({ F: 'abcde' })).toBe(true);
    expect(m({ F: 'abde' })).toBe(false);
  });

  it('honours ^ and $ anchors', () => {
    const m = item('F|re', "'^abc$'");
    expect(m({ F: 'abc' })).toBe(true);
    expect(m({ F: 'xabc' })).toBe(false);
    expect(m({ F: 'abcx' })).toBe(false);
  });

  it('is case-sensitive by default', () => {
    const m = item('F|re', "'Evil[0-9]+'");
    expect(m({ F: 'an Evil42 process' })).toBe(true);
    expect(m({ F: 'an evil42 process' })).toBe(false);
  });

  it('supports the listed metacharacters: . ^ $ * + ? {n,m} [a-z] [^a-z] | ()', () => {
    const m = item('F|re', "'^(ab|cd)+[x-z]{2,3}[^0-9]?.*$'");
    expect(m({ F: 'abcdxyzq tail' })).toBe(true);
    expect(m({ F: 'abx' })).toBe(false);
  });

  it('does not treat * or ? as Sigma wildcards', () => {
    const m = item('F|re', "'^a*$'");
    expect(m({ F: 'aaa' })).toBe(true);
    expect(m({ F: 'abc' })).toBe(false);
  });

  it('applies to keywords', () => {
    const m = item("'|re'", "'evil[0-9]+\\.exe'");
    expect(m({ a: 'x', b: 'C:\\evil7.exe' })).toBe(true);
    expect(m({ a: 'C:\\evil.exe' })).toBe(false);
  });
});

describe('modifier re, sub-modifier i', () => {
  it('matches case-insensitively', () => {
    const m = item('F|re|i', "'^evil[0-9]+$'");
    expect(m({ F: 'EVIL42' })).toBe(true);
    expect(m({ F: 'EVIL' })).toBe(false);
  });
});

describe('modifier re, sub-modifier m', () => {
  it('makes ^ and $ match at line boundaries', () => {
    const multi = item('F|re|m', "'^foo$'");
    expect(multi({ F: 'x\nfoo\ny' })).toBe(true);
    expect(multi({ F: 'x\nfoox\ny' })).toBe(false);
    expect(item('F|re', "'^foo$'")({ F: 'x\nfoo\ny' })).toBe(false);
  });
});

describe('modifier re, sub-modifier s', () => {
  it('makes . match a newline', () => {
    const dotall = item('F|re|s', "'a.b'");
    expect(dotall({ F: 'a\nb' })).toBe(true);
    expect(dotall({ F: 'a\n\nb' })).toBe(false);
    expect(item('F|re', "'a.b'")({ F: 'a\nb' })).toBe(false);
  });

  it('combines with the other flags', () => {
    const m = item('F|re|i|m|s', "'^A.B$'");
    expect(m({ F: 'x\na\nb\ny' })).toBe(true);
    expect(m({ F: 'x\na\nc\ny' })).toBe(false);
  });
});
