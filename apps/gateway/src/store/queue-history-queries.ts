// Reads of queue history: depth samples (queue_samples, and their hourly
// rollups past the metric retention) and wait histograms (metric_buckets and
// metric_buckets_hourly), binned into a window's steps. A rolled-up hour's
// minute rows are gone (see retention/rollup.ts), so reading both tables
// counts everything once.
import type { PrismaClient } from '../generated/prisma/client.js';
import { addWaitHistogram, emptyWaitHistogram, waitCount, waitPercentile } from '../ingest/wait-histogram.js';

export interface QueueHistoryRange {
  from: Date;
  /** Exclusive. */
  to: Date;
  stepSeconds: number;
  /** One queue (with `cluster`, '' for the gateway's own broker); every queue when left out. */
  queue?: { name: string; cluster: string } | undefined;
}

export interface WaitFigures {
  waitCount: number;
  waitP50: number | null;
  waitP95: number | null;
  waitP99: number | null;
  waitMax: number | null;
}

export interface QueueHistoryPointRow extends WaitFigures {
  at: Date;
  ready: number | null;
  delayed: number | null;
  reserved: number | null;
  readyMax: number | null;
  oldestAgeSeconds: number | null;
}

export interface QueueHistoryRow {
  name: string;
  cluster: string | null;
  points: QueueHistoryPointRow[];
  waits: WaitFigures;
  byTask: ({ name: string } & WaitFigures)[];
}

interface DepthRow {
  cluster: string;
  queue: string;
  at: Date;
  samples: number;
  ready_sum: number;
  delayed_sum: number;
  reserved_sum: number;
  ready_max: number;
  oldest_age: number | null;
}

interface WaitRow {
  queue: string;
  task_name: string;
  at: Date;
  wait_max: number;
  wait_histogram: number[] | null;
}

interface WaitAccumulator {
  max: number | null;
  histogram: number[];
}

const emptyWaits = (): WaitAccumulator => ({ max: null, histogram: emptyWaitHistogram() });

function addWaits(into: WaitAccumulator, max: number | null, histogram: readonly number[] | null): void {
  if (max !== null) into.max = into.max === null ? max : Math.max(into.max, max);
  addWaitHistogram(into.histogram, histogram);
}

function figures(acc: WaitAccumulator): WaitFigures {
  return {
    waitCount: waitCount(acc.histogram),
    waitP50: waitPercentile(acc.histogram, 0.5, acc.max),
    waitP95: waitPercentile(acc.histogram, 0.95, acc.max),
    waitP99: waitPercentile(acc.histogram, 0.99, acc.max),
    waitMax: acc.max,
  };
}

interface Series {
  cluster: string;
  name: string;
  depth: (DepthRow | undefined)[];
  waits: WaitAccumulator[];
  total: WaitAccumulator;
  byTask: Map<string, WaitAccumulator>;
}

/** Every queue's history in the range (or the one asked for, even when nothing was recorded), by cluster ('' first) and name. */
export async function queueHistory(prisma: Pick<PrismaClient, '$queryRawUnsafe'>, range: QueueHistoryRange): Promise<QueueHistoryRow[]> {
  const stepMs = range.stepSeconds * 1_000;
  const steps = Math.ceil((range.to.getTime() - range.from.getTime()) / stepMs);
  const depthParams: unknown[] = [range.from, range.to, range.stepSeconds];
  const waitParams: unknown[] = [range.from, range.to, range.stepSeconds];
  let depthWhere = '';
  let waitWhere = '';
  if (range.queue) {
    depthWhere = ` AND queue = $${depthParams.push(range.queue.name)} AND cluster = $${depthParams.push(range.queue.cluster)}`;
    waitWhere = ` AND queue = $${waitParams.push(range.queue.name)}`;
  }
  const bin = (column: string) => `date_bin(make_interval(secs => $3::int), ${column}, $1::timestamptz)`;
  const [depthRows, waitRows] = await Promise.all([
    prisma.$queryRawUnsafe<DepthRow[]>(
      `SELECT cluster, queue, ${bin('minute')} AS at, count(*)::int AS samples, sum(ready)::float8 AS ready_sum, sum(delayed)::float8 AS delayed_sum,
              sum(reserved)::float8 AS reserved_sum, max(ready) AS ready_max, max(oldest_age) AS oldest_age
         FROM queue_samples WHERE minute >= $1::timestamptz AND minute < $2::timestamptz${depthWhere}
        GROUP BY 1, 2, 3
       UNION ALL
       SELECT cluster, queue, ${bin('hour')} AS at, sum(samples)::int, sum(ready_sum)::float8, sum(delayed_sum)::float8,
              sum(reserved_sum)::float8, max(ready_max), max(oldest_age_max)
         FROM queue_samples_hourly WHERE hour >= $1::timestamptz AND hour < $2::timestamptz${depthWhere}
        GROUP BY 1, 2, 3`,
      ...depthParams,
    ),
    // Histograms are added here, as the throughput's are (see metric-queries.ts).
    prisma.$queryRawUnsafe<WaitRow[]>(
      `SELECT queue, task_name, ${bin('minute')} AS at, wait_max, wait_histogram
         FROM metric_buckets WHERE minute >= $1::timestamptz AND minute < $2::timestamptz AND wait_max IS NOT NULL${waitWhere}
       UNION ALL
       SELECT queue, task_name, ${bin('hour')} AS at, wait_max, wait_histogram
         FROM metric_buckets_hourly WHERE hour >= $1::timestamptz AND hour < $2::timestamptz AND wait_max IS NOT NULL${waitWhere}`,
      ...waitParams,
    ),
  ]);

  const byKey = new Map<string, Series>();
  const seriesOf = (cluster: string, name: string): Series => {
    const key = `${cluster}\u0001${name}`;
    let series = byKey.get(key);
    if (!series) {
      series = { cluster, name, depth: new Array<DepthRow | undefined>(steps).fill(undefined), waits: Array.from({ length: steps }, emptyWaits), total: emptyWaits(), byTask: new Map() };
      byKey.set(key, series);
    }
    return series;
  };
  if (range.queue) seriesOf(range.queue.cluster, range.queue.name);
  const stepOf = (at: Date) => Math.floor((at.getTime() - range.from.getTime()) / stepMs);

  for (const row of depthRows) {
    const index = stepOf(row.at);
    if (index < 0 || index >= steps) continue;
    const series = seriesOf(row.cluster, row.queue);
    const had = series.depth[index];
    series.depth[index] = had
      ? {
          ...had,
          samples: had.samples + row.samples,
          ready_sum: had.ready_sum + row.ready_sum,
          delayed_sum: had.delayed_sum + row.delayed_sum,
          reserved_sum: had.reserved_sum + row.reserved_sum,
          ready_max: Math.max(had.ready_max, row.ready_max),
          oldest_age: had.oldest_age === null ? row.oldest_age : row.oldest_age === null ? had.oldest_age : Math.max(had.oldest_age, row.oldest_age),
        }
      : row;
  }
  // Waits are keyed by queue name only: the metric buckets do not tell clusters apart.
  const clustersOf = (name: string): string[] => {
    if (range.queue) return [range.queue.cluster];
    const known = [...byKey.values()].filter((s) => s.name === name).map((s) => s.cluster);
    return known.length > 0 ? known : [''];
  };
  for (const row of waitRows) {
    const index = stepOf(row.at);
    if (index < 0 || index >= steps) continue;
    for (const cluster of clustersOf(row.queue)) {
      const series = seriesOf(cluster, row.queue);
      addWaits(series.waits[index]!, row.wait_max, row.wait_histogram);
      addWaits(series.total, row.wait_max, row.wait_histogram);
      let task = series.byTask.get(row.task_name);
      if (!task) series.byTask.set(row.task_name, (task = emptyWaits()));
      addWaits(task, row.wait_max, row.wait_histogram);
    }
  }

  const mean = (sum: number, samples: number) => Math.round((sum / samples) * 10) / 10;
  return [...byKey.values()]
    .sort((a, b) => (a.cluster === b.cluster ? a.name.localeCompare(b.name) : a.cluster.localeCompare(b.cluster)))
    .map((series) => ({
      name: series.name,
      cluster: series.cluster === '' ? null : series.cluster,
      points: series.waits.map((waits, i) => {
        const depth = series.depth[i];
        return {
          at: new Date(range.from.getTime() + i * stepMs),
          ready: depth ? mean(depth.ready_sum, depth.samples) : null,
          delayed: depth ? mean(depth.delayed_sum, depth.samples) : null,
          reserved: depth ? mean(depth.reserved_sum, depth.samples) : null,
          readyMax: depth ? depth.ready_max : null,
          oldestAgeSeconds: depth ? depth.oldest_age : null,
          ...figures(waits),
        };
      }),
      waits: figures(series.total),
      byTask: [...series.byTask.entries()]
        .map(([name, acc]) => ({ name, ...figures(acc) }))
        .sort((a, b) => b.waitCount - a.waitCount || a.name.localeCompare(b.name)),
    }));
}
