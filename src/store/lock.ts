/**
 * An exclusive lock on a data directory: a `vigil.lock` file holding the owner's pid, created
 * with `O_EXCL`. PGlite is single-process, so the server holds this lock while it runs and
 * commands that write refuse while it is held. A lock left by a process that no longer runs
 * (killed with SIGKILL) is taken over.
 */
import { open, readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { ErrorCodes, VigilError } from '../errors.js';

export interface DirectoryLock {
  readonly path: string;
  release(): Promise<void>;
}

function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * @throws VigilError `VIGIL_ERR_STORE_LOCKED` naming the pid that holds the directory
 */
export async function acquireDirectoryLock(dir: string): Promise<DirectoryLock> {
  const path = join(dir, 'vigil.lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const handle = await open(path, 'wx', 0o600);
      await handle.writeFile(`${process.pid}\n`);
      await handle.close();
      return {
        path,
        release: async () => {
          await unlink(path).catch(() => undefined);
        },
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const pid = Number((await readFile(path, 'utf8').catch(() => '')).trim());
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && running(pid))
        throw new VigilError(ErrorCodes.STORE_LOCKED, dir, pid);
      await unlink(path).catch(() => undefined); // stale: its owner is gone
    }
  }
  throw new VigilError(ErrorCodes.STORE_LOCKED, dir, 'unknown');
}
