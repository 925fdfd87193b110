/**
 * Review: one GET with `filter=__proto__.x:y` (by any user who may search events) pollutes
 * Object.prototype in the server process; the running `vigil serve` must keep answering afterwards.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loginOver, startServer } from '../helpers/server-process.js';

describe('review: prototype pollution through event search filters', () => {
  it('the server survives GET /api/v1/events?filter=__proto__.polluted:yes', async () => {
    const server = await startServer({ VIGIL_DATA_DIR: mkdtempSync(join(tmpdir(), 'vigil-rev-')) });
    try {
      const headers = { authorization: await loginOver(server) };
      const r = await fetch(`${server.url}/api/v1/events?filter=__proto__.polluted:yes`, { headers });
      expect(r.status, await r.text()).toBe(400);
      // a Prometheus scrape makes prom-client iterate label objects (for…in): it throws outside
      // any request, an uncaught exception that ends the process
      await fetch(`${server.url}/metrics`).then(
        (x) => x.text(),
        () => undefined,
      );
      await new Promise((res) => setTimeout(res, 1000));
      const after = await fetch(`${server.url}/api/v1/events?limit=1`, { headers }).then(
        async (x) => ({ status: x.status, body: await x.text() }),
        (err: unknown) => ({ status: 0, body: String(err) }),
      );
      expect(after.status, server.stderr()).toBe(200);
      expect(server.child.exitCode).toBeNull();
    } finally {
      if (server.child.exitCode === null) await server.kill();
    }
  }, 60_000);
});
