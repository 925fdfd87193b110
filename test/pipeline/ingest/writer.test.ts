import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeJson } from '../../../src/pipeline/decoders/json.js';
import { DEFAULT_DECODE_OPTIONS } from '../../../src/pipeline/decoders/types.js';
import type { PreparedEvent } from '../../../src/pipeline/ingest/prepare.js';
import { EventWriter, type StoredBatch } from '../../../src/pipeline/ingest/writer.js';
import type { Database } from '../../../src/store/database.js';
import { EventStore } from '../../../src/store/events.js';
import { openTestDatabase } from '../../helpers/service.js';

function events(n: number, tag: string): PreparedEvent[] {
  return Array.from({ length: n }, (_, i) => {
    const original = JSON.stringify({ tag, i });
    return {
      event: decodeJson(JSON.parse(original), DEFAULT_DECODE_OPTIONS)!,
      row: {
        timestamp: '2026-11-20T00:00:00.000Z',
        ingested: '2026-11-20T00:00:00.000Z',
        source: 'test',
        decoder: 'json',
        format: 'json',
        logsource: {},
        ecs: { tag, i },
        original,
      },
    };
  });
}

describe('event writer', () => {
  let database: Database;
  let store: EventStore;
  beforeAll(async () => {
    database = await openTestDatabase('pglite');
    store = await EventStore.open(database);
  }, 60_000);
  afterAll(async () => {
    await database.close();
  });

  it('appends a large submission in batches with contiguous ids and acknowledges it once stored', async () => {
    const batches: StoredBatch[] = [];
    const writer = new EventWriter(store, {
      maxQueued: 10_000,
      batchEvents: 1000,
      onStored: (b) => batches.push(b),
    });
    const first = await writer.submit(events(2500, 'big'));
    expect(batches.map((b) => [b.firstId, b.events.length])).toEqual([
      [first, 1000],
      [first + 1000, 1000],
      [first + 2000, 500],
    ]);
    const stored = await store.readAfter(first - 1, 3000);
    expect(stored).toHaveLength(2500);
    expect(stored.map((e) => e.id)).toEqual(Array.from({ length: 2500 }, (_, i) => first + i));
    expect(JSON.parse(stored[2499]!.original)).toEqual({ tag: 'big', i: 2499 });
    await writer.close();
  });

  it('refuses work with VIGIL_ERR_BUSY when the queue is full, and accepts again once drained', async () => {
    const writer = new EventWriter(store, { maxQueued: 100, batchEvents: 1000, onStored: () => undefined });
    const a = writer.submit(events(80, 'a'));
    expect(writer.accepts(30)).toBe(false);
    await expect(writer.submit(events(30, 'b'))).rejects.toMatchObject({
      code: 'VIGIL_ERR_BUSY',
      statusCode: 429,
    });
    await a;
    expect(writer.depth).toBe(0);
    await expect(writer.submit(events(30, 'c'))).resolves.toBeGreaterThan(0);
    await writer.close();
    await expect(writer.submit(events(1, 'd'))).rejects.toMatchObject({ code: 'VIGIL_ERR_UNAVAILABLE' });
  });
});
