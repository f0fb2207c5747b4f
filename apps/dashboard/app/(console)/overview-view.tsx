'use client';

import { useQuery, useQueryClient } from '@tanstack/react-query';
import Link from 'next/link';
import { memo, useEffect, useMemo, useState, type ReactNode } from 'react';
import { chartColors, depthSeries, percentileSeries, TimeChart, type Series } from '@/components/charts';
import { Card } from '@/components/ui/card';
import { CompactTable } from '@/components/ui/data-table';
import { perStep, WindowPicker } from '@/components/window-picker';
import { ErrorState, Skeleton } from '@/components/ui/states';
import { api } from '@/lib/api-client';
import { formatCount, formatPercent, formatSeconds, plural } from '@/lib/format';
import { createBatcher, useLiveRoom, type LivePayload } from '@/lib/live';
import { paths, type Overview, type Throughput, type ThroughputWindow } from '@/lib/monitor';
import { queryKeys } from '@/lib/query-keys';
import { useSocketState } from '@/lib/socket';

// Each part of the page is memoised on the slice of the overview it shows: react-query keeps the
// identity of every part of a refetched answer that did not change (structural sharing), so a
// live refresh re-renders only the parts whose numbers moved, and a chart redraws only when
// its own series changed.

function Stat({ label, value, hint }: { label: string; value: ReactNode; hint?: ReactNode }) {
  return (
    <div role="group" aria-label={label} className="rounded-lg border border-line bg-surface-raised p-4 shadow-sm">
      <p className="text-xs font-medium text-ink-muted uppercase">{label}</p>
      <p data-stat-value className="mt-1 text-2xl font-semibold tabular-nums">{value}</p>
      {hint ? <p className="mt-0.5 text-xs text-ink-muted">{hint}</p> : null}
    </div>
  );
}

const throughputSeries: readonly Series[] = [
  { key: 'succeeded', label: 'Succeeded', color: chartColors.succeeded },
  { key: 'failed', label: 'Failed', color: chartColors.failed },
  { key: 'retried', label: 'Retried', color: chartColors.retried },
  { key: 'revoked', label: 'Revoked', color: chartColors.revoked },
];
const failureRateSeries: readonly Series[] = [{ key: 'failureRate', label: 'Failure rate', color: chartColors.failed }];
const workersSeries: readonly Series[] = [{ key: 'workers', label: 'Online', color: chartColors.succeeded }];
const formatRate = (value: number): string => `${value.toFixed(Number.isInteger(value) || value >= 10 ? 0 : 1)} %`;
const formatWhole = (value: number): string => value.toFixed(0);

/**
 * How the page samples what the broker and the workers report only for the present (queue
 * depth, workers online) to chart them since it opened: at most one sample per `everyMs`, and
 * while the values stay the same only one per `quietMs` (so a steady chart is not redrawn to
 * extend a flat line), except that a chart gets its second point at the first chance.
 */
const sampling = { everyMs: 15_000, quietMs: 60_000, max: 120 };

type Sample<K extends string> = { at: number } & Record<K, number | null>;

/** `samples` with `next` appended when the sampling rules say so; the same array otherwise. */
function addSample<K extends string>(samples: Sample<K>[], next: Sample<K>, keys: readonly K[]): Sample<K>[] {
  const last = samples.at(-1);
  if (last) {
    const elapsed = next.at - last.at;
    const changed = keys.some((key) => next[key] !== last[key]);
    if (elapsed < sampling.everyMs || (!changed && samples.length > 1 && elapsed < sampling.quietMs)) return samples;
  }
  return [...samples.slice(-(sampling.max - 1)), next];
}

const depthKeys = ['ready', 'delayed', 'reserved'] as const;
const workerKeys = ['workers'] as const;
type DepthSample = Sample<(typeof depthKeys)[number]>;
type WorkersSample = Sample<(typeof workerKeys)[number]>;

const SummaryStats = memo(function SummaryStats({
  lastHour,
  last24h,
  workers,
  queues,
}: Pick<Overview, 'lastHour' | 'last24h' | 'workers' | 'queues'>) {
  return (
    <section aria-label="Summary" className="grid grid-cols-2 gap-3 md:grid-cols-3 lg:grid-cols-6">
      <Stat label="Succeeded (1 h)" value={formatCount(lastHour.succeeded)} hint={`${formatCount(last24h.succeeded)} in 24 h`} />
      <Stat label="Failed (1 h)" value={formatCount(lastHour.failed)} hint={`${formatCount(last24h.failed)} in 24 h`} />
      <Stat label="Failure rate (1 h)" value={formatPercent(lastHour.failureRate)} />
      <Stat label="Runtime p95 (1 h)" value={formatSeconds(lastHour.runtimeP95)} hint={`p50 ${formatSeconds(lastHour.runtimeP50)} · p99 ${formatSeconds(lastHour.runtimeP99)}`} />
      <Stat
        label="Workers online"
        value={<Link href="/workers" className="hover:underline">{formatCount(workers.online)}</Link>}
        hint={`${formatCount(workers.offline)} offline`}
      />
      <Stat
        label="Queued"
        value={queues ? formatCount(queues.ready) : '—'}
        hint={queues ? `${formatCount(queues.delayed)} delayed · ${formatCount(queues.reserved)} reserved` : 'No broker connected'}
      />
    </section>
  );
});

/** Throughput, failure rate and runtimes from the per-minute buckets: redrawn when a new series arrives. */
const ThroughputCharts = memo(function ThroughputCharts({ throughput }: { throughput: Throughput }) {
  const points = useMemo(
    () =>
      throughput.points.map((point) => ({
        at: Date.parse(point.at),
        succeeded: point.succeeded,
        failed: point.failed,
        retried: point.retried,
        revoked: point.revoked,
        failureRate: point.failureRate === null ? null : point.failureRate * 100,
        p50: point.runtimeP50,
        p95: point.runtimeP95,
        p99: point.runtimeP99,
      })),
    [throughput.points],
  );
  return (
    <>
      <Card title="Throughput" wide>
        <TimeChart title={`Tasks ${perStep(throughput.bucketSeconds)} by outcome`} kind="area" stacked data={points} series={throughputSeries} />
      </Card>
      <Card title="Failure rate">
        <TimeChart title="Failed / (succeeded + failed)" data={points} series={failureRateSeries} formatValue={formatRate} />
      </Card>
      <Card title="Runtime">
        <TimeChart title="Runtime percentiles" data={points} series={percentileSeries} formatValue={formatSeconds} />
      </Card>
    </>
  );
});

/** Queue depth and workers online over the samples this page took. */
const SampledCharts = memo(function SampledCharts({
  depth,
  online,
  queues,
  workers,
}: {
  depth: DepthSample[];
  online: WorkersSample[];
  queues: Overview['queues'];
  workers: Overview['workers'];
}) {
  return (
    <>
      <Card title="Queue depth">
        {queues ? (
          depth.length > 1 ? (
            <TimeChart title="Messages in the broker since this page opened" data={depth} series={depthSeries} />
          ) : (
            <p className="text-sm text-ink-muted">
              {formatCount(queues.ready)} ready, {formatCount(queues.delayed)} delayed, {formatCount(queues.reserved)} reserved. The chart
              fills in as updates arrive.
            </p>
          )
        ) : (
          <p className="text-sm text-ink-muted">This gateway has no broker connection, so queue depth is unknown.</p>
        )}
        {queues && queues.byQueue.length > 0 ? (
          <p className="mt-3 text-sm">
            <Link href="/queues" className="text-accent underline underline-offset-2">
              {plural(queues.byQueue.length, 'queue')}
            </Link>
            {queues.dead > 0 ? `, ${formatCount(queues.dead)} dead letters` : ''}
          </p>
        ) : null}
      </Card>
      <Card title="Workers">
        {online.length > 1 ? (
          <TimeChart title="Workers online since this page opened" data={online} series={workersSeries} formatValue={formatWhole} />
        ) : (
          <p className="text-sm text-ink-muted">
            {formatCount(workers.online)} online, {formatCount(workers.offline)} offline. The chart fills in as updates arrive.
          </p>
        )}
      </Card>
    </>
  );
});

const TopFailing = memo(function TopFailing({ rows }: { rows: Overview['topFailing'] }) {
  return (
    <Card title="Top failing tasks (24 h)">
      {rows.length === 0 ? (
        <p className="text-sm text-ink-muted">No failures in the last 24 hours.</p>
      ) : (
        <CompactTable
          caption="Task names with the most failures in the last 24 hours"
          columns={[{ label: 'Task' }, { label: 'Failed', numeric: true }, { label: 'Succeeded', numeric: true }, { label: 'Rate', numeric: true }]}
        >
          {rows.map((row) => (
            <tr key={row.name} className="border-t border-line">
              <td className="py-1.5 pr-3">
                <Link href={`/tasks?state=FAILURE&name=${encodeURIComponent(row.name)}`} className="text-accent hover:underline">
                  {row.name}
                </Link>
              </td>
              <td className="py-1.5 pr-3 text-right tabular-nums text-bad">{formatCount(row.failed)}</td>
              <td className="py-1.5 pr-3 text-right tabular-nums">{formatCount(row.succeeded)}</td>
              <td className="py-1.5 text-right tabular-nums">{formatPercent(row.failureRate)}</td>
            </tr>
          ))}
        </CompactTable>
      )}
    </Card>
  );
});

const IngestCard = memo(function IngestCard({ ingest }: { ingest: Overview['ingest'] }) {
  return (
    <Card title="Event ingest">
      {ingest ? (
        <p className="text-sm">
          <span className={ingest.state === 'running' ? 'text-ok' : 'text-bad'}>{ingest.state}</span>
          {ingest.caughtUp ? ', caught up' : ingest.behindMs !== null ? `, ${formatSeconds(ingest.behindMs / 1000)} behind` : ''}
          {' · '}
          {formatCount(ingest.eventsApplied)} events applied
          {ingest.lastError ? <span className="mt-1 block text-bad">{ingest.lastError}</span> : null}
        </p>
      ) : (
        <p className="text-sm text-ink-muted">This gateway does not ingest events.</p>
      )}
    </Card>
  );
});

export function OverviewView() {
  const queryClient = useQueryClient();
  const [range, setRange] = useState<ThroughputWindow>('1h');
  const socketState = useSocketState();
  // Without the live feed, a slow poll keeps the page from going stale.
  const fallbackPoll = socketState === 'connected' ? false : 15_000;

  const overview = useQuery({
    queryKey: queryKeys.overview(),
    queryFn: ({ signal }) => api.get<Overview>(paths.overview, { signal }),
    refetchInterval: fallbackPoll,
  });
  // The per-minute series behind three charts is re-read once a minute, live feed or not:
  // redrawing charts is the page's costliest work, and between two reads only the current
  // minute's bucket grows (the figures at the top show the live counts).
  const throughput = useQuery({
    queryKey: queryKeys.throughput(range),
    queryFn: ({ signal }) => api.get<Throughput>(paths.throughput, { query: { window: range }, signal }),
    refetchInterval: 60_000,
  });

  // The overview room sends ticks ("the ingest committed N events"), not snapshots: each burst
  // re-reads the overview at most every 2 s.
  const [overviewRefresh] = useState(() =>
    createBatcher<LivePayload<'overview:update'>>(2_000, () => void queryClient.invalidateQueries({ queryKey: queryKeys.overview() })),
  );
  useEffect(() => () => overviewRefresh.cancel(), [overviewRefresh]);
  useLiveRoom('overview', {
    onUpdate: (update) => overviewRefresh.push(update),
    onReconnect: () => {
      void queryClient.invalidateQueries({ queryKey: queryKeys.overview() });
      void queryClient.invalidateQueries({ queryKey: ['throughput'] });
    },
  });

  // Queue depth and workers online over time: the page keeps the samples it saw (see sampling).
  const [depth, setDepth] = useState<DepthSample[]>([]);
  const [online, setOnline] = useState<WorkersSample[]>([]);
  const [sampledAt, setSampledAt] = useState<string | null>(null);
  if (overview.data && overview.data.generatedAt !== sampledAt) {
    const { generatedAt, queues, workers } = overview.data;
    const at = Date.parse(generatedAt);
    setSampledAt(generatedAt);
    setDepth((current) => addSample(current, { at, ready: queues?.ready ?? null, delayed: queues?.delayed ?? null, reserved: queues?.reserved ?? null }, depthKeys));
    setOnline((current) => addSample(current, { at, workers: workers.online }, workerKeys));
  }

  if (overview.isPending) return <Skeleton rows={6} label="Loading the overview" />;
  if (overview.isError) return <ErrorState what="the overview" error={overview.error} onRetry={() => void overview.refetch()} />;
  const data = overview.data;

  return (
    <div className="space-y-6">
      <SummaryStats lastHour={data.lastHour} last24h={data.last24h} workers={data.workers} queues={data.queues} />

      <div className="flex flex-wrap items-end gap-3">
        <WindowPicker value={range} onChange={setRange} />
        <p className="pb-2 text-sm text-ink-muted">
          {formatCount(data.tasks.stored)} tasks stored · {formatCount(data.tasks.started)} running ·{' '}
          {formatCount(data.tasks.pending + data.tasks.received)} waiting · {formatCount(data.tasks.retry)} waiting to retry
        </p>
      </div>

      {throughput.isError ? (
        <ErrorState what="throughput" error={throughput.error} onRetry={() => void throughput.refetch()} />
      ) : throughput.isPending ? (
        <Skeleton rows={6} label="Loading throughput" />
      ) : (
        <div className="grid grid-cols-1 gap-6 lg:grid-cols-2">
          {/* Keyed by the window: another window is drawn at once, not at the next paced redraw. */}
          <ThroughputCharts key={range} throughput={throughput.data} />
          <SampledCharts depth={depth} online={online} queues={data.queues} workers={data.workers} />
        </div>
      )}

      <div className="grid grid-cols-1 gap-6 lg:grid-cols-2">
        <TopFailing rows={data.topFailing} />
        <IngestCard ingest={data.ingest} />
      </div>
    </div>
  );
}
