/**
 * Which ATT&CK log sources the stored events are: a table from Vigil's event kinds (Sigma
 * logsource, decoder, Windows channel, `event.code`) to the log-source names ATT&CK v18 analytics
 * reference (`x_mitre_log_source_references[].name`, e.g. `WinEventLog:Security`), and the test
 * of one ATT&CK reference against what was seen.
 *
 * The mapping is partial on purpose, and says so (docs/attack.md, "Data seen"):
 * - Windows event logs map exactly: `WinEventLog:<channel>` plus ATT&CK's short names for the
 *   channels it abbreviates (Security, Sysmon, PowerShell, …), and an ATT&CK channel written
 *   `EventCode=4625, 4771` is compared with the events' `event.code`;
 * - auditd records map to `auditd:<record type>` (`auditd:SYSCALL`); the syscall named in ATT&CK's
 *   channel (`execve`) is not compared;
 * - syslog, auth, cron, Zeek, Suricata and web access logs map by name only: ATT&CK's channel for
 *   them is free text (`sshd[pid]: Failed password`, `conn.log`), so a match says "this kind of
 *   log is collected", not "this very record is".
 * Events of a kind the table does not know are reported as unmapped, never guessed.
 */
import type { SeenSource } from '../store/attack.js';

/** One row of the table: events with all the given properties are these ATT&CK log sources. */
export interface LogSourceMapping {
  /** Sigma logsource `product`. */
  readonly product?: string;
  /** One of the event's Sigma `service` names. */
  readonly service?: string;
  /** One of the event's Sigma `category` names. */
  readonly category?: string;
  /** The decoder id (`web-w3c`). */
  readonly decoder?: string;
  /** ATT&CK log-source names (compared case-insensitively). */
  readonly attack: readonly string[];
  /** True when ATT&CK's `EventCode=…` channels are comparable with the events' `event.code`. */
  readonly eventCodes: boolean;
}

/**
 * The table. Names are those the ATT&CK v18.1 Enterprise analytics use; Sigma services are
 * those Vigil's decoders give (`pipeline/decoders/windows/tables.ts`, `text/syslog-tables.ts`).
 */
export const LOG_SOURCE_MAP: readonly LogSourceMapping[] = [
  { product: 'windows', service: 'security', attack: ['WinEventLog:Security'], eventCodes: true },
  { product: 'windows', service: 'sysmon', attack: ['WinEventLog:Sysmon'], eventCodes: true },
  { product: 'windows', service: 'system', attack: ['WinEventLog:System'], eventCodes: true },
  { product: 'windows', service: 'application', attack: ['WinEventLog:Application'], eventCodes: true },
  { product: 'windows', service: 'powershell', attack: ['WinEventLog:PowerShell'], eventCodes: true },
  { product: 'windows', service: 'powershell-classic', attack: ['WinEventLog:PowerShell'], eventCodes: true },
  { product: 'windows', service: 'taskscheduler', attack: ['WinEventLog:TaskScheduler'], eventCodes: true },
  { product: 'windows', service: 'wmi', attack: ['WinEventLog:WMI'], eventCodes: true },
  {
    product: 'windows',
    service: 'codeintegrity-operational',
    attack: ['WinEventLog:CodeIntegrity'],
    eventCodes: true,
  },
  {
    product: 'windows',
    service: 'windefend',
    attack: ['WinEventLog:Windows Defender'],
    eventCodes: true,
  },
  { product: 'windows', service: 'applocker', attack: ['WinEventLog:AppLocker'], eventCodes: true },
  { product: 'windows', service: 'dhcp', attack: ['WinEventLog:DHCP'], eventCodes: true },
  { product: 'linux', service: 'sysmon', attack: ['linux:Sysmon'], eventCodes: true },
  { product: 'linux', service: 'syslog', attack: ['linux:syslog'], eventCodes: false },
  { product: 'linux', service: 'auth', attack: ['linux:auth'], eventCodes: false },
  { product: 'linux', service: 'cron', attack: ['linux:cron'], eventCodes: false },
  { product: 'zeek', attack: ['NSM:Flow', 'NSM:Connections'], eventCodes: false },
  { product: 'suricata', service: 'netflow', attack: ['NSM:Flow', 'NSM:Connections'], eventCodes: false },
  { category: 'webserver', attack: ['ApplicationLog:WebServer'], eventCodes: false },
  { decoder: 'web-w3c', attack: ['ApplicationLog:IIS'], eventCodes: false },
];

/** An ATT&CK log source seen in the stored events. */
export interface SeenAttackSource {
  /** As ATT&CK spells it where the table names it; `WinEventLog:<channel>` otherwise. */
  readonly name: string;
  readonly events: number;
  /** `event.code` values seen, when comparable with ATT&CK's `EventCode=` channels; else null. */
  readonly codes: readonly string[] | null;
}

/** The ATT&CK view of the stored events. */
export interface SeenData {
  /** By lower-cased ATT&CK name. */
  readonly sources: ReadonlyMap<string, SeenAttackSource>;
  /** Event kinds the table does not map to any ATT&CK log source. */
  readonly unmapped: readonly SeenSource[];
}

function list(value: string | null): string[] {
  return value ? value.split(',').filter((v) => v !== '') : [];
}

function matches(m: LogSourceMapping, s: SeenSource): boolean {
  if (m.product !== undefined && s.product !== m.product) return false;
  if (m.service !== undefined && !list(s.service).includes(m.service)) return false;
  if (m.category !== undefined && !list(s.category).includes(m.category)) return false;
  if (m.decoder !== undefined && s.decoder !== m.decoder) return false;
  return true;
}

/**
 * The ATT&CK log sources one kind of stored event is, with whether its `event.code` is comparable.
 * @returns `[name, comparesCodes]` pairs, one per name (compared case-insensitively), possibly none
 */
export function attackNamesOf(s: SeenSource): [string, boolean][] {
  const out = new Map<string, [string, boolean]>();
  const add = (name: string, comparesCodes: boolean): void => {
    const key = name.toLowerCase();
    if (!out.has(key)) out.set(key, [name, comparesCodes]);
  };
  for (const m of LOG_SOURCE_MAP) if (matches(m, s)) for (const name of m.attack) add(name, m.eventCodes);
  if (s.product === 'windows' && s.channel) add(`WinEventLog:${s.channel}`, true);
  if (list(s.service).includes('auditd') && s.code) add(`auditd:${s.code.toUpperCase()}`, false);
  return [...out.values()];
}

/** Folds the stored event kinds into the ATT&CK log sources they are. */
export function seenData(seen: readonly SeenSource[]): SeenData {
  const sources = new Map<string, { name: string; events: number; codes: Set<string> | null }>();
  const unmapped: SeenSource[] = [];
  for (const s of seen) {
    const names = attackNamesOf(s);
    if (names.length === 0) unmapped.push(s);
    for (const [name, comparesCodes] of names) {
      const key = name.toLowerCase();
      let entry = sources.get(key);
      if (!entry) {
        entry = { name, events: 0, codes: comparesCodes ? new Set() : null };
        sources.set(key, entry);
      }
      entry.events += s.events;
      if (entry.codes && s.code) entry.codes.add(s.code);
    }
  }
  const out = new Map<string, SeenAttackSource>();
  for (const [key, e] of sources)
    out.set(key, { name: e.name, events: e.events, codes: e.codes ? [...e.codes].sort() : null });
  return { sources: out, unmapped };
}

/** `EventCode=4663, 4670, 4656` → `['4663', '4670', '4656']`; free text → `[]`. */
export function eventCodesOf(channel: string): string[] {
  if (!/EventCode\s*=/i.test(channel)) return [];
  return channel.match(/\b\d+\b/g) ?? [];
}

/**
 * How one ATT&CK log-source reference fares against the data seen:
 * `event-code` — events of that log source with one of its EventCodes were seen;
 * `log-source` — events of that log source were seen (its channel is not comparable);
 * `other-events` — that log source was seen, but none of its EventCodes;
 * `none` — that log source was not seen.
 */
export type LogSourceMatch = 'event-code' | 'log-source' | 'other-events' | 'none';

/** Tests an ATT&CK reference (`name`, `channel`) against the data seen. */
export function matchLogSource(data: SeenData, name: string, channel: string): LogSourceMatch {
  const seen = data.sources.get(name.toLowerCase());
  if (!seen) return 'none';
  const codes = eventCodesOf(channel);
  if (codes.length === 0 || seen.codes === null) return 'log-source';
  return codes.some((c) => seen.codes!.includes(c)) ? 'event-code' : 'other-events';
}
