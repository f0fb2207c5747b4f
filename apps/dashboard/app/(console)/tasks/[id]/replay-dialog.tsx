'use client';

// "Run again with…": a finished task sent again with edited arguments (the gateway's retry with
// a body), as often as wanted, and the links between a task and its re-runs, both ways.
import { useMutation, useQueryClient } from '@tanstack/react-query';
import Link from 'next/link';
import { useRouter } from 'next/navigation';
import { useState } from 'react';
import { RequireRole } from '@/components/current-user';
import { JsonField } from '@/components/json-field';
import { Alert } from '@/components/ui/alert';
import { Button } from '@/components/ui/button';
import { DialogButtons, Modal } from '@/components/ui/dialog';
import { useToast } from '@/components/ui/toast';
import { api } from '@/lib/api-client';
import { editableJson, parseJsonArray, parseJsonObject } from '@/lib/json-input';
import { finishedStates, paths, type RetryTaskResponse, type TaskDetail } from '@/lib/monitor';
import { queryKeys } from '@/lib/query-keys';

const taskHref = (id: string) => `/tasks/${encodeURIComponent(id)}`;

/** "Replay of <id>" on a re-run, "Replayed as <id>" for each re-run of this task (newest first). */
export function ReplayLinks({ task }: { task: TaskDetail }) {
  if (!task.retriedFromId && task.replays.length === 0) return null;
  return (
    <ul className="space-y-1 text-sm" aria-label="Replays">
      {task.retriedFromId ? (
        <li>
          Replay of{' '}
          <Link href={taskHref(task.retriedFromId)} className="font-mono text-xs text-accent underline">
            {task.retriedFromId}
          </Link>
        </li>
      ) : null}
      {task.replays.map((replay) => (
        <li key={replay.id}>
          Replayed as{' '}
          <Link href={taskHref(replay.id)} className="font-mono text-xs text-accent underline">
            {replay.id}
          </Link>{' '}
          <span className="text-xs text-ink-muted">({replay.state})</span>
        </li>
      ))}
    </ul>
  );
}

function ReplayForm({ task, onDone }: { task: TaskDetail; onDone: () => void }) {
  const queryClient = useQueryClient();
  const router = useRouter();
  const { toast } = useToast();
  const celery = task.cluster !== null;
  // A Lovage handler takes kwargs as a trailing object: offered when the task had some. A Celery task always has them.
  const hasKwargs = celery || (task.kwargs !== null && typeof task.kwargs === 'object' && Object.keys(task.kwargs).length > 0);
  const [argsText, setArgsText] = useState(() => editableJson(task.args, '[]'));
  const [kwargsText, setKwargsText] = useState(() => editableJson(task.kwargs, '{}'));
  const args = parseJsonArray(argsText, 'Arguments');
  const kwargs = hasKwargs ? parseJsonObject(kwargsText, 'Keyword arguments') : null;
  const valid = args.ok && (kwargs === null || kwargs.ok);

  const mutation = useMutation({
    mutationFn: () =>
      api.post<RetryTaskResponse>(paths.retryTask(task.id), {
        ...(args.ok ? { args: args.value } : {}),
        ...(kwargs?.ok ? { kwargs: kwargs.value } : {}),
      }),
    onSuccess: (result) => {
      void queryClient.invalidateQueries({ queryKey: queryKeys.tasks.detail(task.id) });
      toast({ tone: 'success', title: 'Task sent again', description: `The new task is ${result.retriedIntoId}.` });
      onDone();
      router.push(taskHref(result.retriedIntoId));
    },
  });

  return (
    <form
      className="mt-4 space-y-4"
      onSubmit={(event) => {
        event.preventDefault();
        if (valid && !mutation.isPending) mutation.mutate();
      }}
    >
      <JsonField
        label="Arguments (JSON)"
        value={argsText}
        onChange={setArgsText}
        error={args.ok ? undefined : args.error}
        hint={
          celery
            ? "A JSON array. The monitor keeps a Celery task's arguments as Python text: write them as JSON."
            : 'A JSON array of positional arguments, such as [42, "a"].'
        }
      />
      {hasKwargs ? (
        <JsonField
          label="Keyword arguments (JSON)"
          rows={3}
          value={kwargsText}
          onChange={setKwargsText}
          error={kwargs && !kwargs.ok ? kwargs.error : undefined}
          hint='A JSON object, such as {"retries": 2}.'
        />
      ) : null}
      {mutation.isError ? <Alert>{mutation.error instanceof Error ? mutation.error.message : 'The task could not be sent.'}</Alert> : null}
      <DialogButtons onCancel={onDone} busy={mutation.isPending}>
        <Button type="submit" disabled={!valid || mutation.isPending}>
          {mutation.isPending ? 'Sending…' : 'Run again'}
        </Button>
      </DialogButtons>
    </form>
  );
}

/** The "Run again with…" button and its dialog, for operators, on any finished task. */
export function ReplayButton({ task }: { task: TaskDetail }) {
  const [open, setOpen] = useState(false);
  if (!finishedStates.has(task.state)) return null;
  return (
    <RequireRole role="operator">
      <Button variant="secondary" onClick={() => setOpen(true)}>
        Run again with…
      </Button>
      <Modal
        open={open}
        wide
        title={`Run ${task.name} again`}
        description={`A new task is sent to queue ${task.queue} with these arguments, linked to this one.`}
        onCancel={() => setOpen(false)}
      >
        {/* Mounted while open only: each opening starts from the task's own arguments. */}
        {() => (open ? <ReplayForm task={task} onDone={() => setOpen(false)} /> : null)}
      </Modal>
    </RequireRole>
  );
}
