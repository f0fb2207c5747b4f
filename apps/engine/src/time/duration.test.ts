import { describe, expect, it } from 'vitest';
import { ConfigError } from '../errors.js';
import { formatMs, toMs } from './duration.js';

describe('toMs', () => {
  it('reads numbers as milliseconds and strings by their unit', () => {
    expect(toMs(250)).toBe(250);
    expect(toMs('500ms')).toBe(500);
    expect(toMs('30s')).toBe(30_000);
    expect(toMs('5m')).toBe(300_000);
    expect(toMs('1.5h')).toBe(5_400_000);
    expect(toMs('2d')).toBe(172_800_000);
  });

  it('names the field and the bad value in its error', () => {
    expect(() => toMs('5 minutes', 'countdown')).toThrow(ConfigError);
    expect(() => toMs('5 minutes', 'countdown')).toThrow(/countdown .*"5 minutes"/);
    expect(() => toMs(-1, 'expires')).toThrow(/expires must be a non-negative/);
    expect(() => toMs(Number.NaN, 'timeLimit')).toThrow(/timeLimit/);
  });
});

describe('formatMs', () => {
  it('writes durations the way people say them', () => {
    expect(formatMs(400)).toBe('400ms');
    expect(formatMs(90_000)).toBe('1m 30s');
    expect(formatMs(3_600_000)).toBe('1h');
    expect(formatMs(90_061_000)).toBe('1d 1h 1m 1s');
  });
});
