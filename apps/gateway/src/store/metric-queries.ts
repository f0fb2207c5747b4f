// Reads of the per-minute metric buckets the ingest writes: counts summed over
// wider buckets for long windows, runtime histograms added element-wise (their
// bounds are fixed, see ingest/runtime-histogram.ts) and read as percentiles.
// Past the metric retention the minutes are rolled up into hours
// (metric_buckets_hourly, see retention/rollup.ts) and deleted in the same
// statement, so every read takes both tables: a window reaching back beyond
// the retention is one seamless series, each task counted once. A rolled-up
// hour counts in the step holding its start (steps of windows that long are
// an hour or wider).
import type { PrismaClient } from '../generated/prisma/client.js';
import { emptyHistogram, percentile } from '../ingest/runtime-histogram.js';

/** A metric bucket's counts (columns of metric_buckets). */
export interface BucketCounts {
  received: number;
  started: number;
  succeeded: number;
  failed: number;
  retried: number;
  revoked: number;
}

export interface MetricTotals extends BucketCounts {
  failureRate: number | null;
  runtimeP50: number | null;
  runtimeP95: number | null;
  runtimeP99: number | null;
  runtimeMax: number | null;
}

export interface MetricPoint extends MetricTotals {
  at: Date;
}

interface Accumulator extends BucketCounts {
  runtimeMax: number | null;
  histogram: number[];
}

const emptyAccumulator = (): Accumulator => ({ received: 0, started: 0, succeeded: 0, failed: 0, retried: 0, revoked: 0, runtimeMax: null, histogram: emptyHistogram() });

function add(into: Accumulator, from: Accumulator): void {
  into.received += from.received;
  into.started += from.started;
  into.succeeded += from.succeeded;
  into.failed += from.failed;
  into.retried += from.retried;
  into.revoked += from.revoked;
  if (from.runtimeMax !== null) into.runtimeMax = into.runtimeMax === null ? from.runtimeMax : Math.max(into.runtimeMax, from.runtimeMax);
  for (let i = 0; i < into.histogram.length; i++) into.histogram[i] = (into.histogram[i] ?? 0) + (from.histogram[i] ?? 0);
}

function totalsOf(acc: Accumulator): MetricTotals {
  const finished = acc.succeeded + acc.failed;
  const { runtimeMax: _max, histogram: _histogram, ...counts } = acc;
  return {
    ...counts,
    failureRate: finished === 0 ? null : acc.failed / finished,
    runtimeP50: percentile(acc.histogram, 0.5, acc.runtimeMax),
    runtimeP95: percentile(acc.histogram, 0.95, acc.runtimeMax),
    runtimeP99: percentile(acc.histogram, 0.99, acc.runtimeMax),
    runtimeMax: acc.runtimeMax,
  };
}

export interface MetricRange {
  from: Date;
  /** Exclusive. */
  to: Date;
  stepSeconds: number;
  name?: string | undefined;
  queue?: string | undefined;
}

interface BucketRow extends BucketCounts {
  at: Date;
  runtime_max: number | null;
  runtime_histogram: number[];
}

/** Every step of the range, oldest first, zeros where no bucket exists, and the totals. */
export async function metricSeries(prisma: PrismaClient, range: MetricRange): Promise<{ points: MetricPoint[]; totals: MetricTotals }> {
  const params: unknown[] = [range.from, range.to, range.stepSeconds];
  const filters: string[] = [];
  if (range.name !== undefined) filters.push(` AND task_name = $${params.push(range.name)}`);
  if (range.queue !== undefined) filters.push(` AND queue = $${params.push(range.queue)}`);
  const select = (table: string, time: string) =>
    `SELECT date_bin(make_interval(secs => $3::int), ${time}, $1::timestamptz) AS at, received, started, succeeded, failed,
            retried, revoked, runtime_max, runtime_histogram
       FROM ${table} WHERE ${time} >= $1::timestamptz AND ${time} < $2::timestamptz${filters.join('')}`;
  // The rows of one step are few (task names × queues × minutes or hours of a
  // step), so histograms are added here rather than by unnesting arrays in SQL.
  const rows = await prisma.$queryRawUnsafe<BucketRow[]>(
    `${select('metric_buckets', 'minute')}
     UNION ALL
     ${select('metric_buckets_hourly', 'hour')}`,
    ...params,
  );
  const steps = Math.ceil((range.to.getTime() - range.from.getTime()) / (range.stepSeconds * 1_000));
  const accumulators = Array.from({ length: steps }, emptyAccumulator);
  const total = emptyAccumulator();
  for (const row of rows) {
    const index = Math.floor((row.at.getTime() - range.from.getTime()) / (range.stepSeconds * 1_000));
    const acc = accumulators[index];
    if (!acc) continue;
    const value: Accumulator = {
      received: row.received,
      started: row.started,
      succeeded: row.succeeded,
      failed: row.failed,
      retried: row.retried,
      revoked: row.revoked,
      runtimeMax: row.runtime_max,
      histogram: row.runtime_histogram,
    };
    add(acc, value);
    add(total, value);
  }
  return {
    points: accumulators.map((acc, i) => ({ at: new Date(range.from.getTime() + i * range.stepSeconds * 1_000), ...totalsOf(acc) })),
    totals: totalsOf(total),
  };
}

/** Totals of a time span (no points). */
export async function metricTotals(prisma: PrismaClient, from: Date, to: Date): Promise<MetricTotals> {
  const stepSeconds = Math.max(60, Math.ceil((to.getTime() - from.getTime()) / 1_000));
  return (await metricSeries(prisma, { from, to, stepSeconds })).totals;
}

/** The task names with the most failures since `from` (minutes and hourly rollups alike). */
export async function topFailing(prisma: PrismaClient, from: Date, limit: number): Promise<{ name: string; failed: number; succeeded: number; failureRate: number | null }[]> {
  const rows = await prisma.$queryRawUnsafe<{ name: string; failed: number; succeeded: number }[]>(
    `SELECT task_name AS name, sum(failed)::int AS failed, sum(succeeded)::int AS succeeded
       FROM (SELECT task_name, failed, succeeded FROM metric_buckets WHERE minute >= $1::timestamptz
             UNION ALL
             SELECT task_name, failed, succeeded FROM metric_buckets_hourly WHERE hour >= $1::timestamptz) AS buckets
      GROUP BY task_name HAVING sum(failed) > 0
      ORDER BY sum(failed) DESC, task_name LIMIT $2`,
    from,
    limit,
  );
  return rows.map((row) => ({ ...row, failureRate: row.failed + row.succeeded === 0 ? null : row.failed / (row.failed + row.succeeded) }));
}
