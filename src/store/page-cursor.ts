/**
 * Keyset pagination cursors: an opaque base64url token of the last row's sort value (a
 * timestamp) and id, so the next page continues strictly after it.
 */
import { type RawBuilder, type SqlBool, sql } from 'kysely';
import { ErrorCodes, VigilError } from '../errors.js';

export function encodePageCursor(value: Date, id: number): string {
  return Buffer.from(`${value.toISOString()}|${id}`).toString('base64url');
}

/**
 * @returns the sort value (ISO text) and id the cursor carries
 * @throws VigilError `VIGIL_ERR_BAD_REQUEST` (400) for a token this store did not issue
 */
export function decodePageCursor(cursor: string): { value: string; id: number } {
  const [v, id] = Buffer.from(cursor, 'base64url').toString('utf8').split('|');
  const n = Number(id);
  if (!v || !/^\d{4}-/.test(v) || Number.isNaN(Date.parse(v)) || !Number.isSafeInteger(n) || n < 0)
    throw new VigilError(ErrorCodes.BAD_REQUEST, 'invalid cursor');
  return { value: v, id: n };
}

/**
 * The keyset condition "strictly after the cursor's row" for a page sorted by `(column, id)`:
 * the row-value comparison `(column, id) > (value, id)` (`<` for descending order), which a
 * btree index on `(column, id)` serves.
 * @param column - the sort column (a timestamp)
 */
export function afterCursor(
  column: string,
  order: 'asc' | 'desc',
  after: { value: string; id: number },
): RawBuilder<SqlBool> {
  const cmp = sql.raw(order === 'desc' ? '<' : '>');
  return sql<SqlBool>`(${sql.ref(column)}, id) ${cmp} (${new Date(after.value)}, ${after.id})`;
}
