'use client';

import { useQuery, useQueryClient } from '@tanstack/react-query';
import Link from 'next/link';
import { memo, useEffect, useMemo, useState } from 'react';
import { chartColors, TimeChart, type Series } from '@/components/charts';
import { RequireRole } from '@/components/current-user';
import { TaskStateBadge } from '@/components/task-state-badge';
import { Card } from '@/components/ui/card';
import { DetailHeader, Fact } from '@/components/ui/detail';
import { RelativeTime } from '@/components/ui/relative-time';
import { ErrorState, Skeleton } from '@/components/ui/states';
import { api, ApiError } from '@/lib/api-client';
import { formatBytes, formatCount } from '@/lib/format';
import { createBatcher, useLiveRoom } from '@/lib/live';
import { paths, type WorkerDetail, type WorkerDetailResponse, type WorkerSummary } from '@/lib/monitor';
import { queryKeys } from '@/lib/query-keys';
import { useSocketState } from '@/lib/socket';
import { foldWorkers } from '@/lib/worker-cache';
import { WorkerControls, WorkerQueues } from './worker-controls';

const activeSeries: readonly Series[] = [{ key: 'active', label: 'Active', color: chartColors.blue }];

// The parts below are memoised on the fields they show: a live update (every heartbeat, every
// task the worker starts or ends) changes the counts, and only the stats redraw for it.

const Stats = memo(function Stats({ worker }: { worker: WorkerDetail }) {
  return (
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
  );
});

const RunningTasks = memo(function RunningTasks({ hostname, tasks }: { hostname: string; tasks: WorkerDetail['runningTasks'] }) {
  return (
    <Card title="Running tasks">
      {tasks.length === 0 ? (
        <p className="text-sm text-ink-muted">Nothing running right now.</p>
      ) : (
        <ul className="space-y-1 text-sm">
          {tasks.map((task) => (
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
        <Link href={`/tasks?worker=${encodeURIComponent(hostname)}&state=RECEIVED`} className="text-accent underline underline-offset-2">
          Reserved (received, not started)
        </Link>
        {' · '}
        <Link href={`/tasks?worker=${encodeURIComponent(hostname)}`} className="text-accent underline underline-offset-2">
          Every task on this worker
        </Link>
      </p>
    </Card>
  );
});

/** Redrawn when the heartbeat history is re-read (it lives only in the detail answer). */
const Heartbeats = memo(function Heartbeats({ heartbeats }: { heartbeats: WorkerDetail['heartbeats'] }) {
  const samples = useMemo(
    () =>
      heartbeats.map((sample) => ({
        at: Date.parse(sample.at),
        active: sample.active,
        load: sample.loadavg[0] ?? null,
        memory: sample.memoryRss === null ? null : sample.memoryRss / 1024 / 1024,
      })),
    [heartbeats],
  );
  return (
    <Card title="Heartbeats (last hour)">
      {samples.length > 1 ? (
        <TimeChart title="Active tasks" height={160} data={samples} series={activeSeries} />
      ) : (
        <p className="text-sm text-ink-muted">Not enough heartbeats yet.</p>
      )}
    </Card>
  );
});

export function WorkerDetailView({ hostname }: { hostname: string }) {
  const queryClient = useQueryClient();
  const socketState = useSocketState();
  const query = useQuery({
    queryKey: queryKeys.workers.detail(hostname),
    queryFn: async ({ signal }) => (await api.get<WorkerDetailResponse>(paths.worker(hostname), { signal })).worker,
    // Heartbeat history and running tasks live only in the detail answer; re-read them now and then.
    refetchInterval: socketState === 'connected' ? 30_000 : 10_000,
  });
  // Live updates land in the cache once every 2 s at most: a busy worker sends one for each
  // task it starts or ends, and the page needs to follow its counts, not every change.
  const [batcher] = useState(() => createBatcher<WorkerSummary>(2_000, (rows) => foldWorkers(queryClient, rows)));
  useEffect(() => () => batcher.cancel(), [batcher]);
  useLiveRoom(`worker:${hostname}`, {
    onUpdate: ({ worker }) => {
      if (worker.hostname === hostname) batcher.push(worker);
    },
    onReconnect: () => void queryClient.invalidateQueries({ queryKey: queryKeys.workers.detail(hostname) }),
  });

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
            {worker.cluster ? <> · Celery cluster <span className="font-mono">{worker.cluster}</span></> : null}
          </p>
        }
        actions={<RequireRole role="operator">{worker.online ? <WorkerControls.ShutDown hostname={worker.hostname} /> : null}</RequireRole>}
      />

      <Stats worker={worker} />

      <div className="grid grid-cols-1 gap-6 lg:grid-cols-2">
        <RunningTasks hostname={worker.hostname} tasks={worker.runningTasks} />
        <Heartbeats heartbeats={worker.heartbeats} />
      </div>

      <WorkerQueues hostname={worker.hostname} queues={worker.queues} online={worker.online} />
      <RequireRole role="operator">{worker.online ? <WorkerControls.Limits hostname={worker.hostname} poolSize={worker.poolSize} /> : null}</RequireRole>
    </div>
  );
}
