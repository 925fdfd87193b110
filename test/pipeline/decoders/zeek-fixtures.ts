/** Zeek fixtures shared by the TSV and JSON decoder tests: one DNS log written both ways. */

import { ZEEK_TSV_FORMAT } from '../../../src/pipeline/decoders/text/zeek-tsv.js';
import type { HeaderState } from '../../../src/pipeline/decoders/text.js';

export const T = '\t';

/** A Zeek TSV log's lines: the standard header, then rows (tab-joined values). */
export function tsvLog(path: string, fields: string[], types: string[], rows: string[][]): string[] {
  return [
    '#separator \\x09',
    `#set_separator${T},`,
    `#empty_field${T}(empty)`,
    `#unset_field${T}-`,
    `#path${T}${path}`,
    `#open${T}2024-03-05-08-00-00`,
    `#fields${T}${fields.join(T)}`,
    `#types${T}${types.join(T)}`,
    ...rows.map((r) => r.join(T)),
    `#close${T}2024-03-05-09-00-00`,
  ];
}

/** Decodes a TSV log's lines the way the scan loop does (header() on `#` lines, then decode()). */
export function decodeLog(lines: readonly string[]) {
  let state: HeaderState | undefined;
  const out = [];
  for (const line of lines) {
    if (line.startsWith('#')) state = ZEEK_TSV_FORMAT.header!(line, state);
    const r = ZEEK_TSV_FORMAT.decode(line, state, { year: 2024, timezone: 'UTC' });
    if (r !== null) out.push(r);
  }
  return out;
}

export const DNS_FIELDS =
  'ts uid id.orig_h id.orig_p id.resp_h id.resp_p proto trans_id rtt query qclass qclass_name qtype qtype_name rcode rcode_name AA TC RD RA Z answers TTLs rejected'.split(
    ' ',
  );
export const DNS_TYPES =
  'time string addr port addr port enum count interval string count string count string count string bool bool bool bool count vector[string] vector[interval] bool'.split(
    ' ',
  );
export const DNS_ROWS = [
  '1709625600.123456 CAbc12x9Vq1 10.0.0.15 53124 10.0.0.2 53 udp 4411 0.012300 update.example.com 1 C_INTERNET 1 A 0 NOERROR F F T T 0 cdn.example.net,192.0.2.80 300.000000,60.000000 F'.split(
    ' ',
  ),
  '1709625661.500000 CDef34y8Wr2 10.0.0.16 53125 10.0.0.2 53 udp 4412 - c2.bad\\x2dexample.test 1 C_INTERNET 16 TXT - - F F T F 0 (empty) (empty) F'.split(
    ' ',
  ),
];
export const DNS_JSON = [
  {
    _path: 'dns',
    _write_ts: '2024-03-05T08:00:00.200000Z',
    ts: '2024-03-05T08:00:00.123456Z',
    uid: 'CAbc12x9Vq1',
    'id.orig_h': '10.0.0.15',
    'id.orig_p': 53124,
    'id.resp_h': '10.0.0.2',
    'id.resp_p': 53,
    proto: 'udp',
    trans_id: 4411,
    rtt: 0.012299776077270508,
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
    TTLs: [300.0, 60.0],
    rejected: false,
  },
  {
    _path: 'dns',
    _write_ts: '2024-03-05T08:01:01.600000Z',
    ts: '2024-03-05T08:01:01.500000Z',
    uid: 'CDef34y8Wr2',
    'id.orig_h': '10.0.0.16',
    'id.orig_p': 53125,
    'id.resp_h': '10.0.0.2',
    'id.resp_p': 53,
    proto: 'udp',
    trans_id: 4412,
    query: 'c2.bad-example.test',
    qclass: 1,
    qclass_name: 'C_INTERNET',
    qtype: 16,
    qtype_name: 'TXT',
    AA: false,
    TC: false,
    RD: true,
    RA: false,
    Z: 0,
    answers: [],
    TTLs: [],
    rejected: false,
  },
];
