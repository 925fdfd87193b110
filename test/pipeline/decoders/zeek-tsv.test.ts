import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeZeekTsv,
  unescapeZeek,
  ZEEK_TSV_FORMAT,
} from '../../../src/pipeline/decoders/text/zeek-tsv.js';
import type { HeaderState } from '../../../src/pipeline/decoders/text.js';
import { decoded, failure, isWellFormed } from './decoded.js';
import { DNS_FIELDS, DNS_ROWS, DNS_TYPES, decodeLog, T, tsvLog } from './zeek-fixtures.js';

describe('Zeek TSV: header state', () => {
  it('holds separators, markers, path, fields and types', () => {
    let state: HeaderState | undefined;
    for (const line of tsvLog('dns', DNS_FIELDS, DNS_TYPES, []).slice(0, 8)) {
      state = ZEEK_TSV_FORMAT.header!(line, state);
    }
    expect(state).toEqual({
      separator: '\t',
      setSeparator: ',',
      emptyField: '(empty)',
      unsetField: '-',
      path: 'dns',
      fields: DNS_FIELDS,
      types: DNS_TYPES,
    });
    expect(JSON.parse(JSON.stringify(state))).toEqual(state);
  });

  it('a #separator line starts a new header', () => {
    const lines = [...tsvLog('dns', DNS_FIELDS, DNS_TYPES, []), '#separator \\x09'];
    let state: HeaderState | undefined;
    for (const line of lines) state = ZEEK_TSV_FORMAT.header!(line, state);
    expect(state).toEqual({ separator: '\t', setSeparator: ',', emptyField: '(empty)', unsetField: '-' });
  });
});

describe('Zeek TSV: values by #types', () => {
  it('reads counts, ports, intervals and times as numbers, bools, vectors, and leaves unset out', () => {
    const [first, second] = decodeLog(tsvLog('dns', DNS_FIELDS, DNS_TYPES, DNS_ROWS)).map((r) => decoded(r));
    expect(first!.decoder).toBe('zeek-tsv');
    expect(first!.fields).toEqual({
      ts: 1709625600.123456,
      uid: 'CAbc12x9Vq1',
      'id.orig_h': '10.0.0.15',
      'id.orig_p': 53124,
      'id.resp_h': '10.0.0.2',
      'id.resp_p': 53,
      proto: 'udp',
      trans_id: 4411,
      rtt: 0.0123,
      query: 'update.example.com',
      qclass: 1,
      qclass_name: 'C_INTERNET',
      qtype: 1,
      qtype_name: 'A',
      rcode: 0,
      rcode_name: 'NOERROR',
      AA: false,
      TC: false,
      RD: true,
      RA: true,
      Z: 0,
      answers: ['cdn.example.net', '192.0.2.80'],
      TTLs: [300, 60],
      rejected: false,
    });
    expect(second!.fields.rtt).toBeUndefined();
    expect(second!.fields.rcode).toBeUndefined();
    expect(second!.fields.answers).toEqual([]);
    expect(second!.fields.query).toBe('c2.bad-example.test');
  });

  it('empty strings, sets split on the set separator, escaped separators inside values', () => {
    const lines = tsvLog(
      'files',
      ['ts', 'fuid', 'tx_hosts', 'filename', 'mime_type'],
      ['time', 'string', 'set[addr]', 'string', 'string'],
      [['1709625600.000000', 'Fx1', '10.0.0.1,10.0.0.2', 'a\\x2cb\\x09c', '(empty)']],
    );
    expect(decoded(decodeLog(lines)[0]).fields).toEqual({
      ts: 1709625600,
      fuid: 'Fx1',
      tx_hosts: ['10.0.0.1', '10.0.0.2'],
      filename: 'a,b\tc',
      mime_type: '',
    });
  });

  it('undoes escapes as Zeek JSON writes them: \\\\, printable and UTF-8 bytes; other bytes stay \\xHH', () => {
    expect(unescapeZeek('\\\\svcctl')).toBe('\\svcctl');
    expect(unescapeZeek('line1\\x0aline2')).toBe('line1\nline2');
    expect(unescapeZeek('caf\\xc3\\xa9')).toBe('café');
    expect(unescapeZeek('\\x00\\x00\\x01')).toBe('\\x00\\x00\\x01');
    expect(unescapeZeek('bad\\xff\\xc3')).toBe('bad\\xff\\xc3');
    expect(unescapeZeek('\\xe2\\x82')).toBe('\\xe2\\x82');
    expect(unescapeZeek('trailing\\')).toBe('trailing\\');
    expect(unescapeZeek('\\xZZ')).toBe('\\xZZ');
  });
});

describe('Zeek TSV: failures and header lines', () => {
  it('a data line before #fields, and a value count that does not match', () => {
    expect(failure(decodeZeekTsv(DNS_ROWS[0]!.join(T), undefined))).toBe('no #fields header before data');
    const lines = tsvLog('dns', DNS_FIELDS, DNS_TYPES, [['1709625600.0', 'Cx']]);
    expect(failure(decodeLog(lines)[0]!)).toBe('expected 24 values (per #fields), got 2');
  });

  it('header lines decode to null', () => {
    expect(decodeZeekTsv('#close\t2024-03-05-09-00-00', undefined)).toBeNull();
  });
});

describe('Zeek TSV: sniffing and robustness', () => {
  it('sniffs Zeek TSV', () => {
    expect(ZEEK_TSV_FORMAT.sniff(tsvLog('dns', DNS_FIELDS, DNS_TYPES, []).slice(0, 5))).toBe(true);
    expect(ZEEK_TSV_FORMAT.sniff(['#Software: Microsoft Internet Information Services 10.0'])).toBe(false);
  });

  it('TSV never throws: any header and line give an event, null or a failure', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.constantFrom('#separator \\x09', '#separator \\x2c', '#separator ', '#set_separator\t;'),
            fc.string({ maxLength: 40 }).map((s) => `#fields\t${s}`),
            fc.string({ maxLength: 40 }).map((s) => `#types\t${s}`),
            fc.string({ maxLength: 20 }).map((s) => `#path\t${s}`),
          ),
          { maxLength: 5 },
        ),
        fc.string({ unit: 'binary', maxLength: 120 }),
        (headers, line) => {
          let state: HeaderState | undefined;
          for (const h of headers) state = ZEEK_TSV_FORMAT.header!(h, state);
          return isWellFormed(decodeZeekTsv(line, state));
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('TSV never throws on rows of the right width with arbitrary values', () => {
    const state = (() => {
      let s: HeaderState | undefined;
      for (const h of tsvLog('dns', DNS_FIELDS, DNS_TYPES, [])) s = ZEEK_TSV_FORMAT.header!(h, s);
      return s;
    })();
    const value = fc.oneof(
      fc.string({ maxLength: 10 }),
      fc.constantFrom('-', '(empty)', '\\x', '\\xc3', 'T', '1e400'),
    );
    fc.assert(
      fc.property(
        fc.array(
          value.map((v) => v.replaceAll('\t', ' ')),
          { minLength: 24, maxLength: 24 },
        ),
        (values) => isWellFormed(decodeZeekTsv(values.join(T), state)),
      ),
      { numRuns: 2000 },
    );
  });
});
