/**
 * Sigma string values: wildcards, escaping and placeholders.
 *
 * Source: Sigma specification v2.1, `sigma-rules-specification.md`, sections "String Wildcard",
 * "Escape Character" and "Placeholders". A backslash escapes `*`, `?` and itself; a backslash
 * before any other character is a literal backslash. With the `expand` modifier, `%name%` is a
 * placeholder and `\%` a literal percent sign.
 */

/** Multi-character wildcard `*`. */
export const STAR: unique symbol = Symbol('*');
/** Single-character wildcard `?`. */
export const QMARK: unique symbol = Symbol('?');

/** A `%name%` placeholder, resolved by the `expand` modifier. */
export interface Placeholder {
  readonly placeholder: string;
}

export type StringPart = string | typeof STAR | typeof QMARK | Placeholder;

/**
 * A Sigma string: literal runs, wildcards and placeholders. `binary` is true once an encoding
 * modifier (utf16*, wide) turned it into a byte string (one char per byte, 0-255).
 */
export interface SigmaString {
  readonly parts: readonly StringPart[];
  readonly binary: boolean;
}

export function isPlaceholder(part: StringPart): part is Placeholder {
  return typeof part === 'object';
}

/** Appends `text` to `parts`, merging with a preceding literal run. */
function pushLiteral(parts: StringPart[], text: string): void {
  if (text === '') return;
  const last = parts[parts.length - 1];
  if (typeof last === 'string') parts[parts.length - 1] = last + text;
  else parts.push(text);
}

/**
 * Parses a rule value into a Sigma string.
 *
 * @param raw - the value as written in YAML (after YAML unquoting)
 * @param placeholders - when true (`expand` modifier), `%name%` becomes a placeholder
 */
export function parseSigmaString(raw: string, placeholders = false): SigmaString {
  const parts: StringPart[] = [];
  let literal = '';
  const flush = (): void => {
    pushLiteral(parts, literal);
    literal = '';
  };
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i]!;
    if (c === '\\') {
      const next = raw[i + 1];
      if (next === '*' || next === '?' || next === '\\' || (placeholders && next === '%')) {
        literal += next;
        i++;
      } else {
        literal += '\\';
      }
    } else if (c === '*') {
      flush();
      parts.push(STAR);
    } else if (c === '?') {
      flush();
      parts.push(QMARK);
    } else if (placeholders && c === '%') {
      const end = raw.indexOf('%', i + 1);
      const name = end > i + 1 ? raw.slice(i + 1, end) : '';
      if (end > i + 1 && /^[A-Za-z0-9_.-]+$/.test(name)) {
        flush();
        parts.push({ placeholder: name });
        i = end;
      } else {
        literal += c;
      }
    } else {
      literal += c;
    }
  }
  flush();
  return { parts, binary: false };
}

/** A plain (wildcard-free) Sigma string. */
export function plainString(text: string, binary = false): SigmaString {
  return { parts: text === '' ? [] : [text], binary };
}

/** True when the string contains wildcards or placeholders. */
export function hasSpecial(s: SigmaString): boolean {
  return s.parts.some((p) => typeof p !== 'string');
}

/** The literal text of a string without wildcards; throws when it has any. */
export function plainText(s: SigmaString): string {
  let out = '';
  for (const p of s.parts) {
    if (typeof p !== 'string') throw new TypeError('string contains wildcards or placeholders');
    out += p;
  }
  return out;
}

/** Renders a Sigma string back into rule notation (wildcards unescaped, literals escaped). */
export function formatSigmaString(s: SigmaString): string {
  let out = '';
  for (const p of s.parts) {
    if (p === STAR) out += '*';
    else if (p === QMARK) out += '?';
    else if (isPlaceholder(p)) out += `%${p.placeholder}%`;
    else out += p.replace(/[\\*?]/g, (c) => `\\${c}`);
  }
  return out;
}

export function startsWithStar(s: SigmaString): boolean {
  return s.parts[0] === STAR;
}

export function endsWithStar(s: SigmaString): boolean {
  return s.parts[s.parts.length - 1] === STAR;
}

/** Returns `s` with a leading and/or trailing `*` added where missing. */
export function wrapStars(s: SigmaString, before: boolean, after: boolean): SigmaString {
  const parts = [...s.parts];
  if (before && parts[0] !== STAR) parts.unshift(STAR);
  if (after && parts[parts.length - 1] !== STAR) parts.push(STAR);
  return { parts, binary: s.binary };
}

/** Maps every literal run through `fn`, keeping wildcards and placeholders. */
export function mapLiterals(s: SigmaString, fn: (text: string) => string, binary = s.binary): SigmaString {
  const parts: StringPart[] = [];
  for (const p of s.parts) {
    if (typeof p === 'string') pushLiteral(parts, fn(p));
    else parts.push(p);
  }
  return { parts, binary };
}

/** Concatenates parts into a normalized Sigma string (adjacent literals merged). */
export function fromParts(input: readonly StringPart[], binary: boolean): SigmaString {
  const parts: StringPart[] = [];
  for (const p of input) {
    if (typeof p === 'string') pushLiteral(parts, p);
    else parts.push(p);
  }
  return { parts, binary };
}
