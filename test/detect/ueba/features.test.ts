import { describe, expect, it } from 'vitest';
import { emptyBaseline, stdOf, updateBaseline, welford, zScore } from '../../../src/detect/ueba/baseline.js';
import { ProcessCounts } from '../../../src/detect/ueba/close.js';
import { uebaEvent } from '../../../src/detect/ueba/event-view.js';
import {
  ENTITY_FEATURES,
  hourRarity,
  processRarity,
  windowFeatures,
} from '../../../src/detect/ueba/features.js';
import { EntityWindow, hourOfDay } from '../../../src/detect/ueba/window.js';

const H = 3_600_000;
const START = Date.parse('2026-03-02T03:00:00Z');

function ssh(id: number, minute: number, outcome: 'success' | 'failure', user: string, ip = '203.0.113.5') {
  return uebaEvent(id, START + minute * 60_000, {
    event: { category: ['authentication'], outcome },
    host: { name: 'web01' },
    user: { name: user },
    source: { ip },
  });
}

describe('Welford running statistics', () => {
  it('gives the mean and sample standard deviation of the values', () => {
    const xs = [3, 7, 7, 19, 24, 1e6 + 1, 1e6 + 3];
    let s = welford(undefined, xs[0]!);
    for (const x of xs.slice(1)) s = welford(s, x);
    const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
    const variance = xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (xs.length - 1);
    expect(s.n).toBe(xs.length);
    expect(s.mean).toBeCloseTo(mean, 6);
    expect(stdOf(s)).toBeCloseTo(Math.sqrt(variance), 6);
  });

  it('z-scores against the feature floor when the baseline never varied', () => {
    const s = welford(welford(welford(undefined, 0), 0), 0);
    expect(zScore(s, 200, 1)).toBe(200);
    expect(zScore(welford(undefined, 0), 5, 1)).toBeNull();
    expect(zScore(s, NaN, 1)).toBeNull();
  });
});

describe('UEBA window features', () => {
  it('counts logons, failures, the failure ratio and distinct users of a source address', () => {
    const w = new EntityWindow('ip', '203.0.113.5', START, START + H);
    for (let i = 0; i < 9; i++) w.add(ssh(i + 1, i, 'failure', `user${i % 3}`));
    w.add(ssh(10, 20, 'success', 'user0'));
    const f = windowFeatures(w, undefined, undefined, new ProcessCounts());
    expect(Object.keys(f)).toEqual(ENTITY_FEATURES.ip);
    expect(f).toMatchObject({
      events: 10,
      logon_attempts: 10,
      logon_failures: 9,
      failure_ratio: 0.9,
      distinct_users: 3,
      distinct_destinations: 1,
    });
    expect(f.hour_rarity).toBeCloseTo(Math.log(24), 12);
    expect(f.bytes_out).toBeNaN();
  });

  it('leaves the ratio unknown without logons', () => {
    const w = new EntityWindow('host', 'web01', START, START + H);
    w.add(uebaEvent(1, START, { host: { name: 'web01' } }));
    expect(windowFeatures(w, undefined, undefined, new ProcessCounts()).failure_ratio).toBeNaN();
  });

  it('hour rarity falls at the usual hours and rises at new ones', () => {
    const office = new Array<number>(24).fill(0);
    for (let h = 9; h < 17; h++) office[h] = 10;
    // p(h) = (E[h] + 4·q(h)) / (ΣE + 4), q uniform without a population.
    expect(hourRarity(1 << 10, office)).toBeCloseTo(-Math.log((10 + 4 / 24) / 84), 12);
    expect(hourRarity(1 << 3, office)).toBeCloseTo(-Math.log(4 / 24 / 84), 12);
    expect(hourRarity(1 << 3, office)).toBeGreaterThan(hourRarity(1 << 10, office));
    expect(hourRarity(0, office)).toBeNaN();
    expect(hourRarity(1 << 3, undefined)).toBeCloseTo(Math.log(24), 12);
    expect(hourOfDay(START)).toBe(3);
  });

  it("judges a new entity's hours by its population's", () => {
    const office = new Array<number>(24).fill(0);
    for (let h = 9; h < 17; h++) office[h] = 100;
    expect(hourRarity(1 << 3, undefined, office)).toBeCloseTo(-Math.log(1 / 824), 12);
    expect(hourRarity(1 << 10, undefined, office)).toBeCloseTo(-Math.log(101 / 824), 12);
  });

  it('scores rare processes higher, and counts processes new to the entity', () => {
    const counts = new ProcessCounts();
    counts.add(
      new Map([
        ['svchost.exe', 990],
        ['cmd.exe', 10],
      ]),
      1000,
    );
    expect(processRarity(0, 1000)).toBeCloseTo(Math.log(2002), 12);
    const start = (id: number, exe: string) =>
      uebaEvent(id, START, {
        host: { name: 'ws1' },
        event: { category: ['process'], type: ['start'] },
        process: { executable: exe },
      });
    const w = new EntityWindow('host', 'ws1', START, START + H);
    w.add(start(1, 'C:\\Windows\\System32\\svchost.exe'));
    w.add(start(2, 'C:\\ProgramData\\mimikatz.exe'));
    let b = updateBaseline(undefined, w, {});
    const f = windowFeatures(w, emptyBaseline(), undefined, counts);
    expect(f.process_rarity).toBeCloseTo((processRarity(990, 1000) + processRarity(0, 1000)) / 2, 12);
    expect(f.new_processes).toBe(2);
    b = updateBaseline(b, w, f);
    expect(windowFeatures(w, b, undefined, counts).new_processes).toBe(0);
  });

  it('flags a new country or AS only when geography is known', () => {
    const geo = (id: number, cc: string) =>
      uebaEvent(id, START, {
        user: { name: 'ann' },
        source: { ip: '8.8.8.8', geo: { country_iso_code: cc }, as: { number: 15169 } },
      });
    const w1 = new EntityWindow('user', 'ann', START, START + H);
    w1.add(geo(1, 'FR'));
    const b = updateBaseline(undefined, w1, windowFeatures(w1, undefined, undefined, new ProcessCounts()));
    const w2 = new EntityWindow('user', 'ann', START + H, START + 2 * H);
    w2.add(geo(2, 'FR'));
    expect(windowFeatures(w2, b, undefined, new ProcessCounts())).toMatchObject({
      new_country: 0,
      new_asn: 0,
    });
    w2.add(geo(3, 'KP'));
    expect(windowFeatures(w2, b, undefined, new ProcessCounts()).new_country).toBe(1);
    const w3 = new EntityWindow('user', 'ann', START, START + H);
    w3.add(uebaEvent(4, START, { user: { name: 'ann' } }));
    expect(windowFeatures(w3, b, undefined, new ProcessCounts()).new_country).toBeNaN();
  });

  it('round-trips a window through JSON', () => {
    const w = new EntityWindow('ip', '203.0.113.5', START, START + H);
    for (let i = 0; i < 8; i++) w.add(ssh(i + 1, i, i % 2 ? 'failure' : 'success', `u${i}`));
    const back = EntityWindow.fromJSON(JSON.parse(JSON.stringify(w.toJSON())));
    expect(back.toJSON()).toEqual(w.toJSON());
    expect(back.evidence).toEqual([4, 5, 6, 7, 8]);
    expect(back.onlyHost).toBe('web01');
  });
});
