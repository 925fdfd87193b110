import { describe, expect, it } from 'vitest';
import { DetectionLog } from '../../src/scan/detection-log.js';
import type { DetectionRecord } from '../../src/scan/types.js';

function detection(n: number, ts: string | undefined): DetectionRecord {
  return {
    '@timestamp': ts,
    event: { kind: 'alert' },
    rule: { name: `rule ${n}`, level: 'low', tags: [], ruleset: 'sigma' },
    log: { file: { path: 'f' } },
    vigil: {
      line: n,
      event_index: n,
      decoder: 'test',
      logsource: { services: [], categories: [] },
      match: { selections: ['selection'], fields: { n }, keywords: [] },
    },
  };
}

describe('DetectionLog', () => {
  // Times out of order, some missing, some equal.
  const times = [
    '2026-01-03T00:00:00Z',
    undefined,
    '2026-01-01T00:00:00Z',
    '2026-01-02T00:00:00Z',
    '2026-01-01T00:00:00Z',
    undefined,
  ];

  it.each([
    ['in memory', 100],
    ['spilled to disk after 2', 2],
  ])('%s: keeps input order in all() and event-time order in timeline()', (_name, spillAfter) => {
    const log = new DetectionLog(spillAfter);
    times.forEach((ts, i) => log.add(detection(i, ts)));
    expect(log.size).toBe(6);
    expect(log.spilled).toBe(spillAfter < 6);
    expect([...log.all()].map((d) => d.vigil.line)).toEqual([0, 1, 2, 3, 4, 5]);
    // Dated first by time, ties and undated in input order.
    expect([...log.timeline()].map((d) => d.vigil.line)).toEqual([2, 4, 3, 0, 1, 5]);
    const back = [...log.all()][3]!;
    expect(back).toEqual(detection(3, times[3]));
    log.close();
  });
});
