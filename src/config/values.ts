/**
 * Parsers for setting values (flags, environment, YAML), each naming the setting in its error.
 */
import { ErrorCodes, VigilError } from '../errors.js';

export type Raw = string | number | boolean | readonly string[] | undefined;

export function bad(name: string, why: string): VigilError {
  return new VigilError(ErrorCodes.CONFIG, `${name}: ${why}`);
}

export function int(min: number, max: number, fallback: number) {
  return (v: Raw, name: string): number => {
    if (v === undefined || v === '') return fallback;
    const n = typeof v === 'number' ? v : Number(String(v).trim());
    if (!Number.isInteger(n) || n < min || n > max)
      throw bad(name, `expected an integer from ${min} to ${max}, got "${String(v)}"`);
    return n;
  };
}

export function text(fallback: string | undefined) {
  return (v: Raw, name: string): string | undefined => {
    if (v === undefined || v === '') return fallback;
    if (typeof v !== 'string') throw bad(name, `expected text, got ${JSON.stringify(v)}`);
    return v;
  };
}

export function url(protocols: readonly string[]) {
  return (v: Raw, name: string): string | undefined => {
    const s = text(undefined)(v, name);
    if (s === undefined) return undefined;
    let u: URL;
    try {
      u = new URL(s);
    } catch {
      throw bad(name, 'not a URL');
    }
    if (!protocols.includes(u.protocol)) throw bad(name, `expected a ${protocols.join(' or ')} URL`);
    return s;
  };
}

export function list(v: Raw, name: string): string[] {
  if (v === undefined || v === '') return [];
  if (typeof v === 'string') return v.split(':').filter((s) => s !== '');
  if (Array.isArray(v) && v.every((s) => typeof s === 'string')) return [...(v as string[])];
  throw bad(name, 'expected a list of directories');
}

export function bool(fallback: boolean) {
  return (v: Raw, name: string): boolean => {
    if (v === undefined || v === '') return fallback;
    if (typeof v === 'boolean') return v;
    const s = String(v).toLowerCase();
    if (['1', 'true', 'yes', 'on'].includes(s)) return true;
    if (['0', 'false', 'no', 'off'].includes(s)) return false;
    throw bad(name, `expected true or false, got "${String(v)}"`);
  };
}

export function timezone(v: Raw, name: string): string {
  const s = text('UTC')(v, name)!;
  try {
    new Intl.DateTimeFormat('en', { timeZone: s });
  } catch {
    throw bad(name, `unknown time zone "${s}"`);
  }
  return s;
}

export function float(min: number, max: number, fallback: number) {
  return (v: Raw, name: string): number => {
    if (v === undefined || v === '') return fallback;
    const n = typeof v === 'number' ? v : Number(String(v).trim());
    if (!Number.isFinite(n) || n < min || n > max)
      throw bad(name, `expected a number from ${min} to ${max}, got "${String(v)}"`);
    return n;
  };
}

/** A comma-separated list (or a YAML sequence) of non-empty strings. */
export function commaList(v: Raw, name: string): string[] {
  if (v === undefined || v === '') return [];
  if (typeof v === 'string')
    return v
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '');
  if (Array.isArray(v) && v.every((s) => typeof s === 'string')) return [...(v as string[])];
  throw bad(name, 'expected a comma-separated list');
}
