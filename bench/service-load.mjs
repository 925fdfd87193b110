/* global fetch, setTimeout */
// Load generators of the service benchmark (bench/service-bench.mjs): closed-loop NDJSON ingest
// clients over undici (Node's global fetch) and an open-loop, fixed-rate GET load over a pool of
// keep-alive connections (node:http), plus the percentile helpers both report with.
import http from 'node:http';

/** p-th percentile (0–100) of an ascending array; NaN when empty. */
export function percentile(sorted, p) {
  if (sorted.length === 0) return Number.NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}

/** p50/p95/p99/max of latencies (ms). */
export function latencySummary(values) {
  const s = Float64Array.from(values).sort();
  return {
    count: s.length,
    p50: percentile(s, 50),
    p95: percentile(s, 95),
    p99: percentile(s, 99),
    max: s.length ? s[s.length - 1] : Number.NaN,
  };
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Closed-loop ingest: `clients` concurrent loops, each POSTing the next NDJSON body (round robin
 * over `bodies`, each `{ text, events }`) as soon as the previous one was acknowledged, until
 * `seconds` have passed, each with `headers` (the API key's `Authorization`). A 429 is counted
 * and retried after its Retry-After (capped at 1 s).
 * @returns acknowledged events, requests, per-request acknowledgement latencies (ms), 429s,
 *   other failures (with a few samples) and the wall time from the first send to the last answer
 */
export async function runIngest({ url, bodies, clients, seconds, headers = {} }) {
  const latencies = [];
  let accepted = 0;
  let rejected = 0;
  let requests = 0;
  let throttled = 0;
  let failed = 0;
  const failures = [];
  let next = 0;
  const started = performance.now();
  const deadline = started + seconds * 1000;

  async function client() {
    while (performance.now() < deadline) {
      const body = bodies[next++ % bodies.length];
      const t0 = performance.now();
      let res;
      try {
        res = await fetch(url, {
          method: 'POST',
          headers: { ...headers, 'content-type': 'application/x-ndjson' },
          body: body.text,
        });
      } catch (err) {
        failed++;
        if (failures.length < 5) failures.push(`network: ${err.cause?.message ?? err.message}`);
        await sleep(100);
        continue;
      }
      const text = await res.text();
      const ms = performance.now() - t0;
      if (res.status === 200) {
        const r = JSON.parse(text);
        accepted += r.accepted;
        rejected += r.rejected;
        requests++;
        latencies.push(ms);
      } else if (res.status === 429) {
        throttled++;
        const after = Number(res.headers.get('retry-after') ?? 1);
        await sleep(Math.min(1000, Math.max(10, after * 1000)));
      } else {
        failed++;
        if (failures.length < 5) failures.push(`HTTP ${res.status}: ${text.slice(0, 200)}`);
        await sleep(100);
      }
    }
  }

  await Promise.all(Array.from({ length: clients }, client));
  return {
    accepted,
    rejected,
    requests,
    throttled,
    failed,
    failures,
    seconds: (performance.now() - started) / 1000,
    latency: latencySummary(latencies),
  };
}

/**
 * Open-loop GET load at a fixed offered rate (like autocannon's `overallRate`) over a pool of
 * `connections` keep-alive connections. Request k is due at start + k / rate and waits in a FIFO
 * queue for a free connection; its latency runs from that due time to the end of the response
 * body, so waiting for a connection counts (no coordinated omission). When the `seconds` window
 * ends, requests still queued are dropped (reported as `unsent`, the server could not keep up) and
 * those in flight get `grace` seconds to finish. Bodies are read and discarded, except the first.
 * Every request carries `headers` (the caller's `Authorization`).
 * @returns latencies (ms; also `sendLatency`, from the actual send, without the wait for a
 *   connection), status counts, achieved rate (answers ÷ window)
 */
export async function runFixedRate({ url, rate, connections, seconds, grace = 5, headers = {} }) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
  const target = new URL(url);
  const total = Math.round(rate * seconds);
  const latencies = [];
  const sendLatencies = [];
  const statuses = new Map();
  const queue = [];
  let head = 0;
  let inFlight = 0;
  let errors = 0;
  const errorSamples = [];
  let sample;
  let answered = 0;
  let idle;

  const pump = () => {
    while (inFlight < connections && head < queue.length) send(queue[head++]);
    if (inFlight === 0 && idle) idle();
  };

  const send = (due) => {
    inFlight++;
    const sentAt = performance.now();
    let settled = false;
    const settle = () => {
      if (settled) return;
      settled = true;
      inFlight--;
      pump();
    };
    const req = http.request(
      {
        host: target.hostname,
        port: target.port,
        path: target.pathname + target.search,
        agent,
        method: 'GET',
        headers,
      },
      (res) => {
        const chunks = sample === undefined ? [] : undefined;
        res.on('data', (c) => chunks?.push(c));
        res.on('end', () => {
          const t = performance.now();
          latencies.push(t - due);
          sendLatencies.push(t - sentAt);
          answered++;
          statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1);
          if (chunks && sample === undefined)
            sample = { status: res.statusCode, body: Buffer.concat(chunks).toString('utf8') };
          settle();
        });
        res.on('error', (err) => {
          errors++;
          if (errorSamples.length < 5) errorSamples.push(err.message);
          settle();
        });
      },
    );
    req.on('error', (err) => {
      errors++;
      if (errorSamples.length < 5) errorSamples.push(err.message);
      settle();
    });
    req.end();
  };

  const start = performance.now();
  const end = start + seconds * 1000;
  let scheduled = 0;
  while (scheduled < total && performance.now() < end) {
    const due = Math.min(total, Math.floor(((performance.now() - start) / 1000) * rate) + 1);
    while (scheduled < due) queue.push(start + (scheduled++ / rate) * 1000);
    pump();
    await sleep(1);
  }
  while (performance.now() < end) await sleep(1); // the window's last millisecond
  const unsent = total - head;
  head = queue.length; // drop what no connection could take in the window
  const answeredInWindow = answered;
  if (inFlight > 0) {
    await Promise.race([new Promise((r) => (idle = r)), sleep(grace * 1000)]);
  }
  const unfinished = inFlight;
  agent.destroy();
  return {
    requests: total,
    ok: statuses.get(200) ?? 0,
    statuses: Object.fromEntries(statuses),
    unsent,
    unfinished,
    errors,
    errorSamples,
    achievedRate: answeredInWindow / seconds,
    seconds,
    latency: latencySummary(latencies),
    sendLatency: latencySummary(sendLatencies),
    sample,
  };
}
