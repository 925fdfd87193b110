import { describe, expect, it } from 'vitest';
import { matchesFilter, StreamHub } from '../../src/stream/hub.js';

function sink(readyAfter = 0) {
  const sent: unknown[] = [];
  let ready = readyAfter === 0;
  return {
    sent,
    open: () => {
      ready = true;
    },
    sink: { ready: () => ready, send: (t: string) => sent.push(JSON.parse(t)) },
  };
}

const item = (id: number, host: string, original: string) => ({
  id,
  event: undefined,
  row: {
    timestamp: '2026-11-20T00:00:00.000Z',
    ingested: '2026-11-20T00:00:00.000Z',
    source: 'http',
    decoder: 'json',
    format: 'json',
    logsource: {},
    ecs: { host: { name: host } },
    original,
  },
});

describe('live stream hub', () => {
  it('sends alerts to everyone and events only to subscribers whose filter they pass', () => {
    const hub = new StreamHub(10);
    const a = sink();
    const b = sink();
    hub.subscribe(a.sink);
    const sb = hub.subscribe(b.sink);
    sb.filter = { fields: { 'host.name': 'WS-1' }, text: 'POWERSHELL' };
    const alert = { id: 1, status: 'new' } as never;
    hub.publish(
      [item(1, 'WS-1', 'powershell -enc'), item(2, 'WS-2', 'powershell'), item(3, 'WS-1', 'notepad')],
      [{ kind: 'created', alert }],
    );
    expect(a.sent).toEqual([{ type: 'alert', change: 'created', alert: { id: 1, status: 'new' } }]);
    expect(b.sent.map((m) => (m as { type: string }).type)).toEqual(['alert', 'event']);
    expect((b.sent[1] as { event: { id: number } }).event.id).toBe(1);
  });

  it('drops the oldest messages of a slow subscriber, counts them and says so first when it catches up', () => {
    const dropped: number[] = [];
    const hub = new StreamHub(3, (n) => dropped.push(n));
    const slow = sink(1);
    const sub = hub.subscribe(slow.sink);
    sub.filter = {};
    hub.publish(
      [1, 2, 3, 4, 5].map((i) => item(i, 'h', 'x')),
      [],
    );
    expect(slow.sent).toEqual([]);
    expect(sub.droppedCount).toBe(2);
    expect(dropped).toEqual([1, 1]);
    slow.open();
    sub.flush();
    expect(slow.sent[0]).toEqual({ type: 'dropped', count: 2 });
    expect(slow.sent.slice(1).map((m) => (m as { event: { id: number } }).event.id)).toEqual([3, 4, 5]);
  });

  it('bounds a slow subscriber by size as well as by count', () => {
    const hub = new StreamHub(1000, () => undefined, 5000);
    const slow = sink(1);
    const sub = hub.subscribe(slow.sink);
    sub.filter = {};
    hub.publish(
      [1, 2, 3, 4].map((i) => item(i, 'h', 'x'.repeat(2000))),
      [],
    );
    expect(sub.droppedCount).toBe(2);
    slow.open();
    sub.flush();
    expect(
      slow.sent.map(
        (m) => (m as { type: string; count?: number }).count ?? (m as { event: { id: number } }).event.id,
      ),
    ).toEqual([2, 3, 4]);
  });

  it('matches filters on nested ECS fields, arrays and text without inherited keys', () => {
    const ecs = { host: { name: 'A' }, tags: ['x', 'y'] };
    expect(matchesFilter({ fields: { 'host.name': 'A' } }, ecs, '')).toBe(true);
    expect(matchesFilter({ fields: { tags: 'y' } }, ecs, '')).toBe(true);
    expect(matchesFilter({ fields: { 'host.constructor': 'x' } }, ecs, '')).toBe(false);
    expect(matchesFilter({ text: 'ABC' }, ecs, 'xxabcxx')).toBe(true);
    expect(matchesFilter({ fields: { 'host.name': 'B' } }, ecs, '')).toBe(false);
  });
});
