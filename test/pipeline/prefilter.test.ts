import { describe, expect, it } from 'vitest';
import { createDetector } from '../../src/detect/sigma/detector.js';
import { parseRules } from '../../src/detect/sigma/parse.js';
import '../../src/pipeline/decoders/register.js';
import { createWindowsJsonPrefilter } from '../../src/pipeline/prefilter.js';
import { processBatch } from '../../src/scan/process-batch.js';

const RULES = `title: Mimikatz on the command line
id: 00000000-0000-4000-8000-0000000000a1
logsource: {product: windows, category: process_creation}
detection:
    sel:
        CommandLine|contains: 'mimikatz'
    condition: sel
---
title: Plus in a command line
id: 00000000-0000-4000-8000-0000000000a2
logsource: {product: windows, category: process_creation}
detection:
    sel:
        CommandLine|contains: "'mimi'+'katz'"
    condition: sel
---
title: Log cleared
id: 00000000-0000-4000-8000-0000000000a3
logsource: {product: windows, service: system}
detection:
    sel:
        EventID: 104
    condition: sel
---
title: Service installed
id: 00000000-0000-4000-8000-0000000000a4
logsource: {product: windows, service: system}
detection:
    sel:
        EventID: 7045
        ImagePath|contains: 'evilsvc'
    condition: sel
---
title: Zeek HTTP POST
id: 00000000-0000-4000-8000-0000000000a5
logsource: {product: zeek, service: http}
detection:
    sel:
        method: POST
    condition: sel
`;

const sysmon = (commandLine: string) =>
  JSON.stringify({
    Event: {
      System: { Channel: 'Microsoft-Windows-Sysmon/Operational', EventID: 1 },
      EventData: { CommandLine: commandLine },
    },
  });

/** Lines that once fooled the pre-filter, each matched by one rule. */
const TRICKY: [string, string][] = [
  ['the Kelvin sign folds to k', sysmon('mimi\u212Aatz.exe')],
  ['an ASCII letter written as \\u escape', sysmon('mimikatz.exe').replace('mimikatz', 'mimi\\u006batz')],
  ['+ written as \\u002B (System.Text.Json)', sysmon("'mimi'+'katz'").replace('+', '\\u002B')],
  [
    'Winlogbeat event 104 with a Channel in user data',
    JSON.stringify({
      winlog: {
        channel: 'System',
        event_id: 104,
        provider_name: 'Microsoft-Windows-Eventlog',
        user_data: { Channel: 'Security' },
      },
    }),
  ],
  [
    'evtx_dump EventID with Qualifiers',
    JSON.stringify({
      Event: {
        System: {
          Provider: { '#attributes': { Name: 'Service Control Manager' } },
          EventID: { '#attributes': { Qualifiers: 16384 }, '#text': 7045 },
          Channel: 'System',
        },
        EventData: { ServiceName: 'x', ImagePath: 'C:\\evilsvc.exe' },
      },
    }),
  ],
  [
    'a Zeek record with a Channel key',
    JSON.stringify({
      _path: 'http',
      uid: 'C1',
      'id.orig_h': '10.0.0.1',
      method: 'POST',
      Channel: 'Security',
    }),
  ],
];

describe('raw-line pre-filter', () => {
  const parsed = parseRules(RULES, 'rules.yml');
  const detector = createDetector(parsed.rules);
  const prefilter = createWindowsJsonPrefilter(detector);
  const run = (lines: string[], withPrefilter: boolean) =>
    processBatch(
      {
        seq: 0,
        file: { path: 'f', format: 'jsonl', year: 2026, timezone: 'UTC' },
        batch: { kind: 'lines', text: lines.join('\n'), firstLine: 1 },
      },
      detector,
      { minLevel: 'informational', includeOriginal: false, prefilter: true },
      withPrefilter ? prefilter : undefined,
    );

  it.each(TRICKY)('never loses a detection: %s', (_name, line) => {
    const exact = run([line], false);
    expect(exact.detections).toHaveLength(1);
    expect(run([line], true).detections.map((d) => d.rule.id)).toEqual(
      exact.detections.map((d) => d.rule.id),
    );
  });

  it('skips a line no rule can match, unparsed, and still counts it', () => {
    const quiet = sysmon('C:\\Windows\\System32\\svchost.exe -k netsvcs');
    expect(prefilter.select(quiet)).toBe(false);
    const r = run([quiet, sysmon('mimikatz.exe "sekurlsa::logonpasswords"')], true);
    expect(r.events).toBe(2);
    expect(r.detections.map((d) => [d.vigil.line, d.vigil.event_index])).toEqual([[2, 2]]);
  });

  it('names only the rules whose literals occur', () => {
    // Both process-creation rules need "mimi" (the second's longest JSON-safe piece of 'mimi'+'katz').
    expect(prefilter.select(sysmon('mimikatz.exe'))).toEqual([0, 1]);
    expect(prefilter.select(sysmon('katz.exe'))).toBe(false);
  });
});
