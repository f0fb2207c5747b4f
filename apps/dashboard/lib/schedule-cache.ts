// Schedules from the live feed folded into the cached list and detail views.
import type { QueryClient } from '@tanstack/react-query';
import type { LivePayload } from './live';
import type { ScheduleDetail, ScheduleList } from './monitor';
import { queryKeys } from './query-keys';

export function foldScheduleUpdate(queryClient: QueryClient, update: LivePayload<'schedules:update'>): void {
  const changed = new Map(update.schedules.map((schedule) => [schedule.name, schedule]));
  const removed = new Set(update.removed);
  queryClient.setQueryData<ScheduleList>(queryKeys.schedules.list(), (current) => {
    if (!current) return current;
    const kept = current.schedules.filter((schedule) => !removed.has(schedule.name) && !changed.has(schedule.name));
    return { ...current, schedules: [...kept, ...changed.values()].sort((a, b) => a.name.localeCompare(b.name)) };
  });
  for (const schedule of changed.values()) {
    const key = queryKeys.schedules.detail(schedule.name);
    const current = queryClient.getQueryData<ScheduleDetail>(key);
    if (!current) continue;
    queryClient.setQueryData<ScheduleDetail>(key, { ...current, schedule });
    // A run or an edit changes the run history and the timetable: re-read that one schedule.
    if (current.schedule.totalRunCount !== schedule.totalRunCount || current.schedule.version !== schedule.version) {
      void queryClient.invalidateQueries({ queryKey: key });
    }
  }
}
