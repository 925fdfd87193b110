/**
 * Conformance: Sigma global filters.
 *
 * Spec: Sigma specification v2.1, `sigma-filters-specification.md`: a filter document names
 * rules (`filter.rules`, by id or name) and adds its selection and condition as an exclusion to
 * them; it has a mandatory `logsource`.
 */
import { describe, expect, it } from 'vitest';
import { createDetector } from '../../../src/detect/sigma/detector.js';
import { createEvent, eventLogSource } from '../../../src/detect/sigma/event.js';
import { parseRules } from '../../../src/detect/sigma/parse.js';
import type { FieldValue } from '../../../src/detect/sigma/types.js';

const PROCESS_CREATION = eventLogSource('windows', [], ['process_creation']);

const RULES = `title: Data Compressed - rar.exe
id: 6f3e2987-db24-4c78-a860-b4f4095a7095
name: rar_compression
logsource:
    category: process_creation
    product: windows
detection:
    selection:
        Image|endswith: '\\rar.exe'
    condition: selection
---
title: Whoami Execution
id: df0841c0-9846-4e9f-ad8a-7df91571771b
name: whoami_execution
logsource:
    category: process_creation
    product: windows
detection:
    selection:
        Image|endswith: '\\whoami.exe'
    condition: selection
`;

/** A filter document (spec "Examples") naming `refs`, with an optional logsource override. */
function filterDoc(
  refs: readonly string[],
  logsource = 'category: process_creation\n    product: windows',
): string {
  return `title: Filter Administrator account
id: 0e95725d-7320-415d-80f7-004da920fc11
description: The valid administrator account start with adm_
logsource:
    ${logsource}
filter:
    rules:
${refs.map((r) => `        - ${r}`).join('\n')}
    selection:
        User|startswith: 'adm_'
    condition: selection
`;
}

/** Loads rules and filters from separate files, as a deployment would. */
function setup(filterText: string) {
  const rules = parseRules(RULES, 'rules/windows.yml');
  const filters = parseRules(filterText, 'filters/mf_admins.yml');
  const detector = createDetector(rules.rules, { filters: filters.filters });
  const matches = (fields: Record<string, FieldValue>) =>
    detector.match(createEvent(fields, PROCESS_CREATION)).map((r) => r.rule.name);
  return { detector, matches, parseDiagnostics: [...rules.diagnostics, ...filters.diagnostics] };
}

describe('global filter documents', () => {
  it('parse as filters, not rules', () => {
    const parsed = parseRules(filterDoc(['rar_compression']), 'f.yml');
    expect(parsed.rules).toEqual([]);
    expect(parsed.diagnostics).toEqual([]);
    expect(parsed.filters).toMatchObject([
      {
        kind: 'filter',
        title: 'Filter Administrator account',
        id: '0e95725d-7320-415d-80f7-004da920fc11',
        rules: ['rar_compression'],
        logsource: { category: 'process_creation', product: 'windows' },
      },
    ]);
  });

  it('need filter.rules', () => {
    const text =
      'title: f\nlogsource:\n    product: windows\nfilter:\n    selection:\n        User: x\n    condition: selection\n';
    expect(parseRules(text, 'f.yml').diagnostics).toMatchObject([
      { severity: 'error', code: 'VIGIL_ERR_RULE_INVALID', path: 'filter.rules' },
    ]);
  });

  it('need a condition', () => {
    const text =
      'title: f\nlogsource:\n    product: windows\nfilter:\n    rules: [x]\n    selection:\n        User: x\n';
    expect(parseRules(text, 'f.yml').diagnostics).toMatchObject([
      { severity: 'error', code: 'VIGIL_ERR_RULE_INVALID', path: 'filter.condition' },
    ]);
  });
});

describe('a filter naming a rule by id', () => {
  const { matches, detector, parseDiagnostics } = setup(filterDoc(['6f3e2987-db24-4c78-a860-b4f4095a7095']));

  it('loads without diagnostics', () => {
    expect(parseDiagnostics).toEqual([]);
    expect(detector.diagnostics).toEqual([]);
  });

  it('suppresses the rule where the filter selection holds', () => {
    expect(matches({ Image: 'C:\\Program Files\\WinRAR\\rar.exe', User: 'adm_backup' })).toEqual([]);
  });

  it('keeps the rule where the filter selection does not hold', () => {
    expect(matches({ Image: 'C:\\Program Files\\WinRAR\\rar.exe', User: 'bob' })).toEqual([
      'rar_compression',
    ]);
    expect(matches({ Image: 'C:\\Program Files\\WinRAR\\rar.exe' })).toEqual(['rar_compression']);
  });

  it('leaves rules it does not name alone', () => {
    expect(matches({ Image: 'C:\\Windows\\System32\\whoami.exe', User: 'adm_backup' })).toEqual([
      'whoami_execution',
    ]);
  });
});

describe('a filter naming a rule by name', () => {
  const { matches } = setup(filterDoc(['whoami_execution']));

  it('suppresses that rule where the filter selection holds', () => {
    expect(matches({ Image: 'C:\\Windows\\System32\\whoami.exe', User: 'ADM_ops' })).toEqual([]);
    expect(matches({ Image: 'C:\\Windows\\System32\\whoami.exe', User: 'ops' })).toEqual([
      'whoami_execution',
    ]);
  });

  it('leaves the other rule alone', () => {
    expect(matches({ Image: 'C:\\rar.exe', User: 'adm_ops' })).toEqual(['rar_compression']);
  });
});

describe('a filter naming several rules', () => {
  it('applies to each of them', () => {
    const { matches } = setup(filterDoc(['rar_compression', 'df0841c0-9846-4e9f-ad8a-7df91571771b']));
    expect(matches({ Image: 'C:\\rar.exe', User: 'adm_x' })).toEqual([]);
    expect(matches({ Image: 'C:\\whoami.exe', User: 'adm_x' })).toEqual([]);
    expect(matches({ Image: 'C:\\whoami.exe', User: 'x' })).toEqual(['whoami_execution']);
  });
});

describe('filter logsource', () => {
  it('a more general filter logsource (product only) applies', () => {
    const { matches, detector } = setup(filterDoc(['rar_compression'], 'product: windows'));
    expect(detector.diagnostics).toEqual([]);
    expect(matches({ Image: 'C:\\rar.exe', User: 'adm_x' })).toEqual([]);
  });

  it('a filter whose logsource does not fit the rule is not applied, with a warning', () => {
    const { matches, detector } = setup(filterDoc(['rar_compression'], 'product: linux'));
    expect(matches({ Image: 'C:\\rar.exe', User: 'adm_x' })).toEqual(['rar_compression']);
    expect(detector.diagnostics).toMatchObject([
      {
        severity: 'warning',
        code: 'VIGIL_ERR_RULE_FILTER',
        source: { path: 'filters/mf_admins.yml', document: 0 },
        ruleId: '0e95725d-7320-415d-80f7-004da920fc11',
        path: 'filter.rules',
      },
    ]);
    expect(detector.diagnostics[0]!.message).toContain('rar_compression');
  });

  it('a filter for another category does not apply either', () => {
    const { matches, detector } = setup(
      filterDoc(['rar_compression'], 'category: file_event\n    product: windows'),
    );
    expect(matches({ Image: 'C:\\rar.exe', User: 'adm_x' })).toEqual(['rar_compression']);
    expect(detector.diagnostics).toMatchObject([{ severity: 'warning', code: 'VIGIL_ERR_RULE_FILTER' }]);
  });
});

describe('a filter naming an unknown rule', () => {
  const { matches, detector } = setup(filterDoc(['no_such_rule', 'rar_compression']));

  it('gives a warning naming the rule', () => {
    expect(detector.diagnostics).toMatchObject([
      { severity: 'warning', code: 'VIGIL_ERR_RULE_FILTER', source: { path: 'filters/mf_admins.yml' } },
    ]);
    expect(detector.diagnostics[0]!.message).toContain('no_such_rule');
  });

  it('still applies to the rules it does name', () => {
    expect(matches({ Image: 'C:\\rar.exe', User: 'adm_x' })).toEqual([]);
    expect(matches({ Image: 'C:\\rar.exe', User: 'x' })).toEqual(['rar_compression']);
  });
});

describe('filter conditions', () => {
  it('a filter identifier may share a name with a rule identifier without clashing', () => {
    // Both the rule and the filter call their identifier "selection".
    const { matches } = setup(filterDoc(['rar_compression']));
    expect(matches({ Image: 'C:\\rar.exe', User: 'adm_x' })).toEqual([]);
    expect(matches({ Image: 'C:\\other.exe', User: 'adm_x' })).toEqual([]);
  });

  it('a compound filter condition is honoured', () => {
    const text = `title: f\nlogsource:\n    product: windows\nfilter:\n    rules: [rar_compression]\n    admin:\n        User|startswith: adm_\n    interactive:\n        LogonType: 2\n    condition: admin and not interactive\n`;
    const { matches } = setup(text);
    expect(matches({ Image: 'C:\\rar.exe', User: 'adm_x', LogonType: 3 })).toEqual([]);
    expect(matches({ Image: 'C:\\rar.exe', User: 'adm_x', LogonType: 2 })).toEqual(['rar_compression']);
  });

  it('a filter in the same file as the rule applies too', () => {
    const parsed = parseRules(`${RULES}---\n${filterDoc(['whoami_execution'])}`, 'all.yml');
    const detector = createDetector(parsed.rules, { filters: parsed.filters });
    const event = createEvent({ Image: 'C:\\whoami.exe', User: 'adm_x' }, PROCESS_CREATION);
    expect(detector.match(event)).toEqual([]);
    expect(detector.match(createEvent({ Image: 'C:\\whoami.exe' }, PROCESS_CREATION))).toHaveLength(1);
  });
});
