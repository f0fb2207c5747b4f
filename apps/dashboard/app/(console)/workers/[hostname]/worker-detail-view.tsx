'use client';

import { useQuery, useQueryClient } from '@tanstack/react-query';
import Link from 'next/link';
import { useMemo } from 'react';
import { chartColors, TimeChart, type Series } from '@/components/charts';
import { RequireRole } from '@/components/current-user';
import { TaskStateBadge } from '@/components/task-state-badge';
import { Card } from '@/components/ui/card';
import { DetailHeader, Fact } from '@/components/ui/detail';
import { RelativeTime } from '@/components/ui/relative-time';
import { ErrorState, Skeleton } from '@/components/ui/states';
import { api, ApiError } from '@/lib/api-client';
import { formatBytes, formatCount } from '@/lib/format';
import { useLiveRoom } from '@/lib/live';
import { paths, type WorkerDetailResponse } from '@/lib/monitor';
import { queryKeys } from '@/lib/query-keys';
import { useSocketState } from '@/lib/socket';
import { foldWorkerPatches, workerPatchesOf } from '@/lib/worker-cache';
import { WorkerControls, WorkerQueues } from './worker-controls';

const activeSeries: readonly Series[] = [{ key: 'active', label: 'Active', color: chartColors.blue }];

export function WorkerDetailView({ hostname }: { hostname: string }) {
  const queryClient = useQueryClient();
  const socketState = useSocketState();
  const query = useQuery({
    queryKey: queryKeys.workers.detail(hostname),
    queryFn: async ({ signal }) => (await api.get<WorkerDetailResponse>(paths.worker(hostname), { signal })).worker,
    // Heartbeat history and running tasks live only in the detail answer; re-read them now and then.
    refetchInterval: socketState === 'connected' ? 30_000 : 10_000,
  });
  useLiveRoom(`worker:${hostname}`, {
    onEvent: (event, payload) => {
      if (event === 'worker:update') foldWorkerPatches(queryClient, workerPatchesOf(payload).filter((patch) => patch.hostname === hostname));
    },
    onReconnect: () => void queryClient.invalidateQueries({ queryKey: queryKeys.workers.detail(hostname) }),
  });
  const samples = useMemo(
    () =>
      (query.data?.heartbeats ?? []).map((sample) => ({
        at: Date.parse(sample.at),
        active: sample.active,
        load: sample.loadavg[0] ?? null,
        memory: sample.memoryRss === null ? null : sample.memoryRss / 1024 / 1024,
      })),
    [query.data?.heartbeats],
  );

  if (query.isPending) return <Skeleton rows={6} label="Loading the worker" />;
  if (query.isError) {
    if (query.error instanceof ApiError && query.error.status === 404) {
      return (
        <p>
          No worker called <span className="font-mono">{hostname}</span> has sent a heartbeat.{' '}
          <Link href="/workers" className="text-accent underline">
            Back to workers
          </Link>
        </p>
      );
    }
    return <ErrorState what="the worker" error={query.error} onRetry={() => void query.refetch()} />;
  }
  const worker = query.data;

  return (
    <div className="space-y-6">
      <DetailHeader
        back={{ href: '/workers', label: 'Workers' }}
        kind="worker"
        title={worker.hostname}
        subtitle={
          <p className={`mt-1 text-sm ${worker.online ? 'text-ok' : 'text-ink-muted'}`}>
            {worker.online ? 'Online' : 'Offline'} · last heartbeat <RelativeTime value={worker.lastHeartbeat} /> · first seen{' '}
            <RelativeTime value={worker.firstSeen} />
          </p>
        }
        actions={<RequireRole role="operator">{worker.online ? <WorkerControls.ShutDown hostname={worker.hostname} /> : null}</RequireRole>}
      />

      <Card title="Stats">
        <dl className="grid grid-cols-2 gap-4 text-sm sm:grid-cols-4 lg:grid-cols-8">
          <Fact term="Active">{formatCount(worker.active)}</Fact>
          <Fact term="Processed">{formatCount(worker.processed)}</Fact>
          <Fact term="Succeeded">{formatCount(worker.succeeded)}</Fact>
          <Fact term="Failed">{formatCount(worker.failed)}</Fact>
          <Fact term="Load">{worker.loadavg.map((value) => value.toFixed(2)).join(' ') || '—'}</Fact>
          <Fact term="Memory">{formatBytes(worker.memoryRss)}</Fact>
          <Fact term="Pool">
            {worker.poolKind ?? '—'} × {worker.poolSize ?? '—'}
          </Fact>
          <Fact term="Version / pid">
            {worker.version ?? '—'} / {worker.pid ?? '—'}
          </Fact>
        </dl>
      </Card>

      <div className="grid grid-cols-1 gap-6 lg:grid-cols-2">
        <Card title="Running tasks">
          {worker.runningTasks.length === 0 ? (
            <p className="text-sm text-ink-muted">Nothing running right now.</p>
          ) : (
            <ul className="space-y-1 text-sm">
              {worker.runningTasks.map((task) => (
                <li key={task.id} className="flex flex-wrap items-center gap-2">
                  <TaskStateBadge state={task.state} />
                  <Link href={`/tasks/${encodeURIComponent(task.id)}`} prefetch={false} className="text-accent hover:underline">
                    {task.name}
                  </Link>
                  <span className="text-xs text-ink-muted">
                    <RelativeTime value={task.createdAt} />
                  </span>
                </li>
              ))}
            </ul>
          )}
          <p className="mt-3 text-sm">
            <Link href={`/tasks?worker=${encodeURIComponent(worker.hostname)}&state=RECEIVED`} className="text-accent underline underline-offset-2">
              Reserved (received, not started)
            </Link>
            {' · '}
            <Link href={`/tasks?worker=${encodeURIComponent(worker.hostname)}`} className="text-accent underline underline-offset-2">
              Every task on this worker
            </Link>
          </p>
        </Card>
        <Card title="Heartbeats (last hour)">
          {samples.length > 1 ? (
            <TimeChart
              title="Active tasks"
              height={160}
              data={samples}
              series={activeSeries}
            />
          ) : (
            <p className="text-sm text-ink-muted">Not enough heartbeats yet.</p>
          )}
        </Card>
      </div>

      <WorkerQueues worker={worker} />
      <RequireRole role="operator">{worker.online ? <WorkerControls.Limits hostname={worker.hostname} poolSize={worker.poolSize} /> : null}</RequireRole>
    </div>
  );
}
