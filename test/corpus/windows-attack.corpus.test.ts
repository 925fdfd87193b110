import { execFile } from 'node:child_process';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import type { ScanSummary } from '../../src/scan/summary.js';
import type { DetectionRecord } from '../../src/scan/types.js';
import { scan } from '../helpers/scan.js';
import { ROOT, requireSharedData, shared } from '../helpers/shared-data.js';

const run = promisify(execFile);
const key = (d: DetectionRecord) => `${d.log.file.path}:${d.vigil.line} ${d.rule.id}`;

describe.runIf(requireSharedData())('vigil scan with SigmaHQ Windows rules on the shared attack logs', () => {
  const otrf = shared('windows-attack/otrf-security-datasets/events');
  const evtxJsonl = shared('windows-attack/evtx-jsonl');
  const windowsRules = shared('sigma/rules/windows');

  it('scans OTRF and evtx-jsonl through the CLI on two worker threads', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'vigil-'));
    const out = join(dir, 'report.json');
    const { stderr } = await run(
      'node',
      [
        'bin/vigil.js',
        'scan',
        otrf,
        evtxJsonl,
        '--no-default-rules',
        '-r',
        windowsRules,
        '-f',
        'json',
        '-o',
        out,
        '--threads',
        '2',
      ],
      { cwd: ROOT, maxBuffer: 64 * 1024 * 1024 },
    );
    const report = JSON.parse(await readFile(out, 'utf8')) as {
      detections: DetectionRecord[];
      summary: ScanSummary;
    };
    console.log(stderr);
    const s = report.summary;
    expect(s.threads).toBe(2);
    expect(s.rules.loaded).toBe(2407);
    // OTRF: 81,006 JSON events + 12 syslog lines (sh_arp_cache.log); evtx-jsonl: 13,862 events.
    expect(s.events).toBe(81006 + 12 + 13862);
    expect(s.failures).toBe(0);
    expect(s.detections).toBe(report.detections.length);
    expect(s.detections).toBeGreaterThan(3000);
    // The AWS CSV of the OTRF set and the two TSV reports of the conversion are reported, not scanned.
    expect(s.files.filter((f) => f.status === 'unsupported').map((f) => f.path.split('/').pop())).toEqual([
      'atomic__aws__discovery__aws_s3_honeybucketlogs.csv',
      'CONVERSION_FAILURES.tsv',
      'conversion_log.tsv',
    ]);
    // Detections are a timeline: sorted by event time.
    const times = report.detections.map((d) => d['@timestamp'] ?? '~');
    expect([...times].sort()).toEqual(times);
  });

  it('finds the same detections with and without the raw-line pre-filter', async () => {
    const options = { rules: [windowsRules], defaultRules: false };
    const fast = await scan([otrf, evtxJsonl], { ...options, prefilter: true });
    const exact = await scan([otrf, evtxJsonl], { ...options, prefilter: false });
    expect(fast.summary.events).toBe(exact.summary.events);
    expect(fast.detections.map(key)).toEqual(exact.detections.map(key));
    expect(exact.detections.filter((d) => d.log.file.path.includes('otrf-security-datasets')).length).toBe(
      1454,
    );
    expect(exact.detections.length).toBe(3379);
  });
});
