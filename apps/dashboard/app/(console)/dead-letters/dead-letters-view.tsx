'use client';

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useRouter, useSearchParams } from 'next/navigation';
import { useId, useState } from 'react';
import { useHasRole } from '@/components/current-user';
import { Button } from '@/components/ui/button';
import { CodeBlock } from '@/components/ui/copy-button';
import { ConfirmDialog } from '@/components/ui/dialog';
import { Select } from '@/components/ui/input';
import { Label } from '@/components/ui/label';
import { RelativeTime } from '@/components/ui/relative-time';
import { EmptyState, ErrorState, Skeleton } from '@/components/ui/states';
import { useToast } from '@/components/ui/toast';
import { api } from '@/lib/api-client';
import { plural, prettyJson } from '@/lib/format';
import { paths, type DeadLetter, type DeadLetterList, type DeadLetterResponse, type QueueList } from '@/lib/monitor';
import { queryKeys } from '@/lib/query-keys';

type Operation = 'requeue' | 'drop';

/** How often the task was retried before it was dead-lettered, read from the task message. */
function retriesOf(letter: DeadLetter): string {
  return /"retries"\s*:\s*(\d+)/.exec(letter.body)?.[1] ?? '—';
}

export function DeadLettersView() {
  const id = useId();
  const router = useRouter();
  const queryClient = useQueryClient();
  const { toast } = useToast();
  const mayAct = useHasRole('operator');
  const queue = useSearchParams().get('queue') ?? '';
  const [selected, setSelected] = useState<ReadonlySet<string>>(new Set());
  const [confirming, setConfirming] = useState<{ operation: Operation; queue: string; ids: string[] } | null>(null);
  const [open, setOpen] = useState<string | null>(null);

  const queues = useQuery({
    queryKey: queryKeys.queues.list(),
    queryFn: ({ signal }) => api.get<QueueList>(paths.queues, { signal }),
  });
  const list = useQuery({
    queryKey: queryKeys.deadLetters.list(queue),
    queryFn: ({ signal }) => api.get<DeadLetterList>(paths.deadLetters, { query: { queue, limit: 500 }, signal }),
  });

  const act = useMutation({
    mutationFn: ({ operation, queue: target, ids }: { operation: Operation; queue: string; ids: string[] }) =>
      api.post<DeadLetterResponse>(operation === 'requeue' ? paths.requeueDeadLetters : paths.dropDeadLetters, { queue: target, ids }),
    onSuccess: (result, { operation }) => {
      toast({
        tone: 'success',
        title: `${operation === 'requeue' ? 'Requeued' : 'Dropped'} ${plural(result.count, 'message')}`,
        ...(result.missing > 0 ? { description: `${result.missing} were no longer dead letters.` } : {}),
      });
      setSelected(new Set());
      setConfirming(null);
      void queryClient.invalidateQueries({ queryKey: queryKeys.deadLetters.all() });
      void queryClient.invalidateQueries({ queryKey: queryKeys.queues.all() });
    },
    onError: (error, { operation }) => {
      setConfirming(null);
      toast({ tone: 'error', title: `Could not ${operation}`, description: error instanceof Error ? error.message : undefined });
    },
  });

  function toggle(letterId: string) {
    setSelected((current) => {
      const next = new Set(current);
      if (next.has(letterId)) next.delete(letterId);
      else next.add(letterId);
      return next;
    });
  }

  const letters = list.data?.deadLetters ?? [];
  const chosen = letters.filter((letter) => selected.has(letter.id));
  const chosenQueues = [...new Set(chosen.map((letter) => letter.queue))];

  function confirmSelected(operation: Operation) {
    // The API acts on one queue at a time: a selection across queues is sent queue by queue.
    const [first] = chosenQueues;
    if (!first) return;
    setConfirming({ operation, queue: first, ids: chosen.filter((letter) => letter.queue === first).map((letter) => letter.id) });
  }

  return (
    <div className="space-y-4">
      <div className="flex flex-wrap items-end gap-3">
        <div className="w-64">
          <Label htmlFor={`${id}-queue`}>Queue</Label>
          <Select
            id={`${id}-queue`}
            value={queue}
            onChange={(event) => {
              setSelected(new Set());
              router.replace(event.target.value ? `/dead-letters?queue=${encodeURIComponent(event.target.value)}` : '/dead-letters');
            }}
          >
            <option value="">All queues</option>
            {(queues.data?.queues ?? []).map((item) => (
              <option key={item.name} value={item.name}>
                {item.name} ({item.dead})
              </option>
            ))}
          </Select>
        </div>
        {mayAct && chosen.length > 0 ? (
          <div className="flex flex-wrap items-center gap-2">
            <span className="text-sm">
              {chosen.length} selected{chosenQueues.length > 1 ? ` across ${chosenQueues.length} queues (acts on ${chosenQueues[0]} first)` : ''}
            </span>
            <Button size="sm" onClick={() => confirmSelected('requeue')}>
              Requeue selected
            </Button>
            <Button size="sm" variant="danger" onClick={() => confirmSelected('drop')}>
              Drop selected
            </Button>
          </div>
        ) : null}
      </div>
      {list.isPending ? (
        <Skeleton rows={4} label="Loading dead letters" />
      ) : list.isError ? (
        <ErrorState what="dead letters" error={list.error} onRetry={() => void list.refetch()} />
      ) : !list.data.available ? (
        <EmptyState title="No broker connected">This gateway runs without an engine app, so it cannot read dead letters.</EmptyState>
      ) : letters.length === 0 ? (
        <EmptyState title="No dead letters">
          Messages land here when they are rejected, expire or fail to decode. None has{queue ? ` in ${queue}` : ''} so far.
        </EmptyState>
      ) : (
        <ul className="space-y-2">
          {letters.map((letter) => (
            <li key={`${letter.queue}:${letter.id}`} className="rounded-lg border border-line bg-surface-raised p-3 text-sm">
              <div className="flex flex-wrap items-center gap-3">
                {mayAct ? (
                  <input
                    type="checkbox"
                    aria-label={`Select dead letter ${letter.id}`}
                    checked={selected.has(letter.id)}
                    onChange={() => toggle(letter.id)}
                  />
                ) : null}
                <span className="font-medium">{letter.task ?? 'unknown task'}</span>
                <span className="text-ink-muted">{letter.queue}</span>
                <span className="text-bad">{letter.reason}</span>
                <span className="text-ink-muted">retries: {retriesOf(letter)}</span>
                <span className="text-ink-muted">
                  <RelativeTime value={letter.at} />
                </span>
                <div className="ml-auto flex gap-2">
                  <Button size="sm" variant="ghost" aria-expanded={open === letter.id} onClick={() => setOpen(open === letter.id ? null : letter.id)}>
                    {open === letter.id ? 'Hide payload' : 'Show payload'}
                  </Button>
                  {mayAct ? (
                    <>
                      <Button
                        size="sm"
                        variant="secondary"
                        aria-label={`Requeue ${letter.id}`}
                        onClick={() => setConfirming({ operation: 'requeue', queue: letter.queue, ids: [letter.id] })}
                      >
                        Requeue
                      </Button>
                      <Button
                        size="sm"
                        variant="danger"
                        aria-label={`Drop ${letter.id}`}
                        onClick={() => setConfirming({ operation: 'drop', queue: letter.queue, ids: [letter.id] })}
                      >
                        Drop
                      </Button>
                    </>
                  ) : null}
                </div>
              </div>
              {open === letter.id ? (
                <div className="mt-2">
                  <CodeBlock text={prettyJson(letter.body)} label={`Payload of ${letter.id}`} />
                  {letter.bodyTruncated ? <p className="mt-1 text-xs text-ink-muted">Cut at 4 KiB.</p> : null}
                </div>
              ) : null}
            </li>
          ))}
        </ul>
      )}
      <ConfirmDialog
        open={confirming !== null}
        title={confirming?.operation === 'drop' ? 'Drop dead letters?' : 'Requeue dead letters?'}
        confirmLabel={confirming?.operation === 'drop' ? 'Drop' : 'Requeue'}
        busy={act.isPending}
        onCancel={() => setConfirming(null)}
        onConfirm={() => confirming && act.mutate(confirming)}
      >
        {confirming
          ? confirming.operation === 'drop'
            ? `Delete ${plural(confirming.ids.length, 'message')} from ${confirming.queue} for good?`
            : `Put ${plural(confirming.ids.length, 'message')} back on ${confirming.queue}? Workers will run them again.`
          : null}
      </ConfirmDialog>
    </div>
  );
}
