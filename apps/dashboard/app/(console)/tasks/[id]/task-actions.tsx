'use client';

import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useRouter } from 'next/navigation';
import { useState } from 'react';
import { RequireRole } from '@/components/current-user';
import { Button } from '@/components/ui/button';
import { ConfirmDialog } from '@/components/ui/dialog';
import { useToast } from '@/components/ui/toast';
import { api } from '@/lib/api-client';
import { finishedStates, paths, type RetryTaskResponse, type RevokeTaskResponse, type TaskDetail } from '@/lib/monitor';
import { queryKeys } from '@/lib/query-keys';
import { ReplayButton, ReplayLinks } from './replay-dialog';

type Action = 'revoke' | 'terminate' | 'retry';

const copy: Record<Action, { title: string; confirm: string; body: string }> = {
  revoke: {
    title: 'Revoke this task?',
    confirm: 'Revoke',
    body: 'A worker that receives it will discard it instead of running it. A run already in progress continues.',
  },
  terminate: {
    title: 'Terminate this task?',
    confirm: 'Terminate',
    body: 'The running attempt is told to stop now (its abort signal fires) and is cut loose after a grace period.',
  },
  retry: {
    title: 'Retry this task?',
    confirm: 'Retry',
    body: 'A new task is sent with the same name, arguments, queue and priority, linked to this one.',
  },
};

/** Revoke, Terminate (while running), Retry (failed, revoked or rejected, once) and Run again with… (any finished task), for operators; the replay links for everyone. */
export function TaskActions({ task }: { task: TaskDetail }) {
  const queryClient = useQueryClient();
  const router = useRouter();
  const { toast } = useToast();
  const [confirming, setConfirming] = useState<Action | null>(null);

  const mutation = useMutation({
    mutationFn: async (action: Action) => {
      if (action === 'retry') return api.post<RetryTaskResponse>(paths.retryTask(task.id));
      return api.post<RevokeTaskResponse>(paths.revokeTask(task.id), { terminate: action === 'terminate' });
    },
    onSuccess: (result, action) => {
      setConfirming(null);
      void queryClient.invalidateQueries({ queryKey: queryKeys.tasks.detail(task.id) });
      if ('retriedIntoId' in result) {
        toast({ tone: 'success', title: 'Task retried', description: `The new task is ${result.retriedIntoId}.` });
        router.push(`/tasks/${encodeURIComponent(result.retriedIntoId)}`);
      } else {
        toast({
          tone: 'success',
          title: action === 'terminate' ? 'Task terminated' : 'Task revoked',
          ...(task.state === 'PENDING' && task.eta
            ? { description: 'It waits in the broker until its ETA; the worker that receives it then discards it, and it shows REVOKED.' }
            : {}),
        });
      }
    },
    onError: (error, action) => {
      setConfirming(null);
      toast({
        tone: 'error',
        title: `Could not ${action} the task`,
        description: error instanceof Error ? error.message : undefined,
      });
    },
  });

  const finished = finishedStates.has(task.state);
  const canRetry = (task.state === 'FAILURE' || task.state === 'REVOKED' || task.state === 'REJECTED') && !task.retriedIntoId;
  const action = confirming ? copy[confirming] : null;

  return (
    <div className="space-y-2">
      <RequireRole role="operator">
        <div className="flex flex-wrap gap-2">
          {!finished ? (
            <Button variant="danger" onClick={() => setConfirming('revoke')}>
              Revoke
            </Button>
          ) : null}
          {task.state === 'STARTED' ? (
            <Button variant="danger" onClick={() => setConfirming('terminate')}>
              Terminate
            </Button>
          ) : null}
          {canRetry ? <Button onClick={() => setConfirming('retry')}>Retry</Button> : null}
          <ReplayButton task={task} />
        </div>
        <ConfirmDialog
          open={confirming !== null}
          title={action?.title ?? ''}
          confirmLabel={action?.confirm ?? ''}
          busy={mutation.isPending}
          onCancel={() => setConfirming(null)}
          onConfirm={() => confirming && mutation.mutate(confirming)}
        >
          {action?.body}
        </ConfirmDialog>
      </RequireRole>
      <ReplayLinks task={task} />
    </div>
  );
}
