import { describe, expect, it } from 'vitest';
import { updatePopulation, welford } from '../../../src/detect/ueba/baseline.js';
import {
  attackTags,
  deviations,
  MIN_ENTITY_WINDOWS,
  uebaLevel,
  uebaMessage,
} from '../../../src/detect/ueba/explain.js';
import { EntityWindow } from '../../../src/detect/ueba/window.js';

describe('UEBA alert level', () => {
  it('maps the margin above the threshold to low, medium and high', () => {
    expect(uebaLevel(0.65, 0.65)).toBe('low');
    expect(uebaLevel(0.7374, 0.65)).toBe('low');
    expect(uebaLevel(0.7375, 0.65)).toBe('medium');
    expect(uebaLevel(0.825, 0.65)).toBe('high');
    expect(uebaLevel(1, 0.65)).toBe('high');
  });
});

describe('UEBA deviations', () => {
  const explanation = [
    { feature: 'logon_failures', value: 200, contribution: 0.4 },
    { feature: 'hour_rarity', value: 4.8, contribution: 0.1 },
    { feature: 'events', value: 200, contribution: -0.01 },
  ];
  const features = { logon_failures: 200, hour_rarity: 4.8, events: 200 };

  it('lists the positive contributions with the population baseline for a new entity', () => {
    const w = new EntityWindow('ip', 'x', 0, 1);
    let pop = updatePopulation(undefined, w, { logon_failures: 1, hour_rarity: 3 });
    pop = updatePopulation(pop, w, { logon_failures: 3, hour_rarity: 3.2 });
    const d = deviations(features, explanation, undefined, pop);
    expect(d.map((x) => x.feature)).toEqual(['logon_failures', 'hour_rarity']);
    expect(d[0]).toMatchObject({ value: 200, baseline: { of: 'population', windows: 2, mean: 2 } });
    expect(d[0]!.z).toBeCloseTo((200 - 2) / Math.SQRT2, 9);
  });

  it("uses the entity's own baseline once it has enough windows", () => {
    let s = welford(undefined, 2);
    for (let i = 1; i < MIN_ENTITY_WINDOWS; i++) s = welford(s, 2);
    const own = {
      windows: MIN_ENTITY_WINDOWS,
      firstSeen: 0,
      lastSeen: 1,
      hours: [],
      countries: [],
      asns: [],
      processes: [],
      stats: { logon_failures: s },
    };
    const d = deviations(features, explanation, own, undefined);
    expect(d[0]).toMatchObject({ baseline: { of: 'entity', mean: 2, std: 0 }, z: 198 });
    expect(d[1]).toMatchObject({ feature: 'hour_rarity', z: null, baseline: { mean: null } });
  });

  it('tags brute force only for failure-driven windows with enough failures', () => {
    const devs = deviations(features, explanation, undefined, undefined);
    expect(attackTags({ logon_failures: 200, failure_ratio: 1 }, devs)).toEqual([
      'attack.credential-access',
      'attack.t1110',
    ]);
    expect(attackTags({ logon_failures: 5, failure_ratio: 1 }, devs)).toEqual([]);
    expect(attackTags({ logon_failures: 200, failure_ratio: 0.5 }, devs)).toEqual([]);
    expect(attackTags({ logon_failures: 200, failure_ratio: 1 }, devs.slice(1))).toEqual([]);
  });

  it('says it in one line', () => {
    const m = uebaMessage({
      model: 'ueba-ip',
      version: 3,
      score: 0.81234,
      threshold: 0.65,
      type: 'ip',
      value: '203.0.113.66',
      start: Date.parse('2026-03-06T03:00:00Z'),
      end: Date.parse('2026-03-06T04:00:00Z'),
      deviations: deviations(features, explanation, undefined, undefined),
    });
    expect(m).toBe(
      'ueba-ip v3 scored ip 203.0.113.66 0.812 (threshold 0.65) in 2026-03-06T03:00:00.000Z–2026-03-06T04:00:00.000Z: ' +
        'logon_failures 200 (no baseline); hour_rarity 4.80 (no baseline)',
    );
  });
});

describe('UEBA scored windows', () => {
  it('scores hosts and addresses always, user names once they did more than fail to log on', async () => {
    const { isScored } = await import('../../../src/detect/ueba/close.js');
    const { uebaEvent } = await import('../../../src/detect/ueba/event-view.js');
    const { updateBaseline } = await import('../../../src/detect/ueba/baseline.js');
    const fail = uebaEvent(1, 0, {
      user: { name: 'admin3' },
      event: { category: ['authentication'], outcome: 'failure' },
    });
    const ok = uebaEvent(2, 0, {
      user: { name: 'admin3' },
      event: { category: ['authentication'], outcome: 'success' },
    });
    const w = new EntityWindow('user', 'admin3', 0, 1);
    w.add(fail);
    expect(isScored(w, undefined)).toBe(false);
    expect(isScored(new EntityWindow('ip', '1.2.3.4', 0, 1), undefined)).toBe(true);
    const w2 = new EntityWindow('user', 'admin3', 0, 1);
    w2.add(ok);
    expect(isScored(w2, undefined)).toBe(true);
    expect(isScored(w, updateBaseline(undefined, w2, {}))).toBe(true);
    expect(isScored(w, updateBaseline(undefined, w, {}))).toBe(false);
  });
});

describe('UEBA scored windows: attempts without an outcome', () => {
  it('does not take logon attempts for activity', async () => {
    const { isScored } = await import('../../../src/detect/ueba/close.js');
    const { uebaEvent } = await import('../../../src/detect/ueba/event-view.js');
    const w = new EntityWindow('user', 'svc', 0, 1);
    w.add(
      uebaEvent(1, 0, { user: { name: 'svc' }, event: { code: '4648' }, winlog: { channel: 'Security' } }),
    );
    expect(isScored(w, undefined)).toBe(false);
    w.add(uebaEvent(2, 0, { user: { name: 'svc' }, event: { category: ['process'], type: ['start'] } }));
    expect(isScored(w, undefined)).toBe(true);
  });
});
