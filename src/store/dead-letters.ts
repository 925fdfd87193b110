/**
 * Ingest dead letters: input that could not be decoded, kept with the reason and the raw text.
 */
import type { Database } from './database.js';

export interface NewDeadLetter {
  readonly source: string;
  /** 1-based line in the request body, when the input had lines. */
  readonly line: number | null;
  readonly reason: string;
  readonly raw: string;
}

export interface DeadLetter extends NewDeadLetter {
  readonly id: number;
  readonly received: string;
  readonly replayedAt: string | null;
}

type Row = {
  id: number;
  received: Date;
  source: string;
  line: number | null;
  reason: string;
  raw: string;
  replayed_at: Date | null;
};

function toDeadLetter(r: Row): DeadLetter {
  return {
    id: r.id,
    received: r.received.toISOString(),
    source: r.source,
    line: r.line,
    reason: r.reason,
    raw: r.raw,
    replayedAt: r.replayed_at ? r.replayed_at.toISOString() : null,
  };
}

export class DeadLetterStore {
  constructor(private readonly database: Database) {}

  /** Stores dead letters in one statement; durable when it resolves. */
  async add(letters: readonly NewDeadLetter[], received: string): Promise<void> {
    if (letters.length === 0) return;
    for (let i = 0; i < letters.length; i += 1000) {
      await this.database.db
        .insertInto('dead_letters')
        .values(
          letters.slice(i, i + 1000).map((l) => ({
            ...l,
            // PostgreSQL text cannot hold NUL; a dead letter must never fail to store.
            raw: l.raw.replace(/\0/g, '\ufffd'),
            reason: l.reason.replace(/\0/g, '\ufffd'),
            received,
            replayed_at: null,
          })),
        )
        .execute();
    }
  }

  /** Newest first; `before` is the id to continue below (keyset pagination). */
  async list(limit: number, before?: number): Promise<DeadLetter[]> {
    let q = this.database.db.selectFrom('dead_letters').selectAll().orderBy('id', 'desc').limit(limit);
    if (before !== undefined) q = q.where('id', '<', before);
    return (await q.execute()).map((r) => toDeadLetter(r as Row));
  }

  async get(id: number): Promise<DeadLetter | undefined> {
    const r = await this.database.db
      .selectFrom('dead_letters')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    return r ? toDeadLetter(r as Row) : undefined;
  }

  /**
   * Claims a dead letter for replay: marks it replayed unless it already is.
   * @returns false when another replay claimed it first
   */
  async claim(id: number, at: string): Promise<boolean> {
    const r = await this.database.db
      .updateTable('dead_letters')
      .set({ replayed_at: at })
      .where('id', '=', id)
      .where('replayed_at', 'is', null)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  /** Undoes a claim whose replay failed. */
  async unclaim(id: number): Promise<void> {
    await this.database.db
      .updateTable('dead_letters')
      .set({ replayed_at: null })
      .where('id', '=', id)
      .execute();
  }

  async count(): Promise<number> {
    const r = await this.database.db
      .selectFrom('dead_letters')
      .select((eb) => eb.fn.countAll().as('n'))
      .executeTakeFirstOrThrow();
    return Number(r.n);
  }
}
