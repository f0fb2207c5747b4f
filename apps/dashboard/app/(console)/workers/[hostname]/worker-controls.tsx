'use client';

import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useId, useState, type FormEvent } from 'react';
import { useHasRole } from '@/components/current-user';
import { Button } from '@/components/ui/button';
import { Card } from '@/components/ui/card';
import { ConfirmDialog } from '@/components/ui/dialog';
import { Input } from '@/components/ui/input';
import { Label } from '@/components/ui/label';
import { useToast } from '@/components/ui/toast';
import { api } from '@/lib/api-client';
import { paths, type WorkerControlBody, type WorkerControlResponse, type WorkerDetail } from '@/lib/monitor';
import { queryKeys } from '@/lib/query-keys';

/** Sends one remote-control command and toasts the worker's reply. */
function useWorkerCommand(hostname: string) {
  const queryClient = useQueryClient();
  const { toast } = useToast();
  return useMutation({
    mutationFn: (body: WorkerControlBody) => api.post<WorkerControlResponse>(paths.workerControl(hostname), body),
    onSuccess: (result) => {
      toast({ tone: 'success', title: `${hostname}: ${result.command}`, description: result.reply });
      void queryClient.invalidateQueries({ queryKey: queryKeys.workers.detail(hostname) });
    },
    onError: (error, body) =>
      toast({
        tone: 'error',
        title: `${body.command} failed`,
        description: error instanceof Error ? error.message : undefined,
      }),
  });
}

function ShutDown({ hostname }: { hostname: string }) {
  const command = useWorkerCommand(hostname);
  const [confirming, setConfirming] = useState(false);
  return (
    <>
      <Button variant="danger" onClick={() => setConfirming(true)}>
        Shut down
      </Button>
      <ConfirmDialog
        open={confirming}
        title={`Shut down ${hostname}?`}
        confirmLabel="Shut down"
        busy={command.isPending}
        onCancel={() => setConfirming(false)}
        onConfirm={() =>
          command.mutate({ command: 'shutdown', arguments: {} }, { onSettled: () => setConfirming(false) })
        }
      >
        The worker finishes the tasks it is running (warm shutdown) and exits. Something outside Lovage
        (systemd, Kubernetes) decides whether it comes back.
      </ConfirmDialog>
    </>
  );
}

/** The queues the worker consumes, with add/cancel consumer for operators. */
export function WorkerQueues({ worker }: { worker: WorkerDetail }) {
  const mayAct = useHasRole('operator') && worker.online;
  const command = useWorkerCommand(worker.hostname);
  const [queue, setQueue] = useState('');
  const id = useId();

  function add(event: FormEvent) {
    event.preventDefault();
    const name = queue.trim();
    if (!name) return;
    command.mutate({ command: 'add_consumer', arguments: { queue: name } }, { onSuccess: () => setQueue('') });
  }

  return (
    <Card title="Queues consumed">
      {worker.queues.length === 0 ? (
        <p className="text-sm text-ink-muted">None.</p>
      ) : (
        <ul className="flex flex-wrap gap-2">
          {worker.queues.map((name) => (
            <li key={name} className="inline-flex items-center gap-1 rounded-full border border-line px-3 py-1 text-sm">
              {name}
              {mayAct ? (
                <button
                  type="button"
                  className="ml-1 rounded px-1 text-ink-muted hover:text-bad"
                  aria-label={`Stop consuming ${name}`}
                  disabled={command.isPending}
                  onClick={() => command.mutate({ command: 'cancel_consumer', arguments: { queue: name } })}
                >
                  <span aria-hidden="true">×</span>
                </button>
              ) : null}
            </li>
          ))}
        </ul>
      )}
      {mayAct ? (
        <form onSubmit={add} className="mt-3 flex flex-wrap items-end gap-2">
          <div>
            <Label htmlFor={`${id}-queue`}>Queue to consume</Label>
            <Input id={`${id}-queue`} value={queue} onChange={(event) => setQueue(event.target.value)} className="w-56" />
          </div>
          <Button type="submit" variant="secondary" disabled={command.isPending || !queue.trim()}>
            Add consumer
          </Button>
        </form>
      ) : null}
    </Card>
  );
}

function Limits({ hostname, poolSize }: { hostname: string; poolSize: number | null }) {
  const command = useWorkerCommand(hostname);
  const id = useId();
  const [rateTask, setRateTask] = useState('');
  const [rate, setRate] = useState('');
  const [limitTask, setLimitTask] = useState('');
  const [soft, setSoft] = useState('');
  const [hard, setHard] = useState('');

  return (
    <Card title="Pool and limits">
      <div className="flex flex-wrap items-center gap-2 text-sm">
        <span>Pool size: {poolSize ?? '—'}</span>
        <Button size="sm" variant="secondary" disabled={command.isPending} onClick={() => command.mutate({ command: 'pool_grow', arguments: { n: 1 } })}>
          Grow pool
        </Button>
        <Button
          size="sm"
          variant="secondary"
          disabled={command.isPending || (poolSize !== null && poolSize <= 1)}
          onClick={() => command.mutate({ command: 'pool_shrink', arguments: { n: 1 } })}
        >
          Shrink pool
        </Button>
      </div>
      <form
        className="mt-4 flex flex-wrap items-end gap-2"
        onSubmit={(event) => {
          event.preventDefault();
          command.mutate({ command: 'rate_limit', arguments: { task: rateTask.trim(), rate: rate.trim() || null } });
        }}
      >
        <div>
          <Label htmlFor={`${id}-rate-task`}>Rate limit: task</Label>
          <Input id={`${id}-rate-task`} value={rateTask} onChange={(event) => setRateTask(event.target.value)} className="w-56" required />
        </div>
        <div>
          <Label htmlFor={`${id}-rate`}>Rate</Label>
          <Input id={`${id}-rate`} value={rate} placeholder="10/s, 100/m; empty removes" onChange={(event) => setRate(event.target.value)} className="w-56" />
        </div>
        <Button type="submit" variant="secondary" disabled={command.isPending}>
          Set rate limit
        </Button>
      </form>
      <form
        className="mt-4 flex flex-wrap items-end gap-2"
        onSubmit={(event) => {
          event.preventDefault();
          command.mutate({
            command: 'time_limit',
            arguments: { task: limitTask.trim(), soft: soft.trim() || null, hard: hard.trim() || null },
          });
        }}
      >
        <div>
          <Label htmlFor={`${id}-limit-task`}>Time limit: task</Label>
          <Input id={`${id}-limit-task`} value={limitTask} onChange={(event) => setLimitTask(event.target.value)} className="w-56" required />
        </div>
        <div>
          <Label htmlFor={`${id}-soft`}>Soft limit</Label>
          <Input id={`${id}-soft`} value={soft} placeholder="30s" onChange={(event) => setSoft(event.target.value)} className="w-28" />
        </div>
        <div>
          <Label htmlFor={`${id}-hard`}>Hard limit</Label>
          <Input id={`${id}-hard`} value={hard} placeholder="1m" onChange={(event) => setHard(event.target.value)} className="w-28" />
        </div>
        <Button type="submit" variant="secondary" disabled={command.isPending}>
          Set time limit
        </Button>
      </form>
    </Card>
  );
}

export const WorkerControls = { ShutDown, Limits };
