import { Writable } from 'node:stream';
import { main } from '../../src/cli/main.js';

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

class Capture extends Writable {
  text = '';
  override _write(chunk: Buffer | string, _enc: BufferEncoding, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}

/** Runs the `vigil` CLI in-process with captured output (not a TTY: no colors, no progress bar). */
export async function vigil(...args: string[]): Promise<CliResult> {
  const stdout = new Capture();
  const stderr = new Capture();
  const code = await main(['node', 'vigil', ...args], { stdout, stderr });
  return { code, stdout: stdout.text, stderr: stderr.text };
}
