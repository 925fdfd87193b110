/**
 * Conformance: search identifiers and values.
 *
 * Spec: Sigma specification v2.1, `sigma-rules-specification.md`, sections "Detection" →
 * "General", "String Wildcard", "Escape Character", "Lists", "Maps", "Special Field Values" and
 * "Keywords search".
 */
import { describe, expect, it } from 'vitest';
import { matcher, problems } from '../../helpers/sigma.js';

/** A matcher for a one-identifier rule: `selection` is the YAML body (indented by 8 spaces). */
function selection(body: string) {
  return matcher(`    selection:\n${body}\n    condition: selection`);
}

/** A matcher for `field: <value as YAML>`. */
function fieldEquals(yamlValue: string) {
  return selection(`        F: ${yamlValue}`);
}

describe('maps and lists', () => {
  it('the items of a map are AND-linked', () => {
    const m = selection(
      "        EventLog: Security\n        EventID: 4769\n        TicketEncryption: '0x17'",
    );
    expect(m({ EventLog: 'Security', EventID: 4769, TicketEncryption: '0x17' })).toBe(true);
    expect(m({ EventLog: 'Security', EventID: 4769, TicketEncryption: '0x12' })).toBe(false);
    expect(m({ EventLog: 'Security', EventID: 4769 })).toBe(false);
  });

  it('the values of a field list are OR-linked', () => {
    const m = selection(
      '        EventLog: Security\n        EventID:\n            - 517\n            - 1102',
    );
    expect(m({ EventLog: 'Security', EventID: 517 })).toBe(true);
    expect(m({ EventLog: 'Security', EventID: 1102 })).toBe(true);
    expect(m({ EventLog: 'Security', EventID: 4624 })).toBe(false);
    expect(m({ EventLog: 'System', EventID: 517 })).toBe(false);
  });

  it('the maps of a list are OR-linked, each map AND-linked inside', () => {
    const m = selection(
      "        - Image|endswith: '\\example.exe'\n        - Description|contains: 'Test executable'\n          Company: ACME",
    );
    expect(m({ Image: 'C:\\example.exe' })).toBe(true);
    expect(m({ Description: 'a Test executable', Company: 'ACME' })).toBe(true);
    expect(m({ Description: 'a Test executable', Company: 'Other' })).toBe(false);
    expect(m({ Image: 'C:\\other.exe', Description: 'nothing' })).toBe(false);
  });
});

describe('keyword search (a list of strings searches the whole event)', () => {
  const keywords = selection("        - 'EVILSERVICE'\n        - 'svchost.exe -n evil'");

  it('matches when any value of the event contains a keyword (OR)', () => {
    expect(keywords({ Message: 'The service evilservice was installed' })).toBe(true);
    expect(keywords({ a: 'x', CommandLine: 'C:\\svchost.exe -n evil --more' })).toBe(true);
  });

  it('does not match when no value contains a keyword', () => {
    expect(keywords({ Message: 'The service goodservice was installed' })).toBe(false);
    expect(keywords({ Message: 'svchost.exe -n good' })).toBe(false);
  });

  it('looks at values, not field names', () => {
    expect(keywords({ EVILSERVICE: 'nothing' })).toBe(false);
  });

  it('is case-insensitive', () => {
    expect(keywords({ Message: 'SVCHOST.EXE -N EVIL' })).toBe(true);
  });

  it('honours wildcards inside a keyword', () => {
    const m = selection("        - 'mimi*katz'\n        - 'lsa?dump'");
    expect(m({ Message: 'running MIMI-ultra-KATZ now' })).toBe(true);
    expect(m({ Message: 'lsa:dump' })).toBe(true);
    expect(m({ Message: 'lsadump' })).toBe(false);
    expect(m({ Message: 'katz then mimi' })).toBe(false);
  });

  it('finds numbers and array elements of the event', () => {
    const m = selection("        - '4688'");
    expect(m({ EventID: 4688 })).toBe(true);
    expect(m({ Ids: [1, 24688] })).toBe(true);
    expect(m({ EventID: 4689 })).toBe(false);
  });

  it('a single string (not a list) is a keyword too', () => {
    const m = matcher("    keywords: 'event::clear'\n    condition: keywords");
    expect(m({ Message: 'sekurlsa event::clear' })).toBe(true);
    expect(m({ Message: 'event::drop' })).toBe(false);
  });

  it("'|all' links keywords with AND", () => {
    const m = selection(
      "        '|all':\n            - 'OabVirtualDirectory'\n            - ' -ExternalUrl '",
    );
    expect(m({ CommandLine: 'Set-OabVirtualDirectory -ExternalUrl http://x' })).toBe(true);
    expect(m({ a: 'Set-OabVirtualDirectory', b: 'x -ExternalUrl y' })).toBe(true);
    expect(m({ CommandLine: 'Set-OabVirtualDirectory -InternalUrl http://x' })).toBe(false);
  });
});

describe('special field values: null and empty', () => {
  const isNull = fieldEquals('null');

  it('null matches a missing field', () => {
    expect(isNull({ Other: 'x' })).toBe(true);
  });

  it('null matches a field whose value is JSON null', () => {
    expect(isNull({ F: null })).toBe(true);
  });

  it('null does not match a present value, even an empty one', () => {
    expect(isNull({ F: 'x' })).toBe(false);
    expect(isNull({ F: '' })).toBe(false);
    expect(isNull({ F: 0 })).toBe(false);
  });

  it("'' matches an empty string only", () => {
    const empty = fieldEquals("''");
    expect(empty({ F: '' })).toBe(true);
    expect(empty({ F: ' ' })).toBe(false);
    expect(empty({ F: 'x' })).toBe(false);
    expect(empty({})).toBe(false);
    expect(empty({ F: null })).toBe(false);
  });

  it('`not null` is written as a negated selection (spec example)', () => {
    const m = matcher(
      '    selection:\n        EventID: 4738\n    filter:\n        PasswordLastSet: null\n    condition: selection and not filter',
    );
    expect(m({ EventID: 4738, PasswordLastSet: '2024-01-01' })).toBe(true);
    expect(m({ EventID: 4738 })).toBe(false);
    expect(m({ EventID: 4738, PasswordLastSet: null })).toBe(false);
  });

  it('`selection_main and 1 of selection_empty*` (spec example)', () => {
    const m = matcher(
      "    selection_main:\n        FieldA: 'something'\n    selection_empty1:\n        FieldB: ''\n    selection_empty2:\n        FieldB: null\n    condition: selection_main and 1 of selection_empty*",
    );
    expect(m({ FieldA: 'something', FieldB: '' })).toBe(true);
    expect(m({ FieldA: 'something' })).toBe(true);
    expect(m({ FieldA: 'something', FieldB: 'x' })).toBe(false);
  });
});

describe('string wildcards', () => {
  it('a plain value is an exact (whole value) match', () => {
    const m = fieldEquals("'cmd.exe'");
    expect(m({ F: 'cmd.exe' })).toBe(true);
    expect(m({ F: 'xcmd.exe' })).toBe(false);
    expect(m({ F: 'cmd.exe ' })).toBe(false);
  });

  it('* replaces any number of characters, including none', () => {
    const m = fieldEquals("'antivirus_V*.exe'");
    expect(m({ F: 'antivirus_V1.exe' })).toBe(true);
    expect(m({ F: 'antivirus_V21.2.1.exe' })).toBe(true);
    expect(m({ F: 'antivirus_V.exe' })).toBe(true);
    expect(m({ F: 'antivirus_V1.dll' })).toBe(false);
  });

  it('? replaces exactly one character', () => {
    const m = fieldEquals("'prog?.exe'");
    expect(m({ F: 'progA.exe' })).toBe(true);
    expect(m({ F: 'progB.exe' })).toBe(true);
    expect(m({ F: 'prog.exe' })).toBe(false);
    expect(m({ F: 'progAB.exe' })).toBe(false);
  });

  it('wildcards combine in the middle of a value (a*b?c)', () => {
    const m = fieldEquals("'a*b?c'");
    expect(m({ F: 'abXc' })).toBe(true);
    expect(m({ F: 'a-long-b-c' })).toBe(true);
    expect(m({ F: 'ab-c-bYc' })).toBe(true);
    expect(m({ F: 'abc' })).toBe(false);
    expect(m({ F: 'abXcd' })).toBe(false);
    expect(m({ F: 'xabXc' })).toBe(false);
  });

  it('leading and trailing * give endswith, startswith and contains', () => {
    expect(fieldEquals("'*\\cmd.exe'")({ F: 'C:\\Windows\\cmd.exe' })).toBe(true);
    expect(fieldEquals("'*\\cmd.exe'")({ F: 'C:\\Windows\\cmd.exe.bak' })).toBe(false);
    expect(fieldEquals("'adm*'")({ F: 'administrator' })).toBe(true);
    expect(fieldEquals("'adm*'")({ F: 'sysadm' })).toBe(false);
    expect(fieldEquals("'*admin*'")({ F: 'sysadmins' })).toBe(true);
    expect(fieldEquals("'*admin*'")({ F: 'sysadm' })).toBe(false);
  });

  it('* alone matches any present value but not a missing field', () => {
    const m = fieldEquals("'*'");
    expect(m({ F: '' })).toBe(true);
    expect(m({ F: 'anything' })).toBe(true);
    expect(m({})).toBe(false);
  });
});

describe('escape character', () => {
  it('a single backslash before a letter is a literal backslash: C:\\Windows equals C:\\Windows', () => {
    const m = fieldEquals("'C:\\Windows\\System32\\whoami.exe'");
    expect(m({ F: 'C:\\Windows\\System32\\whoami.exe' })).toBe(true);
    expect(m({ F: 'C:Windows\\System32\\whoami.exe' })).toBe(false);
  });

  it('a double backslash before a letter is one plain backslash too', () => {
    const m = fieldEquals("'C:\\\\Windows'");
    expect(m({ F: 'C:\\Windows' })).toBe(true);
    expect(m({ F: 'C:\\\\Windows' })).toBe(false);
  });

  it('\\* is a plain asterisk', () => {
    const m = fieldEquals("'a\\*b'");
    expect(m({ F: 'a*b' })).toBe(true);
    expect(m({ F: 'aXb' })).toBe(false);
  });

  it('\\? is a plain question mark', () => {
    const m = fieldEquals("'what\\?'");
    expect(m({ F: 'what?' })).toBe(true);
    expect(m({ F: 'whatX' })).toBe(false);
  });

  it('\\\\* is a backslash followed by a wildcard', () => {
    const m = fieldEquals("'C:\\\\*'");
    expect(m({ F: 'C:\\Users\\x' })).toBe(true);
    expect(m({ F: 'C:\\' })).toBe(true);
    expect(m({ F: 'C:/Users' })).toBe(false);
    expect(m({ F: 'C:\\*' })).toBe(true);
  });

  it('\\\\\\* is a plain backslash followed by a plain asterisk', () => {
    const m = fieldEquals("'C:\\\\\\*'");
    expect(m({ F: 'C:\\*' })).toBe(true);
    expect(m({ F: 'C:\\Users' })).toBe(false);
  });

  it('\\\\\\\\ (four) is a plain double backslash', () => {
    const m = fieldEquals("'\\\\\\\\server\\share'");
    expect(m({ F: '\\\\server\\share' })).toBe(true);
    expect(m({ F: '\\server\\share' })).toBe(false);
  });

  it('three backslashes before a letter are a double backslash too', () => {
    const m = fieldEquals("'\\\\\\server'");
    expect(m({ F: '\\\\server' })).toBe(true);
    expect(m({ F: '\\server' })).toBe(false);
  });

  it('a trailing single backslash is literal', () => {
    const m = fieldEquals("'C:\\'");
    expect(m({ F: 'C:\\' })).toBe(true);
    expect(m({ F: 'C:' })).toBe(false);
  });
});

describe('case-insensitivity (values are case-insensitive strings by default)', () => {
  it('matches any letter case of a plain value', () => {
    const m = fieldEquals("'C:\\Windows\\System32\\WhoAmI.exe'");
    expect(m({ F: 'c:\\windows\\system32\\WHOAMI.EXE' })).toBe(true);
    expect(m({ F: 'c:\\windows\\system32\\whoami.com' })).toBe(false);
  });

  it('matches any letter case with wildcards', () => {
    const m = fieldEquals("'*\\PowerShell*.EXE'");
    expect(m({ F: 'C:\\powershell_ise.exe' })).toBe(true);
    expect(m({ F: 'C:\\pwsh.exe' })).toBe(false);
  });

  it('matches non-ASCII letters case-insensitively', () => {
    const m = fieldEquals("'ÄRGER'");
    expect(m({ F: 'ärger' })).toBe(true);
    expect(m({ F: 'arger' })).toBe(false);
  });
});

describe('numbers, booleans and strings', () => {
  it('a numeric rule value matches the number and its string form', () => {
    const m = selection('        EventID: 4688');
    expect(m({ EventID: 4688 })).toBe(true);
    expect(m({ EventID: '4688' })).toBe(true);
    expect(m({ EventID: 4689 })).toBe(false);
    expect(m({ EventID: '46880' })).toBe(false);
  });

  it('a quoted numeric rule value matches a number in the event', () => {
    const m = selection("        EventID: '4688'");
    expect(m({ EventID: 4688 })).toBe(true);
    expect(m({ EventID: 4689 })).toBe(false);
  });

  it('a bigint in the event compares by its decimal text', () => {
    const m = selection("        LogonId: '999'");
    expect(m({ LogonId: 999n })).toBe(true);
    expect(m({ LogonId: 998n })).toBe(false);
  });

  it('a boolean rule value matches the boolean and its text in any case', () => {
    const m = selection('        Enabled: true');
    expect(m({ Enabled: true })).toBe(true);
    expect(m({ Enabled: 'True' })).toBe(true);
    expect(m({ Enabled: false })).toBe(false);
    expect(m({ Enabled: 'false' })).toBe(false);
  });

  it('a false rule value matches false', () => {
    const m = selection('        Enabled: false');
    expect(m({ Enabled: false })).toBe(true);
    expect(m({ Enabled: true })).toBe(false);
  });
});

describe('array-valued event fields', () => {
  it('match when any element matches', () => {
    const m = selection("        Tags|endswith: '.exe'");
    expect(m({ Tags: ['a.txt', 'b.exe'] })).toBe(true);
    expect(m({ Tags: ['a.txt', 'b.dll'] })).toBe(false);
    expect(m({ Tags: [] })).toBe(false);
  });

  it('match numeric elements against numeric rule values', () => {
    const m = selection('        Ports: 445');
    expect(m({ Ports: [139, 445] })).toBe(true);
    expect(m({ Ports: [139, 4450] })).toBe(false);
  });
});

describe('field names', () => {
  it('are matched exactly first', () => {
    const m = selection("        ProcessGuid: '{1}'");
    expect(m({ ProcessGuid: '{1}', PROCESSGUID: '{2}' })).toBe(true);
    expect(m({ ProcessGuid: '{2}', PROCESSGUID: '{1}' })).toBe(false);
  });

  it('fall back to a case-insensitive lookup (event ProcessGUID, rule ProcessGuid)', () => {
    const m = selection("        ProcessGuid: '{1}'");
    expect(m({ ProcessGUID: '{1}' })).toBe(true);
    expect(m({ ProcessGUID: '{2}' })).toBe(false);
    expect(m({ ProcessGUIDs: '{1}' })).toBe(false);
  });
});

describe('detection structure errors', () => {
  it.each([
    ['an empty value list', '        F: []', 'detection.selection.F'],
    ['an empty map', '        {}', 'detection.selection'],
    ['a nested list', '        - [a, b]', 'detection.selection[0]'],
    ['a map as a field value', '        F: {a: 1}', 'detection.selection.F'],
  ])('%s is an invalid rule', (_label, body, path) => {
    expect(problems(`    selection:\n${body}\n    condition: selection`)).toMatchObject([
      { severity: 'error', code: 'VIGIL_ERR_RULE_INVALID', path },
    ]);
  });
});
