/**
 * The live stream's fan-out: alerts and, per subscriber, events matching its filter. Each
 * subscriber has a bounded buffer; when it is full the oldest message is dropped and counted, and
 * the count is sent to the subscriber with its next message, so a slow client never slows the
 * pipeline and always knows what it missed.
 */
import type { StoredItem } from '../pipeline/detect-stage.js';
import type { AlertChange } from '../store/alerts.js';

/** The same filter syntax as event search: ECS field equalities and free text. */
export interface StreamFilter {
  readonly fields?: Readonly<Record<string, string>>;
  readonly text?: string;
}

/** A message to a subscriber (serialized as JSON). */
export type StreamMessage =
  | { readonly type: 'alert'; readonly change: 'created' | 'suppressed'; readonly alert: unknown }
  | { readonly type: 'event'; readonly event: unknown }
  | { readonly type: 'incident'; readonly change: 'created' | 'updated'; readonly incident: unknown }
  | { readonly type: 'dropped'; readonly count: number };

/** Where a subscriber's messages go. `send` is called only when `ready()` is true. */
export interface StreamSink {
  /** True when the transport can take a message now (e.g. WebSocket `bufferedAmount` low). */
  ready(): boolean;
  send(text: string): void;
}

function at(doc: Record<string, unknown>, path: string): unknown {
  let node: unknown = doc;
  for (const k of path.split('.')) {
    if (typeof node !== 'object' || node === null || !Object.hasOwn(node, k)) return undefined;
    node = (node as Record<string, unknown>)[k];
  }
  return node;
}

/** True when the stored event passes the filter (every field equal, the text found case-insensitively). */
export function matchesFilter(filter: StreamFilter, ecs: Record<string, unknown>, original: string): boolean {
  if (filter.fields) {
    for (const [path, want] of Object.entries(filter.fields)) {
      const v = at(ecs, path);
      if (Array.isArray(v) ? !v.some((x) => String(x) === want) : v === undefined || String(v) !== want)
        return false;
    }
  }
  if (filter.text && !original.toLowerCase().includes(filter.text.toLowerCase())) return false;
  return true;
}

/** Characters buffered per subscriber before the oldest messages are dropped (≈16 MB). */
export const MAX_BUFFERED_CHARS = 16 * 1024 * 1024;

export class Subscriber {
  private readonly queue: string[] = [];
  /** Characters held in `queue`. */
  private held = 0;
  private dropped = 0;
  private droppedTotal = 0;
  /** Event filter; absent = alerts only. */
  filter: StreamFilter | undefined;
  /** Receives incident changes (the subscriber may read incidents: `incidents:read`). */
  incidents = false;

  constructor(
    private readonly sink: StreamSink,
    private readonly capacity: number,
    private readonly onDrop: (n: number) => void,
    private readonly maxChars: number = MAX_BUFFERED_CHARS,
  ) {}

  /** Messages dropped over the subscriber's life. */
  get droppedCount(): number {
    return this.droppedTotal;
  }

  enqueue(message: StreamMessage): void {
    const text = JSON.stringify(message);
    this.queue.push(text);
    this.held += text.length;
    // Bounded by count and by size (events can be large): drop the oldest, never the newest.
    while (this.queue.length > 1 && (this.queue.length > this.capacity || this.held > this.maxChars)) {
      this.held -= this.queue.shift()!.length;
      this.dropped++;
      this.droppedTotal++;
      this.onDrop(1);
    }
    this.flush();
  }

  /** Sends what the transport takes now; call again when it drains. */
  flush(): void {
    while (this.queue.length > 0 && this.sink.ready()) {
      if (this.dropped > 0) {
        const n = this.dropped;
        this.dropped = 0;
        this.sink.send(JSON.stringify({ type: 'dropped', count: n } satisfies StreamMessage));
        continue;
      }
      const text = this.queue.shift()!;
      this.held -= text.length;
      this.sink.send(text);
    }
  }
}

export class StreamHub {
  private readonly subscribers = new Set<Subscriber>();

  /**
   * @param capacity - messages buffered per subscriber before the oldest is dropped
   * @param onDrop - counts drops (metrics)
   */
  constructor(
    private readonly capacity = 1000,
    private readonly onDrop: (n: number) => void = () => undefined,
    private readonly maxChars = MAX_BUFFERED_CHARS,
  ) {}

  get size(): number {
    return this.subscribers.size;
  }

  subscribe(sink: StreamSink): Subscriber {
    const s = new Subscriber(sink, this.capacity, this.onDrop, this.maxChars);
    this.subscribers.add(s);
    return s;
  }

  unsubscribe(s: Subscriber): void {
    this.subscribers.delete(s);
  }

  /** Sends an incident change to the subscribers allowed to read incidents. */
  publishIncident(change: 'created' | 'updated', incident: unknown): void {
    for (const s of this.subscribers) if (s.incidents) s.enqueue({ type: 'incident', change, incident });
  }

  /** Fans out one detection batch: alert changes to everyone, events to matching filters. */
  publish(items: readonly StoredItem[], changes: readonly AlertChange[]): void {
    if (this.subscribers.size === 0) return;
    for (const s of this.subscribers) {
      for (const c of changes) s.enqueue({ type: 'alert', change: c.kind, alert: c.alert });
      const f = s.filter;
      if (!f) continue;
      for (const item of items) {
        if (matchesFilter(f, item.row.ecs as Record<string, unknown>, item.row.original))
          s.enqueue({ type: 'event', event: { id: item.id, ...item.row } });
      }
    }
  }
}
