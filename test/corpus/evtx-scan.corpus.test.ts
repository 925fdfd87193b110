/**
 * `vigil scan` over the shared raw `.evtx` folder gives the detections it gives over python-evtx's
 * JSON conversions of the same files (SigmaHQ's Windows rules), plus those in the 11 files
 * python-evtx could not convert; worker threads give the inline result in the same order.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import type { DetectionRecord } from '../../src/scan/types.js';
import { scan } from '../helpers/scan.js';
import { requireSharedData, ROOT, shared } from '../helpers/shared-data.js';

const run = promisify(execFile);

/** `file (without extension) | rule id | EventRecordID` of a detection. */
function key(d: DetectionRecord): string {
  const file = d.log.file.path
    .split('/windows-attack/')[1]!
    .replace(/^(evtx-jsonl|evtx)\//, '')
    .replace(/\.(evtx|jsonl|jsonl\.gz)$/, '');
  const winlog = d.winlog as { record_id?: unknown } | undefined;
  return `${file}|${d.rule.id}|${String(winlog?.record_id)}`;
}

function multiset(ds: readonly DetectionRecord[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const d of ds) m.set(key(d), (m.get(key(d)) ?? 0) + 1);
  return m;
}

function minus(a: Map<string, number>, b: Map<string, number>): string[] {
  const out: string[] = [];
  for (const [k, n] of a) for (let i = b.get(k) ?? 0; i < n; i++) out.push(k);
  return out;
}

describe.runIf(requireSharedData())('vigil scan on raw .evtx', () => {
  const rules = [shared('sigma', 'rules', 'windows')];

  it('finds what the JSON conversions give, and more in the files python-evtx could not read', async () => {
    const root = shared('windows-attack');
    const failed = new Set(
      readFileSync(join(root, 'evtx-jsonl', 'CONVERSION_FAILURES.tsv'), 'utf8')
        .split('\n')
        .slice(1)
        .filter(Boolean)
        .map((l) =>
          l
            .split('\t')[0]!
            .replace(/^evtx\//, '')
            .replace(/\.evtx$/, ''),
        ),
    );
    const evtx = await scan([join(root, 'evtx')], { rules, defaultRules: false });
    const json = await scan([join(root, 'evtx-jsonl')], { rules, defaultRules: false });
    expect(evtx.summary.failures).toBe(0);
    expect(evtx.summary.events).toBe(15_065);
    expect(json.summary.events).toBe(13_862);
    const a = multiset(evtx.detections);
    const b = multiset(json.detections);
    expect(minus(b, a)).toEqual([]);
    const extra = minus(a, b);
    expect(extra.length).toBeGreaterThan(0);
    expect(extra.filter((k) => !failed.has(k.split('|')[0]!))).toEqual([]);
    expect(evtx.detections.length).toBe(json.detections.length + extra.length);
  });

  it('gives the same detections, in the same order, on worker threads (built CLI)', async () => {
    const dir = shared('windows-attack', 'evtx', 'EVTX-ATTACK-SAMPLES');
    const args = ['bin/vigil.js', 'scan', dir, '--no-default-rules', '-r', rules[0]!, '-f', 'jsonl'];
    const one = await run('node', [...args, '--threads', '1'], { cwd: ROOT, maxBuffer: 1 << 28 });
    const two = await run('node', [...args, '--threads', '2'], { cwd: ROOT, maxBuffer: 1 << 28 });
    expect(two.stderr).toMatch(/2 threads/);
    expect(one.stdout.split('\n').length).toBeGreaterThan(100);
    expect(two.stdout).toBe(one.stdout);
  });
});
