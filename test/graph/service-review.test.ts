/**
 * Review test: when the event cap truncates a window, the graph covers only
 * `[complete_from, to)`; a `new_edge` signal must not claim an edge was "never before in the
 * window since <requested from>" when the events before `complete_from` were never read.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GraphService } from '../../src/graph/service.js';
import type { Database } from '../../src/store/database.js';
import { EventStore, type NewEvent } from '../../src/store/events.js';
import { openTestDatabase, STORE_KINDS } from '../helpers/service.js';

const T0 = Date.parse('2026-04-01T00:00:00Z');
const HOUR = 3_600_000;

function sshLogon(hour: number, user: string, ip: string, host: string): NewEvent {
  const timestamp = new Date(T0 + hour * HOUR).toISOString();
  const ecs = {
    '@timestamp': timestamp,
    event: { category: ['authentication'], outcome: 'success' },
    host: { name: host },
    user: { name: user },
    source: { ip },
  };
  return {
    timestamp,
    ingested: timestamp,
    source: 'http',
    decoder: 'json',
    format: 'json',
    logsource: {},
    ecs,
    original: JSON.stringify(ecs),
  };
}

describe.each(STORE_KINDS)('attack paths on a truncated window (%s)', (kind) => {
  let database: Database;

  beforeAll(async () => {
    database = await openTestDatabase(kind);
    const store = await EventStore.open(database);
    await store.append([
      // alice → srv1 early in the window: left out by the cap below.
      sshLogon(1, 'alice', '10.0.0.5', 'srv1'),
      // Baseline traffic that is read.
      ...Array.from({ length: 20 }, (_, i) => sshLogon(50 + i, 'bob', '10.0.0.6', `app${i % 4}`)),
      // alice → srv1 again, late in the window.
      sshLogon(90, 'alice', '10.0.0.5', 'srv1'),
    ]);
  }, 60_000);
  afterAll(async () => {
    await database?.close();
  });

  it('states new edges against the part of the window it read', async () => {
    const graph = await GraphService.open(database.db, [], {
      now: () => new Date(T0 + 100 * HOUR),
      maxEvents: 21,
    });
    const r = await graph.attackPaths({
      from: new Date(T0).toISOString(),
      to: new Date(T0 + 100 * HOUR).toISOString(),
      maxHops: 3,
      maxNodes: 200,
      maxPaths: 100,
      maxSignals: 100,
      weight: 'hops',
      flows: false,
    });
    expect(r.events.truncated).toBe(true);
    const complete = Date.parse(r.events.complete_from!);
    expect(complete).toBe(T0 + 50 * HOUR);
    const fresh = r.signals.filter((s) => s.kind === 'new_edge');
    expect(fresh.length).toBeGreaterThan(0);
    for (const s of fresh) {
      if (s.kind !== 'new_edge') continue;
      expect(Date.parse(s.recent_from)).toBeGreaterThanOrEqual(complete);
      expect(s.explanation).not.toContain(new Date(T0).toISOString());
    }
  });
});
