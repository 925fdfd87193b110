/**
 * Conformance: encoding modifiers.
 *
 * Spec: Sigma specification v2.1, `sigma-appendix-modifiers.md`, section "Encoding" (base64,
 * base64offset, utf16le, utf16be, utf16, wide). Expected encodings were computed with Python's
 * `base64` module; the base64offset variants are pySigma's (`sigma/modifiers.py`,
 * `SigmaBase64OffsetModifier`: start offsets 0, 2, 3 and end offsets none, -3, -2).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { matcher } from '../../helpers/sigma.js';

function item(key: string, yamlValue: string) {
  return matcher(`    selection:\n        ${key}: ${yamlValue}\n    condition: selection`);
}

const b64 = (text: string, encoding: BufferEncoding = 'utf8') =>
  Buffer.from(text, encoding).toString('base64');

describe('modifier base64', () => {
  it("encodes the value: 'http://' is 'aHR0cDovLw=='", () => {
    const m = item('F|base64', "'http://'");
    expect(m({ F: 'aHR0cDovLw==' })).toBe(true);
    expect(m({ F: 'http://' })).toBe(false);
    expect(m({ F: 'aHR0cDovL' })).toBe(false);
  });

  it('combines with contains', () => {
    const m = item('F|base64|contains', "'http://'");
    expect(m({ F: 'xx aHR0cDovLw== yy' })).toBe(true);
    expect(m({ F: b64('https://') })).toBe(false);
  });

  it('like every Sigma value, the encoded text compares case-insensitively unless cased', () => {
    expect(item('F|base64', "'http://'")({ F: 'AHR0CDOVLW==' })).toBe(true);
    const cased = item('F|base64|cased', "'http://'");
    expect(cased({ F: 'aHR0cDovLw==' })).toBe(true);
    expect(cased({ F: 'AHR0CDOVLW==' })).toBe(false);
  });

  it('encodes non-ASCII text as UTF-8', () => {
    const m = item('F|base64', "'é'");
    expect(m({ F: 'w6k=' })).toBe(true);
    expect(m({ F: b64('é', 'latin1') })).toBe(false);
  });
});

describe('modifier base64offset', () => {
  it("yields pySigma's three variants for 'http://': aHR0cDovL, h0dHA6Ly, odHRwOi8v", () => {
    const m = item('F|base64offset', "'http://'");
    expect(m({ F: 'aHR0cDovL' })).toBe(true);
    expect(m({ F: 'h0dHA6Ly' })).toBe(true);
    expect(m({ F: 'odHRwOi8v' })).toBe(true);
    expect(m({ F: 'aHR0cDovLw==' })).toBe(false);
  });

  it('with contains, finds the value at every offset inside a base64 text', () => {
    const m = item('F|base64offset|contains', "'http://'");
    for (const prefix of ['', 'x', 'xy', 'xyz', 'wxyz']) {
      expect(m({ F: b64(`${prefix}http://evil.example/payload`) })).toBe(true);
    }
  });

  it('with contains, does not find a different value', () => {
    const m = item('F|base64offset|contains', "'http://'");
    for (const prefix of ['', 'x', 'xy']) {
      expect(m({ F: b64(`${prefix}https://evil.example/payload`) })).toBe(false);
    }
  });
});

describe('base64offset|contains finds any text inside any base64 (property)', () => {
  /** Wildcard-free rule values, quoted for YAML. */
  const value = fc
    .string({ unit: 'grapheme', minLength: 1, maxLength: 8 })
    .filter((s) => !/[*?\\\p{Cc}\u2028\u2029\ufeff]/u.test(s) && s.trim() === s);
  const quoted = (s: string) => `'${s.replace(/'/g, "''")}'`;

  it('for UTF-8 text, whatever comes before and after it', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 5 }), value, fc.string({ maxLength: 5 }), (before, text, after) =>
        item('F|base64offset|contains', quoted(text))({ F: b64(before + text + after) }),
      ),
      { numRuns: 200 },
    );
  });

  it('for UTF-16LE text (wide), whatever comes before and after it', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 5 }), value, fc.string({ maxLength: 5 }), (before, text, after) =>
        item('F|wide|base64offset|contains', quoted(text))({ F: b64(before + text + after, 'utf16le') }),
      ),
      { numRuns: 200 },
    );
  });
});

describe('modifier utf16le', () => {
  it("encodes 'cmd' as 63 00 6d 00 64 00", () => {
    const m = item('F|utf16le', "'cmd'");
    expect(m({ F: 'c\u0000m\u0000d\u0000' })).toBe(true);
    expect(m({ F: 'cmd' })).toBe(false);
    expect(m({ F: '\u0000c\u0000m\u0000d' })).toBe(false);
  });

  it('combines with base64', () => {
    const m = item('F|utf16le|base64', "'cmd'");
    expect(m({ F: 'YwBtAGQA' })).toBe(true);
    expect(m({ F: b64('cmd') })).toBe(false);
  });
});

describe('modifier wide (alias of utf16le)', () => {
  it("encodes 'cmd' as 63 00 6d 00 64 00", () => {
    const m = item('F|wide', "'cmd'");
    expect(m({ F: 'c\u0000m\u0000d\u0000' })).toBe(true);
    expect(m({ F: 'cmd' })).toBe(false);
  });

  it('combines with base64', () => {
    const m = item('F|wide|base64', "'cmd'");
    expect(m({ F: 'YwBtAGQA' })).toBe(true);
    expect(m({ F: 'AGMAbQBk' })).toBe(false);
  });
});

describe('modifier utf16be', () => {
  it("encodes 'cmd' as 00 63 00 6d 00 64", () => {
    const m = item('F|utf16be', "'cmd'");
    expect(m({ F: '\u0000c\u0000m\u0000d' })).toBe(true);
    expect(m({ F: 'c\u0000m\u0000d\u0000' })).toBe(false);
  });

  it('combines with base64', () => {
    const m = item('F|utf16be|base64', "'cmd'");
    expect(m({ F: 'AGMAbQBk' })).toBe(true);
    expect(m({ F: 'YwBtAGQA' })).toBe(false);
  });
});

describe('modifier utf16', () => {
  it("prepends the byte order mark: 'cmd' is FF FE 63 00 6d 00 64 00", () => {
    const m = item('F|utf16', "'cmd'");
    expect(m({ F: '\u00ff\u00fec\u0000m\u0000d\u0000' })).toBe(true);
    expect(m({ F: 'c\u0000m\u0000d\u0000' })).toBe(false);
  });

  it('combines with base64', () => {
    const m = item('F|utf16|base64', "'cmd'");
    expect(m({ F: '//5jAG0AZAA=' })).toBe(true);
    expect(m({ F: 'YwBtAGQA' })).toBe(false);
  });
});

describe('wide|base64offset|contains (PowerShell -EncodedCommand)', () => {
  const m = item('CommandLine|wide|base64offset|contains', "'Invoke-Mimikatz'");
  const encoded = (script: string) => `powershell.exe -NoP -enc ${b64(script, 'utf16le')}`;

  it('finds the keyword in the base64 of the UTF-16LE script at every offset', () => {
    for (const prefix of ['IEX ', 'IEX  ', 'IEX   ']) {
      expect(
        m({ CommandLine: encoded(`${prefix}(New-Object Net.WebClient); Invoke-Mimikatz -DumpCreds`) }),
      ).toBe(true);
    }
  });

  it('does not match a script without the keyword', () => {
    for (const prefix of ['IEX ', 'IEX  ', 'IEX   ']) {
      expect(m({ CommandLine: encoded(`${prefix}(New-Object Net.WebClient); Invoke-WebRequest x`) })).toBe(
        false,
      );
    }
  });

  it('does not match the UTF-8 base64 of the keyword', () => {
    expect(m({ CommandLine: `powershell.exe -enc ${b64('IEX Invoke-Mimikatz -DumpCreds')}` })).toBe(false);
  });
});
