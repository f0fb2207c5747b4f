'use client';

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import Link from 'next/link';
import { useRouter } from 'next/navigation';
import { useState } from 'react';
import { ClusterBadge } from '@/components/cluster-badge';
import { useHasRole } from '@/components/current-user';
import { TaskStateBadge } from '@/components/task-state-badge';
import { Button, buttonClasses } from '@/components/ui/button';
import { Card } from '@/components/ui/card';
import { CompactTable } from '@/components/ui/data-table';
import { DetailHeader, Fact } from '@/components/ui/detail';
import { ConfirmDialog } from '@/components/ui/dialog';
import { RelativeTime } from '@/components/ui/relative-time';
import { ErrorState, Skeleton } from '@/components/ui/states';
import { useToast } from '@/components/ui/toast';
import { api, ApiError } from '@/lib/api-client';
import { formatAbsolute, formatSeconds, plural, previewJson } from '@/lib/format';
import { useLiveRoom } from '@/lib/live';
import { paths, scheduleHref, scheduleQuery, type ScheduleDetail } from '@/lib/monitor';
import { queryKeys } from '@/lib/query-keys';
import { foldScheduleUpdate } from '@/lib/schedule-cache';
import { describeStored } from '@/lib/schedule-math';
import { EnabledSwitch, RunNowButton } from '../schedule-actions';

/** The fields an edit changed, as "field: before → after". */
function changedFields(before: unknown, after: unknown): string[] {
  const a = (typeof before === 'object' && before !== null ? before : {}) as Record<string, unknown>;
  const b = (typeof after === 'object' && after !== null ? after : {}) as Record<string, unknown>;
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].filter(
    (key) => !['version', 'updatedAt', 'updatedBy', 'lastRunAt', 'nextRunAt', 'lastDueAt', 'totalRunCount', 'runRequestedAt'].includes(key),
  );
  return keys
    .filter((key) => JSON.stringify(a[key]) !== JSON.stringify(b[key]))
    .map((key) => `${key}: ${key in a ? previewJson(a[key], 60) : '—'} → ${key in b ? previewJson(b[key], 60) : '—'}`);
}

export function ScheduleDetailView({ name, cluster }: { name: string; cluster: string | null }) {
  const queryClient = useQueryClient();
  const router = useRouter();
  const { toast } = useToast();
  const mayAct = useHasRole('operator');
  const [deleting, setDeleting] = useState(false);
  const query = useQuery({
    queryKey: queryKeys.schedules.detail(name, cluster),
    queryFn: ({ signal }) => api.get<ScheduleDetail>(paths.schedule(name), { signal, query: scheduleQuery(cluster) }),
  });
  useLiveRoom('schedules', {
    onUpdate: (update) => foldScheduleUpdate(queryClient, update),
    onReconnect: () => void queryClient.invalidateQueries({ queryKey: queryKeys.schedules.detail(name, cluster) }),
  });
  const remove = useMutation({
    mutationFn: (version: number) => api.delete(paths.schedule(name), { query: { version, ...scheduleQuery(cluster) } }),
    onSuccess: () => {
      toast({ tone: 'success', title: `Deleted ${name}` });
      void queryClient.invalidateQueries({ queryKey: queryKeys.schedules.all() });
      router.push('/schedules');
    },
    onError: (error) => {
      setDeleting(false);
      toast({
        tone: 'error',
        title: `Could not delete ${name}`,
        description: error instanceof ApiError && error.status === 409 ? 'Someone changed it meanwhile: look again, then retry.' : error instanceof Error ? error.message : undefined,
      });
    },
  });

  if (query.isPending) return <Skeleton rows={6} label="Loading the schedule" />;
  if (query.isError) return <ErrorState what="the schedule" error={query.error} onRetry={() => void query.refetch()} />;
  const { schedule, nextRuns, runs, changes } = query.data;

  return (
    <div className="space-y-6">
      <DetailHeader
        back={{ href: '/schedules', label: 'Schedules' }}
        kind="schedule"
        title={schedule.name}
        subtitle={
          <p className="mt-1 text-ink-muted">
            {describeStored(schedule)}
            <ClusterBadge cluster={schedule.cluster} />
          </p>
        }
        actions={
          mayAct ? (
            <div className="flex flex-wrap items-center gap-2">
              <EnabledSwitch schedule={schedule} />
              <RunNowButton schedule={schedule} size="md" />
              <Link href={scheduleHref(schedule.name, schedule.cluster, '/edit')} className={buttonClasses('secondary')}>
                Edit
              </Link>
              <Button variant="danger" onClick={() => setDeleting(true)}>
                Delete
              </Button>
            </div>
          ) : null
        }
      />

      <div className="grid gap-6 lg:grid-cols-[1fr_20rem]">
        <Card title="Definition">
          <dl className="grid gap-4 text-sm sm:grid-cols-2 lg:grid-cols-3">
            <Fact term="Task">
              <Link href={`/tasks?name=${encodeURIComponent(schedule.task)}`} className="font-mono text-accent hover:underline">
                {schedule.task}
              </Link>
            </Fact>
            <Fact term="Kind">{schedule.schedule.kind}</Fact>
            <Fact term="Timezone">{schedule.timezone}</Fact>
            <Fact term="Arguments">
              <span className="font-mono text-xs">{previewJson(schedule.args, 200)}</span>
            </Fact>
            <Fact term="Queue">{schedule.queue ?? 'task default'}</Fact>
            <Fact term="Enabled">{schedule.enabled ? 'Yes' : 'No'}</Fact>
            <Fact term="Source">{schedule.source === 'code' ? 'Declared in code' : 'Created here'}</Fact>
            <Fact term="Runs so far">{schedule.totalRunCount}</Fact>
            <Fact term="Last run">
              <RelativeTime value={schedule.lastRunAt} />
            </Fact>
            <Fact term="Updated">
              <RelativeTime value={schedule.updatedAt} /> {schedule.updatedBy ? `by ${schedule.updatedBy}` : ''}
            </Fact>
            <Fact term="Version">{schedule.version}</Fact>
          </dl>
        </Card>
        <Card title="Next runs">
          {nextRuns.length === 0 ? (
            <p className="text-sm text-ink-muted">{schedule.enabled ? 'No runs ahead.' : 'Paused.'}</p>
          ) : (
            <ol className="space-y-1 text-sm tabular-nums">
              {nextRuns.map((run) => (
                <li key={run} title={formatAbsolute(run)}>
                  {new Date(run).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short', timeZone: schedule.timezone })}{' '}
                  <span className="text-xs text-ink-muted">
                    (<RelativeTime value={run} />)
                  </span>
                </li>
              ))}
            </ol>
          )}
        </Card>
      </div>

      <Card title="Run history">
        {schedule.cluster ? (
          <p className="text-sm text-ink-muted">
            The beat of the Celery cluster {schedule.cluster} has sent it {plural(schedule.totalRunCount, 'time')}; its tasks show on the Tasks page under that cluster.
          </p>
        ) : runs.length === 0 ? (
          <p className="text-sm text-ink-muted">It has not fired yet.</p>
        ) : (
          <CompactTable
            caption={`Runs of ${schedule.name}, newest first`}
            columns={[{ label: 'Due' }, { label: 'Fired' }, { label: 'Task' }, { label: 'State' }, { label: 'Runtime' }]}
          >
            {runs.map((run) => (
              <tr key={`${run.dueAt}-${run.taskId ?? ''}`} className="border-t border-line">
                <td className="py-1.5 pr-3">
                  <RelativeTime value={run.dueAt} />
                </td>
                <td className="py-1.5 pr-3">
                  <RelativeTime value={run.firedAt} />
                </td>
                <td className="py-1.5 pr-3 font-mono text-xs">
                  {run.taskId ? (
                    <Link href={`/tasks/${encodeURIComponent(run.taskId)}`} className="text-accent hover:underline">
                      {run.taskId}
                    </Link>
                  ) : (
                    '—'
                  )}
                </td>
                <td className="py-1.5 pr-3">
                  <TaskStateBadge state={run.taskState} />
                </td>
                <td className="py-1.5">{formatSeconds(run.runtime)}</td>
              </tr>
            ))}
          </CompactTable>
        )}
      </Card>

      <Card title="Changes">
        {schedule.cluster ? (
          <p className="text-sm text-ink-muted">
            Edits of a Celery cluster&rsquo;s schedules are kept in the <Link href="/audit" className="text-accent hover:underline">audit log</Link>.
          </p>
        ) : changes.length === 0 ? (
          <p className="text-sm text-ink-muted">No edits recorded.</p>
        ) : (
          <ol className="space-y-3 text-sm">
            {changes.map((change, index) => (
              <li key={`${change.at}-${index}`} className="border-t border-line pt-2 first:border-t-0 first:pt-0">
                <p>
                  <span className="font-medium">{change.actor}</span> <span className="font-mono text-xs">{change.action}</span>{' '}
                  <span className="text-ink-muted">
                    <RelativeTime value={change.at} />
                  </span>
                </p>
                <ul className="mt-1 space-y-0.5 font-mono text-xs text-ink-muted">
                  {changedFields(change.before, change.after).map((line) => (
                    <li key={line} className="break-all">
                      {line}
                    </li>
                  ))}
                </ul>
              </li>
            ))}
          </ol>
        )}
      </Card>

      <ConfirmDialog
        open={deleting}
        title={`Delete ${schedule.name}?`}
        confirmLabel="Delete"
        busy={remove.isPending}
        onCancel={() => setDeleting(false)}
        onConfirm={() => remove.mutate(schedule.version)}
      >
        Beat stops sending {schedule.task} on this timetable. Its run history stays.
        {schedule.source === 'code' ? ' It is declared in code, so the next deploy may bring it back.' : ''}
      </ConfirmDialog>
    </div>
  );
}
