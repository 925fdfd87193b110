import { describe, expect, it } from 'vitest';
import { VigilError } from '../../src/errors.js';
import { riskSeverity, worstSeverity } from '../../src/incidents/severity.js';
import { INCIDENT_STATUSES } from '../../src/incidents/types.js';
import {
  alertStatusOnClose,
  checkTransition,
  INCIDENT_TRANSITIONS,
  responseTimes,
  transitionTimes,
} from '../../src/incidents/workflow.js';
import { alertEntities } from '../../src/incidents/work.js';
import { groupTitle } from '../../src/incidents/grouping.js';

const t = (s: string) => new Date(`2026-11-20T${s}Z`);
const none = { acknowledged_at: null, contained_at: null, resolved_at: null };

describe('status workflow', () => {
  it('goes open → investigating → contained → resolved, and allows skipping steps forwards', () => {
    expect(() => checkTransition(1, 'open', 'investigating')).not.toThrow();
    expect(() => checkTransition(1, 'investigating', 'contained')).not.toThrow();
    expect(() => checkTransition(1, 'contained', 'resolved')).not.toThrow();
    expect(() => checkTransition(1, 'open', 'resolved')).not.toThrow();
    expect(() => checkTransition(1, 'open', 'false_positive')).not.toThrow();
  });

  it('refuses going back to open, leaving duplicate, and setting duplicate (merges do that)', () => {
    for (const [from, to] of [
      ['investigating', 'open'],
      ['resolved', 'open'],
      ['resolved', 'contained'],
      ['duplicate', 'investigating'],
      ['open', 'duplicate'],
    ] as const) {
      let err: unknown;
      try {
        checkTransition(7, from, to);
      } catch (e) {
        err = e;
      }
      expect(err, `${from} → ${to}`).toBeInstanceOf(VigilError);
      expect((err as VigilError).code).toBe('VIGIL_ERR_INCIDENT_TRANSITION');
      expect((err as VigilError).statusCode).toBe(409);
    }
  });

  it('reopens closed incidents to investigating only', () => {
    expect(INCIDENT_TRANSITIONS.resolved).toEqual(['investigating']);
    expect(INCIDENT_TRANSITIONS.false_positive).toEqual(['investigating']);
    expect(INCIDENT_TRANSITIONS.duplicate).toEqual([]);
    expect(Object.keys(INCIDENT_TRANSITIONS).sort()).toEqual([...INCIDENT_STATUSES].sort());
  });
});

describe('transition timestamps', () => {
  it('acknowledged on the first move out of open, contained on the first containment, resolved on closing', () => {
    expect(transitionTimes(none, 'investigating', t('10:00:00'))).toEqual({ acknowledged_at: t('10:00:00') });
    const ack = { ...none, acknowledged_at: t('10:00:00') };
    expect(transitionTimes(ack, 'contained', t('11:00:00'))).toEqual({ contained_at: t('11:00:00') });
    expect(transitionTimes(none, 'resolved', t('12:00:00'))).toEqual({
      acknowledged_at: t('12:00:00'),
      resolved_at: t('12:00:00'),
    });
  });

  it('keeps the first acknowledgement and containment, and clears resolved_at on reopening', () => {
    const closed = {
      acknowledged_at: t('10:00:00'),
      contained_at: t('11:00:00'),
      resolved_at: t('12:00:00'),
    };
    expect(transitionTimes(closed, 'investigating', t('13:00:00'))).toEqual({ resolved_at: null });
    expect(transitionTimes({ ...closed, resolved_at: null }, 'contained', t('14:00:00'))).toEqual({});
  });
});

describe('response times', () => {
  const row = {
    status: 'resolved',
    first_seen: t('09:00:00'),
    first_alert_at: t('09:05:00'),
    created_at: t('09:05:00'),
    acknowledged_at: t('09:15:00'),
    contained_at: t('10:05:00'),
    resolved_at: t('12:05:00'),
  };

  it('MTTD is first alert − first event; MTTA, MTTC and MTTR count from the first alert', () => {
    expect(responseTimes(row)).toEqual({
      mttd_ms: 5 * 60_000,
      mtta_ms: 10 * 60_000,
      mttc_ms: 60 * 60_000,
      mttr_ms: 3 * 3_600_000,
    });
  });

  it('MTTR only for resolved incidents; unknown steps are null; a manual incident counts from its creation', () => {
    expect(responseTimes({ ...row, status: 'false_positive' }).mttr_ms).toBeNull();
    expect(
      responseTimes({
        ...row,
        first_seen: null,
        first_alert_at: null,
        contained_at: null,
        created_at: t('09:10:00'),
      }),
    ).toEqual({ mttd_ms: null, mtta_ms: 5 * 60_000, mttc_ms: null, mttr_ms: 175 * 60_000 });
  });
});

describe('closing and alerts', () => {
  it('resolved resolves the open alerts, false_positive marks them false positives, nothing else touches them', () => {
    expect(alertStatusOnClose('resolved')).toBe('resolved');
    expect(alertStatusOnClose('false_positive')).toBe('false_positive');
    for (const s of ['open', 'investigating', 'contained', 'duplicate'] as const)
      expect(alertStatusOnClose(s)).toBeUndefined();
  });
});

describe('severity', () => {
  it('is the worst Sigma level; risk from 70 makes it high, from 90 critical', () => {
    expect(worstSeverity(['low', 'high', 'medium'])).toBe('high');
    expect(worstSeverity([])).toBe('informational');
    expect(worstSeverity(['not-a-level'])).toBe('medium');
    expect(riskSeverity(99.9, 100)).toBeUndefined();
    expect(riskSeverity(100, 100)).toBe('high');
    expect(riskSeverity(249, 100)).toBe('high');
    expect(riskSeverity(250, 100)).toBe('critical');
    expect(riskSeverity(70, 50)).toBe('high');
    expect(riskSeverity(null, 100)).toBeUndefined();
  });
});

describe('grouping entities', () => {
  const alert = { host_name: 'WS-01', user_name: 'alice', source_ip: '203.0.113.9', rule_id: 'r1' };
  it('groups on host.name, user.name and source.ip, as configured', () => {
    expect(alertEntities(alert, ['host', 'user', 'ip'])).toEqual([
      { type: 'host', value: 'WS-01' },
      { type: 'user', value: 'alice' },
      { type: 'ip', value: '203.0.113.9' },
    ]);
    expect(alertEntities(alert, ['ip'])).toEqual([{ type: 'ip', value: '203.0.113.9' }]);
  });

  it('groups an alert without those entities with alerts of its rule', () => {
    const bare = { host_name: null, user_name: null, source_ip: null, rule_id: 'r1' };
    expect(alertEntities(bare, ['host', 'user', 'ip'])).toEqual([{ type: 'rule', value: 'r1' }]);
    expect(alertEntities(alert, [])).toEqual([{ type: 'rule', value: 'r1' }]);
  });

  it('titles an incident after its first alert and entity', () => {
    expect(groupTitle({ rule_title: 'Encoded PowerShell' }, [{ type: 'host', value: 'WS-01' }])).toBe(
      'Encoded PowerShell on host WS-01',
    );
    expect(groupTitle({ rule_title: 'SSH failures' }, [{ type: 'ip', value: '203.0.113.9' }])).toBe(
      'SSH failures from 203.0.113.9',
    );
    expect(groupTitle({ rule_title: 'Odd' }, [{ type: 'rule', value: 'r1' }])).toBe('Odd');
  });
});
