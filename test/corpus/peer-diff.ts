/**
 * Diffs Vigil's matches against Zircolite's (../shared/data/peer/zircolite/{otrf,evtx}.json) on
 * the shared Windows attack logs, and classifies every difference by testing Zircolite's known
 * deviations from the Sigma spec one by one (see docs/peer-diff.md):
 * - `security-4688-process-creation`: Zircolite's pipelines map `process_creation` to Sysmon
 *   EventID 1 only; Vigil also reads Security 4688 (thor.yml, pySigma windows-audit);
 * - `flat-system-fields`: flat OTRF/nxlog JSON has `SourceName`/`Hostname`; Zircolite does not see
 *   them as `Provider_Name`/`Computer`;
 * - `not-over-null-or-missing-field`: a `not` over a field that is absent or null; SQL's
 *   `NOT (NULL = x)` is NULL, so Zircolite never matches;
 * - `keyword-rule`: keyword (value-only) rules, which pySigma's SQLite backend does not convert;
 * - `long-value-list`: a value list SQLite rejects (too many terms);
 * - `field-name-case`: Vigil's case-insensitive field-name fallback;
 * - `regex`: the rule uses `|re`;
 * - `other`: unexplained — the corpus test fails on these.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { type ActiveRule, createDetector } from '../../src/detect/sigma/detector.js';
import { lookupField } from '../../src/detect/sigma/event.js';
import type { DetectionNode, FieldValue, SigmaEvent } from '../../src/detect/sigma/types.js';
import type { FieldEvent } from '../../src/pipeline/decoders/field-event.js';
import { decodeJson } from '../../src/pipeline/decoders/json.js';
import type { DecodedEvent } from '../../src/pipeline/decoders/types.js';
import { loadRuleFiles } from '../../src/rules/loader.js';

export interface Difference {
  readonly file: string;
  readonly rule: string;
  readonly title?: string;
  readonly event: number;
  readonly category: string;
}

export interface PeerDiff {
  readonly set: string;
  readonly files: number;
  readonly both: number;
  readonly vigilOnly: Difference[];
  readonly peerOnly: Difference[];
}

interface PeerFile {
  readonly files: Record<string, Record<string, { title: string; level: string; events: number[] }>>;
}

function readJsonLines(path: string): unknown[] {
  const buf = readFileSync(path);
  const text = (path.endsWith('.gz') ? gunzipSync(buf) : buf).toString('utf8');
  const out: unknown[] = [];
  for (const line of text.split('\n')) {
    const t = line.trim();
    if (t === '') continue;
    try {
      out.push(JSON.parse(t));
    } catch {
      // Zircolite's event index counts only JSON-parsable lines.
    }
  }
  return out;
}

function items(node: DetectionNode, out: DetectionNode[] = []): DetectionNode[] {
  if (node.kind === 'item') out.push(node);
  else for (const c of node.children) items(c, out);
  return out;
}

/** The event as a SQL engine sees it, with some of Vigil's mappings switched off. */
function view(event: FieldEvent, opts: { caseFallback?: boolean; flatAliases?: boolean }): SigmaEvent {
  const { caseFallback = true, flatAliases = true } = opts;
  return {
    logsource: event.logsource,
    keywordValues: () => event.keywordValues(),
    get: (n: string): FieldValue | undefined => {
      const aliases = event.aliases?.[n];
      if (aliases && (flatAliases || !['Provider_Name', 'Computer'].includes(n))) {
        for (const a of aliases) if (event.fields[a] !== undefined) return event.fields[a];
      }
      if (Object.hasOwn(event.fields, n)) return event.fields[n];
      return caseFallback ? lookupField(event.fields, n) : undefined;
    },
  };
}

export async function peerDiff(data: string, set: 'otrf' | 'evtx'): Promise<PeerDiff> {
  const { rules } = await loadRuleFiles([join(data, 'sigma/rules/windows')]);
  const detector = createDetector(rules);
  const byId = new Map(detector.rules.map((r) => [r.rule.id, r]));
  const peer = JSON.parse(readFileSync(join(data, 'peer/zircolite', `${set}.json`), 'utf8')) as PeerFile;
  const peerRules = new Set(Object.values(peer.files).flatMap((r) => Object.keys(r)));
  const decodeOptions = { year: 2020, timezone: 'UTC' };

  const matches = (rule: ActiveRule, e: SigmaEvent) => detector.match(e).includes(rule);
  const classify = (rule: ActiveRule, event: DecodedEvent): string => {
    const fe = event as FieldEvent;
    const nodes = [...rule.rule.detection.identifiers.values()].flatMap((n) => items(n));
    if (event.fields.EventID === 4688 && rule.rule.logsource.category === 'process_creation') {
      return 'security-4688-process-creation';
    }
    if (event.decoder === 'windows-flat-json' && !matches(rule, view(fe, { flatAliases: false })))
      return 'flat-system-fields';
    if (!matches(rule, view(fe, { caseFallback: false }))) return 'field-name-case';
    if (nodes.some((n) => n.kind === 'item' && n.item.values.length > 500)) return 'long-value-list';
    if (nodes.some((n) => n.kind === 'item' && n.item.field === null)) return 'keyword-rule';
    const negates = JSON.stringify(rule.rule.detection.conditions).includes('"not"');
    const fields = nodes.flatMap((n) => (n.kind === 'item' && n.item.field !== null ? [n.item.field] : []));
    if (negates && fields.some((f) => event.get(f) === undefined || event.get(f) === null)) {
      return 'not-over-null-or-missing-field';
    }
    if (nodes.some((n) => n.kind === 'item' && n.item.modifiers.includes('re'))) return 'regex';
    return peerRules.has(rule.rule.id ?? '') ? 'other' : 'other (rule never matched by Zircolite)';
  };

  const files =
    set === 'otrf'
      ? readdirSync(join(data, 'windows-attack/otrf-security-datasets/events'))
          .filter((f) => /\.jsonl(\.gz)?$/.test(f))
          .map((f) => `windows-attack/otrf-security-datasets/events/${f}`)
      : Object.keys(peer.files);
  const all = [...new Set([...files, ...Object.keys(peer.files)])];
  let both = 0;
  const vigilOnly: Difference[] = [];
  const peerOnly: Difference[] = [];
  for (const file of all) {
    const decoded = readJsonLines(join(data, file)).map((o) => decodeJson(o, decodeOptions));
    const vigil = new Map<string, Set<number>>();
    decoded.forEach((ev, i) => {
      if (!ev) return;
      for (const r of detector.match(ev)) {
        const id = r.rule.id ?? r.rule.title;
        if (!vigil.has(id)) vigil.set(id, new Set());
        vigil.get(id)!.add(i + 1);
      }
    });
    const peerFile = peer.files[file] ?? {};
    for (const id of new Set([...vigil.keys(), ...Object.keys(peerFile)])) {
      const v = vigil.get(id) ?? new Set<number>();
      const p = new Set(peerFile[id]?.events ?? []);
      const rule = byId.get(id);
      for (const i of v) {
        if (p.has(i)) both++;
        else
          vigilOnly.push({
            file,
            rule: id,
            title: rule?.rule.title,
            event: i,
            category: classify(rule!, decoded[i - 1]!),
          });
      }
      for (const i of p) {
        if (v.has(i)) continue;
        const ev = decoded[i - 1];
        peerOnly.push({
          file,
          rule: id,
          title: peerFile[id]?.title,
          event: i,
          category: !rule ? 'rule-not-loaded-by-vigil' : !ev ? 'event-not-decoded' : 'other',
        });
      }
    }
  }
  return { set, files: all.length, both, vigilOnly, peerOnly };
}

/** Counts per category. */
export function tally(diffs: readonly Difference[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const d of diffs) out[d.category] = (out[d.category] ?? 0) + 1;
  return out;
}
