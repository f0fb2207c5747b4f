import { describe, expect, it } from 'vitest';
import { retryDelayMs } from './backoff.js';

describe('retryDelayMs', () => {
  it('uses defaultRetryDelay when backoff is off', () => {
    expect(retryDelayMs({ defaultRetryDelay: '60s' }, 2)).toBe(60_000);
  });
  it('doubles a base delay per retry and caps it at retryBackoffMax', () => {
    const p = { retryBackoff: '1s' as const, retryBackoffMax: '5s' as const, retryJitter: false };
    expect([0, 1, 2, 3, 4].map((r) => retryDelayMs(p, r))).toEqual([1000, 2000, 4000, 5000, 5000]);
  });
  it('applies full jitter between zero and the backoff delay', () => {
    expect(retryDelayMs({ retryBackoff: true }, 3, () => 0.5)).toBe(4000);
    expect(retryDelayMs({ retryBackoff: true }, 3, () => 0)).toBe(0);
  });
});
