import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  applyBatch,
  currentScore,
  DEFAULT_RISK_PARAMS,
  EMPTY_RISK,
  type EntityRisk,
  rankFloor,
  rankKey,
  REARM_FRACTION,
  type RiskInput,
  riskLevel,
  scoreInput,
} from '../../src/risk/score.js';

const H = 3_600_000; // one hour
const PARAMS = { threshold: 100, halfLifeMs: H };
const T0 = Date.parse('2026-11-20T10:00:00Z');

function alert(over: Partial<RiskInput> = {}): RiskInput {
  return { kind: 'created', ruleId: 'r1', level: 'high', status: 'stable', tactics: ['TA0002'], ...over };
}

/** Scores inputs one after the other at the same time and returns the score. */
function scoreOf(inputs: readonly RiskInput[], state: EntityRisk = EMPTY_RISK): number {
  return currentScore(applyBatch(state, inputs, T0, PARAMS).state, T0, H);
}

describe('base points and multipliers', () => {
  it('weights by level: informational < low < medium < high < critical (event.severity)', () => {
    const points = ['informational', 'low', 'medium', 'high', 'critical'].map((level) =>
      scoreOf([alert({ level })]),
    );
    expect(points).toEqual([10, 21, 47, 73, 99]);
  });

  it('counts an unknown level as medium', () => {
    expect(scoreOf([alert({ level: 'urgent' })])).toBe(47);
  });

  it('weights by rule status: stable > test > experimental; no status counts as experimental', () => {
    const [stable, test, experimental, none] = ['stable', 'test', 'experimental', null].map((status) =>
      scoreOf([alert({ status })]),
    );
    expect(stable).toBe(73);
    expect(test).toBeCloseTo(73 * 0.8, 10);
    expect(experimental).toBeCloseTo(73 * 0.5, 10);
    expect(none).toBe(experimental);
    expect(stable!).toBeGreaterThan(test!);
    expect(test!).toBeGreaterThan(experimental!);
  });

  it('explains each input by its factors', () => {
    const r = applyBatch(
      EMPTY_RISK,
      [
        alert({ ruleId: 'a', tactics: ['TA0002'] }),
        alert({ ruleId: 'b', tactics: ['TA0005'], status: 'test' }),
      ],
      T0,
      PARAMS,
    );
    expect(r.scored[0]).toMatchObject({
      base: 73,
      status: 1,
      diversity: 1,
      repetition: 1,
      points: 73,
      newTactics: [],
    });
    expect(r.scored[1]).toMatchObject({
      base: 73,
      status: 0.8,
      diversity: 1.5,
      repetition: 1,
      newTactics: ['TA0005'],
    });
    expect(r.scored[1]!.points).toBeCloseTo(73 * 0.8 * 1.5, 10);
  });
});

describe('tactic diversity counts more than repetition', () => {
  it('3 alerts of 3 tactics score higher than 3 alerts of one rule', () => {
    const diverse = scoreOf([
      alert({ ruleId: 'a', tactics: ['TA0002'] }),
      alert({ ruleId: 'b', tactics: ['TA0005'] }),
      alert({ ruleId: 'c', tactics: ['TA0040'] }),
    ]);
    const repeated = scoreOf([alert({ ruleId: 'a' }), alert({ ruleId: 'a' }), alert({ ruleId: 'a' })]);
    expect(diverse).toBeCloseTo(73 + 73 * 1.5 * 2, 10);
    expect(repeated).toBeCloseTo(73 * (1 + 2 ** -1.5 + 3 ** -1.5), 10);
    expect(diverse).toBeGreaterThan(2 * repeated);
  });

  it('3 rules of 3 tactics score higher than 3 rules of one tactic', () => {
    const threeTactics = scoreOf([
      alert({ ruleId: 'a', tactics: ['TA0002'] }),
      alert({ ruleId: 'b', tactics: ['TA0005'] }),
      alert({ ruleId: 'c', tactics: ['TA0040'] }),
    ]);
    const oneTactic = scoreOf([alert({ ruleId: 'a' }), alert({ ruleId: 'b' }), alert({ ruleId: 'c' })]);
    expect(oneTactic).toBe(3 * 73);
    expect(threeTactics).toBeGreaterThan(oneTactic);
  });

  it('adds a diminishing amount for the Nth alert of the same rule: (1 + N-1)^-1.5', () => {
    const r = applyBatch(EMPTY_RISK, [alert(), alert(), alert(), alert()], T0, PARAMS);
    expect(r.scored.map((s) => s.repetition)).toEqual([1, 2 ** -1.5, 3 ** -1.5, 4 ** -1.5]);
  });

  it('bounds what one rule alone can add by ζ(1.5) ≈ 2.612 × its points', () => {
    const many = Array.from({ length: 2000 }, () => alert({ level: 'critical' }));
    const s = scoreOf(many);
    expect(s).toBeGreaterThan(99 * 2.5);
    expect(s).toBeLessThan(99 * 2.6124);
  });

  it('gives no bonus for the first alert’s tactics, and at most × 2 for one alert', () => {
    const first = applyBatch(EMPTY_RISK, [alert({ tactics: ['TA0002', 'TA0005'] })], T0, PARAMS);
    expect(first.scored[0]!.diversity).toBe(1);
    const wide = scoreInput(
      first.state,
      alert({ ruleId: 'w', tactics: ['TA0001', 'TA0003', 'TA0004'] }),
      T0,
      H,
    );
    expect(wide.scored.diversity).toBe(2);
    expect(wide.scored.newTactics).toEqual(['TA0001', 'TA0003']);
  });

  it('forgets a tactic after 7 half-lives without alerts: it is new again', () => {
    const s1 = scoreInput(EMPTY_RISK, alert({ ruleId: 'a', tactics: ['TA0002'] }), T0, H).state;
    const s2 = scoreInput(s1, alert({ ruleId: 'b', tactics: ['TA0005'] }), T0 + 6 * H, H).state;
    // TA0002 was last seen 7 h before, TA0005 1 h before: TA0002 is still known at T0 + 7 h ...
    expect(scoreInput(s2, alert({ ruleId: 'c', tactics: ['TA0002'] }), T0 + 7 * H, H).scored.diversity).toBe(
      1,
    );
    // ... and forgotten just after.
    expect(
      scoreInput(s2, alert({ ruleId: 'c', tactics: ['TA0002'] }), T0 + 7 * H + 1, H).scored.diversity,
    ).toBe(1.5);
  });
});

describe('suppressed repeats', () => {
  it('add a quarter of what a new alert of the rule would add, diminishing like repetition', () => {
    const r = applyBatch(
      EMPTY_RISK,
      [alert(), alert({ kind: 'suppressed' }), alert({ kind: 'suppressed' })],
      T0,
      PARAMS,
    );
    expect(r.scored.map((s) => s.points)).toEqual([73, 73 * 0.25 * 2 ** -1.5, 73 * 0.25 * 3 ** -1.5]);
  });

  it('a brute force of 1000 matches folded into one alert adds less than 1.4 × the alert', () => {
    const s = scoreOf([alert(), ...Array.from({ length: 999 }, () => alert({ kind: 'suppressed' }))]);
    expect(s).toBeGreaterThan(73);
    expect(s).toBeLessThan(73 * 1.4);
  });
});

describe('decay', () => {
  it('halves a score at the half-life, quarters it at two', () => {
    const { state } = applyBatch(EMPTY_RISK, [alert()], T0, PARAMS);
    expect(currentScore(state, T0 + H, H)).toBeCloseTo(36.5, 10);
    expect(currentScore(state, T0 + 2 * H, H)).toBeCloseTo(18.25, 10);
  });

  it('never grows a score for a time before its last contribution', () => {
    const { state } = applyBatch(EMPTY_RISK, [alert()], T0, PARAMS);
    expect(currentScore(state, T0 - H, H)).toBe(73);
  });

  it('repetition decays too: a rule quiet for many half-lives counts almost as new', () => {
    const s1 = scoreInput(EMPTY_RISK, alert(), T0, H).state;
    expect(scoreInput(s1, alert(), T0, H).scored.repetition).toBeCloseTo(2 ** -1.5, 10);
    expect(scoreInput(s1, alert(), T0 + 20 * H, H).scored.repetition).toBeGreaterThan(0.999);
  });

  it('is the sum of each contribution halved per half-life since it was scored (any times, any order of kinds)', () => {
    const input = fc.record({
      kind: fc.constantFrom('created' as const, 'suppressed' as const),
      ruleId: fc.constantFrom('a', 'b', 'c'),
      level: fc.constantFrom('low', 'medium', 'high'),
      status: fc.constantFrom('stable', 'test', null),
      tactics: fc.subarray(['TA0001', 'TA0002', 'TA0005']),
    });
    fc.assert(
      fc.property(
        fc.array(fc.tuple(input, fc.integer({ min: 0, max: 3 * H })), { maxLength: 30 }),
        (steps) => {
          let state = EMPTY_RISK;
          let t = T0;
          let expected = 0;
          const added: { points: number; at: number }[] = [];
          for (const [i, dt] of steps) {
            t += dt;
            const r = scoreInput(state, i, t, H);
            state = r.state;
            added.push({ points: r.scored.points, at: t });
          }
          const end = t + H;
          for (const a of added) expected += a.points * 2 ** (-(end - a.at) / H);
          expect(currentScore(state, end, H)).toBeCloseTo(expected, 6);
          expect(currentScore(state, end, H)).toBeGreaterThanOrEqual(0);
        },
      ),
    );
  });
});

describe('threshold crossing (hysteresis)', () => {
  const high = (ruleId: string, tactic: string) => alert({ ruleId, tactics: [tactic] });

  it('crosses once, not again while the score stays above half the threshold', () => {
    const b1 = applyBatch(EMPTY_RISK, [high('a', 'TA0002')], T0, PARAMS);
    expect(b1.crossed).toBe(false);
    const b2 = applyBatch(b1.state, [high('b', 'TA0005')], T0 + 1000, PARAMS);
    expect(b2.crossed).toBe(true);
    expect(currentScore(b2.state, T0 + 1000, H)).toBeGreaterThanOrEqual(100);
    const b3 = applyBatch(b2.state, [high('c', 'TA0040')], T0 + 2000, PARAMS);
    expect(b3.crossed).toBe(false);
    // Decayed to 0.6 × the threshold (between the re-arm level and the threshold), then pushed
    // over it again: still the same crossing.
    const score = currentScore(b3.state, T0 + 2000, H);
    const t60 = T0 + 2000 + H * Math.log2(score / 60);
    const b4 = applyBatch(b3.state, [high('d', 'TA0003')], t60, PARAMS);
    expect(currentScore(b4.state, t60, H)).toBeGreaterThanOrEqual(100);
    expect(b4.crossed).toBe(false);
  });

  it('re-arms once the score fell below half the threshold, and crosses again', () => {
    const crossed = applyBatch(EMPTY_RISK, [high('a', 'TA0002'), high('b', 'TA0005')], T0, PARAMS);
    expect(crossed.crossed).toBe(true);
    const score = currentScore(crossed.state, T0, H);
    const below = T0 + H * Math.log2(score / (REARM_FRACTION * 100)) + 1;
    const again = applyBatch(crossed.state, [high('c', 'TA0040'), high('d', 'TA0003')], below, PARAMS);
    expect(again.crossed).toBe(true);
  });

  it('does not cross below the threshold', () => {
    const r = applyBatch(EMPTY_RISK, [alert({ level: 'critical' })], T0, PARAMS);
    expect(currentScore(r.state, T0, H)).toBe(99);
    expect(r.crossed).toBe(false);
    expect(r.state.crossed).toBe(false);
  });

  it('uses the default threshold of 100 and a 24 h half-life', () => {
    expect(DEFAULT_RISK_PARAMS).toEqual({ threshold: 100, halfLifeMs: 86_400_000 });
  });
});

describe('risk level', () => {
  it('maps scores relative to the threshold', () => {
    expect([0, 19.9, 20, 49.9, 50, 99.9, 100, 249.9, 250].map((s) => riskLevel(s, 100))).toEqual([
      'informational',
      'informational',
      'low',
      'low',
      'medium',
      'medium',
      'high',
      'high',
      'critical',
    ]);
  });
});

describe('rank key', () => {
  it('orders entities by their decayed score at any later time', () => {
    fc.assert(
      fc.property(
        fc.tuple(fc.double({ min: 0.01, max: 1e4, noNaN: true }), fc.integer({ min: 0, max: 100 * H })),
        fc.tuple(fc.double({ min: 0.01, max: 1e4, noNaN: true }), fc.integer({ min: 0, max: 100 * H })),
        fc.integer({ min: 0, max: 10 * H }),
        ([s1, a1], [s2, a2], later) => {
          const now = T0 + Math.max(a1, a2) + later;
          const d1 = s1 * 2 ** (-(now - (T0 + a1)) / H);
          const d2 = s2 * 2 ** (-(now - (T0 + a2)) / H);
          const k1 = rankKey(s1, T0 + a1, H);
          const k2 = rankKey(s2, T0 + a2, H);
          if (Math.abs(d1 - d2) > 1e-9 * Math.max(d1, d2)) expect(k1 > k2).toBe(d1 > d2);
        },
      ),
    );
  });

  it('puts the score floor at the key of an entity scoring exactly that now', () => {
    const now = T0 + 5 * H;
    expect(rankKey(40, T0, H)).toBeCloseTo(rankFloor(40 / 32, now, H), 9);
  });
});
