'use client';

import { useQuery, useQueryClient } from '@tanstack/react-query';
import Link from 'next/link';
import { ClusterBadge } from '@/components/cluster-badge';
import { useHasRole } from '@/components/current-user';
import { RelativeTime } from '@/components/ui/relative-time';
import { TaskStateBadge } from '@/components/task-state-badge';
import { EmptyState, ErrorState, Skeleton } from '@/components/ui/states';
import { DataTable } from '@/components/ui/data-table';
import { api } from '@/lib/api-client';
import { plural } from '@/lib/format';
import { useLiveRoom } from '@/lib/live';
import { finishedStates, paths, scheduleHref, type ScheduleList, type ScheduleRun } from '@/lib/monitor';
import { queryKeys } from '@/lib/query-keys';
import { foldScheduleUpdate } from '@/lib/schedule-cache';
import { describeStored } from '@/lib/schedule-math';
import { EnabledSwitch, RunNowButton } from './schedule-actions';

export function SchedulesView() {
  const queryClient = useQueryClient();
  const mayAct = useHasRole('operator');
  const list = useQuery({
    queryKey: queryKeys.schedules.list(),
    queryFn: ({ signal }) => api.get<ScheduleList>(paths.schedules, { signal }),
    // The feed announces runs, not how their tasks end: while a last run's task is still
    // on its way, or a run the store announced is not recorded yet, re-read the list now and
    // then so its outcome appears.
    refetchInterval: (query) => (awaitsOutcome(query.state.data) ? 3_000 : false),
  });
  useLiveRoom('schedules', {
    onUpdate: (update) => foldScheduleUpdate(queryClient, update),
    onReconnect: () => void queryClient.invalidateQueries({ queryKey: queryKeys.schedules.all() }),
  });

  if (list.isPending) return <Skeleton rows={4} label="Loading schedules" />;
  if (list.isError) return <ErrorState what="schedules" error={list.error} onRetry={() => void list.refetch()} />;
  if (!list.data.available) {
    return <EmptyState title="No broker connected">This gateway runs without an engine app or a watched Celery cluster, so it cannot read schedules.</EmptyState>;
  }
  const schedules = list.data.schedules;
  if (schedules.length === 0) {
    return (
      <EmptyState title="No schedules yet">
        {mayAct ? 'Create one with "New schedule", or declare beatSchedule in your app.' : 'Schedules declared in code or created by an operator appear here.'}
      </EmptyState>
    );
  }

  return (
    <DataTable caption="Schedules" minWidth="min-w-[820px]" headings={['Name', 'Task', 'Kind', 'When', 'Next run', 'Last run', 'Enabled', '']}>
      {schedules.map((schedule) => (
        <tr key={`${schedule.cluster ?? ''}/${schedule.name}`} className={`border-t border-line ${schedule.enabled ? '' : 'text-ink-muted'}`}>
          <th scope="row" className="px-3 py-2 font-medium">
            <Link href={scheduleHref(schedule.name, schedule.cluster)} className="text-accent hover:underline">
              {schedule.name}
            </Link>
            {schedule.source === 'code' ? <span className="ml-2 text-xs text-ink-muted">(code)</span> : null}
            <ClusterBadge cluster={schedule.cluster} />
          </th>
          <td className="px-3 py-2 font-mono text-xs">{schedule.task}</td>
          <td className="px-3 py-2">{schedule.schedule.kind}</td>
          <td className="px-3 py-2">{describeStored(schedule)}</td>
          <td className="px-3 py-2">{schedule.enabled ? <RelativeTime value={schedule.nextRunAt} /> : '—'}</td>
          <td className="px-3 py-2">
            <RelativeTime value={schedule.lastRunAt} />
            {schedule.totalRunCount > 0 ? <span className="ml-1 text-xs text-ink-muted">({plural(schedule.totalRunCount, 'run')})</span> : null}
            {schedule.cluster === null ? <LastRunOutcome run={list.data.lastRuns[schedule.name]} /> : null}
          </td>
          <td className="px-3 py-2">
            {mayAct ? <EnabledSwitch schedule={schedule} /> : schedule.enabled ? 'On' : 'Off'}
          </td>
          <td className="px-3 py-2 text-right">{mayAct ? <RunNowButton schedule={schedule} /> : null}</td>
        </tr>
      ))}
    </DataTable>
  );
}

/** How long a run the store announced may take to be recorded before the list stops asking. */
const recordingGraceMs = 60_000;

function awaitsOutcome(list: ScheduleList | undefined): boolean {
  if (!list) return false;
  if (Object.values(list.lastRuns).some((run) => !isFinished(run))) return true;
  // The live update (from the schedule store) can overtake the run's own event on its way to the
  // database; the list re-read at that update then still holds the previous run.
  // Only the gateway's own schedules' runs are recorded; a Celery cluster's beat's are not.
  return list.schedules.some((schedule) => {
    if (schedule.lastRunAt === null || schedule.cluster !== null) return false;
    const ranAt = Date.parse(schedule.lastRunAt);
    const recorded = list.lastRuns[schedule.name];
    const recordedAt = recorded ? Date.parse(recorded.firedAt ?? recorded.dueAt) : -Infinity;
    return recordedAt < ranAt && Date.now() - ranAt < recordingGraceMs;
  });
}

function isFinished(run: ScheduleRun): boolean {
  return run.taskState === null || finishedStates.has(run.taskState);
}

/** The state the newest run's task reached, linked to that task. */
function LastRunOutcome({ run }: { run: ScheduleRun | undefined }) {
  if (!run?.taskId) return null;
  return (
    <Link href={`/tasks/${encodeURIComponent(run.taskId)}`} className="ml-2" aria-label={`Last run: ${run.taskState ?? 'unknown'}`}>
      <TaskStateBadge state={run.taskState} />
    </Link>
  );
}
