// Keyset pagination over (timestamp, id), newest first. The cursor is opaque to
// clients: base64url of the last row's timestamp and id, so a page never skips or
// repeats rows when new ones arrive while someone pages.
import { ValidationError } from '../errors.js';

export interface CursorPosition {
  at: Date;
  id: string;
}

export function encodeCursor(position: CursorPosition): string {
  return Buffer.from(JSON.stringify([position.at.toISOString(), position.id]), 'utf8').toString('base64url');
}

export const UUID_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const BIGINT_ID = /^\d{1,19}$/;

/** Decodes a cursor; `idPattern` rejects ids the table's key type would not accept (a 400, not a database error). */
export function decodeCursor(cursor: string, idPattern?: RegExp): CursorPosition {
  const invalid = () => new ValidationError('cursor: is not a cursor this API issued', 'cursor', [{ path: 'query.cursor', message: 'invalid cursor' }]);
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalid();
  }
  if (!Array.isArray(decoded) || decoded.length !== 2) throw invalid();
  const [at, id] = decoded as unknown[];
  if (typeof at !== 'string' || typeof id !== 'string' || id.length === 0 || id.length > 100) throw invalid();
  if (idPattern && !idPattern.test(id)) throw invalid();
  const date = new Date(at);
  if (Number.isNaN(date.getTime())) throw invalid();
  return { at: date, id };
}

/**
 * Cuts a page fetched with `limit + 1` rows (ordered newest first) and returns
 * the rows to show and the cursor of the next page, or null on the last one.
 */
export function pageOf<Row>(rows: Row[], limit: number, position: (row: Row) => CursorPosition): { rows: Row[]; nextCursor: string | null } {
  if (rows.length <= limit) return { rows, nextCursor: null };
  const shown = rows.slice(0, limit);
  const last = shown[shown.length - 1];
  return { rows: shown, nextCursor: last === undefined ? null : encodeCursor(position(last)) };
}
