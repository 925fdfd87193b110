import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { acquireDirectoryLock } from '../../src/store/lock.js';

describe('data directory lock', () => {
  it('refuses while another live process holds the directory, naming it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-lock-'));
    const holder = spawn('sleep', ['30']);
    try {
      writeFileSync(join(dir, 'vigil.lock'), `${holder.pid}\n`);
      await expect(acquireDirectoryLock(dir)).rejects.toMatchObject({
        code: 'VIGIL_ERR_STORE_LOCKED',
        message: expect.stringContaining(String(holder.pid)),
      });
    } finally {
      holder.kill();
    }
  });

  it('takes over a lock left by a process that is gone (SIGKILL), and releases it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-lock-'));
    const gone = spawn('true');
    await new Promise((r) => gone.once('exit', r));
    writeFileSync(join(dir, 'vigil.lock'), `${gone.pid}\n`);
    const lock = await acquireDirectoryLock(dir);
    expect(readFileSync(lock.path, 'utf8').trim()).toBe(String(process.pid));
    await lock.release();
    const again = await acquireDirectoryLock(dir);
    await again.release();
  });
});
