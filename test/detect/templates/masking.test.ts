import { describe, expect, it } from 'vitest';
import { maskToken } from '../../../src/detect/templates/masking.js';
import { splitTokens } from '../../../src/detect/templates/tokens.js';

/** The masked text of a token. */
const m = (token: string): string => maskToken(token).text;

describe('masking: whole values', () => {
  it.each([
    ['IPv4', '203.0.113.9'],
    ['IPv4 with port', '10.251.73.220:50010'],
    ['IPv4 with prefix', '10.0.0.0/8'],
    ['IPv6', '2001:db8::1'],
    ['IPv6 in brackets with port', '[2001:db8::1]:443'],
    ['URL', 'https://example.com/a?b=1'],
    ['e-mail', 'alice@example.com'],
    ['UUID', '123e4567-e89b-12d3-a456-426614174000'],
    ['MAC', '00:1a:2b:3c:4d:5e'],
    ['ISO date-time', '2024-01-31T12:30:45.123Z'],
    ['clock time', '04:47:44'],
    ['date', '2005.06.03'],
    ['Unix path', '/etc/httpd/conf/workers2.properties'],
    ['Windows path', 'C:\\Windows\\System32\\cmd.exe'],
    ['hex', '0x7fed806eb5d'],
    ['hash', '9f86d081884c7d659a2feaa0c55ad015'],
    ['number', '-42'],
    ['decimal', '3.14'],
    ['size', '64KB'],
    ['duration', '3200ms'],
    ['percentage', '91%'],
    ['version', 'v1.2.3'],
    ['dotted name', 'org.apache.hadoop.mapreduce.Job'],
    ['host name', 'ns.example.com'],
    ['two-label domain', 'example.com'],
    ['month name', 'Jun'],
  ])('masks a %s', (_kind, token) => {
    expect(maskToken(token)).toEqual({ text: '<*>', params: [token] });
  });

  it('keeps wrapping punctuation outside the mask', () => {
    expect(maskToken('[173.234.31.186]')).toEqual({ text: '[<*>]', params: ['173.234.31.186'] });
    expect(maskToken('(10.0.0.1),')).toEqual({ text: '(<*>),', params: ['10.0.0.1'] });
  });
});

describe('masking: parts of tokens', () => {
  it('masks numbers that touch no letter or digit (Drain3 NUM)', () => {
    expect(maskToken('blk_-6952295868487656571')).toEqual({
      text: 'blk_<*>',
      params: ['-6952295868487656571'],
    });
    expect(m('core.2275')).toBe('core.<*>');
  });

  it('masks a whole token when numbers are masked at two places or more (an id)', () => {
    expect(maskToken('appattempt_1445144423722_0020_000001')).toEqual({
      text: '<*>',
      params: ['appattempt_1445144423722_0020_000001'],
    });
    expect(m('task_1445144423722_0020_m_000004')).toBe('<*>');
  });

  it('masks each value of key=value lists', () => {
    expect(maskToken('num=5,flags=0x1,totalTasks=13')).toEqual({
      text: 'num=<*>,flags=<*>,totalTasks=<*>',
      params: ['5', '0x1', '13'],
    });
    expect(m('rhost=218.188.2.4')).toBe('rhost=<*>');
    expect(m('name=com.android.phone,')).toBe('name=<*>,');
    expect(m('LOGIN(uid=0)')).toBe('LOGIN(uid=<*>)');
  });

  it('masks a quoted value as one', () => {
    expect(maskToken('tag="View Lock",')).toEqual({ text: 'tag="<*>",', params: ['View Lock'] });
  });

  it('keeps words, and digits that touch letters', () => {
    for (const t of [
      'ssh2',
      'Failed',
      'password',
      'IPv4',
      'finalization.',
      'R02-M1-N0',
      'user=root',
      'wcp.dll',
    ])
      expect(maskToken(t)).toEqual({ text: t, params: [] });
  });
});

describe('tokenizing', () => {
  it('splits on whitespace runs', () => {
    expect(splitTokens('  a \t b\n c ')).toEqual(['a', 'b', 'c']);
    expect(splitTokens('   ')).toEqual([]);
  });

  it('keeps a double-quoted value with spaces as one token', () => {
    expect(splitTokens('acquire tag="View  Lock", name=x')).toEqual([
      'acquire',
      'tag="View Lock",',
      'name=x',
    ]);
  });

  it('leaves an unbalanced quote alone', () => {
    expect(splitTokens('say "hello world')).toEqual(['say', '"hello', 'world']);
  });
});
