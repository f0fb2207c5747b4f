// Schedules from the live feed folded into the cached list and detail views.
import type { QueryClient } from '@tanstack/react-query';
import type { LivePayload } from './live';
import type { ScheduleDetail, ScheduleList } from './monitor';
import { queryKeys } from './query-keys';

/** A schedule's identity across stores (the gateway's own, each Celery cluster's beat's). */
const keyOf = (schedule: { name: string; cluster: string | null }) => `${schedule.cluster ?? ''}\u0000${schedule.name}`;

export function foldScheduleUpdate(queryClient: QueryClient, update: LivePayload<'schedules:update'>): void {
  const changed = new Map(update.schedules.map((schedule) => [keyOf(schedule), schedule]));
  const removed = new Set(update.removed.map(keyOf));
  let ran = false;
  queryClient.setQueryData<ScheduleList>(queryKeys.schedules.list(), (current) => {
    if (!current) return current;
    // A message sent before an edit can arrive after the edit's own answer: an older version never wins.
    for (const schedule of current.schedules) {
      const incoming = changed.get(keyOf(schedule));
      if (incoming && incoming.version < schedule.version) changed.delete(keyOf(schedule));
    }
    ran = current.schedules.some((schedule) => schedule.totalRunCount !== (changed.get(keyOf(schedule))?.totalRunCount ?? schedule.totalRunCount));
    const kept = current.schedules.filter((schedule) => !removed.has(keyOf(schedule)) && !changed.has(keyOf(schedule)));
    // The gateway's own schedules first, then each cluster's; by name within each.
    const order = (a: { cluster: string | null; name: string }, b: { cluster: string | null; name: string }) =>
      (a.cluster ?? '').localeCompare(b.cluster ?? '') || a.name.localeCompare(b.name);
    return { ...current, schedules: [...kept, ...changed.values()].sort(order) };
  });
  // A new run's outcome (the list's lastRuns) comes from the database: re-read the list, once per update.
  if (ran) void queryClient.invalidateQueries({ queryKey: queryKeys.schedules.list(), exact: true });
  for (const schedule of changed.values()) {
    const key = queryKeys.schedules.detail(schedule.name, schedule.cluster);
    const current = queryClient.getQueryData<ScheduleDetail>(key);
    if (!current || schedule.version < current.schedule.version) continue;
    queryClient.setQueryData<ScheduleDetail>(key, { ...current, schedule });
    // A run or an edit changes the run history and the timetable: re-read that one schedule.
    if (current.schedule.totalRunCount !== schedule.totalRunCount || current.schedule.version !== schedule.version) {
      void queryClient.invalidateQueries({ queryKey: key });
    }
  }
}
