import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';

describe('incident settings', () => {
  it('group alerts on host, user and ip within 24 h by default', () => {
    const c = loadConfig({}, {});
    expect(c.incidentWindowMs).toBe(86_400_000);
    expect(c.incidentGroupBy).toEqual(['host', 'user', 'ip']);
  });

  it('take a window in ms (0 = no automatic incidents) and a comma-separated entity list', () => {
    const c = loadConfig({}, { VIGIL_INCIDENT_WINDOW_MS: '0', VIGIL_INCIDENT_GROUP_BY: ' ip , host ' });
    expect(c.incidentWindowMs).toBe(0);
    expect(c.incidentGroupBy).toEqual(['host', 'ip']);
  });

  it('name the setting when a value is wrong', () => {
    expect(() => loadConfig({}, { VIGIL_INCIDENT_GROUP_BY: 'host,mac' })).toThrow(/VIGIL_INCIDENT_GROUP_BY/);
    expect(() => loadConfig({}, { VIGIL_INCIDENT_GROUP_BY: ',' })).toThrow(/VIGIL_INCIDENT_GROUP_BY/);
    expect(() => loadConfig({}, { VIGIL_INCIDENT_WINDOW_MS: '-1' })).toThrow(/VIGIL_INCIDENT_WINDOW_MS/);
  });
});
