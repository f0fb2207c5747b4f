'use client';

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import Link from 'next/link';
import { memo, useEffect, useId, useMemo, useState } from 'react';
import { chartColors, TimeChart, type Series } from '@/components/charts';
import { ClusterBadge } from '@/components/cluster-badge';
import { RequireRole } from '@/components/current-user';
import { Button } from '@/components/ui/button';
import { Card } from '@/components/ui/card';
import { ConfirmDialog, FormDialog, TypedConfirmDialog } from '@/components/ui/dialog';
import { Field } from '@/components/ui/field';
import { Input, Select } from '@/components/ui/input';
import { Label } from '@/components/ui/label';
import { EmptyState, ErrorState, Skeleton } from '@/components/ui/states';
import { useToast } from '@/components/ui/toast';
import { DataTable } from '@/components/ui/data-table';
import { api, ApiError } from '@/lib/api-client';
import { formatCount, formatSeconds } from '@/lib/format';
import { createBatcher, useLiveRoom } from '@/lib/live';
import {
  paths,
  type PauseAllQueuesResponse,
  type PauseQueueResponse,
  type PurgeQueueResponse,
  type QueueConcurrencyBody,
  type QueueConcurrencyResponse,
  type QueueHistoryList,
  type QueueList,
  type QueueSummary,
  type ThroughputWindow,
} from '@/lib/monitor';
import { queryKeys } from '@/lib/query-keys';
import { QueuesHistoryCharts } from '@/components/queue-history-charts';
import { WindowPicker } from '@/components/window-picker';
import { useSocketState } from '@/lib/socket';

/** A queue's identity on this page: its name, and its Celery cluster's when it is one's. */
function queueKey(queue: QueueSummary): string {
  return queue.cluster ? `${queue.cluster}/${queue.name}` : queue.name;
}

/** Purging cannot be undone, so the operator types the queue's name to confirm. */
function PurgeButton({ queue, cluster }: { queue: string; cluster: string | null }) {
  const queryClient = useQueryClient();
  const { toast } = useToast();
  const [open, setOpen] = useState(false);
  const purge = useMutation({
    mutationFn: () => api.post<PurgeQueueResponse>(paths.purgeQueue(queue, cluster)),
    onSuccess: (result) => {
      toast({ tone: 'success', title: `Purged ${queue}`, description: `${formatCount(result.purged)} messages removed.` });
      setOpen(false);
      void queryClient.invalidateQueries({ queryKey: queryKeys.queues.all() });
    },
    onError: (error) => toast({ tone: 'error', title: `Could not purge ${queue}`, description: error instanceof Error ? error.message : undefined }),
  });
  return (
    <>
      <Button size="sm" variant="danger" aria-label={cluster ? `Purge ${queue} on ${cluster}` : `Purge ${queue}`} onClick={() => setOpen(true)}>
        Purge
      </Button>
      <TypedConfirmDialog
        open={open}
        title={`Purge ${queue}?`}
        expected={queue}
        inputLabel="Type the queue name to confirm"
        confirmLabel="Purge queue"
        busy={purge.isPending}
        onCancel={() => setOpen(false)}
        onConfirm={() => purge.mutate()}
      >
        Every ready message in {queue} is deleted and will never run. Delayed and running tasks are kept. This cannot be undone.
      </TypedConfirmDialog>
    </>
  );
}

/** Marks a paused queue: it takes tasks, workers start none until it is resumed. */
function PausedBadge() {
  return (
    <span
      title="Paused: tasks wait here until the queue is resumed"
      className="ml-2 inline-block rounded border border-accent/60 px-1.5 align-middle text-[0.7rem] font-medium leading-5 text-accent"
    >
      paused
    </span>
  );
}

/** Shows a queue's global concurrency limit, to everyone: at most this many of its tasks run at once. */
function LimitBadge({ limit }: { limit: number }) {
  return (
    <span
      title={`At most ${formatCount(limit)} of its tasks run at once, across every worker`}
      className="ml-2 inline-block rounded border border-line px-1.5 align-middle text-[0.7rem] font-medium leading-5 text-ink-muted"
    >
      limit {formatCount(limit)}
    </span>
  );
}

/** `''` → null (no limit), `'3'` → 3; anything else is what the field's error says. */
function parseLimit(text: string): { limit: number | null } | { error: string } {
  const trimmed = text.trim();
  if (trimmed === '') return { limit: null };
  const n = /^\d+$/.test(trimmed) ? Number(trimmed) : NaN;
  if (n === 0) return { error: 'Must be at least 1. To stop the queue, pause it.' };
  if (!Number.isSafeInteger(n) || n < 1) return { error: 'Must be a whole number of at least 1, or empty for no limit.' };
  return { limit: n };
}

/** Edit one queue's concurrency limit in a dialog: a number, or empty for no limit. Takes effect at once. */
function ConcurrencyButton({ queue, limit }: { queue: string; limit: number | null }) {
  const queryClient = useQueryClient();
  const { toast } = useToast();
  const [open, setOpen] = useState(false);
  const [text, setText] = useState('');
  const [error, setError] = useState<string | undefined>();
  const save = useMutation({
    mutationFn: (body: QueueConcurrencyBody) => api.put<QueueConcurrencyResponse>(paths.queueConcurrency(queue), body),
    onSuccess: (result) => {
      setOpen(false);
      toast({
        tone: 'success',
        title: result.concurrency === null ? `No limit on ${queue}` : `Limited ${queue} to ${formatCount(result.concurrency)}`,
        description: result.concurrency === null ? 'Workers run as many of its tasks as they have room for.' : 'At most this many of its tasks run at once, across every worker.',
      });
      void queryClient.invalidateQueries({ queryKey: queryKeys.queues.all() });
    },
    onError: (caught) => {
      // A refusal about the limit itself belongs under the field; anything else is a toast.
      if (caught instanceof ApiError && caught.field === 'limit') setError(caught.message);
      else toast({ tone: 'error', title: `Could not change the limit of ${queue}`, description: caught instanceof Error ? caught.message : undefined });
    },
  });
  function start() {
    setText(limit === null ? '' : String(limit));
    setError(undefined);
    setOpen(true);
  }
  function submit() {
    const parsed = parseLimit(text);
    if ('error' in parsed) setError(parsed.error);
    else save.mutate({ limit: parsed.limit });
  }
  return (
    <>
      <Button size="sm" variant="secondary" aria-label={`Concurrency limit of ${queue}`} onClick={start}>
        Limit
      </Button>
      <FormDialog
        open={open}
        title={`Concurrency limit of ${queue}`}
        description="How many of this queue's tasks may run at once, across every worker. Running tasks are never stopped: a lower limit applies as they finish."
        submitLabel="Save limit"
        busy={save.isPending}
        onCancel={() => setOpen(false)}
        onSubmit={submit}
      >
        <Field label="Tasks running at once" hint="Leave empty for no limit." error={error}>
          {(props) => (
            <Input
              {...props}
              inputMode="numeric"
              autoComplete="off"
              placeholder="No limit"
              value={text}
              onChange={(event) => {
                setText(event.target.value);
                setError(undefined);
              }}
            />
          )}
        </Field>
      </FormDialog>
    </>
  );
}

/** Pause (or resume) one queue: reversible, so no confirmation. */
function PauseButton({ queue, paused }: { queue: string; paused: boolean }) {
  const queryClient = useQueryClient();
  const { toast } = useToast();
  const verb = paused ? 'Resume' : 'Pause';
  const toggle = useMutation({
    mutationFn: () => api.post<PauseQueueResponse>(paths.pauseQueue(queue, !paused)),
    onSuccess: (result) => {
      toast({
        tone: 'success',
        title: `${result.paused ? 'Paused' : 'Resumed'} ${queue}`,
        description: result.paused ? 'Workers start none of its tasks until it is resumed.' : 'Workers take its tasks again.',
      });
      void queryClient.invalidateQueries({ queryKey: queryKeys.queues.all() });
    },
    onError: (error) => toast({ tone: 'error', title: `Could not ${verb.toLowerCase()} ${queue}`, description: error instanceof Error ? error.message : undefined }),
  });
  return (
    <Button size="sm" variant="secondary" aria-label={`${verb} ${queue}`} disabled={toggle.isPending} onClick={() => toggle.mutate()}>
      {verb}
    </Button>
  );
}

/** Pause or resume every queue at once; pausing all stops the whole cluster's work, so it asks first. */
function PauseAllButtons() {
  const queryClient = useQueryClient();
  const { toast } = useToast();
  const [confirming, setConfirming] = useState(false);
  const toggle = useMutation({
    mutationFn: (paused: boolean) => api.post<PauseAllQueuesResponse>(paths.pauseAllQueues(paused)),
    onSuccess: (result) => {
      setConfirming(false);
      toast({ tone: 'success', title: `${result.paused ? 'Paused' : 'Resumed'} ${formatCount(result.queues.length)} queues` });
      void queryClient.invalidateQueries({ queryKey: queryKeys.queues.all() });
    },
    onError: (error) => toast({ tone: 'error', title: 'Could not change every queue', description: error instanceof Error ? error.message : undefined }),
  });
  return (
    <div className="flex justify-end gap-2">
      <Button size="sm" variant="secondary" disabled={toggle.isPending} onClick={() => setConfirming(true)}>
        Pause all
      </Button>
      <Button size="sm" variant="secondary" disabled={toggle.isPending} onClick={() => toggle.mutate(false)}>
        Resume all
      </Button>
      <ConfirmDialog
        open={confirming}
        title="Pause every queue?"
        confirmLabel="Pause all queues"
        busy={toggle.isPending}
        onCancel={() => setConfirming(false)}
        onConfirm={() => toggle.mutate(true)}
      >
        Workers finish the tasks they are running and start no new ones until the queues are resumed. New tasks still queue up.
      </ConfirmDialog>
    </div>
  );
}

const ratesSeries: readonly Series[] = [
  { key: 'enqueued', label: 'Enqueued', color: chartColors.blue },
  { key: 'dequeued', label: 'Dequeued', color: chartColors.succeeded },
];

const perMinuteRedrawMs = 30_000;

/** One queue's rates; keyed by the queue, so picking another one draws it at once. */
function RatesChart({ queue }: { queue: QueueSummary }) {
  // The counters change with every poll of the broker; the history keeps its identity until
  // one of its minutes changes (react-query's structural sharing), and between two redraws
  // (twice a minute, as the overview's per-minute charts) only the current minute grows.
  const rows = useMemo(
    () => queue.history.map((point) => ({ at: Date.parse(point.minute), enqueued: point.enqueued, dequeued: point.dequeued })),
    [queue.history],
  );
  return rows.length > 1 ? (
    <TimeChart title={`${queue.name}: messages in and out per minute (last hour)`} data={rows} series={ratesSeries} redrawMs={perMinuteRedrawMs} />
  ) : (
    <p className="text-sm text-ink-muted">No traffic recorded for {queue.name} in the last hour.</p>
  );
}

function DepthChart({ queues }: { queues: QueueSummary[] }) {
  const id = useId();
  const [selected, setSelected] = useState(queues[0] ? queueKey(queues[0]) : '');
  const queue = queues.find((item) => queueKey(item) === selected) ?? queues[0];
  if (!queue) return null;
  return (
    <Card title="Rates">
      <div className="mb-3 max-w-xs">
        <Label htmlFor={`${id}-queue`}>Queue</Label>
        <Select id={`${id}-queue`} value={queueKey(queue)} onChange={(event) => setSelected(event.target.value)}>
          {queues.map((item) => (
            <option key={queueKey(item)} value={queueKey(item)}>
              {item.cluster ? `${item.name} (${item.cluster})` : item.name}
            </option>
          ))}
        </Select>
      </div>
      <RatesChart key={queueKey(queue)} queue={queue} />
    </Card>
  );
}

/** A queue's own page (history, wait times); a Celery cluster's queue carries its cluster. */
export function queuePageHref(name: string, cluster: string | null): string {
  return `/queues/${encodeURIComponent(name)}${cluster ? `?cluster=${encodeURIComponent(cluster)}` : ''}`;
}

/** Every queue's stored history over a window: depth and wait to start. */
function HistoryCard() {
  const [range, setRange] = useState<ThroughputWindow>('1h');
  const history = useQuery({
    queryKey: queryKeys.queues.history(range),
    queryFn: ({ signal }) => api.get<QueueHistoryList>(paths.queuesHistory, { query: { window: range }, signal }),
    // The gateway samples once a minute.
    refetchInterval: 60_000,
  });
  return (
    <Card title="History">
      <div className="mb-3 max-w-xs">
        <WindowPicker value={range} onChange={setRange} />
      </div>
      {history.isError ? (
        <ErrorState what="queue history" error={history.error} onRetry={() => void history.refetch()} />
      ) : history.isPending ? (
        <Skeleton rows={4} label="Loading queue history" />
      ) : history.data.queues.length === 0 ? (
        <p className="text-sm text-ink-muted">No queue history in this window yet: the gateway samples every queue once a minute.</p>
      ) : (
        <QueuesHistoryCharts key={range} queues={history.data.queues} bucketSeconds={history.data.bucketSeconds} />
      )}
    </Card>
  );
}

/** One queue's row; memoised, so a poll that changed one queue redraws only its row. */
const QueueRow = memo(function QueueRow({ queue }: { queue: QueueSummary }) {
  return (
    <tr className="border-t border-line">
      <th scope="row" className="px-3 py-2 font-medium">
        <Link href={queuePageHref(queue.name, queue.cluster)} className="text-accent hover:underline">
          {queue.name}
        </Link>
        <ClusterBadge cluster={queue.cluster} />
        {queue.paused ? <PausedBadge /> : null}
        {queue.concurrency === null ? null : <LimitBadge limit={queue.concurrency} />}
      </th>
      <td className="px-3 py-2 tabular-nums">{formatCount(queue.ready)}</td>
      <td className="px-3 py-2 tabular-nums">{formatCount(queue.delayed)}</td>
      <td className="px-3 py-2 tabular-nums">{formatCount(queue.reserved)}</td>
      <td className="px-3 py-2 tabular-nums">
        {queue.dead > 0 ? (
          <Link href={`/dead-letters?queue=${encodeURIComponent(queue.name)}`} className="text-bad hover:underline">
            {formatCount(queue.dead)}
          </Link>
        ) : (
          '0'
        )}
      </td>
      <td className="px-3 py-2 tabular-nums">{queue.oldestAgeMs === null ? '—' : formatSeconds(queue.oldestAgeMs / 1000)}</td>
      <td className="px-3 py-2 tabular-nums">{queue.enqueuedPerMinute.toFixed(1)}</td>
      <td className="px-3 py-2 tabular-nums">{queue.dequeuedPerMinute.toFixed(1)}</td>
      <td className="px-3 py-2 text-right">
        <RequireRole role="operator">
          <div className="flex justify-end gap-2">
            {queue.cluster ? null : <ConcurrencyButton queue={queue.name} limit={queue.concurrency} />}
            {queue.cluster ? null : <PauseButton queue={queue.name} paused={queue.paused} />}
            <PurgeButton queue={queue.name} cluster={queue.cluster} />
          </div>
        </RequireRole>
      </td>
    </tr>
  );
});

export function QueuesView() {
  const queryClient = useQueryClient();
  const socketState = useSocketState();
  const list = useQuery({
    queryKey: queryKeys.queues.list(),
    queryFn: ({ signal }) => api.get<QueueList>(paths.queues, { signal }),
    refetchInterval: socketState === 'connected' ? 30_000 : 5_000,
  });
  // Each update carries every queue, so only the latest of a burst matters: it lands in the
  // cache once every 3 s at most (the gateway sends one a second while counts move), and each
  // landing re-lays out the whole table.
  const [batcher] = useState(() =>
    createBatcher<QueueSummary[]>(3_000, (updates) => {
      const queues = updates.at(-1);
      if (queues) queryClient.setQueryData<QueueList>(queryKeys.queues.list(), { available: true, queues });
    }),
  );
  useEffect(() => () => batcher.cancel(), [batcher]);
  useLiveRoom('queues', {
    onUpdate: ({ queues }) => batcher.push(queues),
    onReconnect: () => void queryClient.invalidateQueries({ queryKey: queryKeys.queues.list() }),
  });

  if (list.isPending) return <Skeleton rows={4} label="Loading queues" />;
  if (list.isError) return <ErrorState what="queues" error={list.error} onRetry={() => void list.refetch()} />;
  if (!list.data.available) {
    return <EmptyState title="No broker connected">This gateway runs without an engine app, so it cannot look into queues.</EmptyState>;
  }
  const queues = list.data.queues;
  if (queues.length === 0) return <EmptyState title="No queues yet">Queues appear once a task is sent to them or a worker consumes them.</EmptyState>;

  return (
    <div className="space-y-6">
      {queues.some((queue) => !queue.cluster) ? (
        <RequireRole role="operator">
          <PauseAllButtons />
        </RequireRole>
      ) : null}
      <DataTable caption="Queues" minWidth="min-w-[720px]" headings={['Queue', 'Ready', 'Delayed', 'Reserved', 'Dead letters', 'Oldest waiting', 'In / min', 'Out / min', '']}>
        {queues.map((queue) => (
          <QueueRow key={queueKey(queue)} queue={queue} />
        ))}
      </DataTable>
      <DepthChart queues={queues} />
      <HistoryCard />
    </div>
  );
}
