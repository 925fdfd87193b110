/**
 * The event store: append (COPY, ids assigned here), read after a cursor position, search and get.
 */
import { type Expression, type SqlBool, sql } from 'kysely';
import { copyText, type Database } from './database.js';
import { decodePageCursor, encodePageCursor } from './page-cursor.js';

/** An event ready to store. Timestamps are ISO 8601 strings. */
export interface NewEvent {
  readonly timestamp: string;
  readonly ingested: string;
  readonly source: string;
  readonly decoder: string;
  readonly format: string;
  readonly logsource: Readonly<Record<string, string>>;
  readonly ecs: Readonly<Record<string, unknown>>;
  readonly original: string;
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/**
 * JSON text PostgreSQL's jsonb accepts: `\u0000` and lone surrogates (valid in JSON, refused by
 * jsonb) are replaced by U+FFFD. The common case (neither present) costs one scan.
 */
export function jsonbText(value: unknown): string {
  const json = JSON.stringify(value);
  if (!/\\u(?:0000|d[89a-f])/i.test(json)) return json;
  return JSON.stringify(value, (_k, v: unknown) =>
    typeof v === 'string' ? v.replace(/\0/g, '\ufffd').replace(LONE_SURROGATE, '\ufffd') : v,
  );
}

/** A stored event as the API returns it. */
export interface StoredEvent extends NewEvent {
  readonly id: number;
}

/** Event search: a time range, ECS field equalities, free text, keyset pagination (newest first). */
export interface EventQuery {
  /** ISO 8601 bounds on `@timestamp` (from inclusive, to exclusive). */
  readonly from?: string | undefined;
  readonly to?: string | undefined;
  /** ECS dotted field → value (`host.name` → `WIN-01`); all must match (jsonb containment). */
  readonly fields?: Readonly<Record<string, string>> | undefined;
  /** Case-insensitive substring of the original record. */
  readonly text?: string | undefined;
  /** Rows per page, 1–1000. */
  readonly limit: number;
  /** Opaque cursor from the previous page's `next`. */
  readonly cursor?: string | undefined;
}

const COLUMNS = [
  'id',
  'timestamp',
  'ingested',
  'source',
  'decoder',
  'format',
  'logsource',
  'ecs',
  'original',
];

/**
 * `("host.name", "x")` → `{ host: { name: "x" } }`, for jsonb containment (`@>`, GIN-indexed).
 * Keys are defined as own properties, so `__proto__` in a path cannot reach `Object.prototype`.
 */
export function containment(path: string, value: unknown): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const parts = path.split('.');
  let node = out;
  for (let i = 0; i < parts.length - 1; i++) {
    const child: Record<string, unknown> = {};
    Object.defineProperty(node, parts[i]!, {
      value: child,
      enumerable: true,
      writable: true,
      configurable: true,
    });
    node = child;
  }
  Object.defineProperty(node, parts[parts.length - 1]!, {
    value,
    enumerable: true,
    writable: true,
    configurable: true,
  });
  return out;
}

/**
 * The containment documents one `field:value` filter matches: the value as text, or inside an
 * array (`event.category`), and as a number when it reads as one (`source.port:22`).
 */
export function filterDocuments(path: string, value: string): Record<string, unknown>[] {
  const values: unknown[] = [value];
  const n = Number(value);
  if (value.trim() !== '' && Number.isFinite(n)) values.push(n);
  return values.flatMap((v) => [containment(path, v), containment(path, [v])]);
}

type Row = {
  id: number;
  timestamp: Date;
  ingested: Date;
  source: string;
  decoder: string;
  format: string;
  logsource: Record<string, string>;
  ecs: Record<string, unknown>;
  original: string;
};

function toStored(r: Row): StoredEvent {
  return { ...r, timestamp: r.timestamp.toISOString(), ingested: r.ingested.toISOString() };
}

/**
 * The events table. One writer per database: `append` assigns gap-free ids from the highest
 * stored one, so the detection cursor (`id > position`) never skips a row committed late.
 */
export class EventStore {
  private nextId = 0;

  private constructor(private readonly database: Database) {}

  static async open(database: Database): Promise<EventStore> {
    const store = new EventStore(database);
    store.nextId = (await store.lastId()) + 1;
    return store;
  }

  /**
   * Highest id ever assigned: the highest stored one, or a cursor position past it (retention may
   * have deleted the newest rows; their ids must not be reused). 0 when empty.
   */
  async lastId(): Promise<number> {
    const row = await this.database.db
      .selectFrom('events')
      .select((eb) => eb.fn.max('id').as('max'))
      .executeTakeFirst();
    const cursor = await this.database.db
      .selectFrom('cursors')
      .select((eb) => eb.fn.max('position').as('max'))
      .executeTakeFirst();
    return Math.max(Number(row?.max ?? 0), Number(cursor?.max ?? 0));
  }

  /**
   * Appends events in one transaction (COPY). Not reentrant: the caller serializes appends.
   * @returns the id of the first event; the others follow without gaps
   * @throws the database error; nothing is stored then and the ids are reused
   */
  async append(events: readonly NewEvent[]): Promise<number> {
    const first = this.nextId;
    let text = '';
    for (let i = 0; i < events.length; i++) {
      const e = events[i]!;
      text += `${first + i}\t${e.timestamp}\t${e.ingested}\t${copyText(e.source)}\t${copyText(e.decoder)}\t${copyText(
        e.format,
      )}\t${copyText(jsonbText(e.logsource))}\t${copyText(jsonbText(e.ecs))}\t${copyText(e.original)}\n`;
    }
    try {
      await this.database.copy('events', COLUMNS, text);
    } catch (err) {
      this.nextId = (await this.lastId()) + 1;
      throw err;
    }
    this.nextId = first + events.length;
    return first;
  }

  /** Events with `id > position`, in id order, at most `limit`. */
  async readAfter(position: number, limit: number): Promise<StoredEvent[]> {
    const rows = await this.database.db
      .selectFrom('events')
      .selectAll()
      .where('id', '>', position)
      .orderBy('id')
      .limit(limit)
      .execute();
    return rows.map((r) => toStored(r as Row));
  }

  async get(id: number): Promise<StoredEvent | undefined> {
    const row = await this.database.db
      .selectFrom('events')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    return row ? toStored(row as Row) : undefined;
  }

  /**
   * @returns a page of events, newest first, and the cursor of the next page (absent on the last)
   * @throws VigilError `VIGIL_ERR_BAD_REQUEST` for a cursor this store did not issue
   */
  async search(q: EventQuery): Promise<{ events: StoredEvent[]; next?: string }> {
    const after = q.cursor ? decodePageCursor(q.cursor) : undefined;
    const rows = await this.database.db
      .selectFrom('events')
      .selectAll()
      .where((eb) => {
        const conds: Expression<SqlBool>[] = [];
        if (q.from) conds.push(eb('timestamp', '>=', new Date(q.from)));
        if (q.to) conds.push(eb('timestamp', '<', new Date(q.to)));
        for (const [path, value] of Object.entries(q.fields ?? {}))
          conds.push(
            eb.or(filterDocuments(path, value).map((d) => sql<SqlBool>`ecs @> ${JSON.stringify(d)}::jsonb`)),
          );
        if (q.text) conds.push(sql<SqlBool>`original ILIKE ${`%${q.text.replace(/[\\%_]/g, '\\$&')}%`}`);
        if (after)
          conds.push(
            eb.or([
              eb('timestamp', '<', new Date(after.value)),
              eb.and([eb('timestamp', '=', new Date(after.value)), eb('id', '<', after.id)]),
            ]),
          );
        return eb.and(conds);
      })
      .orderBy('timestamp', 'desc')
      .orderBy('id', 'desc')
      .limit(q.limit + 1)
      .execute();
    const page = rows.slice(0, q.limit) as Row[];
    const last = page[page.length - 1];
    return rows.length > q.limit && last
      ? { events: page.map(toStored), next: encodePageCursor(last.timestamp, last.id) }
      : { events: page.map(toStored) };
  }

  /** Deletes events with `@timestamp` before `before` (retention). @returns rows deleted */
  async deleteBefore(before: string): Promise<number> {
    const r = await this.database.db
      .deleteFrom('events')
      .where('timestamp', '<', new Date(before))
      .executeTakeFirst();
    return Number(r.numDeletedRows);
  }
}
