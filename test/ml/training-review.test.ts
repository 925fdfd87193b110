/**
 * Review tests: a database error while the runner records a job's outcome must neither crash
 * the process (an unhandled rejection) nor stall the queue, and a trainer's error text is stored
 * even when it holds a NUL (PostgreSQL text cannot).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Kysely } from 'kysely';
import { ModelRegistry } from '../../src/ml/registry.js';
import { TrainingService } from '../../src/ml/training.js';
import type { ModelTrainer, TrainedModel } from '../../src/ml/types.js';
import type { Database } from '../../src/store/database.js';
import { EventStore } from '../../src/store/events.js';
import type { DatabaseSchema } from '../../src/store/schema.js';
import { openTestDatabase, STORE_KINDS } from '../helpers/service.js';
import { HostActivityTrainer, hostEvents } from './host-trainer.js';

const DAY = 86_400_000;
const T0 = new Date('2026-11-20T12:00:00Z');
const ADMIN = { name: 'user:admin', ip: '127.0.0.1' };

/** Fails with a message that carries a NUL (e.g. quoting a raw field value). */
class NulTrainer implements ModelTrainer {
  readonly description = 'fails with a NUL in its error';
  constructor(readonly name: string) {}
  train(_db: Kysely<DatabaseSchema>): Promise<TrainedModel> {
    return Promise.reject(new Error('cannot read field "a\u0000b"'));
  }
}

describe.each(STORE_KINDS)('training runner robustness (%s)', (kind) => {
  let database: Database;
  let registry: ModelRegistry;
  const now = (): Date => T0;

  beforeAll(async () => {
    database = await openTestDatabase(kind);
    const events = await EventStore.open(database);
    await events.append(hostEvents(6, 12, new Date(T0.getTime() - 3_600_000)));
    registry = await ModelRegistry.open(database.db, { now });
  }, 60_000);
  afterAll(async () => {
    await database?.close();
  });

  it('records a failure whose message holds a NUL, and runs the next job', async () => {
    const training = await TrainingService.open({
      db: database.db,
      registry,
      trainers: [new NulTrainer('nul'), new HostActivityTrainer('after-nul')],
      now,
      trainingWindowMs: DAY,
      retrainMs: 0,
    });
    const [bad, good] = await training.start({ models: ['nul', 'after-nul'] }, ADMIN);
    await training.idle();
    const failed = await training.status(bad!.id);
    expect(failed.status).toBe('failed');
    expect(failed.error).toContain('cannot read field');
    expect((await training.status(good!.id)).status).toBe('succeeded');
  });

  it('keeps running queued jobs when recording an outcome throws', async () => {
    let calls = 0;
    const training = await TrainingService.open({
      db: database.db,
      registry,
      trainers: [new HostActivityTrainer('first'), new HostActivityTrainer('second')],
      now,
      trainingWindowMs: DAY,
      retrainMs: 0,
      onFinished: () => {
        calls++;
        throw new Error('metrics sink down');
      },
    });
    const [first, second] = await training.start({ models: ['first', 'second'] }, ADMIN);
    await training.idle();
    expect(calls).toBe(2);
    expect((await training.status(first!.id)).status).toBe('succeeded');
    expect((await training.status(second!.id)).status).toBe('succeeded');
  });
});
