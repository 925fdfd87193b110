/**
 * The alert match of an anomalous UEBA window (`docs/ueba.md`, Alerts): keyed by the model
 * (`vigil-ueba-<type>`) and the window's last event, so a replay records it once; it goes through
 * suppression, risk and incidents like a rule match.
 */
import type { AttackLookup } from '../../detect/attack/catalog.js';
import { threatFromTags } from '../../detect/attack/threat.js';
import type { FeatureContribution } from '../../detect/anomaly/isolation-forest.js';
import type { ClosedWindow } from '../../detect/ueba/close.js';
import type { Deviation } from '../../detect/ueba/explain.js';
import { attackTags, uebaLevel, uebaMessage } from '../../detect/ueba/explain.js';
import { LEVEL_SEVERITY, threatEcs } from '../../scan/detection.js';
import type { AlertMatch } from '../../store/alerts.js';
import type { EvidenceEvent } from '../../store/schema.js';

/** Sigma-style status of UEBA alerts: an unsupervised score is weaker evidence than a tested rule (risk × 0.5). */
export const UEBA_RULE_STATUS = 'experimental';
/** `rule.ruleset` of UEBA alerts. */
export const UEBA_RULESET = 'vigil-ml';

/** The rule id of a UEBA model's alerts: `vigil-ueba-user`, `vigil-ueba-host`, `vigil-ueba-ip`. */
export function uebaRuleId(modelName: string): string {
  return `vigil-${modelName}`;
}

function finite(features: Readonly<Record<string, number>>): Record<string, number | null> {
  const out: Record<string, number | null> = {};
  for (const [k, v] of Object.entries(features)) out[k] = Number.isFinite(v) ? v : null;
  return out;
}

function only(set: ReadonlySet<string>): string | null {
  if (set.size !== 1) return null;
  for (const v of set) return v;
  return null;
}

export interface UebaAlertInput {
  readonly closed: ClosedWindow;
  readonly model: { readonly name: string; readonly version: number; readonly id: number };
  readonly score: number;
  readonly threshold: number;
  readonly explanation: readonly FeatureContribution[];
  readonly deviations: readonly Deviation[];
  /** Stored rows of the window's latest events, oldest first (the last is the evidence). */
  readonly evidence: readonly EvidenceEvent[];
  readonly attack?: AttackLookup | undefined;
}

/**
 * Entities: the window's own (`user.name`, `host.name` or `source.ip`), and each other one the
 * window saw exactly one value of (a source address brute-forcing one host names that host).
 */
export function uebaAlertMatch(p: UebaAlertInput): AlertMatch {
  const w = p.closed.window;
  const host = w.type === 'host' ? w.value : (w.onlyHost ?? null);
  const user = w.type === 'user' ? w.value : only(w.users);
  const sourceIp = w.type === 'ip' ? w.value : only(w.sources);
  const level = uebaLevel(p.score, p.threshold);
  const tags = attackTags(p.closed.features, p.deviations);
  const threat = threatFromTags(tags, p.attack);
  const last = p.evidence[p.evidence.length - 1] ?? {
    id: w.evidence[w.evidence.length - 1] ?? 0,
    timestamp: new Date(Number.isFinite(w.lastTime) ? w.lastTime : w.end).toISOString(),
    ecs: {},
    original: '',
  };
  const title = `UEBA anomaly: ${p.model.name} v${p.model.version}`;
  const message = uebaMessage({
    model: p.model.name,
    version: p.model.version,
    score: p.score,
    threshold: p.threshold,
    type: w.type,
    value: w.value,
    start: w.start,
    end: w.end,
    deviations: p.deviations,
  });
  const ecsThreat = threatEcs(threat);
  const document: Record<string, unknown> = {
    '@timestamp': last.timestamp,
    message,
    event: {
      kind: 'alert',
      severity: LEVEL_SEVERITY[level],
      start: new Date(w.start).toISOString(),
      end: new Date(w.end).toISOString(),
    },
    rule: {
      id: uebaRuleId(p.model.name),
      name: title,
      level,
      status: UEBA_RULE_STATUS,
      description:
        `Behaviour of ${w.type} ${w.value} in a ${Math.round((w.end - w.start) / 60_000)}-minute window ` +
        `is anomalous for UEBA model ${p.model.name} (Isolation Forest) version ${p.model.version}.`,
      author: 'Vigil',
      tags,
      ruleset: UEBA_RULESET,
    },
    ...(ecsThreat ? { threat: ecsThreat } : {}),
    ...(host !== null ? { host: { name: host } } : {}),
    ...(user !== null ? { user: { name: user } } : {}),
    ...(sourceIp !== null ? { source: { ip: sourceIp } } : {}),
    vigil: {
      event_id: last.id,
      decoder: 'ueba',
      ml: {
        model: p.model.name,
        version: p.model.version,
        version_id: p.model.id,
        score: p.score,
        threshold: p.threshold,
        entity: { type: w.type, value: w.value },
        window: { start: new Date(w.start).toISOString(), end: new Date(w.end).toISOString() },
        features: finite(p.closed.features),
        deviations: p.deviations,
        explanation: p.explanation.map((c) => ({
          feature: c.feature,
          value: c.value,
          contribution: c.contribution,
        })),
      },
    },
  };
  return {
    ruleId: uebaRuleId(p.model.name),
    ruleTitle: title,
    level,
    techniques: [...threat.techniques, ...threat.subtechniques].map((x) => x.id),
    tactics: threat.tactics.map((x) => x.id),
    host,
    user,
    sourceIp,
    document,
    evidence: last,
    extraEvidence: p.evidence.slice(0, -1),
  };
}
