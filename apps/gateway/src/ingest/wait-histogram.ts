// The wait-time histogram of metric buckets: how long a task waited between
// being sent and its first start. Bins are fixed and log-scale (each bound √2
// times the one before, from 1 ms to about 9 days), so the histograms of any
// minutes, task names, queues and hourly rollups add up element-wise and their
// percentiles can be read after merging. A percentile is the upper bound of
// the bin holding its rank, capped at the largest wait seen: at most √2 (41 %)
// above the true value, never below it.
import { histogramPercentile } from './runtime-histogram.js';

const FIRST_BOUND_SECONDS = 0.001;
const BIN_COUNT = 60;

/** Upper bounds in seconds; the last bin (index WAIT_BOUNDS.length) is everything above the last bound. */
export const WAIT_BOUNDS: readonly number[] = Array.from({ length: BIN_COUNT }, (_, i) => Number((FIRST_BOUND_SECONDS * Math.SQRT2 ** i).toPrecision(6)));

export function emptyWaitHistogram(): number[] {
  return new Array<number>(WAIT_BOUNDS.length + 1).fill(0);
}

/** The bin index of a wait of `seconds` (negative waits, from clocks apart, count as zero). */
export function waitBinOf(seconds: number): number {
  if (!(seconds > FIRST_BOUND_SECONDS)) return 0;
  // log base √2 of seconds / first bound, rounded up; the loop corrects rounding at a bound.
  let index = Math.ceil(Math.log2(seconds / FIRST_BOUND_SECONDS) * 2);
  while (index > 0 && seconds <= WAIT_BOUNDS[index - 1]!) index--;
  while (index < WAIT_BOUNDS.length && seconds > WAIT_BOUNDS[index]!) index++;
  return Math.min(index, WAIT_BOUNDS.length);
}

/** Adds `from` into `into` element-wise (a stored array may be shorter, or empty for rows from before the column existed). */
export function addWaitHistogram(into: number[], from: readonly number[] | null | undefined): void {
  if (!from) return;
  for (let i = 0; i < into.length; i++) into[i] = (into[i] ?? 0) + (from[i] ?? 0);
}

export function waitCount(histogram: readonly number[]): number {
  let total = 0;
  for (const count of histogram) total += count;
  return total;
}

/** The p-th percentile (0..1) of a wait histogram in seconds, or null when it is empty. */
export function waitPercentile(histogram: readonly number[], p: number, max: number | null): number | null {
  return histogramPercentile(WAIT_BOUNDS, histogram, p, max);
}
