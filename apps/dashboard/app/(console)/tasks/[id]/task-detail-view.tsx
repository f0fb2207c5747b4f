'use client';

import { useQuery, useQueryClient } from '@tanstack/react-query';
import Link from 'next/link';
import { TaskStateBadge } from '@/components/task-state-badge';
import { Card } from '@/components/ui/card';
import { DetailHeader, Fact } from '@/components/ui/detail';
import { CodeBlock, CopyButton } from '@/components/ui/copy-button';
import { RelativeTime } from '@/components/ui/relative-time';
import { ErrorState, Skeleton } from '@/components/ui/states';
import { api, ApiError } from '@/lib/api-client';
import { formatAbsolute, formatSeconds, prettyJson } from '@/lib/format';
import { foldLiveUpdate, useLiveRoom } from '@/lib/live';
import { paths, type TaskAttempt, type TaskDetail, type TaskDetailResponse, type TaskLink } from '@/lib/monitor';
import { queryKeys } from '@/lib/query-keys';
import { TaskActions } from './task-actions';
import { TaskLogsSection } from './task-logs';
import { TaskProgressSection } from './task-progress';
import { WorkflowSection } from './workflow-graph';

function LinkedTask({ task }: { task: TaskLink }) {
  return (
    <span className="inline-flex flex-wrap items-center gap-2">
      <Link href={`/tasks/${encodeURIComponent(task.id)}`} className="font-medium text-accent hover:underline">
        {task.name}
      </Link>
      <TaskStateBadge state={task.state} />
      <span className="font-mono text-xs text-ink-muted">{task.id}</span>
    </span>
  );
}

/** Every state change the task went through, oldest first, from its timestamps and attempts. */
function timelineOf(task: TaskDetail): { at: string; label: string }[] {
  const entries: { at: string; label: string }[] = [];
  const add = (at: string | null, label: string) => {
    if (at) entries.push({ at, label });
  };
  add(task.sentAt, 'Sent');
  add(task.receivedAt, 'Received by a worker');
  if (task.attempts.length > 0) {
    for (const attempt of task.attempts) {
      add(attempt.startedAt, `Attempt ${attempt.attempt} started${attempt.worker ? ` on ${attempt.worker}` : ''}`);
      if (attempt.endedAt && attempt.outcome !== 'RUNNING') {
        const label: Record<string, string> = {
          SUCCESS: 'Succeeded',
          RETRY: 'Failed, retry scheduled',
          FAILURE: 'Failed',
          REVOKED: 'Revoked while running',
          LOST: 'Lost (worker went away)',
        };
        add(attempt.endedAt, `Attempt ${attempt.attempt}: ${label[attempt.outcome] ?? attempt.outcome}`);
      }
    }
  } else {
    add(task.startedAt, 'Started');
    add(task.retriedAt, 'Retry scheduled');
    add(task.succeededAt, 'Succeeded');
    add(task.failedAt, 'Failed');
  }
  add(task.revokedAt, 'Revoked');
  add(task.rejectedAt, 'Rejected (dead-lettered)');
  if (entries.length === 0) add(task.createdAt, 'Created');
  return entries.sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
}

function AttemptEntry({ attempt }: { attempt: TaskAttempt }) {
  const failed = attempt.errorName !== null || attempt.errorMessage !== null;
  return (
    <li className="rounded-md border border-line p-3" aria-label={`Attempt ${attempt.attempt}`}>
      <div className="flex flex-wrap items-baseline gap-x-4 gap-y-1 text-sm">
        <h3 className="font-semibold">Attempt {attempt.attempt}</h3>
        <span className={attempt.outcome === 'SUCCESS' ? 'text-ok' : attempt.outcome === 'RUNNING' ? '' : 'text-bad'}>
          {attempt.outcome}
        </span>
        <span className="text-ink-muted">on {attempt.worker ?? 'unknown worker'}</span>
        <span className="text-ink-muted">
          started <RelativeTime value={attempt.startedAt} />
        </span>
        <span className="text-ink-muted">ran {formatSeconds(attempt.runtime)}</span>
        {attempt.nextRetryAt ? (
          <span>
            next try due <time dateTime={attempt.nextRetryAt} title={formatAbsolute(attempt.nextRetryAt)}>{formatAbsolute(attempt.nextRetryAt)}</time>
          </span>
        ) : null}
      </div>
      {failed ? (
        <p className="mt-2 font-mono text-sm break-words">
          <span className="font-semibold text-bad">{attempt.errorName ?? 'Error'}</span>
          {attempt.errorMessage ? `: ${attempt.errorMessage}` : ''}
        </p>
      ) : null}
      {attempt.errorStack ? (
        <details className="mt-2">
          <summary className="cursor-pointer text-sm text-accent">Stack trace</summary>
          <div className="mt-2">
            <CodeBlock text={attempt.errorStack} label={`Stack trace of attempt ${attempt.attempt}`} />
          </div>
        </details>
      ) : null}
    </li>
  );
}

export function TaskDetailView({ id }: { id: string }) {
  const queryClient = useQueryClient();
  const query = useQuery({
    queryKey: queryKeys.tasks.detail(id),
    queryFn: async ({ signal }) => (await api.get<TaskDetailResponse>(paths.task(id), { signal })).task,
    // A task just sent (a retry, say) is stored once its first event lands: keep asking a while.
    refetchInterval: (current) =>
      current.state.error instanceof ApiError && current.state.error.status === 404 && current.state.errorUpdateCount < 30 ? 2_000 : false,
  });

  // The live feed sends the task's new fields and the attempts that changed: merged in place.
  useLiveRoom(`task:${id}`, {
    onUpdate: (update) => {
      if (update.task.id !== id) return;
      foldLiveUpdate<TaskDetail>(queryClient, queryKeys.tasks.detail(id), (current) => {
        if (!current) return current;
        const attempts = new Map(current.attempts.map((attempt) => [attempt.attempt, attempt]));
        for (const attempt of update.attempts) attempts.set(attempt.attempt, attempt);
        return {
          ...current,
          ...update.task,
          attempts: [...attempts.values()].sort((a, b) => a.attempt - b.attempt),
        };
      });
      // A new retry link names a task the event does not describe: fetch it once.
      const known = queryClient.getQueryData<TaskDetail>(queryKeys.tasks.detail(id));
      if (known && known.retriedIntoId && !known.retriedInto) void queryClient.invalidateQueries({ queryKey: queryKeys.tasks.detail(id) });
    },
    // A task can finish, or log a line, between the page's first fetches and the join (a retry
    // runs at once on an idle worker): fetch once more when joined, so nothing sent before the
    // join is missed. A first fetch still in flight is cancelled, not joined: its answer may
    // predate what the room will no longer send.
    onJoined: () => {
      for (const queryKey of [queryKeys.tasks.detail(id), queryKeys.tasks.logs(id)]) {
        void queryClient.cancelQueries({ queryKey, exact: true }).then(() => queryClient.invalidateQueries({ queryKey, exact: true }));
      }
    },
    onReconnect: () => void queryClient.invalidateQueries({ queryKey: queryKeys.tasks.detail(id) }),
  });

  if (query.isPending) return <Skeleton rows={8} label="Loading the task" />;
  if (query.isError) {
    if (query.error instanceof ApiError && query.error.status === 404) {
      return (
        <div>
          <h1 className="text-2xl font-semibold">Task not found</h1>
          <p className="mt-2 text-ink-muted">
            No task with id <span className="font-mono">{id}</span> is stored yet. A task just sent appears within a few
            seconds (this page keeps looking); an old one may have been removed by retention. <Link href="/tasks" className="text-accent underline">Back to tasks</Link>
          </p>
        </div>
      );
    }
    return <ErrorState what="the task" error={query.error} onRetry={() => void query.refetch()} />;
  }
  const task = query.data;
  const timeline = timelineOf(task);
  const hasKwargs = task.kwargs !== null && task.kwargs !== undefined && !(typeof task.kwargs === 'object' && Object.keys(task.kwargs).length === 0);

  return (
    <div className="space-y-6">
      <DetailHeader
        back={{ href: '/tasks', label: 'Tasks' }}
        kind="task"
        title={
          <>
            <span>{task.name}</span>
            <TaskStateBadge state={task.state} />
          </>
        }
        subtitle={<p className="mt-1 font-mono text-xs break-all text-ink-muted">{task.id}</p>}
        actions={<TaskActions task={task} />}
      />

      <Card title="Details">
        <dl className="grid gap-4 text-sm sm:grid-cols-2 lg:grid-cols-4">
          <Fact term="Worker">
            {task.worker ? (
              <Link href={`/workers/${encodeURIComponent(task.worker)}`} className="text-accent hover:underline">
                {task.worker}
              </Link>
            ) : (
              '—'
            )}
          </Fact>
          <Fact term="Queue">{task.queue}</Fact>
          {task.cluster ? <Fact term="Celery cluster">{task.cluster}</Fact> : null}
          <Fact term="Runtime">{formatSeconds(task.runtime)}</Fact>
          <Fact term="Retries">{task.retries}</Fact>
          <Fact term="Created">
            <RelativeTime value={task.createdAt} />
          </Fact>
          <Fact term="ETA">{task.eta ? <RelativeTime value={task.eta} /> : '—'}</Fact>
          <Fact term="Expires">{task.expires ? <RelativeTime value={task.expires} /> : '—'}</Fact>
          <Fact term="Priority">{task.priority ?? '—'}</Fact>
          {task.schedule ? (
            <Fact term="Schedule">
              <Link href={`/schedules/${encodeURIComponent(task.schedule.name)}`} className="text-accent hover:underline">
                {task.schedule.name}
              </Link>
            </Fact>
          ) : null}
          {task.groupId ? <Fact term="Group">{task.groupId}</Fact> : null}
          {task.traceId ? (
            <div className="min-w-0 sm:col-span-2">
              <dt className="text-xs font-medium text-ink-muted uppercase">Trace id</dt>
              <dd className="mt-0.5 flex items-center gap-2">
                <span className="font-mono text-xs break-all">{task.traceId}</span>
                <CopyButton text={task.traceId} label="Copy trace id" />
              </dd>
            </div>
          ) : null}
        </dl>
      </Card>

      <TaskProgressSection progress={task.progress} state={task.state} />

      <WorkflowSection taskId={task.id} likely={task.rootId !== null || task.groupId !== null || task.children.length > 0} />

      {task.parent || task.root || task.children.length > 0 || task.retriedFrom || task.retriedInto ? (
        <Card title="Related tasks">
          <dl className="space-y-2 text-sm">
            {task.parent ? (
              <Fact term="Parent">
                <LinkedTask task={task.parent} />
              </Fact>
            ) : null}
            {task.root && task.root.id !== task.parent?.id && task.root.id !== task.id ? (
              <Fact term="Root">
                <LinkedTask task={task.root} />
              </Fact>
            ) : null}
            {task.retriedFrom ? (
              <Fact term="Retried from">
                <LinkedTask task={task.retriedFrom} />
              </Fact>
            ) : null}
            {task.retriedInto ? (
              <Fact term="Retried into">
                <LinkedTask task={task.retriedInto} />
              </Fact>
            ) : null}
            {task.children.length > 0 ? (
              <Fact term={`Children (${task.children.length})`}>
                <ul className="space-y-1">
                  {task.children.map((child) => (
                    <li key={child.id}>
                      <LinkedTask task={child} />
                    </li>
                  ))}
                </ul>
              </Fact>
            ) : null}
          </dl>
        </Card>
      ) : null}

      <div className="grid grid-cols-1 gap-6 lg:grid-cols-2">
        <Card title="Arguments">
          <CodeBlock text={prettyJson(task.args)} label="Arguments" />
          {hasKwargs ? (
            <div className="mt-3">
              <CodeBlock text={prettyJson(task.kwargs)} label="Keyword arguments" />
            </div>
          ) : null}
        </Card>
        <Card title="Result">
          {task.resultPreview !== null ? (
            <CodeBlock text={prettyJson(task.resultPreview)} label="Result" />
          ) : task.errorName || task.errorMessage ? (
            <p className="font-mono text-sm break-words">
              <span className="font-semibold text-bad">{task.errorName ?? 'Error'}</span>
              {task.errorMessage ? `: ${task.errorMessage}` : ''}
            </p>
          ) : (
            <p className="text-sm text-ink-muted">No result yet.</p>
          )}
        </Card>
      </div>

      <Card title="Timeline">
        <ol className="relative space-y-2 border-l border-line pl-4 text-sm">
          {timeline.map((entry, index) => (
            <li key={`${entry.at}-${index}`}>
              <span aria-hidden="true" className="absolute -left-[5px] mt-1.5 inline-block size-2.5 rounded-full bg-accent" />
              <span className="font-medium">{entry.label}</span>{' '}
              <span className="text-ink-muted">
                <RelativeTime value={entry.at} />
              </span>
            </li>
          ))}
        </ol>
      </Card>

      <TaskLogsSection taskId={task.id} />

      <Card title="Retry history">
        {task.attempts.length === 0 ? (
          <p className="text-sm text-ink-muted">No attempt has started yet.</p>
        ) : (
          <ol className="space-y-3">
            {task.attempts.map((attempt) => (
              <AttemptEntry key={attempt.attempt} attempt={attempt} />
            ))}
          </ol>
        )}
      </Card>
    </div>
  );
}
