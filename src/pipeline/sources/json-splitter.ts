/**
 * Splits a stream of JSON text into top-level values, in constant memory per value.
 *
 * Accepts what security tools actually write: one object, a JSON array of objects (elements are
 * emitted one by one, the array itself is never held), concatenated objects with or without
 * newlines between them (SigmaHQ regression samples, `evtx_dump` output), and JSON Lines. It only
 * tracks string/escape state and bracket depth; `JSON.parse` validates each value afterwards.
 */

/** One top-level value's text and where it started (1-based line). */
export interface JsonChunk {
  readonly text: string;
  readonly line: number;
}

/** Something that is not a JSON value at the top level, with the reason. */
export interface JsonSplitError {
  readonly line: number;
  readonly reason: string;
  readonly text: string;
}

/**
 * Largest single value accepted (characters of text); beyond it the value is reported and
 * skipped. Sized so that a parsed value fits a scan worker's heap with room to spare.
 */
export const MAX_VALUE_CHARS = 16 * 1024 * 1024;

export class JsonSplitter {
  private buf = '';
  private depth = 0;
  private inString = false;
  private escaped = false;
  private inArray = false;
  private line = 1;
  private valueLine = 1;
  /** Scan position inside `buf` for the value being assembled. */
  private pos = 0;
  private garbage = '';
  private garbageLine = 0;
  private oversized = false;

  constructor(
    private readonly onValue: (chunk: JsonChunk) => void,
    private readonly onError: (error: JsonSplitError) => void,
  ) {}

  private flushGarbage(): void {
    if (this.garbage.trim() !== '') {
      this.onError({
        line: this.garbageLine,
        reason: 'not a JSON object or array',
        text: this.garbage.slice(0, 200),
      });
    }
    this.garbage = '';
  }

  /** Feeds the next piece of text. */
  push(chunk: string): void {
    this.buf += chunk;
    const buf = this.buf;
    let i = this.pos;
    let start = this.depth > 0 ? 0 : -1;
    if (this.depth === 0) {
      // Outside a value: `pos` is 0 and buf holds unconsumed text.
      i = 0;
    }
    for (; i < buf.length; i++) {
      const c = buf.charCodeAt(i);
      if (this.depth > 0) {
        if (this.inString) {
          if (this.escaped) this.escaped = false;
          else if (c === 92 /* \ */) this.escaped = true;
          else if (c === 34 /* " */) this.inString = false;
          else if (c === 10) this.line++;
          continue;
        }
        if (c === 34) this.inString = true;
        else if (c === 123 /* { */ || c === 91 /* [ */) this.depth++;
        else if (c === 125 /* } */ || c === 93 /* ] */) {
          this.depth--;
          if (this.depth === 0) {
            const text = buf.slice(start === -1 ? 0 : start, i + 1);
            if (this.oversized) {
              this.onError({
                line: this.valueLine,
                reason: `value larger than ${MAX_VALUE_CHARS} characters`,
                text: text.slice(0, 200),
              });
              this.oversized = false;
            } else this.onValue({ text, line: this.valueLine });
            start = -1;
          }
        } else if (c === 10) this.line++;
        continue;
      }
      // Top level (or directly inside a top-level array).
      if (c === 123 || (c === 91 && this.inArray)) {
        this.flushGarbage();
        this.depth = 1;
        start = i;
        this.valueLine = this.line;
      } else if (c === 91 && !this.inArray) {
        this.flushGarbage();
        this.inArray = true;
      } else if (c === 93 && this.inArray) {
        this.inArray = false;
      } else if (c === 10) {
        this.flushGarbage();
        this.line++;
      } else if (c === 32 || c === 9 || c === 13 || c === 0xfeff || (c === 44 && this.inArray)) {
        // whitespace, BOM, or an array separator
      } else {
        if (this.garbage === '') this.garbageLine = this.line;
        this.garbage += buf[i];
      }
    }
    if (this.depth > 0) {
      const keepFrom = start === -1 ? 0 : start;
      this.buf = buf.slice(keepFrom);
      this.pos = this.buf.length;
      if (this.buf.length > MAX_VALUE_CHARS) {
        // Keep scanning for the end of the value but drop its text.
        this.oversized = true;
        this.buf = this.buf.slice(0, 200);
        this.pos = this.buf.length;
      }
    } else {
      this.buf = '';
      this.pos = 0;
    }
  }

  /** Signals end of input; reports a value left open. */
  end(): void {
    this.flushGarbage();
    if (this.depth > 0) {
      this.onError({
        line: this.valueLine,
        reason: 'unterminated JSON value at end of input',
        text: this.buf.slice(0, 200),
      });
    }
    this.buf = '';
    this.depth = 0;
  }
}
