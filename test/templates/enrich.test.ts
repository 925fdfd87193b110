/**
 * Which events are unknown lines, and what enrichment writes into (and never overwrites in) their
 * ECS document.
 */
import { describe, expect, it } from 'vitest';
import type { TemplateMatch } from '../../src/detect/templates/index.js';
import { decodeJson } from '../../src/pipeline/decoders/json.js';
import { decodeSyslog } from '../../src/pipeline/decoders/text/syslog.js';
import type { DecodeOptions } from '../../src/pipeline/decoders/types.js';
import { prepareLine } from '../../src/pipeline/ingest/prepare.js';
import {
  enrichRow,
  hostOf,
  MAX_PARAMETER_CHARS,
  MAX_PARAMETERS,
  templateIdOf,
  unknownMessage,
} from '../../src/templates/enrich.js';
import '../../src/pipeline/decoders/register.js';
import { decoded } from '../pipeline/decoders/decoded.js';

const UTC: DecodeOptions = { year: 2024, timezone: 'UTC' };

function row(line: string) {
  const p = prepareLine(line, 'syslog', 'test', 1, UTC, '2024-05-01T12:00:00.000Z');
  if (!p || !('ok' in p)) throw new Error(`did not decode: ${line}`);
  return p.ok;
}

const match = (template: string, parameters: string[]): TemplateMatch => ({
  templateId: 7,
  template,
  parameters,
  created: true,
  changed: false,
});

describe('unknown lines', () => {
  it('a syslog line no message rule understood is unknown; its message has no header', () => {
    const e = decoded(
      decodeSyslog('May  1 10:00:01 web-01 backupd[12]: Backup job 17 finished in 35 s', UTC),
    );
    expect(unknownMessage(e)).toBe('Backup job 17 finished in 35 s');
  });

  it('an sshd "Failed password" line is known (event.action set by the auth rules)', () => {
    const e = decoded(
      decodeSyslog(
        'May  1 10:00:01 web-01 sshd[12]: Failed password for root from 203.0.113.9 port 4242 ssh2',
        UTC,
      ),
    );
    expect(e.fields['event.action']).toBeDefined();
    expect(unknownMessage(e)).toBeUndefined();
  });

  it('JSON events and empty messages are not mined', () => {
    expect(unknownMessage(decodeJson({ message: 'Backup job 17 finished' }, UTC)!)).toBeUndefined();
    expect(
      unknownMessage(decoded(decodeSyslog('<30>1 2024-05-01T10:00:01Z web-01 app 1 - -', UTC))),
    ).toBeUndefined();
  });
});

describe('enrichRow', () => {
  it('adds vigil.template and the entities the decoder did not set, without changing the input', () => {
    const p = row('May  1 10:00:01 web-01 vpnd[9]: Tunnel to host db-07 from 198.51.100.7 user=bob');
    const before = JSON.stringify(p.row.ecs);
    const cached = JSON.stringify(p.event.ecs());
    const out = enrichRow(
      p.row,
      match('Tunnel to host <*> from <*> user=<*>', ['db-07', '198.51.100.7', 'bob']),
      { 'host.name': 'db-07', 'source.ip': '198.51.100.7', 'user.name': 'bob' },
    );
    expect(JSON.stringify(p.row.ecs)).toBe(before);
    expect(JSON.stringify(p.event.ecs())).toBe(cached);
    const ecs = out.ecs as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    // host.name came from the syslog header: never overwritten.
    expect(ecs.host.name).toBe('web-01');
    expect(ecs.source.ip).toBe('198.51.100.7');
    expect(ecs.user.name).toBe('bob');
    expect(ecs.vigil.template).toEqual({
      id: 7,
      text: 'Tunnel to host <*> from <*> user=<*>',
      parameters: ['db-07', '198.51.100.7', 'bob'],
      entities: ['source.ip', 'user.name'],
    });
    expect(templateIdOf(out.ecs)).toBe(7);
    expect(hostOf(out.ecs)).toBe('web-01');
    expect(out.original).toBe(p.row.original);
  });

  it('keeps decoder values inside an object it extends (source.port set, source.ip added)', () => {
    const p = row('May  1 10:00:01 web-01 app[9]: x');
    const base = { ...p.row, ecs: { ...p.row.ecs, source: { port: 22 } } };
    const out = enrichRow(base, match('x', []), { 'source.port': 1, 'source.ip': '10.0.0.1' });
    expect(out.ecs.source).toEqual({ port: 22, ip: '10.0.0.1' });
    expect(base.ecs.source).toEqual({ port: 22 });
  });

  it('skips an entity whose parent is not an object', () => {
    const p = row('May  1 10:00:01 web-01 app[9]: x');
    const base = { ...p.row, ecs: { ...p.row.ecs, source: 'sensor' } };
    const out = enrichRow(base, match('x', []), { 'source.ip': '10.0.0.1' });
    expect(out.ecs.source).toBe('sensor');
    expect((out.ecs.vigil as Record<string, any>).template.entities).toBeUndefined(); // eslint-disable-line @typescript-eslint/no-explicit-any
  });

  it('bounds the parameters kept', () => {
    const p = row('May  1 10:00:01 web-01 app[9]: x');
    const params = Array.from({ length: MAX_PARAMETERS + 5 }, (_, i) =>
      i === 0 ? 'a'.repeat(5000) : String(i),
    );
    const kept = (
      enrichRow(p.row, match('x', params), {}).ecs.vigil as { template: { parameters: string[] } }
    ).template.parameters;
    expect(kept).toHaveLength(MAX_PARAMETERS);
    expect(kept[0]).toHaveLength(MAX_PARAMETER_CHARS);
    expect(kept[1]).toBe('1');
  });

  it('templateIdOf ignores documents without a numeric id', () => {
    expect(templateIdOf({})).toBeUndefined();
    expect(templateIdOf({ vigil: { template: { id: '3' } } })).toBeUndefined();
  });
});
