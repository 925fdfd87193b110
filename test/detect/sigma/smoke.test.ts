import { describe, expect, it } from 'vitest';
import { matcher } from '../../helpers/sigma.js';

describe('smoke', () => {
  it('matches a simple selection', () => {
    const m = matcher(`    selection:
        Image|endswith: '\\whoami.exe'
        CommandLine|contains|all: ['/all', 'priv']
    filter:
        User: 'SYSTEM'
    condition: selection and not filter`);
    expect(m({ Image: 'C:\\Windows\\System32\\WHOAMI.EXE', CommandLine: 'whoami /all /priv' })).toBe(true);
    expect(m({ Image: 'C:\\Windows\\System32\\whoami.exe', CommandLine: 'whoami /all /priv', User: 'system' })).toBe(false);
    expect(m({ Image: 'C:\\Windows\\System32\\whoami.exe', CommandLine: 'whoami /all' })).toBe(false);
  });
});
