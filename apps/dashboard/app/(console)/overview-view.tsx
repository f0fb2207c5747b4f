'use client';

import { useQuery, useQueryClient } from '@tanstack/react-query';
import Link from 'next/link';
import { useEffect, useId, useMemo, useState, type ReactNode } from 'react';
import { chartColors, TimeChart } from '@/components/charts';
import { Card } from '@/components/ui/card';
import { Select } from '@/components/ui/input';
import { Label } from '@/components/ui/label';
import { ErrorState, Skeleton } from '@/components/ui/states';
import { api } from '@/lib/api-client';
import { formatCount, formatPercent, formatSeconds } from '@/lib/format';
import { createBatcher, useLiveRoom } from '@/lib/live';
import { paths, throughputWindows, type Overview, type Throughput, type ThroughputWindow } from '@/lib/monitor';
import { queryKeys } from '@/lib/query-keys';
import { useSocketState } from '@/lib/socket';

function Stat({ label, value, hint }: { label: string; value: ReactNode; hint?: ReactNode }) {
  return (
    <div className="rounded-lg border border-line bg-surface-raised p-4 shadow-sm">
      <p className="text-xs font-medium text-ink-muted uppercase">{label}</p>
      <p className="mt-1 text-2xl font-semibold tabular-nums">{value}</p>
      {hint ? <p className="mt-0.5 text-xs text-ink-muted">{hint}</p> : null}
    </div>
  );
}

const windowLabels: Record<ThroughputWindow, string> = {
  '15m': 'Last 15 minutes',
  '1h': 'Last hour',
  '6h': 'Last 6 hours',
  '24h': 'Last 24 hours',
  '7d': 'Last 7 days',
  '30d': 'Last 30 days',
};

interface DepthSample {
  at: number;
  ready: number;
  delayed: number;
  reserved: number;
}

export function OverviewView() {
  const id = useId();
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
  const throughput = useQuery({
    queryKey: queryKeys.throughput(range),
    queryFn: ({ signal }) => api.get<Throughput>(paths.throughput, { query: { window: range }, signal }),
    refetchInterval: socketState === 'connected' ? 60_000 : 30_000,
  });

  // The overview room sends ticks ("the ingest committed N events"), not snapshots: each burst
  // re-reads the overview at most every 2 s and the per-minute series at most every 10 s.
  const [overviewRefresh] = useState(() =>
    createBatcher<unknown>(2_000, () => void queryClient.invalidateQueries({ queryKey: queryKeys.overview() })),
  );
  const [throughputRefresh] = useState(() =>
    createBatcher<unknown>(10_000, () => void queryClient.invalidateQueries({ queryKey: ['throughput'] })),
  );
  useEffect(
    () => () => {
      overviewRefresh.cancel();
      throughputRefresh.cancel();
    },
    [overviewRefresh, throughputRefresh],
  );
  useLiveRoom('overview', {
    onEvent: (event, payload) => {
      if (event !== 'overview:update') return;
      overviewRefresh.push(payload);
      throughputRefresh.push(payload);
    },
    onReconnect: () => {
      void queryClient.invalidateQueries({ queryKey: queryKeys.overview() });
      void queryClient.invalidateQueries({ queryKey: ['throughput'] });
    },
  });

  // Queue depth over time: the broker reports only the present, so the page keeps the samples it saw.
  const [depth, setDepth] = useState<DepthSample[]>([]);
  const [sampledAt, setSampledAt] = useState<string | null>(null);
  const queues = overview.data?.queues;
  if (overview.data && queues && overview.data.generatedAt !== sampledAt) {
    setSampledAt(overview.data.generatedAt);
    setDepth((current) => [
      ...current.slice(-359),
      { at: Date.parse(overview.data.generatedAt), ready: queues.ready, delayed: queues.delayed, reserved: queues.reserved },
    ]);
  }

  const points = useMemo(
    () =>
      (throughput.data?.points ?? []).map((point) => ({
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
    [throughput.data],
  );
  const depthRows = useMemo(() => depth.map((sample) => ({ ...sample })), [depth]);
  const perMinute = throughput.data ? 60 / throughput.data.bucketSeconds : 1;

  if (overview.isPending) return <Skeleton rows={6} label="Loading the overview" />;
  if (overview.isError) return <ErrorState what="the overview" error={overview.error} onRetry={() => void overview.refetch()} />;
  const data = overview.data;

  return (
    <div className="space-y-6">
      <section aria-label="Summary" className="grid grid-cols-2 gap-3 md:grid-cols-3 lg:grid-cols-6">
        <Stat label="Succeeded (1 h)" value={formatCount(data.lastHour.succeeded)} hint={`${formatCount(data.last24h.succeeded)} in 24 h`} />
        <Stat label="Failed (1 h)" value={formatCount(data.lastHour.failed)} hint={`${formatCount(data.last24h.failed)} in 24 h`} />
        <Stat label="Failure rate (1 h)" value={formatPercent(data.lastHour.failureRate)} />
        <Stat label="Runtime p95 (1 h)" value={formatSeconds(data.lastHour.runtimeP95)} hint={`p50 ${formatSeconds(data.lastHour.runtimeP50)} · p99 ${formatSeconds(data.lastHour.runtimeP99)}`} />
        <Stat
          label="Workers online"
          value={<Link href="/workers" className="hover:underline">{formatCount(data.workers.online)}</Link>}
          hint={`${formatCount(data.workers.offline)} offline`}
        />
        <Stat
          label="Queued"
          value={data.queues ? formatCount(data.queues.ready) : '—'}
          hint={data.queues ? `${formatCount(data.queues.delayed)} delayed · ${formatCount(data.queues.reserved)} reserved` : 'No broker connected'}
        />
      </section>

      <div className="flex flex-wrap items-end gap-3">
        <div>
          <Label htmlFor={`${id}-window`}>Window</Label>
          <Select id={`${id}-window`} value={range} onChange={(event) => setRange(event.target.value as ThroughputWindow)}>
            {throughputWindows.map((value) => (
              <option key={value} value={value}>
                {windowLabels[value]}
              </option>
            ))}
          </Select>
        </div>
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
        <div className="grid gap-6 lg:grid-cols-2">
          <Card title="Throughput">
            <TimeChart
              title={`Tasks per ${perMinute === 1 ? 'minute' : `${throughput.data.bucketSeconds / 60} minutes`} by outcome`}
              kind="area"
              stacked
              data={points}
              series={[
                { key: 'succeeded', label: 'Succeeded', color: chartColors.succeeded },
                { key: 'failed', label: 'Failed', color: chartColors.failed },
                { key: 'retried', label: 'Retried', color: chartColors.retried },
                { key: 'revoked', label: 'Revoked', color: chartColors.revoked },
              ]}
            />
          </Card>
          <Card title="Failure rate">
            <TimeChart
              title="Failed / (succeeded + failed)"
              data={points}
              series={[{ key: 'failureRate', label: 'Failure rate', color: chartColors.failed }]}
              formatValue={(value) => `${value.toFixed(0)} %`}
            />
          </Card>
          <Card title="Runtime">
            <TimeChart
              title="Runtime percentiles"
              data={points}
              series={[
                { key: 'p50', label: 'p50', color: chartColors.teal },
                { key: 'p95', label: 'p95', color: chartColors.blue },
                { key: 'p99', label: 'p99', color: chartColors.revoked },
              ]}
              formatValue={(value) => formatSeconds(value)}
            />
          </Card>
          <Card title="Queue depth">
            {data.queues ? (
              depthRows.length > 1 ? (
                <TimeChart
                  title="Messages in the broker since this page opened"
                  data={depthRows}
                  series={[
                    { key: 'ready', label: 'Ready', color: chartColors.blue },
                    { key: 'delayed', label: 'Delayed', color: chartColors.retried },
                    { key: 'reserved', label: 'Reserved', color: chartColors.teal },
                  ]}
                />
              ) : (
                <p className="text-sm text-ink-muted">
                  {formatCount(data.queues.ready)} ready, {formatCount(data.queues.delayed)} delayed,{' '}
                  {formatCount(data.queues.reserved)} reserved. The chart fills in as updates arrive.
                </p>
              )
            ) : (
              <p className="text-sm text-ink-muted">This gateway has no broker connection, so queue depth is unknown.</p>
            )}
            {data.queues && data.queues.byQueue.length > 0 ? (
              <p className="mt-3 text-sm">
                <Link href="/queues" className="text-accent hover:underline">
                  {data.queues.byQueue.length} queue{data.queues.byQueue.length === 1 ? '' : 's'}
                </Link>
                {data.queues.dead > 0 ? `, ${formatCount(data.queues.dead)} dead letters` : ''}
              </p>
            ) : null}
          </Card>
        </div>
      )}

      <div className="grid gap-6 lg:grid-cols-2">
        <Card title="Top failing tasks (24 h)">
          {data.topFailing.length === 0 ? (
            <p className="text-sm text-ink-muted">No failures in the last 24 hours.</p>
          ) : (
            <table className="w-full text-left text-sm">
              <caption className="sr-only">Task names with the most failures in the last 24 hours</caption>
              <thead className="text-xs text-ink-muted uppercase">
                <tr>
                  <th scope="col" className="py-1 pr-3 font-medium">Task</th>
                  <th scope="col" className="py-1 pr-3 text-right font-medium">Failed</th>
                  <th scope="col" className="py-1 pr-3 text-right font-medium">Succeeded</th>
                  <th scope="col" className="py-1 text-right font-medium">Rate</th>
                </tr>
              </thead>
              <tbody>
                {data.topFailing.map((row) => (
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
              </tbody>
            </table>
          )}
        </Card>
        <Card title="Event ingest">
          {data.ingest ? (
            <p className="text-sm">
              <span className={data.ingest.state === 'running' ? 'text-ok' : 'text-bad'}>{data.ingest.state}</span>
              {data.ingest.caughtUp ? ', caught up' : data.ingest.behindMs !== null ? `, ${formatSeconds(data.ingest.behindMs / 1000)} behind` : ''}
              {' · '}
              {formatCount(data.ingest.eventsApplied)} events applied
              {data.ingest.lastError ? <span className="mt-1 block text-bad">{data.ingest.lastError}</span> : null}
            </p>
          ) : (
            <p className="text-sm text-ink-muted">This gateway does not ingest events.</p>
          )}
        </Card>
      </div>
    </div>
  );
}
