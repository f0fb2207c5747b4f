// Rollups: per-minute rows past the metric retention become hourly rows.
//
// One statement per hour of one table: it deletes the hour's minute rows and
// adds their sums into the hourly row (RETURNING feeds the INSERT), so a reader
// sees every count exactly once, in the minute table or in the hourly one, and
// two gateways running retention at once cannot roll a minute up twice (the
// second one's DELETE finds the rows gone). A minute row written late, into an
// hour already rolled up, is added to that hour by the next pass.
// Histograms add element-wise: arrays of different lengths (rows written
// before a histogram column existed are empty) are padded with zeros.
import type { PrismaClient } from '../generated/prisma/client.js';

/** `date_bin` on UTC hours, whatever the session's time zone. */
const HOUR = (column: string) => `date_bin('1 hour', ${column}, TIMESTAMPTZ '2000-01-01 00:00:00+00')`;

/** Element-wise sum of one int[] column over the rows of `source` grouped by `keys`. */
function histogramSum(source: string, keys: string, column: string): string {
  return `(SELECT ${keys}, array_agg(total ORDER BY i) AS ${column}
             FROM (SELECT ${keys}, u.i, sum(u.v)::int AS total
                     FROM ${source}, unnest(${source}.${column}) WITH ORDINALITY AS u(v, i)
                    GROUP BY ${keys}, u.i) AS bins
            GROUP BY ${keys})`;
}

/** Element-wise sum of two int[] values. */
const addArrays = (a: string, b: string) => `ARRAY(SELECT COALESCE(x, 0) + COALESCE(y, 0) FROM unnest(COALESCE(${a}, '{}'::int[]), COALESCE(${b}, '{}'::int[])) AS t(x, y))`;

const METRIC_BUCKETS = `
WITH moved AS (
  DELETE FROM metric_buckets WHERE minute >= $1 AND minute < $1 + interval '1 hour' RETURNING *
), sums AS (
  SELECT task_name, queue, sum(received)::int AS received, sum(started)::int AS started, sum(succeeded)::int AS succeeded,
         sum(failed)::int AS failed, sum(retried)::int AS retried, sum(revoked)::int AS revoked,
         sum(runtime_sum) AS runtime_sum, max(runtime_max) AS runtime_max, sum(wait_sum) AS wait_sum, max(wait_max) AS wait_max, count(*) AS rows
    FROM moved GROUP BY task_name, queue
), runtimes AS ${histogramSum('moved', 'task_name, queue', 'runtime_histogram')},
   waits AS ${histogramSum('moved', 'task_name, queue', 'wait_histogram')},
   written AS (
  INSERT INTO metric_buckets_hourly AS h (hour, task_name, queue, received, started, succeeded, failed, retried, revoked,
                                         runtime_sum, runtime_max, runtime_histogram, wait_sum, wait_max, wait_histogram)
  SELECT $1, s.task_name, s.queue, s.received, s.started, s.succeeded, s.failed, s.retried, s.revoked,
         s.runtime_sum, s.runtime_max, COALESCE(r.runtime_histogram, '{}'), s.wait_sum, s.wait_max, COALESCE(w.wait_histogram, '{}')
    FROM sums s
    LEFT JOIN runtimes r USING (task_name, queue)
    LEFT JOIN waits w USING (task_name, queue)
  ON CONFLICT (hour, task_name, queue) DO UPDATE SET
    received = h.received + EXCLUDED.received, started = h.started + EXCLUDED.started, succeeded = h.succeeded + EXCLUDED.succeeded,
    failed = h.failed + EXCLUDED.failed, retried = h.retried + EXCLUDED.retried, revoked = h.revoked + EXCLUDED.revoked,
    runtime_sum = h.runtime_sum + EXCLUDED.runtime_sum, runtime_max = GREATEST(h.runtime_max, EXCLUDED.runtime_max),
    runtime_histogram = ${addArrays('h.runtime_histogram', 'EXCLUDED.runtime_histogram')},
    wait_sum = h.wait_sum + EXCLUDED.wait_sum, wait_max = GREATEST(h.wait_max, EXCLUDED.wait_max),
    wait_histogram = ${addArrays('h.wait_histogram', 'EXCLUDED.wait_histogram')}
)
SELECT COALESCE(sum(rows), 0)::int AS moved FROM sums`;

const QUEUE_SAMPLES = `
WITH moved AS (
  DELETE FROM queue_samples WHERE minute >= $1 AND minute < $1 + interval '1 hour' RETURNING *
), sums AS (
  SELECT cluster, queue, count(*)::int AS samples, sum(ready)::float8 AS ready_sum, max(ready) AS ready_max,
         sum(delayed)::float8 AS delayed_sum, max(delayed) AS delayed_max, sum(reserved)::float8 AS reserved_sum,
         max(reserved) AS reserved_max, max(oldest_age) AS oldest_age_max
    FROM moved GROUP BY cluster, queue
), written AS (
  INSERT INTO queue_samples_hourly AS h (hour, cluster, queue, samples, ready_sum, ready_max, delayed_sum, delayed_max, reserved_sum, reserved_max, oldest_age_max)
  SELECT $1, cluster, queue, samples, ready_sum, ready_max, delayed_sum, delayed_max, reserved_sum, reserved_max, oldest_age_max FROM sums
  ON CONFLICT (cluster, queue, hour) DO UPDATE SET
    samples = h.samples + EXCLUDED.samples,
    ready_sum = h.ready_sum + EXCLUDED.ready_sum, ready_max = GREATEST(h.ready_max, EXCLUDED.ready_max),
    delayed_sum = h.delayed_sum + EXCLUDED.delayed_sum, delayed_max = GREATEST(h.delayed_max, EXCLUDED.delayed_max),
    reserved_sum = h.reserved_sum + EXCLUDED.reserved_sum, reserved_max = GREATEST(h.reserved_max, EXCLUDED.reserved_max),
    oldest_age_max = GREATEST(h.oldest_age_max, EXCLUDED.oldest_age_max)
)
SELECT COALESCE(sum(samples), 0)::int AS moved FROM sums`;

export interface Rollup {
  /** The oldest minute row's hour before the cutoff, through the table's minute index. */
  oldest: string;
  /** Rolls up the hour starting at $1; returns how many minute rows it moved. */
  move: string;
}

export const ROLLUPS = {
  metricBuckets: {
    oldest: `SELECT ${HOUR('min(minute)')} AS hour FROM metric_buckets WHERE minute < $1`,
    move: METRIC_BUCKETS,
  },
  queueSamples: {
    oldest: `SELECT ${HOUR('min(minute)')} AS hour FROM queue_samples WHERE minute < $1`,
    move: QUEUE_SAMPLES,
  },
} satisfies Record<string, Rollup>;

/** Deletes (at most $2 rows, before $1) of the hourly tables, for Retention's drain. */
export const hourlyRetentionStatements = [
  `DELETE FROM metric_buckets_hourly WHERE (hour, task_name, queue) IN
     (SELECT hour, task_name, queue FROM metric_buckets_hourly WHERE hour < $1 ORDER BY hour LIMIT $2)`,
  `DELETE FROM queue_samples_hourly WHERE (cluster, queue, hour) IN
     (SELECT cluster, queue, hour FROM queue_samples_hourly WHERE hour < $1 ORDER BY hour LIMIT $2)`,
];

/** Rolls up the oldest hour that has minute rows before `before` (an hour boundary); returns the rows moved, 0 when none is left. */
export async function rollUpOldestHour(prisma: Pick<PrismaClient, '$queryRawUnsafe'>, rollup: Rollup, before: Date): Promise<number> {
  const [oldest] = await prisma.$queryRawUnsafe<{ hour: Date | null }[]>(rollup.oldest, before);
  if (!oldest?.hour) return 0;
  const [result] = await prisma.$queryRawUnsafe<{ moved: number }[]>(rollup.move, oldest.hour);
  return result?.moved ?? 0;
}
