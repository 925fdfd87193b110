/**
 * The graph service over the event store (PGlite, and PostgreSQL when reachable), events written
 * with the event store: which events are read and which fields, the event cap, the default
 * window and the cache.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GraphService } from '../../src/graph/service.js';
import type { Database } from '../../src/store/database.js';
import { EventStore, type NewEvent } from '../../src/store/events.js';
import { openTestDatabase, STORE_KINDS } from '../helpers/service.js';

const T0 = Date.parse('2026-04-01T10:00:00Z');

function event(minute: number, ecs: Record<string, unknown>, original = '{}', decoder = 'json'): NewEvent {
  const timestamp = new Date(T0 + minute * 60_000).toISOString();
  return {
    timestamp,
    ingested: timestamp,
    source: 'http',
    decoder,
    format: 'json',
    logsource: {},
    ecs: { '@timestamp': timestamp, ...ecs },
    original,
  };
}

/** A flat (OTRF/nxlog) 4624 as the Windows decoder stores it: LogonType only in the original. */
function flatLogon(minute: number, user: string, ip: string, host: string, workstation: string): NewEvent {
  const original = JSON.stringify({
    EventID: 4624,
    Channel: 'Security',
    Hostname: host,
    TargetUserName: user,
    IpAddress: ip,
    LogonType: '10',
    WorkstationName: workstation,
  });
  return event(
    minute,
    {
      event: { code: '4624', provider: 'Microsoft-Windows-Security-Auditing' },
      winlog: { channel: 'Security' },
      host: { name: host },
      user: { name: user },
      source: { ip },
    },
    original,
    'windows-flat-json',
  );
}

function conn(minute: number, src: string, dst: string, port: number): NewEvent {
  return event(minute, {
    event: { category: ['network'] },
    source: { ip: src },
    destination: { ip: dst, port },
  });
}

describe.each(STORE_KINDS)('graph service on %s', (kind) => {
  let database: Database;
  let store: EventStore;
  let now = T0 + 3_600_000;
  const clock = () => new Date(now);

  beforeAll(async () => {
    database = await openTestDatabase(kind);
    store = await EventStore.open(database);
    await store.append([
      flatLogon(1, 'dave', '10.1.0.7', 'APP1.corp', 'JUMP1'),
      // The ECS document may carry the Windows field itself (an ECS shipper): it wins.
      event(2, {
        event: { category: ['authentication'], outcome: 'success' },
        host: { name: 'app2' },
        user: { name: 'erin' },
        source: { ip: '::ffff:10.1.0.8' },
        winlog: { event_data: { LogonType: 3 } },
      }),
      // Not read: a process event, a failed authentication is read but adds nothing.
      event(3, {
        event: { category: ['process'] },
        host: { name: 'app1' },
        process: { executable: 'x.exe' },
      }),
      event(4, {
        event: { category: ['authentication'], outcome: 'failure' },
        host: { name: 'app1' },
        user: { name: 'x' },
        source: { ip: '10.1.0.9' },
      }),
      ...[5, 6, 7, 8, 9].map((m) => conn(m, '10.1.0.7', `10.1.1.${m}`, 445)),
    ]);
  }, 60_000);
  afterAll(async () => {
    await database?.close();
  });

  it('reads the fields the graph needs, LogonType and WorkstationName from a Windows original', async () => {
    const graph = await GraphService.open(database.db, [], { now: clock });
    const t = await graph.topology({ limit: 100 });
    expect(t.window).toEqual({
      from: new Date(now - 86_400_000).toISOString(),
      to: new Date(now).toISOString(),
    });
    expect(t.events).toEqual({ read: 8, used: 7, truncated: false });
    const logon = t.edges.find((e) => e.id === 'logon|user:dave|host:app1');
    expect(logon?.logon_types).toEqual([10]);
    expect(t.edges.map((e) => e.id)).toContain('address|host:jump1|ip:10.1.0.7');
    expect(t.edges.find((e) => e.id === 'logon|user:erin|host:app2')?.logon_types).toEqual([3]);
    expect(t.edges.map((e) => e.id)).toContain('auth|ip:10.1.0.8|user:erin');
    const fan = (
      await graph.attackPaths({
        maxHops: 2,
        maxNodes: 10,
        maxPaths: 10,
        maxSignals: 10,
        weight: 'hops',
        flows: false,
      })
    ).signals;
    expect(fan.map((s) => [s.kind, s.entity])).toContainEqual(['fan_out', 'ip:10.1.0.7']);
  });

  it('keeps the newest events up to the cap and says from when the graph is complete', async () => {
    const graph = await GraphService.open(database.db, [], { now: clock, maxEvents: 5 });
    const t = await graph.topology({ limit: 100 });
    expect(t.events).toMatchObject({
      read: 5,
      truncated: true,
      complete_from: new Date(T0 + 5 * 60_000).toISOString(),
    });
  });

  it('reuses a built graph for the cache lifetime, then reads again', async () => {
    const graph = await GraphService.open(database.db, [], { now: clock, cacheMs: 60_000 });
    const q = { from: new Date(T0).toISOString(), to: new Date(T0 + 3_600_000).toISOString(), limit: 100 };
    expect((await graph.topology(q)).events.read).toBe(8);
    await store.append([conn(30, '10.1.0.9', '10.1.1.30', 22)]);
    now += 30_000;
    expect((await graph.topology(q)).events.read).toBe(8);
    now += 31_000;
    expect((await graph.topology(q)).events.read).toBe(9);
  });

  it('refuses a window it cannot read', async () => {
    const graph = await GraphService.open(database.db, [], { now: clock });
    await expect(graph.topology({ from: 'yesterday', limit: 1 })).rejects.toMatchObject({
      code: 'VIGIL_ERR_BAD_REQUEST',
    });
    await expect(
      graph.topology({ from: '2026-01-01T00:00:00Z', to: '2026-03-01T00:00:00Z', limit: 1 }),
    ).rejects.toMatchObject({ code: 'VIGIL_ERR_BAD_REQUEST' });
  });

  it('refuses a configured critical asset that is not a host or an address', async () => {
    await expect(GraphService.open(database.db, ['bad name'], { now: clock })).rejects.toMatchObject({
      code: 'VIGIL_ERR_CONFIG',
      message: expect.stringContaining('VIGIL_CRITICAL_ASSETS'),
    });
  });
});
