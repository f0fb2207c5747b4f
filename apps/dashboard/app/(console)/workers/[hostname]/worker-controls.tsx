'use client';

import { useMutation, useQueryClient } from '@tanstack/react-query';
import { memo, useState, type FormEvent } from 'react';
import { useHasRole } from '@/components/current-user';
import { Button } from '@/components/ui/button';
import { Card } from '@/components/ui/card';
import { ConfirmDialog } from '@/components/ui/dialog';
import { Field } from '@/components/ui/field';
import { Input } from '@/components/ui/input';
import { useToast } from '@/components/ui/toast';
import { api } from '@/lib/api-client';
import { paths, type WorkerControlBody, type WorkerControlResponse, type WorkerDetail } from '@/lib/monitor';
import { queryKeys } from '@/lib/query-keys';

/** A labelled one-line text input for the forms below. */
function TextField({
  label,
  value,
  onChange,
  className,
  placeholder,
  required = false,
}: {
  label: string;
  value: string;
  onChange: (value: string) => void;
  className: string;
  placeholder?: string;
  required?: boolean;
}) {
  // The width goes on a wrapper: the input itself fills it.
  return (
    <div className={className}>
      <Field label={label}>
        {(props) => <Input {...props} value={value} placeholder={placeholder} onChange={(event) => onChange(event.target.value)} required={required} />}
      </Field>
    </div>
  );
}

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

const ShutDown = memo(function ShutDown({ hostname }: { hostname: string }) {
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
});

/**
 * The queues the worker consumes, with add/cancel consumer for operators. Memoised on the
 * fields it shows, so a heartbeat that changed only the worker's counts does not redraw it.
 */
export const WorkerQueues = memo(function WorkerQueues({
  hostname,
  queues,
  online,
}: {
  hostname: string;
  queues: WorkerDetail['queues'];
  online: boolean;
}) {
  const mayAct = useHasRole('operator') && online;
  const command = useWorkerCommand(hostname);
  const [queue, setQueue] = useState('');

  function add(event: FormEvent) {
    event.preventDefault();
    const name = queue.trim();
    if (!name) return;
    command.mutate({ command: 'add_consumer', arguments: { queue: name } }, { onSuccess: () => setQueue('') });
  }

  return (
    <Card title="Queues consumed">
      {queues.length === 0 ? (
        <p className="text-sm text-ink-muted">None.</p>
      ) : (
        <ul className="flex flex-wrap gap-2">
          {queues.map((name) => (
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
          <TextField label="Queue to consume" value={queue} onChange={setQueue} className="w-56" />
          <Button type="submit" variant="secondary" disabled={command.isPending || !queue.trim()}>
            Add consumer
          </Button>
        </form>
      ) : null}
    </Card>
  );
});

const Limits = memo(function Limits({ hostname, poolSize }: { hostname: string; poolSize: number | null }) {
  const command = useWorkerCommand(hostname);
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
        <TextField label="Rate limit: task" value={rateTask} onChange={setRateTask} className="w-56" required />
        <TextField label="Rate" value={rate} onChange={setRate} className="w-64" placeholder="10/s, 100/m; empty removes" />
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
        <TextField label="Time limit: task" value={limitTask} onChange={setLimitTask} className="w-56" required />
        <TextField label="Soft limit" value={soft} onChange={setSoft} className="w-28" placeholder="30s" />
        <TextField label="Hard limit" value={hard} onChange={setHard} className="w-28" placeholder="1m" />
        <Button type="submit" variant="secondary" disabled={command.isPending}>
          Set time limit
        </Button>
      </form>
    </Card>
  );
});

export const WorkerControls = { ShutDown, Limits };
