import { readFileSync } from 'node:fs';
import { JsonSplitter } from '../../src/pipeline/sources/json-splitter.js';

/** The JSON values of a file holding one object or several concatenated ones (SigmaHQ regression samples). */
export function jsonValues(path: string): unknown[] {
  const out: unknown[] = [];
  const splitter = new JsonSplitter(
    (c) => out.push(JSON.parse(c.text)),
    (e) => {
      throw new Error(`${path}:${e.line}: ${e.reason}`);
    },
  );
  splitter.push(readFileSync(path, 'utf8'));
  splitter.end();
  return out;
}
