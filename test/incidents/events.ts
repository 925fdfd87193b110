/** Events and helpers for the incident tests: Sysmon process events that Vigil's pack alerts on. */
import { sysmonProcess } from '../fixtures/service/events.js';
import type { ServiceContext } from '../../src/service/vigil.js';
import { detected } from '../helpers/service.js';

/** Matches "PowerShell Started with an Encoded Command" (level high). */
export function encodedPs(host: string, time: string, user: string): Record<string, unknown> {
  return sysmonProcess({
    host,
    time: `2026-11-20T${time}Z`,
    user: `CORP\\${user}`,
    image: 'C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe',
    commandLine: 'powershell.exe -nop -enc SQBFAFgAIAAoAE4AZQB3AC0ATwBiAGoAZQBjAHQA',
  });
}

/** Matches "Volume Shadow Copies or Backup Catalog Deleted" (level high). */
export function shadowDelete(host: string, time: string, user: string): Record<string, unknown> {
  return sysmonProcess({
    host,
    time: `2026-11-20T${time}Z`,
    user: `CORP\\${user}`,
    image: 'C:\\Windows\\System32\\vssadmin.exe',
    commandLine: 'vssadmin.exe delete shadows /all /quiet',
  });
}

/** Ingests through the real path (`IngestService`, writer, detection) and waits for detection. */
export async function ingest(ctx: ServiceContext, events: readonly Record<string, unknown>[]): Promise<void> {
  const r = await ctx.ingest.ingestJson(
    events.map((value, i) => ({ line: i + 1, text: JSON.stringify(value), value })),
    'http',
  );
  if (r.accepted !== events.length) throw new Error(`ingest accepted ${r.accepted} of ${events.length}`);
  await detected(ctx);
}
