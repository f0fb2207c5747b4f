import { describe, expect, it } from 'vitest';
import { formatKombu52Datetime, formatPythonDatetime, parsePythonDatetime } from './python-datetime.js';

describe('parsePythonDatetime', () => {
  it('reads the forms Celery and kombu write: +00:00, Z, other offsets, and naive as UTC', () => {
    expect(parsePythonDatetime('2026-12-05T15:18:21.523555+00:00')?.toISOString()).toBe(
      '2026-12-05T15:18:21.523Z',
    );
    expect(parsePythonDatetime('2026-01-02T03:04:05.123456Z')?.toISOString()).toBe(
      '2026-01-02T03:04:05.123Z',
    );
    expect(parsePythonDatetime('2026-01-02T03:04:05-05:30')?.toISOString()).toBe('2026-01-02T08:34:05.000Z');
    // Celery 5.2.6 date_done and kombu 5.2's date arguments carry no offset; a 5.2.6 worker reads naive as UTC.
    expect(parsePythonDatetime('2026-12-05T15:17:59.562847')?.toISOString()).toBe('2026-12-05T15:17:59.562Z');
    expect(parsePythonDatetime('2026-01-02T00:00:00')?.toISOString()).toBe('2026-01-02T00:00:00.000Z');
  });

  it('keeps years below 100 (Date.UTC would turn 0042 into 1942)', () => {
    expect(parsePythonDatetime('0042-03-04T05:06:07')?.getUTCFullYear()).toBe(42);
  });

  it('refuses what is not a Python datetime', () => {
    for (const text of [
      '2026-01-02',
      '03:04:05',
      '2026-02-30T00:00:00',
      '2026-01-02T25:00:00',
      '2026-01-02 03:04:05',
      'tomorrow',
      '2026-01-02T03:04:05.1234567',
    ]) {
      expect(parsePythonDatetime(text), text).toBeUndefined();
    }
  });
});

describe('formatting', () => {
  const date = new Date('2026-11-24T12:25:19.715Z');

  it('writes six fraction digits and an explicit offset, which Celery 5.2.6 reads back exactly', () => {
    // celery/utils/iso8601.py reads the fraction as microseconds: ".715" would come back as 715 µs.
    expect(formatPythonDatetime(date)).toBe('2026-11-24T12:25:19.715000+00:00');
    expect(parsePythonDatetime(formatPythonDatetime(date))?.getTime()).toBe(date.getTime());
  });

  it("writes kombu 5.2's datetime form: isoformat with Z, no fraction when it is zero", () => {
    expect(formatKombu52Datetime(date)).toBe('2026-11-24T12:25:19.715000Z');
    expect(formatKombu52Datetime(new Date('2026-11-24T12:25:19Z'))).toBe('2026-11-24T12:25:19Z');
  });
});
