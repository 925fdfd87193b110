/**
 * Text log formats: the interface every line-oriented decoder implements, and the registry the
 * file reader sniffs formats with.
 *
 * A format decodes one line at a time. Formats whose files carry header lines (IIS W3C
 * `#Fields:`, Zeek TSV `#fields`/`#separator`/`#path`) keep that in a JSON-serializable
 * {@link HeaderState}: the reader calls `header()` on every line starting with `#`, so work can be
 * split across worker threads with the header state in force at each batch's first line.
 */
import type { DecodedEvent, DecodeOptions } from './types.js';

/** JSON-serializable state carried from header lines to the lines after them. */
export type HeaderState = { readonly [key: string]: unknown };

/** A line that looked like the format but could not be decoded, with the reason. */
export interface DecodeFailure {
  readonly error: string;
}

/** An event, a failure, or `null` for a line that carries no event (blank, comment, header). */
export type DecodeResult = DecodedEvent | DecodeFailure | null;

export function isDecodeFailure(r: DecodeResult): r is DecodeFailure {
  return r !== null && 'error' in r && typeof (r as DecodeFailure).error === 'string';
}

export interface TextFormat {
  /** Stable id, also the `--input-format` value: `syslog`, `auditd`, `access-log`, `w3c`, `zeek-tsv`, … */
  readonly id: string;
  readonly description: string;
  /**
   * True when these sample lines (the first non-empty lines of a file, at most 20, CR stripped)
   * are in this format.
   */
  sniff(lines: readonly string[]): boolean;
  /** Header state after the line `line` (which starts with `#`). Omitted by formats without headers. */
  header?(line: string, state: HeaderState | undefined): HeaderState | undefined;
  /** Decodes one line (no line terminator, CR stripped). */
  decode(line: string, state: HeaderState | undefined, options: DecodeOptions): DecodeResult;
}

const formats: TextFormat[] = [];

/** Adds a text format; sniffing tries formats in registration order. */
export function registerTextFormat(format: TextFormat): void {
  if (formats.some((f) => f.id === format.id)) throw new Error(`text format "${format.id}" registered twice`);
  formats.push(format);
}

/** Registered text formats, in sniffing order. */
export function textFormats(): readonly TextFormat[] {
  return formats;
}

export function textFormat(id: string): TextFormat | undefined {
  return formats.find((f) => f.id === id);
}
