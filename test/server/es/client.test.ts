/**
 * The official Elasticsearch JavaScript client (v8) against the listener, on a real store, with
 * an API key as its `auth` (`apiKey`, or `username`/`password` for Basic).
 */
import { Client, errors } from '@elastic/elasticsearch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEsListener } from '../../../src/server/es/listener.js';
import type { RunningListener } from '../../../src/service/listener.js';
import type { ServiceContext } from '../../../src/service/vigil.js';
import { listAlerts } from '../../../src/store/alerts.js';
import { type ApiKeyCredential, createKey } from '../../helpers/auth.js';
import { closeTestContext, detected, listenerContext, openTestContext } from '../../helpers/service.js';

const ENCODED_POWERSHELL_RULE = '2d0b67a4-e672-4f47-80d6-ea4886b6c27f';

/** A Sysmon event 1 in the evtx-JSON shape of `examples/windows/ws-fin-07.jsonl`. */
function sysmonProcess(
  record: number,
  computer: string,
  image: string,
  commandLine: string,
): Record<string, unknown> {
  return {
    Event: {
      '#attributes': { xmlns: 'http://schemas.microsoft.com/win/2004/08/events/event' },
      System: {
        Provider: { '#attributes': { Name: 'Microsoft-Windows-Sysmon' } },
        EventID: 1,
        Level: 4,
        TimeCreated: {
          '#attributes': {
            SystemTime: `2026-03-14T09:${String(10 + (record % 50)).padStart(2, '0')}:03.114Z`,
          },
        },
        EventRecordID: record,
        Execution: { '#attributes': { ProcessID: 684, ThreadID: 712 } },
        Channel: 'Microsoft-Windows-Sysmon/Operational',
        Computer: computer,
      },
      EventData: {
        RuleName: '-',
        ProcessId: String(6000 + record),
        Image: image,
        OriginalFileName: image.endsWith('powershell.exe') ? 'PowerShell.EXE' : 'Cmd.Exe',
        CommandLine: commandLine,
        CurrentDirectory: 'C:\\Users\\jdoe\\Downloads\\',
        User: 'CORP\\jdoe',
        IntegrityLevel: 'Medium',
        ParentImage: 'C:\\Program Files\\Microsoft Office\\root\\Office16\\WINWORD.EXE',
        ParentCommandLine:
          '"C:\\Program Files\\Microsoft Office\\root\\Office16\\WINWORD.EXE" /n invoice.docm',
      },
    },
  };
}

const POWERSHELL = 'C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe';
const ENCODED =
  'powershell.exe -NoP -W Hidden -enc SQBFAFgAIAAoAE4AZQB3AC0ATwBiAGoAZQBjAHQAIABOAGUAdAAuAFcAZQBiAEMAbABpAGUAbgB0ACkA';

describe('official @elastic/elasticsearch client (v8)', () => {
  let ctx: ServiceContext;
  let listener: RunningListener;
  let client: Client;
  let key: ApiKeyCredential;
  let node: string;
  const others: Client[] = [];
  /** A client as a user would configure one; closed after the suite. */
  const clientWith = (options: ConstructorParameters<typeof Client>[0] = {}): Client => {
    const c = new Client({ node, ...options });
    others.push(c);
    return c;
  };
  beforeAll(async () => {
    ctx = await openTestContext('pglite');
    key = await createKey(ctx, ['ingest:write'], 'es client');
    listener = await startEsListener(listenerContext(ctx), 0, '127.0.0.1');
    node = `http://127.0.0.1:${listener.ports.http}`;
    // `auth.apiKey` takes the base64 of id:secret (what Kibana shows as "encoded").
    client = new Client({
      node,
      auth: { apiKey: Buffer.from(`${key.id}:${key.secret}`).toString('base64') },
    });
  }, 60_000);
  afterAll(async () => {
    for (const c of others) await c.close();
    await client?.close();
    await listener?.close();
    if (ctx) await closeTestContext(ctx);
  });

  it('info() passes the product check', async () => {
    const info = await client.info();
    expect(info.version.number).toBe('8.17.0');
    expect(info.tagline).toBe('You Know, for Search');
  });

  it('indices and templates: exists, create, put index template', async () => {
    expect(await client.indices.exists({ index: 'winlogbeat-8.17.0' })).toBe(true);
    expect(
      await client.indices.putIndexTemplate({ name: 'winlogbeat', index_patterns: ['winlogbeat-*'] }),
    ).toEqual({
      acknowledged: true,
    });
    expect(await client.indices.existsIndexTemplate({ name: 'winlogbeat' })).toBe(false);
    expect(await client.cluster.health()).toMatchObject({ status: 'green' });
  });

  it('bulk({operations}) stores the events and the encoded PowerShell raises the rule', async () => {
    const r = await client.bulk({
      operations: [
        { index: { _index: 'windows', _id: 'evt-1' } },
        sysmonProcess(1, 'WS-FIN-07.corp.example', POWERSHELL, ENCODED),
        { create: { _index: 'windows' } },
        sysmonProcess(2, 'WS-FIN-07.corp.example', 'C:\\Windows\\System32\\cmd.exe', 'cmd.exe /c whoami'),
      ],
    });
    expect(r.errors).toBe(false);
    expect(r.items.map((i) => Object.keys(i)[0])).toEqual(['index', 'create']);
    expect(r.items[0]!.index).toMatchObject({
      _index: 'windows',
      _id: 'evt-1',
      status: 201,
      result: 'created',
    });
    expect(r.items[1]!.create).toMatchObject({ _index: 'windows', status: 201 });
    await detected(ctx);
    const events = await ctx.events.readAfter(0, 1000);
    expect(events.map((e) => [e.source, e.decoder])).toEqual([
      ['es-bulk', 'windows-evtx-json'],
      ['es-bulk', 'windows-evtx-json'],
    ]);
    expect(r.items[1]!.create!._id).toBe(String(events[1]!.id));
    const { alerts } = await listAlerts(ctx.database.db, { sort: 'created_at', order: 'desc', limit: 100 });
    expect(alerts.map((a) => (a.rule as { id: string }).id)).toEqual([ENCODED_POWERSHELL_RULE]);
    expect(alerts[0]).toMatchObject({ host: { name: 'WS-FIN-07.corp.example' } });
  });

  it('helpers.bulk() sends every document as create into a data stream', async () => {
    const before = await ctx.events.lastId();
    const docs = Array.from({ length: 250 }, (_, n) =>
      n % 50 === 0
        ? sysmonProcess(100 + n, `WS-${n}.corp.example`, POWERSHELL, ENCODED)
        : sysmonProcess(
            100 + n,
            `WS-${n}.corp.example`,
            'C:\\Windows\\System32\\cmd.exe',
            `cmd.exe /c echo ${n}`,
          ),
    );
    const stats = await client.helpers.bulk({
      datasource: docs,
      onDocument: () => ({ create: { _index: 'winlogbeat-8.17.0' } }),
      flushBytes: 20_000,
    });
    expect(stats.failed).toBe(0);
    expect(stats.successful).toBe(docs.length);
    await detected(ctx);
    const stored = await ctx.events.readAfter(before, 1000);
    expect(stored).toHaveLength(docs.length);
    expect(new Set(stored.map((e) => e.original))).toEqual(new Set(docs.map((d) => JSON.stringify(d))));
    const { alerts } = await listAlerts(ctx.database.db, { sort: 'created_at', order: 'desc', limit: 100 });
    const hosts = alerts
      .filter((a) => (a.rule as { id: string }).id === ENCODED_POWERSHELL_RULE)
      .map((a) => (a.host as { name: string }).name);
    expect(hosts).toEqual(
      expect.arrayContaining(['WS-0.corp.example', 'WS-50.corp.example', 'WS-200.corp.example']),
    );
  });

  it('authenticates with auth {apiKey: {id, api_key}} and with username/password (Basic)', async () => {
    const byParts = clientWith({ auth: { apiKey: { id: key.id, api_key: key.secret } } });
    expect((await byParts.info()).version.number).toBe('8.17.0');
    const basic = clientWith({ auth: { username: key.id, password: key.secret } });
    const r = await basic.index({ index: 'basic-auth', document: { message: 'sent with Basic' } });
    expect(r.result).toBe('created');
    expect((await ctx.events.search({ text: 'sent with Basic', limit: 10 })).events).toHaveLength(1);
  });

  it('without credentials, with a key lacking ingest:write or a revoked one: security_exception', async () => {
    const anonymous = clientWith();
    const e401 = await anonymous.info().catch((err: unknown) => err);
    expect(e401).toBeInstanceOf(errors.ResponseError);
    expect((e401 as errors.ResponseError).statusCode).toBe(401);
    expect((e401 as errors.ResponseError).body).toMatchObject({ error: { type: 'security_exception' } });
    expect((e401 as errors.ResponseError).headers?.['www-authenticate']).toBe('Basic realm="vigil", ApiKey');

    const reader = await createKey(ctx, ['events:read'], 'reader');
    const e403 = await clientWith({ auth: { apiKey: { id: reader.id, api_key: reader.secret } } })
      .bulk({ operations: [{ create: { _index: 'x' } }, { message: 'refused' }] })
      .catch((err: unknown) => err);
    expect((e403 as errors.ResponseError).statusCode).toBe(403);
    expect((e403 as errors.ResponseError).body).toMatchObject({ error: { type: 'security_exception' } });

    const revoked = await createKey(ctx, ['ingest:write'], 'revoked');
    const shipper = clientWith({ auth: { username: revoked.id, password: revoked.secret } });
    expect((await shipper.info()).tagline).toBe('You Know, for Search');
    await ctx.auth.apiKeys.revoke(revoked.id, { name: 'user:admin', ip: null });
    const after = await shipper.info().catch((err: unknown) => err);
    expect((after as errors.ResponseError).statusCode).toBe(401);
    expect((after as errors.ResponseError).body).toMatchObject({
      error: { type: 'security_exception', reason: expect.stringMatching(/revoked/) },
    });
    expect((await ctx.events.search({ text: 'refused', limit: 10 })).events).toHaveLength(0);
  });
});
