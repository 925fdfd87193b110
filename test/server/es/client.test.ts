/**
 * The official Elasticsearch JavaScript client (v8) against the listener, on a real store.
 */
import { Client } from '@elastic/elasticsearch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEsListener } from '../../../src/server/es/listener.js';
import type { RunningListener } from '../../../src/service/listener.js';
import type { ServiceContext } from '../../../src/service/vigil.js';
import { listAlerts } from '../../../src/store/alerts.js';
import { closeTestContext, detected, openTestContext } from '../../helpers/service.js';

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
  beforeAll(async () => {
    ctx = await openTestContext('pglite');
    listener = await startEsListener(
      { ingest: ctx.ingest, config: ctx.config, log: ctx.log, metrics: ctx.metrics },
      0,
      '127.0.0.1',
    );
    client = new Client({ node: `http://127.0.0.1:${listener.ports.http}` });
  }, 60_000);
  afterAll(async () => {
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
});
