/** Test helpers for decoder results. */
import { expect } from 'vitest';
import { FieldEvent } from '../../../src/pipeline/decoders/field-event.js';
import { type DecodeResult, isDecodeFailure } from '../../../src/pipeline/decoders/text.js';
import type { DecodedEvent } from '../../../src/pipeline/decoders/types.js';

/** The event of a decode result; fails the test for `null`, `undefined` or a failure. */
export function decoded(result: DecodeResult | DecodedEvent | undefined): FieldEvent {
  if (result === null || result === undefined) throw new Error('expected an event, got no result');
  if (isDecodeFailure(result)) throw new Error(`expected an event, got failure: ${result.error}`);
  expect(result).toBeInstanceOf(FieldEvent);
  return result as FieldEvent;
}

/** The failure reason of a decode result; fails the test for an event or `null`. */
export function failure(result: DecodeResult): string {
  if (result === null || !isDecodeFailure(result)) throw new Error('expected a DecodeFailure');
  return result.error;
}

/** True when a decode result is an event, `null` or a failure with a non-empty reason. */
export function isWellFormed(result: DecodeResult | DecodedEvent | undefined): boolean {
  if (result === null || result === undefined) return true;
  if (isDecodeFailure(result)) return result.error.length > 0;
  result.ecs();
  return result.keywordValues().length >= 0 && typeof result.decoder === 'string';
}
