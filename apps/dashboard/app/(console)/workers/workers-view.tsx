'use client';

import { useQuery, useQueryClient } from '@tanstack/react-query';
import Link from 'next/link';
import { memo, useEffect, useId, useMemo, useState } from 'react';
import { Sparkline } from '@/components/charts';
import { ClusterBadge, ClusterOptions } from '@/components/cluster-badge';
import { RelativeTime } from '@/components/ui/relative-time';
import { EmptyState, ErrorState, Skeleton } from '@/components/ui/states';
import { DataTable } from '@/components/ui/data-table';
import { Select } from '@/components/ui/input';
import { api } from '@/lib/api-client';
import { formatBytes, formatCount } from '@/lib/format';
import { createBatcher, useLiveRoom } from '@/lib/live';
import { paths, type WorkerList, type WorkerSummary } from '@/lib/monitor';
import { queryKeys } from '@/lib/query-keys';
import { useSocketState } from '@/lib/socket';
import { OWN_CLUSTER } from '@/lib/task-filters';
import { foldWorkers, recordWorkerSamples, workerSamples } from '@/lib/worker-cache';

/**
 * One worker's row; memoised, so a heartbeat redraws only its own worker's row. An offline
 * worker's figures are in the muted ink (not faded with opacity, which fails contrast in dark).
 */
const WorkerRow = memo(function WorkerRow({ worker }: { worker: WorkerSummary }) {
  return (
    <tr className={`border-t border-line ${worker.online ? '' : 'text-ink-muted'}`}>
      <td className="px-3 py-2">
        <Link href={`/workers/${encodeURIComponent(worker.hostname)}`} className="font-medium text-accent hover:underline">
          {worker.hostname}
        </Link>
        <ClusterBadge cluster={worker.cluster} />
        <p className="text-xs text-ink-muted">{worker.queues.join(', ')}</p>
      </td>
      <td className={`px-3 py-2 ${worker.online ? 'text-ok' : 'text-ink-muted'}`}>{worker.online ? 'Online' : 'Offline'}</td>
      <td className="px-3 py-2">
        <RelativeTime value={worker.lastHeartbeat} />
      </td>
      <td className="px-3 py-2 tabular-nums">{formatCount(worker.active)}</td>
      <td className="px-3 py-2 tabular-nums">{formatCount(worker.processed)}</td>
      <td className={`px-3 py-2 tabular-nums ${worker.failed > 0 ? 'text-bad' : ''}`}>{formatCount(worker.failed)}</td>
      <td className="px-3 py-2 tabular-nums">{worker.loadavg.map((value) => value.toFixed(2)).join(' ') || '—'}</td>
      <td className="px-3 py-2 tabular-nums">{formatBytes(worker.memoryRss)}</td>
      <td className="px-3 py-2">
        <Sparkline values={workerSamples(worker.hostname)} label={`Active tasks on ${worker.hostname} over recent heartbeats`} />
      </td>
    </tr>
  );
});

export function WorkersView() {
  const queryClient = useQueryClient();
  const socketState = useSocketState();
  const [hideOffline, setHideOffline] = useState(false);
  const [cluster, setCluster] = useState('');
  const clusterSelectId = useId();
  const list = useQuery({
    queryKey: queryKeys.workers.list(),
    queryFn: ({ signal }) => api.get<WorkerList>(paths.workers, { signal }),
    refetchInterval: socketState === 'connected' ? false : 10_000,
  });
  const [batcher] = useState(() => createBatcher<WorkerSummary>(500, (rows) => foldWorkers(queryClient, rows)));
  useEffect(() => () => batcher.cancel(), [batcher]);
  useLiveRoom('workers', {
    onUpdate: ({ workers }) => {
      for (const worker of workers) batcher.push(worker);
    },
    onReconnect: () => void queryClient.invalidateQueries({ queryKey: queryKeys.workers.list() }),
  });
  // Idempotent per heartbeat, so recording while rendering keeps the sparklines current.
  if (list.data) recordWorkerSamples(list.data.workers);

  const all = useMemo(
    () => [...(list.data?.workers ?? [])].sort((a, b) => Number(b.online) - Number(a.online) || a.hostname.localeCompare(b.hostname)),
    [list.data?.workers],
  );

  // Celery clusters whose workers are listed: the cluster menu appears only when there is one.
  const clusters = useMemo(() => [...new Set(all.flatMap((worker) => (worker.cluster ? [worker.cluster] : [])))].sort(), [all]);

  if (list.isPending) return <Skeleton rows={4} label="Loading workers" />;
  if (list.isError) return <ErrorState what="workers" error={list.error} onRetry={() => void list.refetch()} />;
  const workers = all.filter(
    (worker) => (!hideOffline || worker.online) && (!cluster || (worker.cluster ?? OWN_CLUSTER) === cluster),
  );
  const offline = all.length - all.filter((worker) => worker.online).length;

  return (
    <div className="space-y-3">
      <div className="flex flex-wrap items-center gap-4 text-sm">
        <p className="text-ink-muted">
          {all.length - offline} online, {offline} offline
        </p>
        {clusters.length > 0 ? (
          <div className="ml-auto inline-flex items-center gap-2">
            <label htmlFor={clusterSelectId}>Cluster</label>
            <Select id={clusterSelectId} value={cluster} onChange={(event) => setCluster(event.target.value)} className="w-auto">
              <ClusterOptions clusters={clusters} />
            </Select>
          </div>
        ) : null}
        <label className={`${clusters.length > 0 ? '' : 'ml-auto '}inline-flex items-center gap-2`}>
          <input type="checkbox" checked={hideOffline} onChange={(event) => setHideOffline(event.target.checked)} />
          Hide offline workers
        </label>
      </div>
      {workers.length === 0 ? (
        <EmptyState title={all.length === 0 ? 'No workers yet' : cluster ? 'No worker of this cluster to show' : 'Every worker is offline'}>
          {all.length === 0
            ? 'Start one with `lovage worker -A ./app.ts`: it appears here with its first heartbeat.'
            : cluster
              ? 'No worker of this cluster matches: choose "Any cluster" or untick "Hide offline workers".'
              : 'Untick "Hide offline workers" to see them.'}
        </EmptyState>
      ) : (
        <DataTable caption="Workers" minWidth="min-w-[760px]" headings={['Worker', 'Status', 'Last heartbeat', 'Active', 'Processed', 'Failed', 'Load', 'Memory', 'Activity']}>
          {workers.map((worker) => (
            <WorkerRow key={worker.hostname} worker={worker} />
          ))}
        </DataTable>
      )}
    </div>
  );
}
