// Section 2 of the service benchmark (bench/service-bench.mjs): the read API (alert list, 24-hour
// event search) under a fixed offered load, over a 7-day store of events and alerts loaded with
// COPY before the server starts. Imports dist/ (build first).
import { copyText, openDatabase } from '../dist/store/database.js';
import '../dist/pipeline/decoders/register.js';
import { prepareJson } from '../dist/pipeline/ingest/prepare.js';
import { HOSTS, ip, rng, syslogEvent, USERS } from './service-data.mjs';
import { runFixedRate } from './service-load.mjs';
import {
  COPY_COLUMNS,
  copyIn,
  cpuSnapshot,
  cpuUse,
  dbUrl,
  emptyStore,
  fmt,
  log,
  peakRssMb,
  startServer,
  withClient,
} from './service-util.mjs';

const DAY = 86_400_000;

/** The 7-day store: ids 1..n in time order, ~40% Windows (real ECS) and ~60% generic JSON. */
async function* eventRows(n, now, winTemplates) {
  const r = rng(42);
  const start = now - 7 * DAY;
  const span = 7 * DAY - 60_000;
  const CHUNK = 5000;
  let text = '';
  for (let id = 1; id <= n; id++) {
    const ts = start + ((id - 0.5) / n) * span - r(30_000);
    const timestamp = new Date(ts).toISOString();
    const ingested = new Date(ts + 200 + r(3000)).toISOString();
    let decoder;
    let format;
    let logsource;
    let ecs;
    let original;
    if (winTemplates.length > 0 && r(10) < 4) {
      const t = winTemplates[r(winTemplates.length)];
      const host = HOSTS[r(200)];
      const e = { ...t.ecs, '@timestamp': timestamp, host: { ...t.ecs.host, name: host } };
      if (r(10) < 8) e.user = { ...t.ecs.user, name: USERS[r(USERS.length)] };
      if (r(10) < 4) e.source = { ...t.ecs.source, ip: ip(r(1 << 16)) };
      e.event = { ...t.ecs.event, ingested };
      decoder = t.decoder;
      format = t.format;
      logsource = t.logsource;
      ecs = JSON.stringify(e);
      original = t.host ? t.original.replaceAll(t.host, host) : t.original;
    } else {
      const o = syslogEvent(r, timestamp, true);
      original = JSON.stringify(o);
      decoder = 'json';
      format = 'json';
      logsource = '{}';
      ecs = JSON.stringify({ ...o, event: { ingested } });
    }
    text += `${id}\t${timestamp}\t${ingested}\thttp\t${decoder}\t${format}\t${copyText(logsource)}\t${copyText(ecs)}\t${copyText(original)}\n`;
    if (id % CHUNK === 0) {
      yield text;
      text = '';
    }
  }
  if (text) yield text;
}

function alertStatus(r) {
  const x = r(100);
  return x < 70
    ? 'new'
    : x < 80
      ? 'acknowledged'
      : x < 90
        ? 'in_progress'
        : x < 95
          ? 'resolved'
          : 'false_positive';
}

const SYNTHETIC_ALERT = {
  rule_id: '00000000-0000-4000-8000-000000000001',
  rule_title: 'Synthetic benchmark rule',
  level: 'high',
  techniques: ['T1059', 'T1059.001'],
  tactics: ['TA0002'],
  document: {
    rule: {
      id: '00000000-0000-4000-8000-000000000001',
      name: 'Synthetic benchmark rule',
      level: 'high',
      ruleset: 'sigma',
    },
    event: { kind: 'alert', severity: 73 },
    threat: { framework: 'MITRE ATT&CK', technique: { id: ['T1059'] }, tactic: { id: ['TA0002'] } },
    vigil: { match: { fields: {}, keywords: [], selections: ['selection'] } },
  },
  evidence: [],
};

async function* alertRows(count, nEvents, now, templates) {
  const r = rng(99);
  const start = now - 7 * DAY;
  let text = '';
  for (let i = 0; i < count; i++) {
    const t = templates.length ? templates[i % templates.length] : SYNTHETIC_ALERT;
    const eventId = 1 + r(nEvents);
    const firstSeen = start + ((eventId - 0.5) / nEvents) * 7 * DAY;
    const lastSeen = Math.min(now - 1000, firstSeen + r(3_600_000));
    const createdAt = Math.min(now - 1000, firstSeen + 500 + r(5000));
    const updatedAt = Math.max(createdAt, lastSeen);
    const host = HOSTS[r(HOSTS.length)];
    const user = r(10) < 8 ? USERS[r(USERS.length)] : null;
    const sourceIp = r(10) < 4 ? ip(r(1 << 16)) : null;
    const doc = {
      ...t.document,
      '@timestamp': new Date(firstSeen).toISOString(),
      host: { ...(t.document.host ?? {}), name: host },
    };
    if (user) doc.user = { ...(t.document.user ?? {}), name: user };
    if (sourceIp) doc.source = { ...(t.document.source ?? {}), ip: sourceIp };
    doc.vigil = { ...(t.document.vigil ?? {}), event_id: eventId };
    const evidence = (t.evidence ?? [])
      .slice(0, 1)
      .map((e) => ({ ...e, id: eventId, timestamp: new Date(firstSeen).toISOString() }));
    const cols = [
      t.rule_id,
      t.rule_title,
      t.level,
      alertStatus(r),
      `${host}|${user ?? ''}|${sourceIp ?? ''}`,
      host,
      user,
      sourceIp,
      JSON.stringify(t.techniques),
      JSON.stringify(t.tactics),
      String(eventId),
      String(1 + r(20)),
      new Date(firstSeen).toISOString(),
      new Date(lastSeen).toISOString(),
      new Date(createdAt).toISOString(),
      new Date(updatedAt).toISOString(),
      JSON.stringify(doc),
      JSON.stringify(evidence),
    ];
    text += `${cols.map(copyText).join('\t')}\n`;
    if (text.length > 4e6) {
      yield text;
      text = '';
    }
  }
  if (text) yield text;
}

/** Decoded Windows events (row fields + ECS) to vary into the 7-day store. */
function windowsTemplates(lines, max) {
  const options = { year: new Date().getUTCFullYear(), timezone: 'UTC' };
  const out = [];
  const step = Math.max(1, Math.floor(lines.length / max));
  for (let i = 0; i < lines.length && out.length < max; i += step) {
    const p = prepareJson(JSON.parse(lines[i]), lines[i], 'http', null, options, new Date().toISOString());
    if (!('ok' in p)) continue;
    const row = p.ok.row;
    const host = row.ecs.host?.name;
    out.push({
      decoder: row.decoder,
      format: row.format,
      logsource: JSON.stringify(row.logsource),
      ecs: row.ecs,
      original: row.original,
      host: typeof host === 'string' && host.length >= 4 ? host : undefined,
    });
  }
  return out;
}

async function loadApiStore(db, lines, alertTemplates, { O, smoke }) {
  const now = Date.now();
  const d = await openDatabase({ kind: 'postgres', url: dbUrl(db) }); // runs Vigil's migrations
  await d.close();
  await emptyStore(db);
  const winTemplates = windowsTemplates(lines, smoke ? 300 : 3000);
  return withClient(db, async (c) => {
    const t0 = performance.now();
    const indexes = (
      await c.query(
        "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'events' AND indexname <> 'events_pkey'",
      )
    ).rows;
    for (const i of indexes) await c.query(`DROP INDEX ${i.indexname}`);
    const copyMs = await copyIn(
      c,
      `COPY events (${COPY_COLUMNS}) FROM STDIN`,
      eventRows(O.apiEvents, now, winTemplates),
    );
    const t1 = performance.now();
    await c.query("SET maintenance_work_mem = '1GB'");
    for (const i of indexes) await c.query(i.indexdef);
    const indexMs = performance.now() - t1;
    await copyIn(
      c,
      'COPY alerts (rule_id, rule_title, level, status, entity_key, host_name, user_name, source_ip, techniques, tactics, first_event_id, event_count, first_seen, last_seen, created_at, updated_at, document, evidence) FROM STDIN',
      alertRows(O.apiAlerts, O.apiEvents, now, alertTemplates),
    );
    await c.query(
      'INSERT INTO alert_events (rule_id, event_id, alert_id) SELECT rule_id, first_event_id, id FROM alerts ON CONFLICT DO NOTHING',
    );
    await c.query(
      "INSERT INTO cursors (name, position) VALUES ('detection', $1) ON CONFLICT (name) DO UPDATE SET position = excluded.position",
      [O.apiEvents],
    );
    await c.query('ANALYZE events');
    await c.query('ANALYZE alerts');
    await c.query('CHECKPOINT');
    const size = Number((await c.query("SELECT pg_total_relation_size('events') AS s")).rows[0].s);
    const last24h = Number(
      (await c.query("SELECT count(*) AS n FROM events WHERE timestamp >= now() - interval '24 hours'"))
        .rows[0].n,
    );
    return {
      events: O.apiEvents,
      alerts: O.apiAlerts,
      alertTemplates: alertTemplates.length,
      windowsTemplates: winTemplates.length,
      copySeconds: copyMs / 1000,
      indexSeconds: indexMs / 1000,
      totalSeconds: (performance.now() - t0) / 1000,
      sizeMb: size / 1e6,
      last24h,
    };
  });
}

/** Execution time and plan of the SQL each endpoint runs (mirrors src/store/{alerts,events}.ts). */
async function explain(db, from, to) {
  const queries = {
    alerts: [
      'SELECT id, status, event_count, first_seen, last_seen, created_at, updated_at, document FROM alerts ORDER BY created_at DESC, id DESC LIMIT 51',
      [],
    ],
    search: [
      'SELECT * FROM events WHERE timestamp >= $1 AND timestamp < $2 ORDER BY timestamp DESC, id DESC LIMIT 101',
      [from, to],
    ],
  };
  return withClient(db, async (c) => {
    const out = {};
    for (const [k, [q, params]] of Object.entries(queries)) {
      let plan;
      for (let i = 0; i < 3; i++)
        plan = (await c.query(`EXPLAIN (ANALYZE, FORMAT JSON) ${q}`, params)).rows[0]['QUERY PLAN'][0];
      const nodes = [];
      for (let n = plan.Plan; n; n = n.Plans?.[0])
        nodes.push(n['Index Name'] ? `${n['Node Type']} (${n['Index Name']})` : n['Node Type']);
      out[k] = { ms: plan['Execution Time'], plan: nodes.join(' → ') };
    }
    return out;
  });
}

/** Loads the 7-day store with COPY, then offers `O.rate` req/s to each endpoint in turn. */
export async function apiBench(db, lines, alertTemplates, { O, smoke }) {
  log(`api: loading ${fmt(O.apiEvents)} events and ${fmt(O.apiAlerts)} alerts with COPY`);
  const loaded = await loadApiStore(db, lines, alertTemplates, { O, smoke });
  log(
    `api: loaded in ${fmt(loaded.totalSeconds, 1)} s (COPY ${fmt(loaded.copySeconds, 1)} s, indexes ${fmt(loaded.indexSeconds, 1)} s); starting server`,
  );
  const server = await startServer(db, 'api', smoke);
  try {
    const now = new Date();
    const from = new Date(now.getTime() - DAY).toISOString();
    const to = now.toISOString();
    const endpoints = [
      {
        name: 'GET /api/v1/alerts?limit=50',
        path: '/api/v1/alerts?limit=50',
        goal: 50,
        key: 'alerts',
        count: (b) => b.alerts?.length,
      },
      {
        name: 'GET /api/v1/events 24 h, limit=100',
        path: `/api/v1/events?from=${from}&to=${to}&limit=100`,
        goal: 250,
        key: 'search',
        count: (b) => b.events?.length,
      },
    ];
    // A signed-in user's access token, as the UI sends it.
    const headers = { authorization: server.auth.admin };
    const results = [];
    for (const e of endpoints) {
      const url = `${server.url}${e.path}`;
      log(
        `api: ${e.name}: warm-up ${O.warmupSeconds} s, then ${O.rate} req/s over ${O.connections} connections for ${O.apiSeconds} s`,
      );
      await runFixedRate({
        url,
        rate: O.rate,
        connections: O.connections,
        seconds: O.warmupSeconds,
        headers,
      });
      const cpu0 = cpuSnapshot(server.pid);
      const res = await runFixedRate({
        url,
        rate: O.rate,
        connections: O.connections,
        seconds: O.apiSeconds,
        grace: smoke ? 1 : 5,
        headers,
      });
      res.cpu = cpuUse(cpu0, cpuSnapshot(server.pid));
      let items;
      try {
        items = e.count(JSON.parse(res.sample?.body ?? '{}'));
      } catch {
        items = undefined;
      }
      results.push({ ...e, ...res, items, responseKb: (res.sample?.body.length ?? 0) / 1024 });
    }
    const rss = peakRssMb(server.pid);
    const warnings = { count: server.warnings, samples: server.samples };
    await server.stop();
    log('api: EXPLAIN ANALYZE of the two queries');
    const plans = await explain(db, from, to);
    return { loaded, results, rss, plans, warnings, logPath: server.logPath };
  } finally {
    await server.stop();
  }
}
