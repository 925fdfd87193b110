/**
 * The EVTX reader against the shared raw attack files (`windows-attack/evtx/`) and python-evtx's
 * conversions of them (`windows-attack/evtx-jsonl/`), record by record; the files python-evtx
 * could not read (`CONVERSION_FAILURES.tsv`) must be read in full; SigmaHQ's regression samples
 * (`.evtx` beside `.json`) must give the same rule matches.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { createDetector } from '../../src/detect/sigma/detector.js';
import { decodeEvtx } from '../../src/pipeline/decoders/evtx/chunk.js';
import { decodeJson } from '../../src/pipeline/decoders/json.js';
import '../../src/pipeline/decoders/register.js';
import { loadRuleFiles } from '../../src/rules/loader.js';
import { compareEvents, type Difference } from '../helpers/evtx-parity.js';
import { jsonValues } from '../helpers/json-files.js';
import { requireSharedData, shared } from '../helpers/shared-data.js';

function walk(dir: string, suffix: string, out: string[] = []): string[] {
  for (const e of readdirSync(dir).sort()) {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) walk(p, suffix, out);
    else if (e.endsWith(suffix)) out.push(p);
  }
  return out;
}

function readJsonl(path: string): Record<string, unknown>[] | undefined {
  for (const p of [path, `${path}.gz`]) {
    let buf: Buffer;
    try {
      buf = readFileSync(p);
    } catch {
      continue;
    }
    const text = p.endsWith('.gz') ? gunzipSync(buf).toString('utf8') : buf.toString('utf8');
    return text
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  }
  return undefined;
}

const KNOWN = new Set([
  'same',
  'numbers',
  'hex',
  'binary',
  'guid',
  'time',
  'string-array',
  'bool',
  'whitespace',
  'control-chars',
  'xmlns',
]);

describe.runIf(requireSharedData())('EVTX reader on the shared attack files', () => {
  const root = shared('windows-attack');
  const files = requireSharedData() ? walk(join(root, 'evtx'), '.evtx') : [];
  const failures = requireSharedData()
    ? new Map(
        readFileSync(join(root, 'evtx-jsonl', 'CONVERSION_FAILURES.tsv'), 'utf8')
          .split('\n')
          .slice(1)
          .filter(Boolean)
          .map((l) => l.split('\t'))
          .map(([file, , failed]) => [join(root, file!), Number(failed)] as const),
      )
    : new Map<string, number>();

  it('has the 396 files and the 11 python-evtx failures', () => {
    expect(files.length).toBe(396);
    expect(failures.size).toBe(11);
  });

  it('matches python-evtx record for record, up to the named representation differences', () => {
    const used = new Map<string, number>();
    const mismatches: string[] = [];
    let records = 0;
    let compared = 0;
    for (const file of files) {
      const rel = relative(join(root, 'evtx'), file).replace(/\.evtx$/, '.jsonl');
      const theirs = readJsonl(join(root, 'evtx-jsonl', rel));
      const ours = decodeEvtx(readFileSync(file));
      records += ours.records.length;
      expect(ours.problems, file).toEqual([]);
      if (theirs === undefined) {
        expect(failures.has(file), `${file} has a conversion or is a listed failure`).toBe(true);
        continue;
      }
      expect(ours.records.length, file).toBe(theirs.length);
      ours.records.forEach((rec, i) => {
        const t = theirs[i] as { Event: { System: { EventRecordID: number } } };
        expect(rec.event.Event).toBeDefined();
        const system = (rec.event.Event as { System: { EventRecordID: number } }).System;
        expect(system.EventRecordID, `${file} record ${i}`).toBe(t.Event.System.EventRecordID);
        const diffs: Difference[] = compareEvents(rec.event, t, used);
        compared++;
        for (const d of diffs)
          mismatches.push(`${rel}#${i} ${d.path}: ${JSON.stringify(d.ours)} vs ${JSON.stringify(d.theirs)}`);
      });
    }
    expect(mismatches.slice(0, 20)).toEqual([]);
    expect(compared).toBe(13_862);
    expect(records).toBe(15_065);
    for (const name of used.keys()) expect(KNOWN.has(name), name).toBe(true);
    // Each normalization is exercised by this data (so none is dead code that could hide a bug).
    expect([...used.keys()].sort()).toEqual([...KNOWN].sort());
  });

  it('reads every file python-evtx could not, record counts as its failure log says', () => {
    for (const [file, failed] of failures) {
      const r = decodeEvtx(readFileSync(file));
      expect(r.problems, file).toEqual([]);
      expect(r.records.length, file).toBe(failed);
    }
  });
});

interface Info {
  rule_metadata?: { id: string }[];
}

describe.runIf(requireSharedData())('SigmaHQ regression samples: .evtx and .json', async () => {
  const set = requireSharedData()
    ? await loadRuleFiles(
        ['rules', 'rules-emerging-threats', 'rules-threat-hunting', 'rules-placeholder'].map((t) =>
          shared('sigma', t),
        ),
      )
    : { rules: [] };
  const detector = createDetector(set.rules);
  const cases = requireSharedData()
    ? walk(shared('sigma', 'regression_data'), 'info.yml')
        .flatMap((info) =>
          ((parse(readFileSync(info, 'utf8')) as Info).rule_metadata ?? []).map((m) => ({
            ruleId: m.id,
            base: join(dirname(info), m.id),
          })),
        )
        .filter((c) => existsSync(`${c.base}.evtx`)) // the one Cisco sample has no .evtx
    : [];

  it('has an .evtx for each of the 134 active Windows samples', () => {
    expect(cases.length).toBe(134);
  });
  const matchesOf = (raw: unknown): string[] => {
    const e = decodeJson(raw, { year: 2024, timezone: 'UTC' });
    expect(e).toBeDefined();
    return detector
      .match(e!)
      .map((r) => r.rule.id ?? r.rule.title)
      .sort();
  };

  it.each(cases)('$ruleId: the .evtx gives the matches of the .json', ({ ruleId, base }) => {
    const evtx = decodeEvtx(readFileSync(`${base}.evtx`));
    expect(evtx.problems).toEqual([]);
    const fromJson = jsonValues(`${base}.json`).map(matchesOf);
    const fromEvtx = evtx.records.map((r) => matchesOf(r.event));
    expect(fromEvtx.length).toBe(fromJson.length);
    expect(fromEvtx.some((m) => m.includes(ruleId))).toBe(true);
    expect(fromEvtx).toEqual(fromJson);
  });
});
