/**
 * Log templates in the service on real syslog files (Loghub-2k Linux and OpenSSH, RFC 3164
 * lines), on PGlite and PostgreSQL: every line is stored; exactly the lines no auth rule
 * understood are mined (computed here with the decoder alone); the template counts add up to
 * them. Prints the share of lines mined, the templates made, the grouping accuracy of the mined
 * lines against Loghub's `EventId` and the ingest time with and without mining (same run).
 */
import { readFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import '../../src/pipeline/decoders/register.js';
import { decodeSyslog } from '../../src/pipeline/decoders/text/syslog.js';
import { createServiceContext, type ServiceContext } from '../../src/service/vigil.js';
import { templateIdOf } from '../../src/templates/enrich.js';
import { closeTestContext, openTestDatabase, STORE_KINDS, testConfig } from '../helpers/service.js';
import { requireSharedData, shared } from '../helpers/shared-data.js';

const SYSTEMS = ['Linux', 'OpenSSH'] as const;
const OPTIONS = { year: 2024, timezone: 'UTC' };

function lines(system: string): string[] {
  return readFileSync(shared(`loghub/loghub_2k/${system}/${system}_2k.log`), 'utf8')
    .split('\n')
    .filter((l) => l !== '');
}

function truth(system: string): string[] {
  const rows = parse(readFileSync(shared(`loghub/loghub_2k/${system}/${system}_2k.log_structured.csv`)), {
    columns: true,
  }) as { EventId: string }[];
  return rows.map((r) => r.EventId);
}

/** Grouping accuracy (Zhu et al., ICSE-SEIP 2019): share of messages whose predicted group equals their true group exactly. */
function groupingAccuracy(predicted: readonly number[], actual: readonly string[]): number {
  const byPredicted = new Map<number, number[]>();
  const byActual = new Map<string, number[]>();
  predicted.forEach((p, i) => {
    byPredicted.set(p, [...(byPredicted.get(p) ?? []), i]);
    byActual.set(actual[i]!, [...(byActual.get(actual[i]!) ?? []), i]);
  });
  let correct = 0;
  for (const members of byPredicted.values()) {
    const a = byActual.get(actual[members[0]!]!)!;
    if (a.length === members.length && a.every((i, k) => i === members[k])) correct += members.length;
  }
  return predicted.length === 0 ? 1 : correct / predicted.length;
}

async function open(kind: (typeof STORE_KINDS)[number], templates: boolean): Promise<ServiceContext> {
  return createServiceContext(
    testConfig({
      VIGIL_BUILTIN_RULES: 'false',
      VIGIL_SYSLOG_YEAR: '2024',
      VIGIL_TEMPLATES: String(templates),
    }),
    { database: await openTestDatabase(kind), log: pino({ level: 'silent' }) },
  );
}

async function ingestAll(
  ctx: ServiceContext,
  text: readonly string[],
): Promise<{ ids: number[]; ms: number }> {
  const started = performance.now();
  const ids: number[] = [];
  for (let i = 0; i < text.length; i += 500) {
    const r = await ctx.ingest.ingestLines(
      text.slice(i, i + 500).map((t, k) => ({ line: i + k + 1, text: t })),
      'syslog',
      'syslog-tcp',
    );
    for (const item of r.items) ids.push('id' in item ? item.id : -1);
  }
  return { ids, ms: performance.now() - started };
}

describe.skipIf(!requireSharedData()).each(STORE_KINDS)(
  'log templates on Loghub syslog files (%s)',
  (kind) => {
    it.each(SYSTEMS)('%s: mines exactly the lines no rule understood; counts add up', async (system) => {
      const text = lines(system);
      const events = truth(system);
      expect(events).toHaveLength(text.length);
      const unknown = text.map((l) => {
        const e = decodeSyslog(l, OPTIONS);
        if (e === null || 'error' in e) throw new Error(`not syslog: ${l}`);
        const m = e.fields.message;
        return e.fields['event.action'] === undefined && typeof m === 'string' && m.trim() !== '';
      });
      const baseline = await open(kind, false);
      let plainMs: number;
      try {
        plainMs = (await ingestAll(baseline, text)).ms;
      } finally {
        await closeTestContext(baseline);
      }
      const ctx = await open(kind, true);
      try {
        const { ids, ms } = await ingestAll(ctx, text);
        expect(ids.every((id) => id > 0)).toBe(true);
        const predicted: number[] = [];
        const actual: string[] = [];
        for (let i = 0; i < ids.length; i++) {
          const e = await ctx.events.get(ids[i]!);
          const id = templateIdOf(e!.ecs);
          expect(id !== undefined, text[i]).toBe(unknown[i]);
          if (id === undefined) continue;
          predicted.push(id);
          actual.push(events[i]!);
        }
        // Counts: every mined line once, under its live template.
        const rows = await ctx.database.db
          .selectFrom('log_templates')
          .select(['id', 'count', 'merged_into'])
          .execute();
        const live = new Map(rows.map((r) => [r.id, r.merged_into ?? r.id]));
        expect(rows.reduce((n, r) => n + Number(r.count), 0)).toBe(predicted.length);
        const hourly = await ctx.database.db
          .selectFrom('log_template_counts')
          .select((eb) => eb.fn.sum<number>('count').as('n'))
          .executeTakeFirst();
        expect(Number(hourly!.n)).toBe(predicted.length);
        const ga = groupingAccuracy(
          predicted.map((id) => live.get(id)!),
          actual,
        );
        const st = ctx.templates.statistics();
        console.log(
          `${system} on ${kind}: ${text.length} lines, ${predicted.length} mined (${((100 * predicted.length) / text.length).toFixed(1)}%), ` +
            `${ctx.templates.size} live templates (${rows.length - ctx.templates.size} merged), ` +
            `${new Set(actual).size} true events among them; GA of mined lines ${ga.toFixed(3)}; ` +
            `ingest ${ms.toFixed(0)} ms with templates vs ${plainMs.toFixed(0)} ms without (same run); ` +
            `in the writer: mining ${((st.mineMs / text.length) * 1000).toFixed(1)} µs/line, ${st.saves} miner saves ` +
            `${st.saveMs.toFixed(0)} ms, counts ${st.countMs.toFixed(0)} ms`,
        );
      } finally {
        await closeTestContext(ctx);
      }
    });
  },
);
