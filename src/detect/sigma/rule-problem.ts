/**
 * The problem a rule document can have while being parsed, and the helpers parse stages share.
 */
import { ErrorCodes, errorMessage } from '../../errors.js';
import type { DiagnosticSeverity, SigmaScalar } from './types.js';

/** Raised while parsing to abort one document with a diagnostic. */
export class RuleProblem extends Error {
  constructor(
    readonly severity: DiagnosticSeverity,
    readonly code: string,
    message: string,
    readonly path?: (string | number)[],
  ) {
    super(message);
  }
}

export type Json = SigmaScalar | Json[] | { [key: string]: Json };

export function isObject(v: unknown): v is Record<string, Json> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function isScalar(v: unknown): v is SigmaScalar {
  return v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';
}

export function invalid(message: string, path?: (string | number)[]): RuleProblem {
  return new RuleProblem(
    'error',
    ErrorCodes.RULE_INVALID.code,
    errorMessage(ErrorCodes.RULE_INVALID, message),
    path,
  );
}

export function pathText(path: readonly (string | number)[]): string {
  return path
    .map((p) => (typeof p === 'number' ? `[${p}]` : p))
    .join('.')
    .replace(/\.\[/g, '[');
}
