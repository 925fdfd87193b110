/**
 * Attack paths on real Windows attack logs (OTRF Security Datasets lateral-movement recordings
 * and EVTX-ATTACK-SAMPLES), ingested through the service (decoders, event store, SQL read,
 * graph). Each recording is its own window (its first to its last event).
 *
 * Stated expectations, checked against counts made here straight from the raw JSON (not through
 * Vigil's decoders or graph):
 * - fan-out: every source address, and every account, that logged on (4624, or 4648 explicit
 *   credentials) to at least 3 distinct hosts within an hour has a `fan_out` signal with that
 *   count, and no other has one;
 * - logon chains: found exactly where the raw records have a person's remote logon into a host
 *   followed within an hour by one out of it (none in these recordings: their second hops are
 *   computer accounts); every hop is a stored 4624/4648 whose raw fields name its host and
 *   account, starting from the host (or an address of it) the previous hop reached;
 * - remote execution: every `remote_exec` edge's events are a network logon and a service install
 *   or a WmiPrvSE.exe child on the same host.
 * The signals found are printed.
 */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { normalizeIp } from '../../src/detect/graph/entities.js';
import { buildApi } from '../../src/server/app.js';
import type { ServiceContext } from '../../src/service/vigil.js';
import { seedAccounts, type TestAccounts } from '../helpers/auth.js';
import { jsonCaller, type Json } from '../helpers/inject.js';
import { closeTestContext, detected, openTestContext, STORE_KINDS } from '../helpers/service.js';
import { requireSharedData, shared } from '../helpers/shared-data.js';

const OTRF = (name: string) => shared('windows-attack/otrf-security-datasets/events', name);
const SAMPLES = (name: string) =>
  shared('windows-attack/evtx-jsonl/EVTX-ATTACK-SAMPLES/Lateral Movement', name);

const DATASETS = [
  OTRF('atomic__windows__lateral_movement__host__purplesharp_ad_playbook_I.jsonl.gz'),
  OTRF('atomic__windows__lateral_movement__host__covenant_sharpwmi_create_dcerpc_wmi.jsonl.gz'),
  OTRF('atomic__windows__lateral_movement__host__covenant_dcom_registerxll.jsonl.gz'),
  OTRF('atomic__windows__lateral_movement__host__covenant_sharpsc_stop_dcerpc_smb_svcctl.jsonl.gz'),
  OTRF('atomic__windows__lateral_movement__host__empire_psremoting_stager.jsonl.gz'),
  OTRF('atomic__windows__lateral_movement__host__schtask_create.jsonl.gz'),
  OTRF('atomic__windows__credential_access__host__cmd_psexec_lsa_secrets_dump.jsonl'),
  SAMPLES('LM_WMI_4624_4688_TargetHost.jsonl'),
  SAMPLES('LM_ScheduledTask_ATSVC_target_host.jsonl'),
  SAMPLES('LM_WMIC_4648_rpcss.jsonl'),
  SAMPLES('remote task update 4624 4702 same logonid.jsonl'),
];

const HOUR = 3_600_000;
const SYSTEM = new Set(['system', 'local service', 'network service', 'anonymous logon', 'localsystem']);

function lines(file: string): string[] {
  const buf = readFileSync(file);
  const text = (file.endsWith('.gz') ? gunzipSync(buf) : buf).toString('utf8');
  return text.split('\n').filter((l) => l.trim() !== '');
}

/** A raw Windows record's fields, from the flat (OTRF) or the evtx-JSON shape. */
function fieldsOf(raw: Json): Record<string, unknown> {
  const e = raw.Event as Json | undefined;
  if (e && typeof e === 'object') {
    const s = e.System as Json;
    const id = typeof s.EventID === 'object' && s.EventID !== null ? (s.EventID as Json)['#text'] : s.EventID;
    return { ...(e.EventData as Json), EventID: Number(id), Channel: s.Channel, Computer: s.Computer };
  }
  return { ...raw, Computer: raw.Hostname };
}

const str = (v: unknown): string | undefined =>
  typeof v === 'string' && v !== '' && v !== '-' ? v : undefined;
const shortHost = (h: string) => h.toLowerCase().split('.')[0]!;
const bareUser = (u: string) => u.toLowerCase().slice(u.lastIndexOf('\\') + 1);

interface RawLogon {
  time: number;
  source: string | undefined;
  user: string;
  target: string;
}

/** Successful logons of people (not system or computer accounts), read straight from the raw JSON. */
function rawLogons(records: readonly Json[], times: readonly number[]): RawLogon[] {
  const out: RawLogon[] = [];
  records.forEach((raw, i) => {
    const f = fieldsOf(raw);
    if (f.Channel !== 'Security') return;
    const user = str(f.TargetUserName) && bareUser(String(f.TargetUserName));
    if (!user || SYSTEM.has(user) || /^(dwm|umfd)-\d+$/.test(user) || user.endsWith('$')) return;
    const computer = str(f.Computer);
    if (f.EventID === 4624 && computer) {
      const ip = str(f.IpAddress) && normalizeIp(String(f.IpAddress));
      const remote = ip && !['127.0.0.1', '::1', '0.0.0.0', '::'].includes(ip) ? `ip:${ip}` : undefined;
      const ws = str(f.WorkstationName) && `host:${shortHost(String(f.WorkstationName))}`;
      const target = `host:${shortHost(computer)}`;
      const source = remote ?? ws;
      out.push({ time: times[i]!, source: source === target ? undefined : source, user, target });
    }
    if (f.EventID === 4648 && computer) {
      const server = str(f.TargetServerName);
      if (!server || server.toLowerCase() === 'localhost') return;
      const target = `host:${shortHost(server)}`;
      const source = `host:${shortHost(computer)}`;
      if (target !== source) out.push({ time: times[i]!, source, user, target });
    }
  });
  return out;
}

/** Per key, the most distinct targets within any hour (sliding from each logon). */
function maxDistinctPerHour(
  logons: readonly RawLogon[],
  key: (l: RawLogon) => string | undefined,
): Map<string, number> {
  const byKey = new Map<string, RawLogon[]>();
  for (const l of logons) {
    const k = key(l);
    if (k !== undefined) byKey.set(k, [...(byKey.get(k) ?? []), l]);
  }
  const out = new Map<string, number>();
  for (const [k, list] of byKey) {
    let best = 0;
    for (const a of list) {
      const targets = new Set(
        list.filter((b) => b.time >= a.time && b.time - a.time <= HOUR).map((b) => b.target),
      );
      best = Math.max(best, targets.size);
    }
    out.set(k, best);
  }
  return out;
}

describe.runIf(requireSharedData())('attack paths on OTRF and EVTX-ATTACK-SAMPLES lateral movement', () => {
  describe.each(STORE_KINDS)('on %s', (kind) => {
    let ctx: ServiceContext;
    let app: FastifyInstance;
    let accounts: TestAccounts;
    const viewer = jsonCaller(
      () => app,
      () => accounts.viewer,
    );
    const loaded: {
      file: string;
      records: Json[];
      ids: number[];
      times: number[];
      from: string;
      to: string;
    }[] = [];

    beforeAll(async () => {
      ctx = await openTestContext(kind, { VIGIL_BUILTIN_RULES: 'false' });
      accounts = await seedAccounts(ctx);
      app = await buildApi(ctx);
      for (const file of DATASETS) {
        const text = lines(file);
        const records = text.map((t) => JSON.parse(t) as Json);
        const result = await ctx.ingest.ingestJson(
          text.map((t, i) => ({ line: i + 1, text: t, value: records[i] })),
          'http',
        );
        const ids = result.items.map((x) => ('id' in x ? x.id : -1));
        const stored = await ctx.database.db
          .selectFrom('events')
          .select(['id', 'timestamp'])
          .where(
            'id',
            'in',
            ids.filter((x) => x > 0),
          )
          .execute();
        const at = new Map(stored.map((r) => [Number(r.id), r.timestamp.getTime()]));
        const times = ids.map((id) => at.get(id) ?? NaN);
        const valid = times.filter((t) => Number.isFinite(t));
        loaded.push({
          file,
          records,
          ids,
          times,
          from: new Date(Math.min(...valid)).toISOString(),
          to: new Date(Math.max(...valid) + 1).toISOString(),
        });
      }
      await detected(ctx);
    }, 600_000);
    afterAll(async () => {
      await app?.close();
      if (ctx) await closeTestContext(ctx);
    });

    it('fan-out signals match the distinct logon targets counted from the raw records', async () => {
      let flagged = 0;
      for (const d of loaded) {
        const r = await viewer(
          'GET',
          `/api/v1/visualize/attack-paths?from=${d.from}&to=${d.to}&max_signals=1000`,
        );
        expect(r.status).toBe(200);
        expect(r.body.events.truncated).toBe(false);
        const logons = rawLogons(d.records, d.times);
        const expected = new Map<string, number>();
        for (const [k, n] of maxDistinctPerHour(logons, (l) => l.source)) if (n >= 3) expected.set(k, n);
        for (const [k, n] of maxDistinctPerHour(logons, (l) => `user:${l.user}`))
          if (n >= 3) expected.set(k, n);
        const got = new Map<string, number>(
          r.body.signals
            .filter((s: Json) => s.kind === 'fan_out' && s.basis === 'logon')
            .map((s: Json) => [s.entity, s.distinct]),
        );
        const name = d.file.slice(d.file.lastIndexOf('/') + 1);
        console.log(
          `${name} (${d.from} to ${d.to}): ${r.body.events.read} events read, ${r.body.events.used} used; signals ${JSON.stringify(r.body.signal_counts)}`,
        );
        for (const s of r.body.signals.filter((x: Json) => x.kind !== 'new_edge'))
          console.log(`  ${s.kind}: ${s.explanation}`);
        expect(Object.fromEntries(got)).toEqual(Object.fromEntries(expected));
        flagged += got.size;
      }
      // purplesharp's playbook: pgustavo from 172.18.39.5 to MORDORDC, WORKSTATION6 and WORKSTATION7.
      expect(flagged).toBeGreaterThanOrEqual(2);
    });

    it('logon chains exist where the raw records have a logon out of a host just reached; each hop checks out', async () => {
      let hops = 0;
      for (const d of loaded) {
        // Independent count: remote logons A → B, then one from B (by name or an address seen with
        // B's WorkstationName) within an hour.
        const logons = rawLogons(d.records, d.times).filter((l) => l.source !== undefined);
        const names = new Map<string, Set<string>>();
        for (const raw of d.records) {
          const f = fieldsOf(raw);
          const ip = str(f.IpAddress) && normalizeIp(String(f.IpAddress));
          if (f.EventID === 4624 && ip && str(f.WorkstationName))
            names.set(
              `ip:${ip}`,
              new Set([...(names.get(`ip:${ip}`) ?? []), `host:${shortHost(String(f.WorkstationName))}`]),
            );
        }
        const pairs = logons.filter((b) =>
          logons.some(
            (a) =>
              a !== b &&
              b.time >= a.time &&
              b.time - a.time <= HOUR &&
              b.target !== a.target &&
              b.target !== a.source &&
              !(names.get(a.source!)?.has(b.target) ?? false) &&
              (b.source === a.target || (names.get(b.source!)?.has(a.target) ?? false)),
          ),
        ).length;
        const r = await viewer(
          'GET',
          `/api/v1/visualize/attack-paths?from=${d.from}&to=${d.to}&max_signals=1000`,
        );
        const topo = await viewer(
          'GET',
          `/api/v1/visualize/network-topology?from=${d.from}&to=${d.to}&limit=5000`,
        );
        const addressOf = new Map<string, Set<string>>();
        for (const e of topo.body.edges.filter((x: Json) => x.type === 'address'))
          addressOf.set(e.source, new Set([...(addressOf.get(e.source) ?? []), e.target]));
        const chains = r.body.signals.filter((s: Json) => s.kind === 'logon_chain');
        expect(chains.length > 0).toBe(pairs > 0);
        for (const chain of chains) {
          chain.hops.forEach((h: Json, i: number) => {
            const raw = fieldsOf(d.records[d.ids.indexOf(h.event_id)]!);
            expect([4624, 4648]).toContain(raw.EventID);
            const host = raw.EventID === 4624 ? raw.Computer : raw.TargetServerName;
            expect(h.target).toBe(`host:${shortHost(String(host))}`);
            expect(h.user).toBe(`user:${bareUser(String(raw.TargetUserName))}`);
            if (i > 0) {
              const prev = chain.hops[i - 1];
              const from = h.source === prev.target || addressOf.get(h.source)?.has(prev.target);
              expect(from).toBe(true);
              expect(Date.parse(h.time) - Date.parse(prev.time)).toBeLessThanOrEqual(HOUR);
            }
            hops++;
          });
        }
      }
      // None of these recordings has a person logging on out of a host they just reached (the
      // second hops are computer accounts, WORKSTATION6$ → MORDORDC): the chain logic is shown on
      // the scenario of test/graph/api.test.ts.
      console.log(`logon-chain hops checked: ${hops}`);
    });

    it('remote execution edges pair a network logon with a service install or WMI child on its host', async () => {
      let edges = 0;
      for (const d of loaded) {
        const topo = await viewer(
          'GET',
          `/api/v1/visualize/network-topology?from=${d.from}&to=${d.to}&limit=5000`,
        );
        for (const e of topo.body.edges.filter((x: Json) => x.type === 'remote_exec')) {
          const raws = e.sample_event_ids.map((id: number) => fieldsOf(d.records[d.ids.indexOf(id)]!));
          const ids = raws.map((f: Json) => f.EventID);
          expect(ids).toContain(4624);
          expect(ids.some((x: number) => x === 7045 || x === 4688 || x === 1)).toBe(true);
          for (const f of raws) expect(`host:${shortHost(String(f.Computer))}`).toBe(e.target);
          console.log(
            `  ${d.file.slice(d.file.lastIndexOf('/') + 1)}: remote_exec ${e.source} → ${e.target}: ${e.what.join(', ')} (events ${e.sample_event_ids.join(', ')})`,
          );
          edges++;
        }
      }
      console.log(`remote_exec edges checked: ${edges}`);
      // covenant_sharpwmi: pgustavo's network logons from 172.18.39.5 to WORKSTATION6, then
      // GruntHTTP2.exe started by WmiPrvSE.exe there (4688) 6 ms later.
      expect(edges).toBeGreaterThanOrEqual(1);
    });
  });
});
