// The runtime histogram of metric buckets: fixed bounds (seconds), so buckets of
// any minute, task and queue add up element-wise, and percentiles are read from
// the counts (the upper bound of the bucket holding the rank, capped at the max).

/** Upper bounds in seconds; the last bucket is everything above the last bound. */
export const RUNTIME_BOUNDS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300] as const;

export function emptyHistogram(): number[] {
  return new Array<number>(RUNTIME_BOUNDS.length + 1).fill(0);
}

export function bucketOf(seconds: number): number {
  const index = RUNTIME_BOUNDS.findIndex((bound) => seconds <= bound);
  return index === -1 ? RUNTIME_BOUNDS.length : index;
}

/** The p-th percentile (0..1) of the histogram, or null when it is empty. */
export function percentile(histogram: readonly number[], p: number, max: number | null): number | null {
  return histogramPercentile(RUNTIME_BOUNDS, histogram, p, max);
}

/**
 * The p-th percentile (0..1) of a histogram over `bounds` (the last bin is
 * everything above the last bound): the upper bound of the bin holding the
 * rank, capped at `max`; null when the histogram is empty.
 */
export function histogramPercentile(bounds: readonly number[], histogram: readonly number[], p: number, max: number | null): number | null {
  const total = histogram.reduce((sum, count) => sum + count, 0);
  if (total === 0) return null;
  const rank = Math.max(1, Math.ceil(p * total));
  let seen = 0;
  for (let i = 0; i < histogram.length; i++) {
    seen += histogram[i] ?? 0;
    if (seen >= rank) {
      const bound = bounds[i] ?? max ?? bounds[bounds.length - 1]!;
      return max === null ? bound : Math.min(bound, max);
    }
  }
  return max;
}
