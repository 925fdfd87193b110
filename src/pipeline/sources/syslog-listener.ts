/**
 * The syslog listener of `vigil serve`: UDP (RFC 5426) and TCP (RFC 6587) on one port, lines
 * decoded by the `syslog` text format (RFC 5424 and RFC 3164).
 *
 * Lines are batched per transport (up to {@link BATCH_LINES} lines or {@link BATCH_MS} ms) and
 * handed to ingest in arrival order. TCP is never dropped: a full ingest queue (`VIGIL_ERR_BUSY`)
 * pauses every TCP connection and the batch is retried until it is stored. UDP has no
 * backpressure: a batch refused as busy is dropped, counted and logged (rate-limited).
 */
import dgram from 'node:dgram';
import net from 'node:net';
import type { Logger } from 'pino';
import { ErrorCodes, VigilError } from '../../errors.js';
import type { ListenerContext, ListenerFactory, RunningListener } from '../../service/listener.js';
import '../decoders/register.js';
import type { IngestService, LineRecord } from '../ingest/service.js';
import { datagramMessage, SyslogFramer, type Truncation } from './syslog-framing.js';

/** Lines per ingest call. */
export const BATCH_LINES = 500;
/** Longest a line waits for its batch to fill, in ms. */
export const BATCH_MS = 20;
/** TCP lines waiting (not yet handed to ingest) above which TCP connections are paused. */
const TCP_HIGH_WATER = 4 * BATCH_LINES;
/** First and longest delay between retries of a refused TCP batch, in ms. */
const RETRY_MS = [25, 1000] as const;
/** Attempts for a TCP batch failing with an error other than busy (a database outage). */
const ERROR_ATTEMPTS = 5;
/** Minimum interval between repeated warnings of one kind, in ms. */
const WARN_INTERVAL_MS = 10_000;
/** Tries to bind TCP on the port UDP got, when any port (0) was asked for. */
const BIND_ATTEMPTS = 5;

type Source = 'syslog-udp' | 'syslog-tcp';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const tick = () => new Promise<void>((r) => setImmediate(r));

function isBusy(err: unknown): boolean {
  return err instanceof VigilError && err.code === ErrorCodes.BUSY.code;
}

type Warning = { add(n: number, fields?: object): void; flush(fields?: object): void };

/** A warning logged at most once per {@link WARN_INTERVAL_MS}, with the count since the last one. */
function rateLimited(log: Logger, msg: string): Warning {
  let count = 0;
  let last = 0;
  const flush = (fields: object = {}) => {
    if (count === 0) return;
    log.warn({ ...fields, count }, msg);
    count = 0;
    last = Date.now();
  };
  return {
    add(n, fields) {
      count += n;
      if (Date.now() - last >= WARN_INTERVAL_MS) flush(fields);
    },
    flush,
  };
}

const records = (batch: readonly string[]): LineRecord[] => batch.map((text) => ({ line: null, text }));

/**
 * Batches lines of one transport and hands them to ingest. `ordered` (TCP): one batch at a time,
 * retried until stored; `onPressure(true)` when lines pile up or ingest is busy. Otherwise (UDP):
 * batches go out concurrently and a busy refusal drops the batch.
 */
class BatchSender {
  private pending: string[] = [];
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private loop: Promise<void> = Promise.resolve();
  private readonly inFlight = new Set<Promise<void>>();
  private retrying = false;
  private high = false;
  private readonly dropped: Warning;

  constructor(
    private readonly ingest: IngestService,
    private readonly source: Source,
    private readonly log: Logger,
    private readonly ordered: boolean,
    private readonly onPressure: (high: boolean) => void = () => {},
  ) {
    this.dropped = rateLimited(log, 'syslog messages dropped: ingest queue full');
  }

  /** True while TCP connections should stay paused. */
  get pressured(): boolean {
    return this.high;
  }

  add(lines: readonly string[]): void {
    if (lines.length === 0) return;
    for (const l of lines) this.pending.push(l);
    if (this.pending.length >= BATCH_LINES) this.dispatch();
    else this.timer ??= setTimeout(() => this.dispatch(), BATCH_MS);
    this.updatePressure();
  }

  /** Sends everything added so far and resolves once it is stored (or given up on). */
  async flush(): Promise<void> {
    while (this.pending.length > 0 || this.running || this.inFlight.size > 0) {
      this.dispatch();
      await Promise.all([this.loop, ...this.inFlight]);
    }
    this.dropped.flush({ source: this.source });
  }

  private dispatch(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.ordered) {
      if (!this.running && this.pending.length > 0) {
        this.running = true;
        this.loop = this.run();
      }
      return;
    }
    while (this.pending.length > 0) {
      const p = this.sendOnce(this.pending.splice(0, BATCH_LINES));
      this.inFlight.add(p);
      void p.finally(() => this.inFlight.delete(p));
    }
  }

  private async run(): Promise<void> {
    try {
      while (this.pending.length > 0) {
        await this.sendRetrying(this.pending.splice(0, BATCH_LINES));
        this.updatePressure();
      }
    } finally {
      this.running = false;
    }
  }

  private async sendOnce(batch: readonly string[]): Promise<void> {
    try {
      await this.ingest.ingestLines(records(batch), 'syslog', this.source);
    } catch (err) {
      // The ingest service counts the refusal in `vigil_ingest_throttled_total{source}`.
      if (isBusy(err)) this.dropped.add(batch.length, { source: this.source });
      else this.log.error({ err, source: this.source, lines: batch.length }, 'syslog batch lost');
    }
  }

  private async sendRetrying(batch: readonly string[]): Promise<void> {
    const lines = records(batch);
    let delay: number = RETRY_MS[0];
    for (let errors = 0; ;) {
      try {
        await this.ingest.ingestLines(lines, 'syslog', this.source);
        break;
      } catch (err) {
        const busy = isBusy(err);
        const closed = err instanceof VigilError && err.code === ErrorCodes.UNAVAILABLE.code;
        if (!busy && (closed || ++errors >= ERROR_ATTEMPTS)) {
          this.log.error({ err, source: this.source, lines: batch.length }, 'syslog batch lost');
          break;
        }
        if (!busy) this.log.warn({ err, source: this.source }, 'syslog batch failed; retrying');
        else this.log.debug({ source: this.source, delay }, 'ingest busy; TCP paused');
        this.retrying = true;
        this.updatePressure();
        await sleep(delay);
        delay = Math.min(delay * 2, RETRY_MS[1]);
      }
    }
    this.retrying = false;
  }

  private updatePressure(): void {
    if (!this.ordered) return;
    const high = this.retrying || this.pending.length >= TCP_HIGH_WATER;
    const low = !this.retrying && this.pending.length < BATCH_LINES;
    if ((high && !this.high) || (low && this.high)) {
      this.high = !this.high;
      this.onPressure(this.high);
    }
  }
}

/** Runs `start`; resolves on its callback, rejects on an `error` event before it. */
function bound(target: net.Server | dgram.Socket, start: (done: () => void) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    target.once('error', reject);
    start(() => {
      target.off('error', reject);
      resolve();
    });
  });
}

/** Binds UDP and TCP on the same port (UDP first; with port 0, TCP then takes the port UDP got). */
async function bindBoth(
  port: number,
  host: string,
  onConnection: (s: net.Socket) => void,
): Promise<{ udp: dgram.Socket; tcp: net.Server }> {
  for (let attempt = 1; ; attempt++) {
    const udp = dgram.createSocket({ type: net.isIPv6(host) ? 'udp6' : 'udp4' });
    try {
      await bound(udp, (done) => udp.bind({ port, address: host }, done));
    } catch (err) {
      udp.close();
      throw err;
    }
    const tcp = net.createServer(onConnection);
    try {
      await bound(tcp, (done) => tcp.listen({ port: udp.address().port, host }, done));
      return { udp, tcp };
    } catch (err) {
      udp.close();
      const inUse = (err as NodeJS.ErrnoException).code === 'EADDRINUSE';
      if (port !== 0 || !inUse || attempt >= BIND_ATTEMPTS) throw err;
    }
  }
}

/**
 * Starts the syslog listener: UDP and TCP on `port` (0 = any free port, the same for both) at
 * `host`. UDP: one message per datagram (RFC 5426 §3.1). TCP: octet counting (RFC 6587 §3.4.1)
 * and LF/CRLF/NUL-terminated framing (§3.4.2), detected per message; frames over 64 KiB are
 * truncated. Lines go to `ctx.ingest` as format `syslog` with source `syslog-udp`/`syslog-tcp`.
 * @returns ports `{ udp, tcp }`; `close()` stops accepting, stores what was received, closes
 * @throws the socket error (`EADDRINUSE`, `EACCES`, …) when the port cannot be bound
 */
export const startSyslogListener: ListenerFactory = async (
  ctx: ListenerContext,
  port: number,
  host: string,
): Promise<RunningListener> => {
  const log = ctx.log.child({ listener: 'syslog' });
  let closing = false;
  /** Set once the sockets are being torn down: new connections are refused. */
  let closed = false;
  /** Connections and reads so far; close() waits until the event loop brings no more. */
  let activity = 0;
  const sockets = new Set<net.Socket>();
  const framers = new Map<net.Socket, SyslogFramer>();
  const truncated = rateLimited(log, 'syslog frames over 64 KiB truncated');
  const incomplete = rateLimited(log, 'syslog connections closed inside an octet-counted frame');
  const tcpSender = new BatchSender(ctx.ingest, 'syslog-tcp', log, true, (high) => {
    for (const s of sockets) {
      if (high) s.pause();
      else if (!closing) s.resume();
    }
  });
  const udpSender = new BatchSender(ctx.ingest, 'syslog-udp', log, false);

  const onTruncated = (remote: string | undefined) => (t: Truncation) =>
    (t.reason === 'too-long' ? truncated : incomplete).add(1, { remote, bytes: t.bytes, framing: t.framing });

  /** Emits a connection's unfinished last frame, once. */
  const endFramer = (socket: net.Socket): void => {
    const framer = framers.get(socket);
    if (!framer) return;
    framers.delete(socket);
    tcpSender.add(framer.end());
  };

  const onConnection = (socket: net.Socket): void => {
    if (closed) {
      socket.destroy();
      return;
    }
    activity++;
    const remote = `${socket.remoteAddress}:${socket.remotePort}`;
    sockets.add(socket);
    framers.set(socket, new SyslogFramer({ onTruncated: onTruncated(remote) }));
    if (tcpSender.pressured) socket.pause();
    log.debug({ remote }, 'syslog TCP connection');
    socket.on('data', (chunk: Buffer) => {
      activity++;
      const framer = framers.get(socket);
      if (framer) tcpSender.add(framer.push(chunk));
    });
    socket.on('end', () => endFramer(socket));
    socket.on('error', (err) => log.debug({ err, remote }, 'syslog TCP connection error'));
    socket.on('close', () => {
      endFramer(socket);
      sockets.delete(socket);
      log.debug({ remote }, 'syslog TCP connection closed');
    });
  };

  const { udp, tcp } = await bindBoth(port, host, onConnection);
  udp.on('message', (msg) => {
    activity++;
    const line = datagramMessage(msg);
    if (line !== undefined) udpSender.add([line]);
  });
  udp.on('error', (err) => log.error({ err }, 'syslog UDP socket error'));
  tcp.on('error', (err) => log.error({ err }, 'syslog TCP server error'));
  const ports = { udp: udp.address().port, tcp: (tcp.address() as net.AddressInfo).port };
  log.info({ host, ...ports }, 'syslog listener started');

  const close = async (): Promise<void> => {
    closing = true;
    // Accept and read what the kernel already holds (connections in the backlog, bytes and
    // datagrams already sent) until two turns of the event loop bring nothing new.
    for (let i = 0, quiet = 0, seen = activity; i < 200 && quiet < 2; i++) {
      await tick();
      quiet = seen === activity ? quiet + 1 : 0;
      seen = activity;
    }
    closed = true;
    const serverClosed = new Promise<void>((r) => tcp.close(() => r()));
    await new Promise<void>((r) => udp.close(() => r()));
    for (const s of sockets) {
      s.pause();
      endFramer(s);
    }
    await Promise.all([tcpSender.flush(), udpSender.flush()]);
    truncated.flush();
    incomplete.flush();
    for (const s of sockets) s.destroy();
    await serverClosed;
    log.info('syslog listener stopped');
  };

  let stopping: Promise<void> | undefined;
  return {
    name: 'syslog',
    ports,
    close: () => (stopping ??= close()),
  };
};
