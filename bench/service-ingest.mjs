/* global fetch, setTimeout */
// Section 1 of the service benchmark (bench/service-bench.mjs): HTTP ingest with detection on, for
// one event shape at a time, and its baseline, a bare COPY of the same stored rows.
import { runIngest } from './service-load.mjs';
import {
  COPY_COLUMNS,
  copyIn,
  copyOut,
  cpuSnapshot,
  cpuUse,
  emptyStore,
  fmt,
  log,
  metrics,
  peakRssMb,
  startServer,
  withClient,
} from './service-util.mjs';

function bodiesOf(lines, batch) {
  const bodies = [];
  for (let i = 0; i + batch <= lines.length; i += batch)
    bodies.push({ text: `${lines.slice(i, i + batch).join('\n')}\n`, events: batch });
  return bodies.length > 0 ? bodies : [{ text: `${lines.join('\n')}\n`, events: lines.length }];
}

async function waitForLagZero(url, timeoutMs) {
  const t0 = performance.now();
  let lag = Number.NaN;
  while (performance.now() - t0 < timeoutMs) {
    try {
      lag = (await (await fetch(`${url}/ready`)).json()).detection_lag;
      if (lag === 0) return { reached: true, at: performance.now() };
    } catch {
      // retry
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { reached: false, at: performance.now(), lag };
}

/** Bare COPY of the first rows of `events` (as stored) into fresh tables with the same columns. */
async function copyBaseline(db, rows) {
  return withClient(db, async (c) => {
    const { chunks, bytes } = await copyOut(
      c,
      `COPY (SELECT ${COPY_COLUMNS} FROM events WHERE id <= ${rows} ORDER BY id) TO STDOUT`,
    );
    const out = { rows, bytes };
    await c.query('CREATE TABLE bench_copy_plain (LIKE events)');
    await c.query('CREATE TABLE bench_copy_indexed (LIKE events INCLUDING ALL)');
    // Checkpoint first so neither copy pays for the other's dirty pages.
    await c.query('CHECKPOINT');
    out.indexedMs = await copyIn(c, `COPY bench_copy_indexed (${COPY_COLUMNS}) FROM STDIN`, chunks);
    await c.query('CHECKPOINT');
    out.plainMs = await copyIn(c, `COPY bench_copy_plain (${COPY_COLUMNS}) FROM STDIN`, chunks);
    await c.query('DROP TABLE bench_copy_plain, bench_copy_indexed');
    return out;
  });
}

/** One event shape: `O.clients` clients POST `lines` for `O.ingestSeconds`, then the COPY baseline. */
export async function ingestShape(db, shape, lines, origin, { O, smoke }) {
  await emptyStore(db);
  const bodies = bodiesOf(lines, O.batch);
  const avgBytes = lines.reduce((s, l) => s + l.length + 1, 0) / lines.length;
  log(
    `ingest ${shape}: ${fmt(lines.length)} distinct lines (${origin}), avg ${fmt(avgBytes)} B; starting server`,
  );
  const server = await startServer(db, `ingest-${shape}`, smoke);
  const url = server.url;
  try {
    // A short warm-up (JIT, connection pool), not measured.
    // The shippers' API key (`ingest:write`), as a deployment gives them.
    const headers = { authorization: server.auth.ingest };
    const warm = await runIngest({
      url: `${url}/api/v1/events`,
      bodies: bodies.slice(-4),
      clients: 2,
      seconds: 0.5,
      headers,
    });
    await waitForLagZero(url, 60_000);
    log(`ingest ${shape}: ${O.clients} clients × ${O.batch} events/request for ${O.ingestSeconds} s`);
    const t0 = performance.now();
    const cpu0 = cpuSnapshot(server.pid);
    const load = await runIngest({
      url: `${url}/api/v1/events`,
      bodies,
      clients: O.clients,
      seconds: O.ingestSeconds,
      headers,
    });
    const cpu = cpuUse(cpu0, cpuSnapshot(server.pid));
    const lag0 = await waitForLagZero(url, smoke ? 60_000 : 300_000);
    const detectSeconds = (lag0.at - t0) / 1000;
    const m = await metrics(url);
    const rss = peakRssMb(server.pid);
    await server.stop();
    const stored = await withClient(db, async (c) => ({
      events: Number((await c.query('SELECT count(*) AS n FROM events')).rows[0].n),
      alerts: Number((await c.query('SELECT count(*) AS n FROM alerts')).rows[0].n),
      dead: Number((await c.query('SELECT count(*) AS n FROM dead_letters')).rows[0].n),
      templates:
        shape === 'windows'
          ? (
              await c.query(
                'SELECT DISTINCT ON (rule_id) rule_id, rule_title, level, techniques, tactics, document, evidence FROM alerts ORDER BY rule_id, id LIMIT 200',
              )
            ).rows
          : [],
    }));
    // The baseline: at most ~300 MB (full) of the stored rows, the same bytes the service wrote.
    const capRows = Math.max(
      1,
      Math.min(stored.events, Math.floor((smoke ? 40e6 : 300e6) / (avgBytes * 2.2 + 250))),
    );
    log(`ingest ${shape}: baseline COPY of ${fmt(capRows)} stored rows`);
    const base = await copyBaseline(db, capRows);
    const ackEps = load.accepted / load.seconds;
    return {
      shape,
      origin,
      avgBytes,
      load,
      ackEps,
      mbps: (load.accepted * avgBytes) / 1e6 / load.seconds,
      lag0,
      detectEps: lag0.reached ? load.accepted / detectSeconds : Number.NaN,
      detectSeconds,
      metrics: m,
      rssMb: rss,
      stored,
      copy: {
        rows: base.rows,
        mb: base.bytes / 1e6,
        indexedEps: base.rows / (base.indexedMs / 1000),
        plainEps: base.rows / (base.plainMs / 1000),
      },
      warm: warm.accepted,
      cpu,
      warnings: server.warnings,
      warningSamples: server.samples,
      logPath: server.logPath,
    };
  } finally {
    await server.stop();
  }
}
