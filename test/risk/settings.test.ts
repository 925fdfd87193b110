import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { VigilError } from '../../src/errors.js';

describe('risk settings', () => {
  it('default to a threshold of 100 points and a 24 h half-life', () => {
    const c = loadConfig({}, {});
    expect(c.riskThreshold).toBe(100);
    expect(c.riskHalfLifeMs).toBe(86_400_000);
  });

  it('read VIGIL_RISK_THRESHOLD and VIGIL_RISK_HALF_LIFE_MS', () => {
    const c = loadConfig({}, { VIGIL_RISK_THRESHOLD: '250', VIGIL_RISK_HALF_LIFE_MS: '3600000' });
    expect(c.riskThreshold).toBe(250);
    expect(c.riskHalfLifeMs).toBe(3_600_000);
  });

  it('refuse values out of range, naming the variable', () => {
    for (const [name, value] of [
      ['VIGIL_RISK_THRESHOLD', '0'],
      ['VIGIL_RISK_THRESHOLD', '12.5'],
      ['VIGIL_RISK_HALF_LIFE_MS', '1000'],
      ['VIGIL_RISK_HALF_LIFE_MS', 'a day'],
    ] as const) {
      const err = (() => {
        try {
          loadConfig({}, { [name]: value });
        } catch (e) {
          return e;
        }
        return undefined;
      })();
      expect(err).toBeInstanceOf(VigilError);
      expect((err as VigilError).code).toBe('VIGIL_ERR_CONFIG');
      expect((err as Error).message).toContain(name);
    }
  });
});
