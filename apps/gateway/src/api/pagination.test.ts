import { describe, expect, it } from 'vitest';
import { ValidationError } from '../errors.js';
import { decodeCursor, encodeCursor, pageOf } from './pagination.js';

describe('cursor pagination', () => {
  it('round-trips a (timestamp, id) position through an opaque cursor', () => {
    const position = { at: new Date('2026-11-24T10:00:00.123Z'), id: '42' };
    const cursor = encodeCursor(position);
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeCursor(cursor)).toEqual(position);
  });

  it('rejects a cursor it did not issue as a validation error naming the cursor', () => {
    for (const bad of ['nope', Buffer.from('[1,2]').toString('base64url'), Buffer.from('["x","1"]').toString('base64url')]) {
      expect(() => decodeCursor(bad)).toThrow(ValidationError);
      try {
        decodeCursor(bad);
      } catch (error) {
        expect((error as ValidationError).field).toBe('cursor');
      }
    }
  });

  it('rejects a well-formed cursor whose id does not fit the table\'s key', () => {
    const cursor = encodeCursor({ at: new Date(), id: 'abc' });
    expect(() => decodeCursor(cursor, /^\d+$/)).toThrow(ValidationError);
    expect(decodeCursor(cursor).id).toBe('abc');
  });

  it('returns a next cursor only when more rows exist than the limit', () => {
    const rows = [3, 2, 1].map((n) => ({ at: new Date(n * 1000), id: String(n) }));
    expect(pageOf(rows, 3, (row) => row)).toEqual({ rows, nextCursor: null });
    const page = pageOf(rows, 2, (row) => row);
    expect(page.rows).toHaveLength(2);
    expect(decodeCursor(page.nextCursor!)).toEqual({ at: new Date(2000), id: '2' });
  });
});
