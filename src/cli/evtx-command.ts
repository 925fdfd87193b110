/**
 * `vigil evtx dump <file.evtx> [--format jsonl|json]`: prints a raw `.evtx` file's records in the
 * evtx-to-JSON shape (`{"Event": {"System": …, "EventData": …}}`) that `vigil scan` reads, one per
 * line (jsonl) or as one array (json). Damage is reported on stderr with its chunk and offset, and
 * the rest of the file is still read.
 *
 * Exit codes: 0 read cleanly; 1 read, with damage reported; 2 not readable as EVTX (or usage).
 */
import type { Command } from 'commander';
import { once } from 'node:events';
import { CHUNK_SIZE, decodeChunk, type EvtxProblem } from '../pipeline/decoders/evtx/chunk.js';
import { chunkOffset, evtxBatches } from '../pipeline/sources/evtx-file.js';
import { detectFormat, inspectFile } from '../pipeline/sources/file-input.js';
import { describeEvtxProblem } from '../scan/process-batch.js';
import type { CommandIO } from './scan-command.js';

export interface EvtxDumpOptions {
  readonly format: string;
}

async function write(out: CommandIO['stdout'], text: string): Promise<void> {
  if (!out.write(text)) await once(out, 'drain');
}

/**
 * Dumps one file.
 * @returns the exit code (0 clean, 1 damage reported, 2 unreadable)
 */
export async function evtxDump(path: string, opts: EvtxDumpOptions, io: CommandIO): Promise<number> {
  if (opts.format !== 'jsonl' && opts.format !== 'json') {
    io.stderr.write(`vigil: unknown format "${opts.format}" (jsonl or json)\n`);
    return 2;
  }
  let inspected;
  try {
    inspected = await inspectFile(path);
  } catch (err) {
    io.stderr.write(`vigil: ${path}: ${(err as Error).message}\n`);
    return 2;
  }
  if (detectFormat(inspected.head).kind !== 'evtx') {
    io.stderr.write(`vigil: ${path}: not an EVTX file (no "ElfFile" signature)\n`);
    return 2;
  }
  const problems: EvtxProblem[] = [];
  const report = (p: EvtxProblem): void => {
    problems.push(p);
    io.stderr.write(`${path}: ${describeEvtxProblem(p)}\n`);
  };
  let records = 0;
  const json = opts.format === 'json';
  if (json) await write(io.stdout, '[');
  try {
    for await (const batch of evtxBatches(inspected.info, (_h, found) => found.forEach(report), report)) {
      for (
        let start = 0, index = batch.firstChunk;
        start < batch.bytes.length;
        start += CHUNK_SIZE, index++
      ) {
        const chunk = decodeChunk(batch.bytes.subarray(start, start + CHUNK_SIZE), index, chunkOffset(index));
        chunk.problems.forEach(report);
        for (const r of chunk.records) {
          const text = JSON.stringify(r.event);
          await write(io.stdout, json ? `${records === 0 ? '\n' : ',\n'}${text}` : `${text}\n`);
          records++;
        }
      }
    }
  } catch (err) {
    io.stderr.write(`vigil: ${path}: ${(err as Error).message}\n`);
    if (json) await write(io.stdout, '\n]\n');
    return 2;
  }
  if (json) await write(io.stdout, records === 0 ? ']\n' : '\n]\n');
  io.stderr.write(`${path}: ${records} records, ${problems.length} problems\n`);
  return problems.length > 0 ? 1 : 0;
}

export function registerEvtx(program: Command, io: CommandIO, setExit: (code: number) => void): void {
  const evtx = program.command('evtx').description('work with raw Windows .evtx files');
  evtx
    .command('dump')
    .description('print the records of an .evtx file as evtx-to-JSON (what `vigil scan` reads)')
    .argument('<file>', '.evtx file (gzip too)')
    .option('-f, --format <format>', 'jsonl (one record per line) or json (one array)', 'jsonl')
    .action(async (file: string, opts: EvtxDumpOptions) => {
      setExit(await evtxDump(file, opts, io));
    });
}
