import { describe, expect, it } from 'vitest';
import { ConfigError } from '../errors.js';
import {
  instantOfLocal,
  isTimeZone,
  listTimeZones,
  offsetMsAt,
  resolveLocalTime,
  resolveTimeZone,
  wallClockOf,
} from './timezone.js';

const HOUR = 3_600_000;

describe('resolveTimeZone', () => {
  it('accepts IANA names and returns the canonical spelling', () => {
    expect(resolveTimeZone('Europe/London')).toBe('Europe/London');
    expect(resolveTimeZone('europe/london')).toBe('Europe/London');
    expect(resolveTimeZone('UTC')).toBe('UTC');
    expect(resolveTimeZone('Etc/UTC')).toBe('UTC');
    expect(isTimeZone('America/New_York')).toBe(true);
  });

  it('rejects unknown zones with a ConfigError naming the field', () => {
    expect(() => resolveTimeZone('Mars/Olympus_Mons', 'beatSchedule.x.timezone')).toThrow(ConfigError);
    expect(() => resolveTimeZone('Mars/Olympus_Mons', 'beatSchedule.x.timezone')).toThrow(
      /^beatSchedule.x.timezone: "Mars\/Olympus_Mons" is not a known IANA time zone/,
    );
    expect(() => resolveTimeZone('')).toThrow(/timezone must be an IANA time zone name/);
    expect(isTimeZone('Not/AZone')).toBe(false);
  });

  it('lists zones for pickers with UTC first', () => {
    const zones = listTimeZones();
    expect(zones[0]).toBe('UTC');
    expect(zones).toContain('Europe/London');
  });
});

describe('wall clock and offsets', () => {
  it('reads the wall clock of an instant in a zone', () => {
    expect(wallClockOf(new Date('2026-07-01T12:34:56Z'), 'Europe/London')).toEqual({
      year: 2026,
      month: 7,
      day: 1,
      hour: 13,
      minute: 34,
      second: 56,
      weekday: 3,
    });
    expect(wallClockOf(new Date('2026-01-01T03:00:00Z'), 'America/New_York')).toMatchObject({
      year: 2025,
      month: 12,
      day: 31,
      hour: 22,
    });
    expect(wallClockOf(new Date('2026-01-01T00:00:00Z'), 'Asia/Kolkata')).toMatchObject({
      hour: 5,
      minute: 30,
    });
  });

  it('gives the offset in force at an instant', () => {
    expect(offsetMsAt(Date.parse('2026-01-15T12:00:00Z'), 'Europe/London')).toBe(0);
    expect(offsetMsAt(Date.parse('2026-07-15T12:00:00Z'), 'Europe/London')).toBe(HOUR);
    expect(offsetMsAt(Date.parse('2026-07-15T12:00:00Z'), 'America/New_York')).toBe(-4 * HOUR);
    expect(offsetMsAt(Date.parse('2026-07-15T12:00:00Z'), 'Pacific/Chatham')).toBe(12.75 * HOUR);
  });
});

describe('resolveLocalTime', () => {
  it('maps an ordinary wall-clock time to its one instant', () => {
    expect(resolveLocalTime(Date.UTC(2026, 6, 1, 8, 0), 'Europe/Paris')).toEqual({
      kind: 'exact',
      instants: [Date.parse('2026-07-01T06:00:00Z')],
    });
  });

  it('finds both instants of a time repeated when the clocks go back, earlier first', () => {
    expect(resolveLocalTime(Date.UTC(2026, 10, 1, 1, 30), 'America/New_York')).toEqual({
      kind: 'overlap',
      instants: [Date.parse('2026-11-01T05:30:00Z'), Date.parse('2026-11-01T06:30:00Z')],
    });
    expect(resolveLocalTime(Date.UTC(2026, 9, 25, 1, 30), 'Europe/London')).toEqual({
      kind: 'overlap',
      instants: [Date.parse('2026-10-25T00:30:00Z'), Date.parse('2026-10-25T01:30:00Z')],
    });
  });

  it('reports a time skipped when the clocks go forward, with the instant of the jump', () => {
    expect(resolveLocalTime(Date.UTC(2026, 2, 8, 2, 30), 'America/New_York')).toEqual({
      kind: 'gap',
      instants: [],
      transition: Date.parse('2026-03-08T07:00:00Z'),
    });
    expect(resolveLocalTime(Date.UTC(2026, 2, 29, 1, 0), 'Europe/London')).toEqual({
      kind: 'gap',
      instants: [],
      transition: Date.parse('2026-03-29T01:00:00Z'),
    });
    // Samoa skipped all of 2011-12-30.
    expect(resolveLocalTime(Date.UTC(2011, 11, 30, 12, 0), 'Pacific/Apia')).toMatchObject({
      kind: 'gap',
      transition: Date.parse('2011-12-30T10:00:00Z'),
    });
  });

  it('instantOfLocal takes the first occurrence of a repeated time and the jump for a skipped one', () => {
    expect(
      instantOfLocal(
        { year: 2026, month: 11, day: 1, hour: 1, minute: 30 },
        'America/New_York',
      ).toISOString(),
    ).toBe('2026-11-01T05:30:00.000Z');
    expect(
      instantOfLocal({ year: 2026, month: 3, day: 8, hour: 2, minute: 30 }, 'America/New_York').toISOString(),
    ).toBe('2026-03-08T07:00:00.000Z');
    expect(instantOfLocal({ year: 2026, month: 12, day: 1, hour: 9, minute: 0 }, 'UTC').toISOString()).toBe(
      '2026-12-01T09:00:00.000Z',
    );
  });
});
