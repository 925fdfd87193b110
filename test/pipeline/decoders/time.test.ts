import fc from 'fast-check';
import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import { normalizeTimestamp } from '../../../src/pipeline/decoders/time.js';

const UTC = { year: 2026, timezone: 'UTC' };

describe('normalizeTimestamp', () => {
  it('reads UTC timestamps with any fraction length, cut to milliseconds', () => {
    expect(normalizeTimestamp('2019-03-02T08:51:00.0081234Z', UTC)).toBe('2019-03-02T08:51:00.008Z');
    expect(normalizeTimestamp('2019-03-02T08:51:00Z', UTC)).toBe('2019-03-02T08:51:00.000Z');
    expect(normalizeTimestamp('2019-03-02T08:51:00.5Z', UTC)).toBe('2019-03-02T08:51:00.500Z');
  });

  it('refuses dates that do not exist', () => {
    expect(normalizeTimestamp('2019-02-30T00:00:00Z', UTC)).toBeUndefined();
    expect(normalizeTimestamp('2019-13-01T00:00:00Z', UTC)).toBeUndefined();
  });

  it('keeps offsets and reads zone-less times in the configured zone', () => {
    expect(normalizeTimestamp('2017-01-30T16:12:26.985026+0100', UTC)).toBe('2017-01-30T15:12:26.985Z');
    expect(normalizeTimestamp('2017-01-30 16:12:26', { year: 2026, timezone: 'Europe/Berlin' })).toBe(
      '2017-01-30T15:12:26.000Z',
    );
  });

  it('agrees with Luxon on every valid UTC instant (the fast path is exact)', () => {
    fc.assert(
      fc.property(
        fc.date({ min: new Date('1970-01-01'), max: new Date('9999-12-31'), noInvalidDate: true }),
        (d) => {
          const text = d.toISOString();
          const viaLuxon = DateTime.fromISO(text, { setZone: true }).toUTC().toISO();
          expect(normalizeTimestamp(text, UTC)).toBe(viaLuxon);
        },
      ),
    );
  });
});
