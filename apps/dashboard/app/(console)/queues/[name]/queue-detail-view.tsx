'use client';

import { useQuery } from '@tanstack/react-query';
import Link from 'next/link';
import { useState } from 'react';
import { ClusterBadge } from '@/components/cluster-badge';
import { QueueHistoryCharts, WaitByTaskTable } from '@/components/queue-history-charts';
import { Card } from '@/components/ui/card';
import { DetailHeader, Fact } from '@/components/ui/detail';
import { ErrorState, Skeleton } from '@/components/ui/states';
import { WindowPicker } from '@/components/window-picker';
import { api } from '@/lib/api-client';
import { formatCount, formatSeconds } from '@/lib/format';
import { paths, type QueueHistory, type QueueList, type ThroughputWindow } from '@/lib/monitor';
import { queryKeys } from '@/lib/query-keys';

/** What the broker holds for the queue now (the Queues page's figures). */
function Now({ name, cluster }: { name: string; cluster: string | null }) {
  const list = useQuery({
    queryKey: queryKeys.queues.list(),
    queryFn: ({ signal }) => api.get<QueueList>(paths.queues, { signal }),
    refetchInterval: 15_000,
  });
  const queue = list.data?.queues.find((q) => q.name === name && q.cluster === cluster);
  if (list.isPending) return <Skeleton rows={1} label="Loading the queue" />;
  if (!queue) return <p className="text-sm text-ink-muted">The broker does not list {name} now; its history is below.</p>;
  return (
    <dl className="grid grid-cols-2 gap-4 text-sm sm:grid-cols-5">
      <Fact term="Ready">{formatCount(queue.ready)}</Fact>
      <Fact term="Delayed">{formatCount(queue.delayed)}</Fact>
      <Fact term="Reserved">{formatCount(queue.reserved)}</Fact>
      <Fact term="Dead letters">{formatCount(queue.dead)}</Fact>
      <Fact term="Oldest waiting">{queue.oldestAgeMs === null ? '—' : formatSeconds(queue.oldestAgeMs / 1000)}</Fact>
    </dl>
  );
}

export function QueueDetailView({ name, cluster }: { name: string; cluster: string | null }) {
  const [range, setRange] = useState<ThroughputWindow>('1h');
  const history = useQuery({
    queryKey: queryKeys.queues.detailHistory(name, cluster, range),
    queryFn: ({ signal }) => api.get<QueueHistory>(paths.queueHistory(name), { query: { window: range, cluster }, signal }),
    // The gateway samples once a minute.
    refetchInterval: 60_000,
  });
  const tasksHref = `/tasks?queue=${encodeURIComponent(name)}${cluster ? `&cluster=${encodeURIComponent(cluster)}` : ''}`;
  return (
    <div className="space-y-6">
      <DetailHeader
        back={{ href: '/queues', label: 'Queues' }}
        kind="queue"
        title={
          <>
            {name}
            <ClusterBadge cluster={cluster} />
          </>
        }
        actions={
          <Link href={tasksHref} className="text-sm text-accent underline underline-offset-2">
            Tasks in {name}
          </Link>
        }
      />
      <Card title="Now">
        <Now name={name} cluster={cluster} />
      </Card>
      <div className="flex flex-wrap items-end gap-3">
        <WindowPicker value={range} onChange={setRange} />
        {history.data ? (
          <p className="pb-2 text-sm text-ink-muted">
            {formatCount(history.data.queue.waits.waitCount)} started · wait p50 {formatSeconds(history.data.queue.waits.waitP50)} · p95{' '}
            {formatSeconds(history.data.queue.waits.waitP95)} · p99 {formatSeconds(history.data.queue.waits.waitP99)}
          </p>
        ) : null}
      </div>
      {history.isError ? (
        <ErrorState what="the queue's history" error={history.error} onRetry={() => void history.refetch()} />
      ) : history.isPending ? (
        <Skeleton rows={6} label="Loading the queue's history" />
      ) : (
        <>
          <Card title="History" wide>
            {/* Keyed by the window: another window is drawn at once. */}
            <QueueHistoryCharts key={range} entry={history.data.queue} bucketSeconds={history.data.bucketSeconds} />
          </Card>
          <Card title="Wait to start by task">
            <WaitByTaskTable entry={history.data.queue} />
          </Card>
        </>
      )}
    </div>
  );
}
