import { describe, expect, it } from 'vitest';
import { addWaitHistogram, emptyWaitHistogram, WAIT_BOUNDS, waitBinOf, waitPercentile } from './wait-histogram.js';

describe('wait histogram', () => {
  it('has log-scale bounds from 1 ms past a week', () => {
    expect(WAIT_BOUNDS[0]).toBe(0.001);
    for (let i = 1; i < WAIT_BOUNDS.length; i++) expect(WAIT_BOUNDS[i]! / WAIT_BOUNDS[i - 1]!).toBeCloseTo(Math.SQRT2, 4);
    expect(WAIT_BOUNDS.at(-1)!).toBeGreaterThan(7 * 86_400);
  });

  it('puts a wait in the first bin whose bound holds it', () => {
    expect(waitBinOf(-3)).toBe(0);
    expect(waitBinOf(0)).toBe(0);
    expect(waitBinOf(0.001)).toBe(0);
    expect(waitBinOf(0.0011)).toBe(1);
    for (const [i, bound] of WAIT_BOUNDS.entries()) {
      expect(waitBinOf(bound)).toBe(i);
      expect(waitBinOf(bound * 1.0001)).toBe(i + 1);
    }
    expect(waitBinOf(1e9)).toBe(WAIT_BOUNDS.length);
  });

  it('reads percentiles of merged histograms, never below the true value and within √2 of it', () => {
    const a = emptyWaitHistogram();
    const b = emptyWaitHistogram();
    // 1..100 seconds, split across two histograms.
    for (let s = 1; s <= 100; s++) (s % 2 ? a : b)[waitBinOf(s)]! += 1;
    const merged = emptyWaitHistogram();
    addWaitHistogram(merged, a);
    addWaitHistogram(merged, b);
    for (const [p, truth] of [[0.5, 50], [0.95, 95], [0.99, 99]] as const) {
      const read = waitPercentile(merged, p, 100)!;
      expect(read).toBeGreaterThanOrEqual(truth);
      expect(read).toBeLessThanOrEqual(truth * Math.SQRT2);
    }
    expect(waitPercentile(merged, 1, 100)).toBe(100);
    expect(waitPercentile(emptyWaitHistogram(), 0.5, null)).toBeNull();
  });
});
