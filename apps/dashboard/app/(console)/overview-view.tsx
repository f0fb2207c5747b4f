'use client';

import { useQuery, useQueryClient } from '@tanstack/react-query';
import Link from 'next/link';
import { useEffect, useId, useMemo, useState, type ReactNode } from 'react';
import { chartColors, TimeChart } from '@/components/charts';
import { Card } from '@/components/ui/card';
import { CompactTable } from '@/components/ui/data-table';
import { Select } from '@/components/ui/input';
import { Label } from '@/components/ui/label';
import { ErrorState, Skeleton } from '@/components/ui/states';
import { api } from '@/lib/api-client';
import { formatCount, formatPercent, formatSeconds, plural } from '@/lib/format';
import { createBatcher, useLiveRoom } from '@/lib/live';
import { paths, throughputWindows, type Overview, type Throughput, type ThroughputWindow } from '@/lib/monitor';
import { queryKeys } from '@/lib/query-keys';
import { useSocketState } from '@/lib/socket';

function Stat({ label, value, hint }: { label: string; value: ReactNode; hint?: ReactNode }) {
  return (
    <div role="group" aria-label={label} className="rounded-lg border border-line bg-surface-raised p-4 shadow-sm">
      <p className="text-xs font-medium text-ink-muted uppercase">{label}</p>
      <p data-stat-value className="mt-1 text-2xl font-semibold tabular-nums">{value}</p>
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

/** What the page saw at each overview refresh: the broker and the workers report only the present. */
interface LiveSample {
  at: number;
  ready: number | null;
  delayed: number | null;
  reserved: number | null;
  workers: number;
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

  // Queue depth and workers online over time: the page keeps the samples it saw.
  const [samples, setSamples] = useState<LiveSample[]>([]);
  const [sampledAt, setSampledAt] = useState<string | null>(null);
  if (overview.data && overview.data.generatedAt !== sampledAt) {
    const { generatedAt, queues, workers } = overview.data;
    setSampledAt(generatedAt);
    setSamples((current) => [
      ...current.slice(-359),
      { at: Date.parse(generatedAt), ready: queues?.ready ?? null, delayed: queues?.delayed ?? null, reserved: queues?.reserved ?? null, workers: workers.online },
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
  const sampleRows = useMemo(() => samples.map((sample) => ({ ...sample })), [samples]);
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
        <div className="grid grid-cols-1 gap-6 lg:grid-cols-2">
          <Card title="Throughput" wide>
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
              formatValue={(value) => `${value.toFixed(Number.isInteger(value) || value >= 10 ? 0 : 1)} %`}
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
              sampleRows.length > 1 ? (
                <TimeChart
                  title="Messages in the broker since this page opened"
                  data={sampleRows}
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
                  {plural(data.queues.byQueue.length, 'queue')}
                </Link>
                {data.queues.dead > 0 ? `, ${formatCount(data.queues.dead)} dead letters` : ''}
              </p>
            ) : null}
          </Card>
          <Card title="Workers">
            {sampleRows.length > 1 ? (
              <TimeChart
                title="Workers online since this page opened"
                data={sampleRows}
                series={[{ key: 'workers', label: 'Online', color: chartColors.succeeded }]}
                formatValue={(value) => value.toFixed(0)}
              />
            ) : (
              <p className="text-sm text-ink-muted">
                {formatCount(data.workers.online)} online, {formatCount(data.workers.offline)} offline. The chart fills in as updates arrive.
              </p>
            )}
          </Card>
        </div>
      )}

      <div className="grid grid-cols-1 gap-6 lg:grid-cols-2">
        <Card title="Top failing tasks (24 h)">
          {data.topFailing.length === 0 ? (
            <p className="text-sm text-ink-muted">No failures in the last 24 hours.</p>
          ) : (
            <CompactTable
              caption="Task names with the most failures in the last 24 hours"
              columns={[{ label: 'Task' }, { label: 'Failed', numeric: true }, { label: 'Succeeded', numeric: true }, { label: 'Rate', numeric: true }]}
            >
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
            </CompactTable>
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
