/**
 * Cuts a file's text into batches that can be decoded independently (in worker threads):
 * line batches end on a line boundary; JSON batches hold whole top-level values. A batch carries
 * the number of its first line and, for formats with header lines, the header state in force
 * at its start, so results can be numbered and merged back in input order.
 */
import type { HeaderState, TextFormat } from '../decoders/text.js';
import type { EvtxBatch } from './evtx-file.js';
import { type JsonSplitError, JsonSplitter } from './json-splitter.js';

export type Batch =
  | {
      readonly kind: 'lines';
      /** Complete lines joined by `\n` (CR kept; the decoder strips it). */
      readonly text: string;
      readonly firstLine: number;
      readonly header?: HeaderState;
    }
  | { readonly kind: 'values'; readonly values: readonly { readonly text: string; readonly line: number }[] }
  | EvtxBatch;

/** Target size of a line batch, in characters. */
export const BATCH_CHARS = 1 << 16;
/** Target number of JSON values per batch. */
export const BATCH_VALUES = 2000;

/** Header state after the `#` lines of `text`, starting from `state`. */
function advanceHeader(
  format: TextFormat,
  text: string,
  state: HeaderState | undefined,
): HeaderState | undefined {
  if (!format.header) return state;
  let i = text.charCodeAt(0) === 35 /* # */ ? 0 : text.indexOf('\n#');
  while (i >= 0) {
    const start = text.charCodeAt(i) === 10 ? i + 1 : i;
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    state = format.header(text.slice(start, end).replace(/\r$/, ''), state);
    i = text.indexOf('\n#', end);
  }
  return state;
}

/**
 * Line batches from a text stream.
 * @param format - a text format with headers to track, or undefined (JSON Lines)
 */
export async function* lineBatches(
  chunks: AsyncIterable<string>,
  format?: TextFormat,
): AsyncGenerator<Batch> {
  let pending = '';
  let line = 1;
  let header: HeaderState | undefined;
  const emit = (text: string): Batch => {
    const batch: Batch = { kind: 'lines', text, firstLine: line, header };
    let n = 0;
    for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) n++;
    line += n + 1;
    if (format) header = advanceHeader(format, text, header);
    return batch;
  };
  try {
    for await (const chunk of chunks) {
      pending += chunk;
      while (pending.length >= BATCH_CHARS) {
        const cut = pending.lastIndexOf('\n', BATCH_CHARS);
        const at = cut >= 0 ? cut : pending.indexOf('\n', BATCH_CHARS);
        if (at < 0) break;
        yield emit(pending.slice(0, at));
        pending = pending.slice(at + 1);
      }
    }
  } catch (err) {
    // A read error (truncated gzip, I/O): the complete lines read so far are still processed.
    const last = pending.lastIndexOf('\n');
    if (last >= 0) yield emit(pending.slice(0, last));
    throw err;
  }
  if (pending.length > 0) yield emit(pending.endsWith('\n') ? pending.slice(0, -1) : pending);
}

/**
 * JSON value batches from a text stream holding one object, an array, or concatenated objects.
 * @param onError - called for text that is not a JSON value (file line and reason)
 */
export async function* jsonBatches(
  chunks: AsyncIterable<string>,
  onError: (error: JsonSplitError) => void,
): AsyncGenerator<Batch> {
  let values: { text: string; line: number }[] = [];
  const splitter = new JsonSplitter((v) => values.push(v), onError);
  for await (const chunk of chunks) {
    splitter.push(chunk);
    if (values.length >= BATCH_VALUES) {
      yield { kind: 'values', values };
      values = [];
    }
  }
  splitter.end();
  if (values.length > 0) yield { kind: 'values', values };
}
