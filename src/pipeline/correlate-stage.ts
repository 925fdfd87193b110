/**
 * Correlation in the service: the base-rule matches of each detection batch go through a
 * bounded re-ordering buffer (allowed lateness) into the correlation engine; its alerts become
 * alert matches like any rule's. The state is persisted with the detection cursor it matches
 * (`correlation_state`), at most every `snapshotMs` and at shutdown; after a crash the stage
 * resumes from the saved cursor and replays the events since (alert recording is idempotent), so
 * no correlation state is lost.
 */
import type { AttackLookup } from '../detect/attack/catalog.js';
import { type ThreatInfo, threatFromTags } from '../detect/attack/threat.js';
import {
  Correlator,
  type CorrelatorSnapshot,
  type CorrelatorStats,
} from '../detect/sigma/correlation/engine.js';
import { type CorrelationPlan, correlationKey } from '../detect/sigma/correlation/plan.js';
import { type ReorderSnapshot, ReorderBuffer } from '../detect/sigma/correlation/reorder.js';
import type { CorrelationAlert } from '../detect/sigma/correlation/types.js';
import type { FieldValue } from '../detect/sigma/types.js';
import { correlationAlertParts } from '../scan/correlate.js';
import { alertEntities } from '../alerts/match.js';
import type { AlertMatch } from '../store/alerts.js';
import type { EvidenceEvent } from '../store/schema.js';

/** A correlated match in the service: the stored event's id and time. */
export interface LiveRef {
  readonly id: number;
  readonly timestamp: string;
  /** Where the event arrived (`http`, `syslog-tcp`, …). */
  readonly source?: string;
}

/** An event's match of rules correlations read, waiting in the re-ordering buffer. */
export interface LiveMatch {
  readonly rules: readonly { readonly id?: string; readonly name?: string }[];
  readonly time: number;
  readonly fields: Readonly<Record<string, FieldValue>>;
  readonly ref: LiveRef;
}

export interface CorrelationSettings {
  /** How late (event time) a match may arrive and still be correlated in order, ms. */
  readonly latenessMs: number;
  readonly maxGroups: number;
  readonly maxEventsPerGroup: number;
  /** Matches held in the re-ordering buffer at most. */
  readonly maxHeld: number;
  /** Minimum interval between state snapshots, ms. */
  readonly snapshotMs: number;
}

/** Counters for metrics and `/api/v1/stats`. */
export interface LiveCorrelationStats extends CorrelatorStats {
  /** Matches waiting in the re-ordering buffer. */
  readonly held: number;
  /** Matches released before their lateness ran out because the buffer was full. */
  readonly forced: number;
  /** Matches older than the buffer's last release, fed to the engine unordered. */
  readonly outOfOrder: number;
  /** Matches more than a day ahead of the wall clock, not correlated. */
  readonly future: number;
}

/** Wall time without a new match after which held matches are released (ms). */
const QUIET_MS = 5000;
/** How far ahead of the wall clock an event time may be and still be correlated (ms). */
const MAX_FUTURE_MS = 86_400_000;

interface Saved {
  readonly version: 1;
  readonly engine: CorrelatorSnapshot<LiveRef>;
  readonly buffer: ReorderSnapshot<LiveMatch>;
}

export class LiveCorrelation {
  private plan: CorrelationPlan | undefined;
  private engine: Correlator<LiveRef> | undefined;
  private buffer: ReorderBuffer<LiveMatch>;
  private outOfOrder = 0;
  private future = 0;

  constructor(readonly settings: CorrelationSettings) {
    this.buffer = new ReorderBuffer(settings.latenessMs, settings.maxHeld, QUIET_MS);
  }

  /** The engine for this plan; a new plan (rules reloaded) inherits the state of the old one. */
  private engineFor(plan: CorrelationPlan): Correlator<LiveRef> {
    if (this.engine && this.plan === plan) return this.engine;
    const next = new Correlator<LiveRef>(plan, {
      maxGroups: this.settings.maxGroups,
      maxEventsPerGroup: this.settings.maxEventsPerGroup,
    });
    if (this.engine) next.restore(this.engine.snapshot());
    this.engine = next;
    this.plan = plan;
    return next;
  }

  /**
   * Takes a batch's matches and returns the correlation alerts now due.
   * @param wallNow - wall clock, ms (for flushing a quiet stream)
   */
  process(
    plan: CorrelationPlan,
    matches: readonly LiveMatch[],
    wallNow: number,
  ): CorrelationAlert<LiveRef>[] {
    const engine = this.engineFor(plan);
    const out: CorrelationAlert<LiveRef>[] = [];
    for (const m of matches) {
      // A clock far ahead would drag event time with it (every later match late): not correlated.
      if (m.time > wallNow + MAX_FUTURE_MS) {
        this.future++;
        continue;
      }
      // Behind what was already released (another source's clock, a backfill): straight to the
      // engine, which correlates it if its group has not moved past it.
      if (!this.buffer.push(m.time, m, wallNow)) {
        this.outOfOrder++;
        out.push(...engine.feed(m.rules, m));
      }
    }
    for (const m of this.buffer.release(wallNow)) out.push(...engine.feed(m.rules, m));
    return out;
  }

  /** Matches waiting in the re-ordering buffer. */
  get held(): number {
    return this.buffer.size;
  }

  stats(): LiveCorrelationStats {
    const s = this.engine?.stats ?? {
      groups: 0,
      events: 0,
      fed: 0,
      fired: 0,
      late: 0,
      missingGroup: 0,
      expired: 0,
      shedGroups: 0,
      shedEvents: 0,
    };
    return {
      ...s,
      held: this.buffer.size,
      forced: this.buffer.forced,
      outOfOrder: this.outOfOrder,
      future: this.future,
    };
  }

  snapshot(): Record<string, unknown> {
    const engine = this.engine?.snapshot();
    const saved: Saved = {
      version: 1,
      engine: engine ?? { version: 1, maxTime: null, stats: this.stats(), groups: [] },
      buffer: this.buffer.snapshot(),
    };
    return saved as unknown as Record<string, unknown>;
  }

  /** Forgets all state (before {@link restore} after a failed batch). */
  reset(): void {
    this.engine = undefined;
    this.plan = undefined;
    this.buffer = new ReorderBuffer(this.settings.latenessMs, this.settings.maxHeld, QUIET_MS);
    this.outOfOrder = 0;
    this.future = 0;
  }

  /**
   * Loads saved state (before the first batch).
   * @returns groups of correlations no longer loaded (left out)
   */
  restore(plan: CorrelationPlan, state: Record<string, unknown>, wallNow: number): number {
    const saved = state as unknown as Saved;
    if (saved.version !== 1) return 0;
    const dropped = this.engineFor(plan).restore(saved.engine);
    this.buffer.restore(saved.buffer, wallNow);
    return dropped;
  }
}

function at(doc: Record<string, unknown>, path: string): unknown {
  let node: unknown = doc;
  for (const k of path.split('.')) {
    if (typeof node !== 'object' || node === null) return undefined;
    node = (node as Record<string, unknown>)[k];
  }
  return node;
}

/**
 * The alert match of a correlation alert: keyed by the correlation and its completing event (so
 * a replay records it once), entities from the completing event's ECS (else ECS-named group-by
 * values), evidence the latest contributing events.
 * @param evidence - stored rows of contributing events, oldest first (the last is the completing event)
 */
export function correlationAlertMatch(
  alert: CorrelationAlert<LiveRef>,
  plan: CorrelationPlan,
  evidence: readonly EvidenceEvent[],
  attack?: AttackLookup,
): AlertMatch {
  const c = alert.correlation;
  const last = alert.events[alert.events.length - 1]!;
  const lastRow = evidence.find((e) => e.id === last.id);
  const entities: Record<string, unknown> = {};
  for (const f of ['host.name', 'user.name', 'source.ip'] as const)
    entities[f] = lastRow ? at(lastRow.ecs, f) : undefined;
  const { level, document: ecs, correlation } = correlationAlertParts(alert, plan, entities, attack);
  const threat: ThreatInfo = threatFromTags(c.tags, attack);
  const document: Record<string, unknown> = {
    ...ecs,
    vigil: {
      event_id: last.id,
      source: last.source,
      decoder: 'sigma-correlation',
      match: { selections: [], fields: { ...alert.group }, keywords: [] },
      correlation: { ...correlation, event_ids: alert.events.map((e) => e.id) },
    },
  };
  return {
    ruleId: correlationKey(c),
    ruleTitle: c.title,
    level,
    techniques: [...threat.techniques, ...threat.subtechniques].map((x) => x.id),
    tactics: threat.tactics.map((x) => x.id),
    ...alertEntities(ecs),
    document,
    evidence: lastRow ?? { id: last.id, timestamp: last.timestamp, ecs: {}, original: '' },
    extraEvidence: evidence.filter((e) => e.id !== last.id),
  };
}
