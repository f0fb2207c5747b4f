'use client';

// A queue's history from the gateway (sampled once a minute, kept for 90 days, then hourly):
// depth, the age of the oldest waiting message and how long tasks waited to start. Each chart
// has its numbers in a table under a disclosure, for readers who cannot see the chart.
import { memo, useMemo } from 'react';
import { chartColors, depthSeries, percentileSeries, TimeChart, type Series } from '@/components/charts';
import { CompactTable } from '@/components/ui/data-table';
import { perStep } from '@/components/window-picker';
import { formatCount, formatDateTime, formatSeconds } from '@/lib/format';
import type { QueueHistoryEntry, QueueHistoryPoint } from '@/lib/monitor';

const oldestSeries: readonly Series[] = [{ key: 'oldest', label: 'Oldest waiting', color: chartColors.failed }];
const formatDepth = (value: number): string => (Number.isInteger(value) ? formatCount(value) : value.toFixed(1));

/** The chart's numbers as a table, folded away: the points that have any. */
function NumbersTable({ caption, rows, columns }: { caption: string; rows: QueueHistoryPoint[]; columns: { label: string; value: (p: QueueHistoryPoint) => string }[] }) {
  return (
    <details className="mt-2 text-sm">
      <summary className="cursor-pointer text-ink-muted">Show the numbers</summary>
      {rows.length === 0 ? (
        <p className="mt-1 text-ink-muted">Nothing recorded in this window.</p>
      ) : (
        <CompactTable caption={caption} columns={[{ label: 'From' }, ...columns.map((c) => ({ label: c.label, numeric: true }))]}>
          {rows.map((row) => (
            <tr key={row.at} className="border-t border-line">
              <td className="py-1 pr-3">{formatDateTime(row.at)}</td>
              {columns.map((c, i) => (
                <td key={c.label} className={`py-1 text-right tabular-nums ${i < columns.length - 1 ? 'pr-3' : ''}`}>
                  {c.value(row)}
                </td>
              ))}
            </tr>
          ))}
        </CompactTable>
      )}
    </details>
  );
}

const orDash = (value: number | null, format: (n: number) => string) => (value === null ? '—' : format(value));

/** Depth, oldest waiting and wait percentiles of one queue; keyed by queue and window by the caller. */
export const QueueHistoryCharts = memo(function QueueHistoryCharts({ entry, bucketSeconds }: { entry: QueueHistoryEntry; bucketSeconds: number }) {
  const rows = useMemo(
    () =>
      entry.points.map((p) => ({
        at: Date.parse(p.at),
        ready: p.ready,
        delayed: p.delayed,
        reserved: p.reserved,
        oldest: p.oldestAgeSeconds,
        p50: p.waitP50,
        p95: p.waitP95,
        p99: p.waitP99,
      })),
    [entry.points],
  );
  const sampled = entry.points.filter((p) => p.ready !== null);
  const waited = entry.points.filter((p) => p.waitCount > 0);
  const each = perStep(bucketSeconds);
  return (
    <div className="grid grid-cols-1 gap-6 lg:grid-cols-2">
      <div>
        <TimeChart title={`${entry.name}: messages in the broker (mean ${each})`} data={rows} series={depthSeries} formatValue={formatDepth} redrawMs={30_000} />
        <NumbersTable
          caption={`${entry.name}: messages in the broker`}
          rows={sampled}
          columns={[
            { label: 'Ready', value: (p) => orDash(p.ready, formatDepth) },
            { label: 'Delayed', value: (p) => orDash(p.delayed, formatDepth) },
            { label: 'Reserved', value: (p) => orDash(p.reserved, formatDepth) },
            { label: 'Ready (max)', value: (p) => orDash(p.readyMax, formatCount) },
          ]}
        />
      </div>
      <div>
        <TimeChart title={`${entry.name}: age of the oldest waiting message`} data={rows} series={oldestSeries} formatValue={formatSeconds} redrawMs={30_000} />
        <NumbersTable
          caption={`${entry.name}: age of the oldest waiting message`}
          rows={sampled.filter((p) => p.oldestAgeSeconds !== null)}
          columns={[{ label: 'Oldest waiting', value: (p) => orDash(p.oldestAgeSeconds, formatSeconds) }]}
        />
      </div>
      <div className="lg:col-span-2">
        <TimeChart title={`${entry.name}: wait to start (sent to started), percentiles ${each}`} data={rows} series={percentileSeries} formatValue={formatSeconds} redrawMs={30_000} />
        <NumbersTable
          caption={`${entry.name}: wait to start`}
          rows={waited}
          columns={[
            { label: 'Started', value: (p) => formatCount(p.waitCount) },
            { label: 'p50', value: (p) => orDash(p.waitP50, formatSeconds) },
            { label: 'p95', value: (p) => orDash(p.waitP95, formatSeconds) },
            { label: 'p99', value: (p) => orDash(p.waitP99, formatSeconds) },
          ]}
        />
      </div>
    </div>
  );
});

/** Wait figures per task name over the window. */
export function WaitByTaskTable({ entry }: { entry: QueueHistoryEntry }) {
  if (entry.byTask.length === 0) return <p className="text-sm text-ink-muted">No task of {entry.name} started in this window.</p>;
  return (
    <CompactTable
      caption={`Wait to start by task name in ${entry.name}`}
      columns={[{ label: 'Task' }, { label: 'Started', numeric: true }, { label: 'p50', numeric: true }, { label: 'p95', numeric: true }, { label: 'p99', numeric: true }, { label: 'Max', numeric: true }]}
    >
      {entry.byTask.map((task) => (
        <tr key={task.name} className="border-t border-line">
          <td className="py-1.5 pr-3">{task.name}</td>
          <td className="py-1.5 pr-3 text-right tabular-nums">{formatCount(task.waitCount)}</td>
          <td className="py-1.5 pr-3 text-right tabular-nums">{formatSeconds(task.waitP50)}</td>
          <td className="py-1.5 pr-3 text-right tabular-nums">{formatSeconds(task.waitP95)}</td>
          <td className="py-1.5 pr-3 text-right tabular-nums">{formatSeconds(task.waitP99)}</td>
          <td className="py-1.5 text-right tabular-nums">{formatSeconds(task.waitMax)}</td>
        </tr>
      ))}
    </CompactTable>
  );
}

const palette = [chartColors.blue, chartColors.succeeded, chartColors.retried, chartColors.revoked, chartColors.teal, chartColors.failed, chartColors.grey];
/** Queues drawn on the all-queues charts (the busiest); the rest are in the table. */
const CHARTED_QUEUES = palette.length;

/** Every queue on one chart (ready messages, and wait p95), for the Queues page. */
export const QueuesHistoryCharts = memo(function QueuesHistoryCharts({ queues, bucketSeconds }: { queues: QueueHistoryEntry[]; bucketSeconds: number }) {
  const { series, depth, waits } = useMemo(() => {
    const busiest = [...queues]
      .map((q) => ({ q, weight: q.points.reduce((sum, p) => sum + (p.ready ?? 0), 0) + q.waits.waitCount }))
      .sort((a, b) => b.weight - a.weight)
      .slice(0, CHARTED_QUEUES)
      .map(({ q }) => q);
    const keyOf = (i: number) => `q${i}`;
    const series: Series[] = busiest.map((q, i) => ({ key: keyOf(i), label: q.cluster ? `${q.name} (${q.cluster})` : q.name, color: palette[i]! }));
    const length = busiest[0]?.points.length ?? 0;
    const at = (i: number) => Date.parse(busiest[0]!.points[i]!.at);
    const depth = Array.from({ length }, (_, i) => Object.fromEntries([['at', at(i)], ...busiest.map((q, j) => [keyOf(j), q.points[i]?.ready ?? null])]) as Record<string, number | null>);
    const waits = Array.from({ length }, (_, i) => Object.fromEntries([['at', at(i)], ...busiest.map((q, j) => [keyOf(j), q.points[i]?.waitP95 ?? null])]) as Record<string, number | null>);
    return { series, depth, waits };
  }, [queues]);
  const each = perStep(bucketSeconds);
  return (
    <div className="space-y-4">
      <div className="grid grid-cols-1 gap-6 lg:grid-cols-2">
        <TimeChart title={`Ready messages by queue (mean ${each})`} data={depth} series={series} formatValue={formatDepth} redrawMs={30_000} />
        <TimeChart title={`Wait to start, p95 by queue (${each})`} data={waits} series={series} formatValue={formatSeconds} redrawMs={30_000} />
      </div>
      <CompactTable
        caption="Queue history over the window"
        columns={[{ label: 'Queue' }, { label: 'Ready (max)', numeric: true }, { label: 'Oldest waiting (max)', numeric: true }, { label: 'Started', numeric: true }, { label: 'Wait p50', numeric: true }, { label: 'Wait p95', numeric: true }, { label: 'Wait p99', numeric: true }]}
      >
        {queues.map((q) => {
          const readyMax = q.points.reduce<number | null>((max, p) => (p.readyMax === null ? max : Math.max(max ?? 0, p.readyMax)), null);
          const oldestMax = q.points.reduce<number | null>((max, p) => (p.oldestAgeSeconds === null ? max : Math.max(max ?? 0, p.oldestAgeSeconds)), null);
          return (
            <tr key={`${q.cluster ?? ''}/${q.name}`} className="border-t border-line">
              <td className="py-1.5 pr-3">{q.cluster ? `${q.name} (${q.cluster})` : q.name}</td>
              <td className="py-1.5 pr-3 text-right tabular-nums">{orDash(readyMax, formatCount)}</td>
              <td className="py-1.5 pr-3 text-right tabular-nums">{orDash(oldestMax, formatSeconds)}</td>
              <td className="py-1.5 pr-3 text-right tabular-nums">{formatCount(q.waits.waitCount)}</td>
              <td className="py-1.5 pr-3 text-right tabular-nums">{formatSeconds(q.waits.waitP50)}</td>
              <td className="py-1.5 pr-3 text-right tabular-nums">{formatSeconds(q.waits.waitP95)}</td>
              <td className="py-1.5 text-right tabular-nums">{formatSeconds(q.waits.waitP99)}</td>
            </tr>
          );
        })}
      </CompactTable>
    </div>
  );
});
