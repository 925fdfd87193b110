/**
 * Conformance: numeric, time, IP and specific value modifiers, and modifier errors.
 *
 * Spec: Sigma specification v2.1, `sigma-appendix-modifiers.md`, sections "Numeric Modifiers",
 * "Time Modifiers", "IP (Internet Protocol) Modifiers" and "Specific Modifiers";
 * `sigma-rules-specification.md`, section "Placeholders".
 */
import { describe, expect, it } from 'vitest';
import { createEvent } from '../../../src/detect/sigma/event.js';
import { load, matcher, problems, ruleWith, TEST_LOGSOURCE } from '../../helpers/sigma.js';

function item(key: string, yamlValue: string, options = {}) {
  return matcher(`    selection:\n        ${key}: ${yamlValue}\n    condition: selection`, options);
}

describe('numeric modifiers lt, lte, gt, gte', () => {
  it('lt: field is less than the value', () => {
    const m = item('F|lt', '5');
    expect(m({ F: 4 })).toBe(true);
    expect(m({ F: 5 })).toBe(false);
    expect(m({ F: 6 })).toBe(false);
  });

  it('lte: field is less than or equal to the value', () => {
    const m = item('F|lte', '5');
    expect(m({ F: 5 })).toBe(true);
    expect(m({ F: 4.5 })).toBe(true);
    expect(m({ F: 5.5 })).toBe(false);
  });

  it('gt: field is greater than the value', () => {
    const m = item('F|gt', '1.5');
    expect(m({ F: 1.6 })).toBe(true);
    expect(m({ F: 1.5 })).toBe(false);
  });

  it('gte: field is greater than or equal to the value', () => {
    const m = item('F|gte', '-2');
    expect(m({ F: -2 })).toBe(true);
    expect(m({ F: 0 })).toBe(true);
    expect(m({ F: -3 })).toBe(false);
  });

  it('compares numeric strings of the event as numbers, not as text', () => {
    const m = item('F|gt', '9');
    expect(m({ F: '10' })).toBe(true);
    expect(m({ F: ' 10 ' })).toBe(true);
    expect(m({ F: '8' })).toBe(false);
  });

  it('non-numeric event values do not match', () => {
    const gt = item('F|gt', '0');
    const lt = item('F|lt', '1000');
    for (const F of ['abc', '', '12abc', true, null]) {
      expect(gt({ F })).toBe(false);
      expect(lt({ F })).toBe(false);
    }
    expect(gt({})).toBe(false);
  });

  it('an array field matches when any element compares true', () => {
    const m = item('F|gt', '5');
    expect(m({ F: [1, 10] })).toBe(true);
    expect(m({ F: [1, 2] })).toBe(false);
  });

  it('two comparisons of one field express a range', () => {
    const m = matcher(
      '    selection:\n        - F|gte: 10\n    upper:\n        F|lt: 20\n    condition: selection and upper',
    );
    expect(m({ F: 15 })).toBe(true);
    expect(m({ F: 20 })).toBe(false);
    expect(m({ F: 9 })).toBe(false);
  });
});

describe('time modifiers minute, hour, day, week, month, year', () => {
  // 2019-03-02 is a Saturday in ISO week 9.
  const dates = ['2019-03-02 08:51:00.008', '2019-03-02T08:51:00.008Z', '2019-03-02T08:51:00+05:00'];
  const parts: [string, number, number][] = [
    ['minute', 51, 52],
    ['hour', 8, 9],
    ['day', 2, 3],
    ['week', 9, 10],
    ['month', 3, 2],
    ['year', 2019, 2020],
  ];

  it.each(parts)('%s extracts %d from ISO 8601 dates with a T or a space', (part, right, wrong) => {
    const hit = item(`T|${part}`, String(right));
    const miss = item(`T|${part}`, String(wrong));
    for (const T of dates) {
      expect(hit({ T })).toBe(true);
      expect(miss({ T })).toBe(false);
    }
  });

  it('reads the date as written, without time zone conversion', () => {
    const m = item('T|hour', '23');
    expect(m({ T: '2019-03-02T23:30:00-05:00' })).toBe(true);
    expect(m({ T: '2019-03-03T04:30:00Z' })).toBe(false);
  });

  it('week is the ISO 8601 week number', () => {
    expect(item('T|week', '53')({ T: '2021-01-01T00:00:00Z' })).toBe(true);
    expect(item('T|week', '1')({ T: '2021-01-01T00:00:00Z' })).toBe(false);
    expect(item('T|week', '1')({ T: '2019-12-30T00:00:00Z' })).toBe(true);
    expect(item('T|week', '52')({ T: '2019-12-30T00:00:00Z' })).toBe(false);
  });

  it('combines with the numeric modifiers', () => {
    const office = matcher(
      '    early:\n        T|hour|gte: 8\n    late:\n        T|hour|lt: 18\n    condition: early and late',
    );
    expect(office({ T: '2024-05-06T09:15:00Z' })).toBe(true);
    expect(office({ T: '2024-05-06T18:00:00Z' })).toBe(false);
    expect(office({ T: '2024-05-06T07:59:00Z' })).toBe(false);
  });

  it('a value that is not a date does not match', () => {
    const m = item('T|year', '2019');
    expect(m({ T: 'yesterday' })).toBe(false);
    expect(m({ T: '' })).toBe(false);
    expect(m({})).toBe(false);
  });
});

describe('modifier cidr', () => {
  it('matches IPv4 addresses inside the range', () => {
    const m = item('DestinationIp|cidr', '10.0.0.0/8');
    expect(m({ DestinationIp: '10.1.2.3' })).toBe(true);
    expect(m({ DestinationIp: '10.255.255.255' })).toBe(true);
    expect(m({ DestinationIp: '11.0.0.1' })).toBe(false);
    expect(m({ DestinationIp: '192.168.1.1' })).toBe(false);
  });

  it('matches IPv6 addresses inside the range', () => {
    const m = item('DestinationIp|cidr', "'2001:db8::/32'");
    expect(m({ DestinationIp: '2001:db8::1' })).toBe(true);
    expect(m({ DestinationIp: '2001:DB8:0:0:0:0:0:ff' })).toBe(true);
    expect(m({ DestinationIp: '2001:db9::1' })).toBe(false);
    expect(m({ DestinationIp: '10.1.2.3' })).toBe(false);
  });

  it('matches an IPv4-mapped IPv6 address (::ffff:10.1.2.3) against an IPv4 range', () => {
    const m = item('DestinationIp|cidr', '10.0.0.0/8');
    expect(m({ DestinationIp: '::ffff:10.1.2.3' })).toBe(true);
    expect(m({ DestinationIp: '::ffff:11.1.2.3' })).toBe(false);
  });

  it('links a list of ranges with OR', () => {
    const m = item('DestinationIp|cidr', "['10.0.0.0/8', '192.168.0.0/16', 'fc00::/7']");
    expect(m({ DestinationIp: '192.168.4.4' })).toBe(true);
    expect(m({ DestinationIp: 'fd12::1' })).toBe(true);
    expect(m({ DestinationIp: '172.16.0.1' })).toBe(false);
  });

  it('values that are not IP addresses do not match', () => {
    const m = item('DestinationIp|cidr', '10.0.0.0/8');
    for (const DestinationIp of ['not-an-ip', '', '10.1.2.3.4', 'host10.1.2.3', '10.1.2.3/8']) {
      expect(m({ DestinationIp })).toBe(false);
    }
    expect(m({})).toBe(false);
  });

  it('an invalid range is an error', () => {
    expect(
      problems("    selection:\n        Ip|cidr: '10.0.0.0/99'\n    condition: selection"),
    ).toMatchObject([{ severity: 'error', path: 'detection.selection.Ip|cidr' }]);
  });
});

describe('modifier expand', () => {
  const servers = { placeholders: new Map([['Servers', ['srv*', 'dc01']]]) };

  it('replaces a placeholder with its OR-linked values, wildcards included', () => {
    const m = item('Computer|expand', "'%Servers%'", servers);
    expect(m({ Computer: 'SRV17' })).toBe(true);
    expect(m({ Computer: 'dc01' })).toBe(true);
    expect(m({ Computer: 'ws01' })).toBe(false);
    expect(m({ Computer: '%Servers%' })).toBe(false);
  });

  it('keeps the text around the placeholder', () => {
    const m = item('Host|expand', "'corp-%Servers%.example'", servers);
    expect(m({ Host: 'corp-dc01.example' })).toBe(true);
    expect(m({ Host: 'dc01.example' })).toBe(false);
  });

  it('a backslash before a placeholder is written \\\\ (a single \\ would escape the %)', () => {
    const escaped = item('User|expand', "'CORP\\\\%Servers%$'", servers);
    expect(escaped({ User: 'CORP\\dc01$' })).toBe(true);
    expect(escaped({ User: 'CORP%Servers%$' })).toBe(false);
    const single = item('User|expand', "'CORP\\%Servers%$'", servers);
    expect(single({ User: 'CORP%Servers%$' })).toBe(true);
    expect(single({ User: 'CORP\\dc01$' })).toBe(false);
  });

  it('\\% is a plain percent sign: \\%plain%name% is "%plain" then the placeholder', () => {
    const m = item('F|expand', "'\\%plain%name%'", { placeholders: new Map([['name', ['x']]]) });
    expect(m({ F: '%plainx' })).toBe(true);
    expect(m({ F: '%plain%name%' })).toBe(false);
  });

  it('without expand, %name% is a literal value', () => {
    const m = item('F', "'%Servers%'", servers);
    expect(m({ F: '%Servers%' })).toBe(true);
    expect(m({ F: 'dc01' })).toBe(false);
  });

  it('an unconfigured placeholder makes the rule inactive, not broken', () => {
    const { detector, diagnostics } = load(
      ruleWith("    selection:\n        Computer|expand: '%Servers%'\n    condition: selection"),
    );
    expect(diagnostics).toMatchObject([
      {
        severity: 'inactive',
        code: 'VIGIL_ERR_RULE_PLACEHOLDER',
        path: 'detection.selection.Computer|expand',
      },
    ]);
    expect(detector.rules).toEqual([]);
    expect(detector.match(createEvent({ Computer: '%Servers%' }, TEST_LOGSOURCE))).toEqual([]);
  });
});

describe('modifier fieldref', () => {
  it('compares a field with another field of the same event', () => {
    const m = item('TargetUserName|fieldref', 'SubjectUserName');
    expect(m({ TargetUserName: 'bob', SubjectUserName: 'bob' })).toBe(true);
    expect(m({ TargetUserName: 'BOB', SubjectUserName: 'bob' })).toBe(true);
    expect(m({ TargetUserName: 'bob', SubjectUserName: 'alice' })).toBe(false);
  });

  it('a missing referenced field does not match', () => {
    const m = item('TargetUserName|fieldref', 'SubjectUserName');
    expect(m({ TargetUserName: 'bob' })).toBe(false);
    expect(m({ SubjectUserName: 'bob' })).toBe(false);
  });

  it('with startswith, the field starts with the other field', () => {
    const m = item('CommandLine|fieldref|startswith', 'Image');
    expect(m({ CommandLine: 'C:\\a.exe -x', Image: 'C:\\a.exe' })).toBe(true);
    expect(m({ CommandLine: '"C:\\a.exe" -x', Image: 'C:\\a.exe' })).toBe(false);
  });

  it('with endswith, the field ends with the other field', () => {
    const m = item('Image|fieldref|endswith', 'OriginalFileName');
    expect(m({ Image: 'C:\\x\\cmd.exe', OriginalFileName: 'Cmd.Exe' })).toBe(true);
    expect(m({ Image: 'C:\\x\\evil.exe', OriginalFileName: 'cmd.exe' })).toBe(false);
  });

  it('with contains, the field contains the other field', () => {
    const m = item('CommandLine|fieldref|contains', 'User');
    expect(m({ CommandLine: 'net user bob /add', User: 'bob' })).toBe(true);
    expect(m({ CommandLine: 'net user alice /add', User: 'bob' })).toBe(false);
  });

  it('combines with neq: the field differs from the other field', () => {
    const m = item('TargetUserName|fieldref|neq', 'SubjectUserName');
    expect(m({ TargetUserName: 'bob', SubjectUserName: 'alice' })).toBe(true);
    expect(m({ TargetUserName: 'bob', SubjectUserName: 'Bob' })).toBe(false);
  });
});

describe('modifier errors', () => {
  const errorsOf = (key: string, yamlValue: string) =>
    problems(`    selection:\n        ${key}: ${yamlValue}\n    condition: selection`);

  it.each([
    ['an unknown modifier', 'F|sartswith', "'x'"],
    ['re after another modifier', 'F|contains|re', "'x'"],
    ['a re flag without re', 'F|i', "'x'"],
    ['exists with a non-boolean', 'F|exists', "'yes'"],
    ['exists with a number', 'F|exists', '1'],
    ['lt with a non-number', 'F|lt', "'ten'"],
    ['gte with a wildcard', 'F|gte', "'1*'"],
    ['base64 on a value with wildcards', 'F|base64', "'http*'"],
    ['base64offset on a value with wildcards', 'F|base64offset', "'ht?p'"],
    ['two different time modifiers', 'F|hour|minute', '1'],
    ['a time modifier with a non-number', 'F|hour', "'noon'"],
  ])('%s is an error at the item', (_label, key, value) => {
    expect(errorsOf(key, value)).toMatchObject([
      {
        severity: 'error',
        code: 'VIGIL_ERR_RULE_MODIFIER',
        path: `detection.selection.${key}`,
        ruleId: '00000000-0000-4000-8000-000000000001',
      },
    ]);
  });

  it('an error inside a list of maps names the list index', () => {
    const diagnostics = problems(
      '    selection:\n        - F: a\n        - G|nope: b\n    condition: selection',
    );
    expect(diagnostics).toMatchObject([{ severity: 'error', path: 'detection.selection[1].G|nope' }]);
  });

  it('a rule with a modifier error is not active', () => {
    const { detector } = load(ruleWith('    selection:\n        F|nope: x\n    condition: selection'));
    expect(detector.rules).toEqual([]);
  });

  it('the error names the modifier', () => {
    const [d] = errorsOf('F|sartswith', "'x'");
    expect(d!.message).toContain('sartswith');
  });
});
