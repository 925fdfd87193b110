/**
 * The per-entity window accumulator: what one entity (user, host or source address) did in one
 * window of event time, counted event by event and serialisable so an open window survives a
 * restart. Pure.
 *
 * Bounds (so one noisy entity cannot grow without limit): each distinct-value set keeps at most
 * {@link SET_CAP} values (its count saturates there), the process table at most
 * {@link PROCESS_CAP} names (further names are counted as `otherProcesses`, scored as never seen),
 * and the evidence the last {@link EVIDENCE_IDS} event ids.
 */
import type { EntityType } from './entities.js';
import type { UebaEvent } from './event-view.js';

export const SET_CAP = 1000;
export const PROCESS_CAP = 256;
export const EVIDENCE_IDS = 5;

const HOUR_MS = 3_600_000;

/** UTC hour of day (0–23) of a time in ms. */
export function hourOfDay(time: number): number {
  return ((Math.floor(time / HOUR_MS) % 24) + 24) % 24;
}

/** The serialised form of an {@link EntityWindow} (stored as JSON). */
export interface WindowJSON {
  readonly type: EntityType;
  readonly value: string;
  readonly start: number;
  readonly end: number;
  readonly events: number;
  readonly attempts: number;
  readonly successes: number;
  readonly failures: number;
  readonly users: readonly string[];
  readonly sources: readonly string[];
  readonly destinations: readonly string[];
  readonly countries: readonly string[];
  readonly asns: readonly string[];
  readonly templates: readonly string[];
  /** The one `host.name` seen (user and ip entities); null when several, absent when none. */
  readonly onlyHost?: string | null;
  readonly hours: number;
  readonly bytesOut: number;
  readonly bytesEvents: number;
  readonly processes: Readonly<Record<string, number>>;
  readonly processStarts: number;
  readonly otherProcesses: number;
  readonly firstTime: number;
  readonly lastTime: number;
  readonly evidence: readonly number[];
}

function addCapped(set: Set<string>, v: string | undefined): void {
  if (v !== undefined && set.size < SET_CAP) set.add(v);
}

/** What one entity did in one window `[start, end)` of event time. */
export class EntityWindow {
  events = 0;
  /** Authentication events (successes, failures and attempts without an outcome). */
  attempts = 0;
  successes = 0;
  failures = 0;
  /** `user.name` values (host and ip entities). */
  readonly users = new Set<string>();
  /** `source.ip` values (user and host entities). */
  readonly sources = new Set<string>();
  /** `host.name` and `destination.ip` values (user and ip entities). */
  readonly destinations = new Set<string>();
  readonly countries = new Set<string>();
  readonly asns = new Set<string>();
  readonly templates = new Set<string>();
  /** The one `host.name` seen (user and ip entities): undefined when none, null when several. */
  onlyHost: string | null | undefined = undefined;
  /** Bit h set when an event fell in UTC hour h. */
  hours = 0;
  bytesOut = 0;
  /** Events that carried a byte count. */
  bytesEvents = 0;
  /** Started processes by lower-case file name. */
  readonly processes = new Map<string, number>();
  processStarts = 0;
  /** Process starts beyond {@link PROCESS_CAP} names. */
  otherProcesses = 0;
  firstTime = Number.POSITIVE_INFINITY;
  lastTime = Number.NEGATIVE_INFINITY;
  /** Ids of the latest events, oldest first (the alert's evidence). */
  evidence: number[] = [];

  constructor(
    readonly type: EntityType,
    readonly value: string,
    /** Window start, ms (inclusive). */
    readonly start: number,
    /** Window end, ms (exclusive). */
    readonly end: number,
  ) {}

  /** Counts one event of this entity. */
  add(e: UebaEvent): void {
    this.events++;
    if (e.auth !== undefined) {
      this.attempts++;
      if (e.auth === 'success') this.successes++;
      else if (e.auth === 'failure') this.failures++;
    }
    if (this.type !== 'user') addCapped(this.users, e.user);
    if (this.type !== 'ip') addCapped(this.sources, e.ip);
    if (this.type !== 'host') {
      if (e.host !== undefined && this.onlyHost !== null)
        this.onlyHost = this.onlyHost === undefined || this.onlyHost === e.host ? e.host : null;
      addCapped(this.destinations, e.host);
      addCapped(this.destinations, e.destinationIp);
    }
    addCapped(this.countries, e.country);
    addCapped(this.asns, e.asn);
    addCapped(this.templates, e.template);
    this.hours |= 1 << hourOfDay(e.time);
    if (e.bytesOut !== undefined) {
      this.bytesOut += e.bytesOut;
      this.bytesEvents++;
    }
    if (e.process !== undefined) {
      this.processStarts++;
      const n = this.processes.get(e.process);
      if (n !== undefined) this.processes.set(e.process, n + 1);
      else if (this.processes.size < PROCESS_CAP) this.processes.set(e.process, 1);
      else this.otherProcesses++;
    }
    if (e.time < this.firstTime) this.firstTime = e.time;
    if (e.time > this.lastTime) this.lastTime = e.time;
    this.evidence.push(e.id);
    if (this.evidence.length > EVIDENCE_IDS) this.evidence.shift();
  }

  toJSON(): WindowJSON {
    return {
      type: this.type,
      value: this.value,
      start: this.start,
      end: this.end,
      events: this.events,
      attempts: this.attempts,
      successes: this.successes,
      failures: this.failures,
      users: [...this.users],
      sources: [...this.sources],
      destinations: [...this.destinations],
      countries: [...this.countries],
      asns: [...this.asns],
      templates: [...this.templates],
      ...(this.onlyHost !== undefined ? { onlyHost: this.onlyHost } : {}),
      hours: this.hours,
      bytesOut: this.bytesOut,
      bytesEvents: this.bytesEvents,
      processes: Object.fromEntries(this.processes),
      processStarts: this.processStarts,
      otherProcesses: this.otherProcesses,
      firstTime: this.firstTime,
      lastTime: this.lastTime,
      evidence: [...this.evidence],
    };
  }

  /** Rebuilds a window from {@link toJSON} output. */
  static fromJSON(j: WindowJSON): EntityWindow {
    const w = new EntityWindow(j.type, j.value, j.start, j.end);
    w.events = j.events;
    w.attempts = j.attempts;
    w.successes = j.successes;
    w.failures = j.failures;
    for (const v of j.users) w.users.add(v);
    for (const v of j.sources) w.sources.add(v);
    for (const v of j.destinations) w.destinations.add(v);
    for (const v of j.countries) w.countries.add(v);
    for (const v of j.asns) w.asns.add(v);
    for (const v of j.templates ?? []) w.templates.add(v);
    w.onlyHost = j.onlyHost;
    w.hours = j.hours;
    w.bytesOut = j.bytesOut;
    w.bytesEvents = j.bytesEvents;
    for (const [k, n] of Object.entries(j.processes)) w.processes.set(k, n);
    w.processStarts = j.processStarts;
    w.otherProcesses = j.otherProcesses;
    // JSON has no infinities: an empty window's bounds come back as null.
    w.firstTime = typeof j.firstTime === 'number' ? j.firstTime : Number.POSITIVE_INFINITY;
    w.lastTime = typeof j.lastTime === 'number' ? j.lastTime : Number.NEGATIVE_INFINITY;
    w.evidence = [...j.evidence];
    return w;
  }
}
