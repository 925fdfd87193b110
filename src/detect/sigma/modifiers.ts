/**
 * Value modifiers: turn a detection item's raw values into typed operands.
 *
 * Source: Sigma specification v2.1, `sigma-appendix-modifiers.md` (all 31 modifiers: contains,
 * startswith, endswith, all, exists, cased, neq, windash, re with i/m/s, base64, base64offset,
 * utf16le, utf16be, utf16, wide, lt, lte, gt, gte, minute, hour, day, week, month, year, cidr,
 * expand, fieldref). Modifiers apply left to right. Where the appendix is terse, behaviour
 * follows pySigma (`sigma/modifiers.py`): windash expands `-`/`/` found at `\B[-/]\b` into the
 * five dash characters; base64offset uses start offsets (0, 2, 3) and end offsets
 * (none, -3, -2) by `(len + shift) % 3`; expansions are OR-linked even under `all`.
 */
import {
  fromParts,
  hasSpecial,
  mapLiterals,
  parseSigmaString,
  plainString,
  plainText,
  type SigmaString,
  type StringPart,
  wrapStars,
} from './sigma-string.js';
import { base64, base64offset, bytesOf, utf16, windash } from './encodings.js';
import type { DetectionItem, SigmaScalar } from './types.js';

export type CompareOp = 'lt' | 'lte' | 'gt' | 'gte';
export type TimePart = 'minute' | 'hour' | 'day' | 'week' | 'month' | 'year';

/** One typed value to compare a field against. */
export type Operand =
  | { readonly kind: 'string'; readonly s: SigmaString }
  | {
      readonly kind: 'regex';
      readonly pattern: string;
      readonly i: boolean;
      readonly m: boolean;
      readonly s: boolean;
    }
  | { readonly kind: 'compare'; readonly op: CompareOp; readonly n: number }
  | { readonly kind: 'number'; readonly n: number }
  | { readonly kind: 'cidr'; readonly cidr: string }
  | {
      readonly kind: 'fieldref';
      readonly field: string;
      readonly startswith: boolean;
      readonly endswith: boolean;
    }
  | { readonly kind: 'null' }
  | { readonly kind: 'exists'; readonly want: boolean };

/** A detection item after its modifiers have been applied. */
export interface ItemSpec {
  readonly field: string | null;
  /** Outer list: the item's values, OR-linked (AND with `all`). Inner list: alternatives from an expansion, OR-linked. */
  readonly values: readonly (readonly Operand[])[];
  readonly all: boolean;
  readonly cased: boolean;
  readonly neq: boolean;
  /** Set by a time modifier: compare this part of the field's date instead of the field. */
  readonly timePart?: TimePart;
}

/** Thrown for a modifier that does not apply; `inactive` marks an unconfigured placeholder. */
export class ModifierError extends Error {
  constructor(
    message: string,
    readonly inactive = false,
  ) {
    super(message);
    this.name = 'ModifierError';
  }
}

/** Every modifier name the engine accepts (31 from the appendix plus pySigma's long flag aliases). */
export const MODIFIERS: ReadonlySet<string> = new Set([
  'contains',
  'startswith',
  'endswith',
  'all',
  'exists',
  'cased',
  'neq',
  'windash',
  're',
  'i',
  'm',
  's',
  'ignorecase',
  'multiline',
  'dotall',
  'base64',
  'base64offset',
  'utf16le',
  'utf16be',
  'utf16',
  'wide',
  'lt',
  'lte',
  'gt',
  'gte',
  'minute',
  'hour',
  'day',
  'week',
  'month',
  'year',
  'cidr',
  'expand',
  'fieldref',
]);

/** A value in flight: a raw-text-aware string, or an operand already typed. */
type Working = { readonly kind: 'str'; readonly s: SigmaString; readonly raw: string } | Operand;

/** Max variants one value may expand into (windash, base64offset, placeholders combined). */
const MAX_EXPANSION = 4096;

function toNumber(w: Working, modifier: string): number {
  if (w.kind === 'number') return w.n;
  if (w.kind === 'str' && !hasSpecial(w.s)) {
    const text = plainText(w.s).trim();
    const n = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$|^0[xX][0-9a-fA-F]+$/.test(text)
      ? Number(text)
      : Number.NaN;
    if (Number.isFinite(n)) return n;
  }
  throw new ModifierError(`"${modifier}" needs a number`);
}

function initial(value: SigmaScalar, withPlaceholders: boolean): Working {
  if (value === null) return { kind: 'null' };
  if (typeof value === 'number') return { kind: 'number', n: value };
  if (typeof value === 'boolean') {
    const text = String(value);
    return { kind: 'str', s: plainString(text), raw: text };
  }
  return { kind: 'str', s: parseSigmaString(value, withPlaceholders), raw: value };
}

/** The string a number operand matches by default (`EventID: 4688` matches `'4688'`). */
function numberAsString(n: number): Working {
  const text = String(n);
  return { kind: 'str', s: plainString(text), raw: text };
}

function resolvePlaceholders(
  s: SigmaString,
  placeholders: ReadonlyMap<string, readonly string[]>,
): SigmaString[] {
  const missing = s.parts.flatMap((p) => {
    if (typeof p !== 'object') return [];
    const values = placeholders.get(p.placeholder);
    return values === undefined || values.length === 0 ? [`%${p.placeholder}%`] : [];
  });
  if (missing.length > 0) throw new ModifierError(`${missing.join(', ')} not configured`, true);
  let variants: StringPart[][] = [[]];
  for (const p of s.parts) {
    if (typeof p === 'object') {
      const values = placeholders.get(p.placeholder) ?? [];
      const parsed = values.map((v) => parseSigmaString(v).parts);
      variants = variants.flatMap((v) => parsed.map((parts) => [...v, ...parts]));
      if (variants.length > MAX_EXPANSION) {
        throw new ModifierError(
          `placeholder %${p.placeholder}% expands into more than ${MAX_EXPANSION} values`,
        );
      }
    } else {
      for (const v of variants) v.push(p);
    }
  }
  return variants.map((parts) => fromParts(parts, s.binary));
}

interface Flags {
  all: boolean;
  cased: boolean;
  neq: boolean;
  timePart?: TimePart;
}

/**
 * Applies one modifier to one working value.
 * @returns the value's alternatives (several when the modifier expands it)
 */
function applyOne(
  mod: string,
  w: Working,
  index: number,
  flags: Flags,
  placeholders: ReadonlyMap<string, readonly string[]>,
): Working[] {
  const needString = (): Extract<Working, { kind: 'str' }> => {
    if (w.kind === 'str') return w;
    if (w.kind === 'number') return numberAsString(w.n) as Extract<Working, { kind: 'str' }>;
    throw new ModifierError(`"${mod}" applies to strings, not to ${w.kind} values`);
  };
  const needPlain = (): SigmaString => {
    const s = needString().s;
    if (hasSpecial(s))
      throw new ModifierError(`"${mod}" cannot encode a value with wildcards or placeholders`);
    return s;
  };
  const str = (s: SigmaString): Working => ({ kind: 'str', s, raw: '' });
  switch (mod) {
    case 'contains':
    case 'startswith':
    case 'endswith': {
      if (w.kind === 'regex') return [w];
      if (w.kind === 'fieldref') {
        return [
          {
            ...w,
            startswith: w.startswith || mod !== 'endswith',
            endswith: w.endswith || mod !== 'startswith',
          },
        ];
      }
      const s = needString().s;
      return [str(wrapStars(s, mod !== 'startswith', mod !== 'endswith'))];
    }
    case 'windash': {
      const variants = windash(needString().s, MAX_EXPANSION);
      if (variants === undefined)
        throw new ModifierError(`windash would expand into more than ${MAX_EXPANSION} values`);
      return variants.map(str);
    }
    case 're': {
      if (index > 0) throw new ModifierError('"re" must be the first modifier');
      if (w.kind !== 'str') throw new ModifierError('"re" needs a string pattern');
      return [{ kind: 'regex', pattern: w.raw, i: false, m: false, s: false }];
    }
    case 'i':
    case 'ignorecase':
    case 'm':
    case 'multiline':
    case 's':
    case 'dotall': {
      if (w.kind !== 'regex') throw new ModifierError(`"${mod}" is a flag of "re" and must follow it`);
      const key = mod[0] === 'i' ? 'i' : mod[0] === 'm' ? 'm' : 's';
      return [{ ...w, [key]: true }];
    }
    case 'base64':
      return [str(plainString(base64(bytesOf(needPlain()))))];
    case 'base64offset':
      return base64offset(needPlain()).map(str);
    case 'utf16le':
    case 'wide':
      return [str(mapLiterals(needString().s, (t) => utf16(t, true), true))];
    case 'utf16be':
      return [str(mapLiterals(needString().s, (t) => utf16(t, false), true))];
    case 'utf16': {
      const s = mapLiterals(needString().s, (t) => utf16(t, true), true);
      return [str(fromParts(['\xff\xfe', ...s.parts], true))];
    }
    case 'lt':
    case 'lte':
    case 'gt':
    case 'gte':
      return [{ kind: 'compare', op: mod, n: toNumber(w, mod) }];
    case 'minute':
    case 'hour':
    case 'day':
    case 'week':
    case 'month':
    case 'year':
      if (flags.timePart !== undefined && flags.timePart !== mod) {
        throw new ModifierError(`only one time modifier may apply, got "${flags.timePart}" and "${mod}"`);
      }
      flags.timePart = mod;
      return w.kind === 'compare' ? [w] : [{ kind: 'number', n: toNumber(w, mod) }];
    case 'cidr': {
      if (index > 0) throw new ModifierError('"cidr" must be the first modifier');
      return [{ kind: 'cidr', cidr: plainText(needPlain()) }];
    }
    case 'expand':
      return resolvePlaceholders(needString().s, placeholders).map(str);
    case 'fieldref': {
      const s = needPlain();
      return [{ kind: 'fieldref', field: plainText(s), startswith: false, endswith: false }];
    }
    case 'exists': {
      if (index > 0) throw new ModifierError('"exists" takes no other modifier');
      if (w.kind === 'str' && (w.raw === 'true' || w.raw === 'false'))
        return [{ kind: 'exists', want: w.raw === 'true' }];
      throw new ModifierError('"exists" needs the value true or false');
    }
    default:
      throw new ModifierError(`unknown modifier "${mod}"`);
  }
}

/**
 * Applies an item's modifiers to its values.
 *
 * @param item - the parsed detection item
 * @param placeholders - values for `%name%` placeholders (`expand`), name → Sigma strings
 * @throws ModifierError for unknown or misapplied modifiers; `inactive` for unconfigured placeholders
 */
export function applyModifiers(
  item: DetectionItem,
  placeholders: ReadonlyMap<string, readonly string[]>,
): ItemSpec {
  const flags: Flags = { all: false, cased: false, neq: false };
  const valueMods: string[] = [];
  for (const mod of item.modifiers) {
    if (!MODIFIERS.has(mod)) throw new ModifierError(`unknown modifier "${mod}"`);
    if (mod === 'all') flags.all = true;
    else if (mod === 'cased') flags.cased = true;
    else if (mod === 'neq') flags.neq = true;
    else valueMods.push(mod);
  }
  if (valueMods.includes('exists') && item.field === null) {
    throw new ModifierError('"exists" must be applied to a field');
  }
  const withPlaceholders = valueMods.includes('expand');
  const missing: string[] = [];
  const values: Operand[][] = item.values.map((raw) => {
    try {
      return applyToValue(raw);
    } catch (err) {
      // Keep going so that one diagnostic names every unconfigured placeholder of the item.
      if (err instanceof ModifierError && err.inactive) {
        missing.push(err.message);
        return [];
      }
      throw err;
    }
  });
  if (missing.length > 0) throw new ModifierError(missing.join('; '), true);
  function applyToValue(raw: SigmaScalar): Operand[] {
    let alternatives: Working[] = [initial(raw, withPlaceholders)];
    if (raw === null && valueMods.length > 0) throw new ModifierError('modifiers cannot apply to null');
    valueMods.forEach((mod, index) => {
      alternatives = alternatives.flatMap((w) => applyOne(mod, w, index, flags, placeholders));
      if (alternatives.length > MAX_EXPANSION) {
        throw new ModifierError(`value expands into more than ${MAX_EXPANSION} alternatives`);
      }
    });
    return alternatives.map((w): Operand => {
      if (w.kind === 'str') {
        if (w.s.parts.some((p) => typeof p === 'object')) {
          throw new ModifierError('"%name%" placeholders need the "expand" modifier to be resolved');
        }
        // Keyword searches look for the value anywhere in the event (pySigma: substring search).
        return { kind: 'string', s: item.field === null ? wrapStars(w.s, true, true) : w.s };
      }
      if (w.kind === 'number' && flags.timePart === undefined) {
        const s = plainString(String(w.n));
        return { kind: 'string', s: item.field === null ? wrapStars(s, true, true) : s };
      }
      return w;
    });
  }
  if (flags.cased && values.some((alts) => alts.some((o) => o.kind !== 'string' && o.kind !== 'fieldref'))) {
    throw new ModifierError('"cased" applies to string values only');
  }
  if (values.some((alts) => alts.some((o) => o.kind === 'exists')) && (flags.neq || flags.all)) {
    throw new ModifierError('"exists" takes no other modifier');
  }
  return {
    field: item.field,
    values,
    all: flags.all,
    cased: flags.cased,
    neq: flags.neq,
    timePart: flags.timePart,
  };
}
