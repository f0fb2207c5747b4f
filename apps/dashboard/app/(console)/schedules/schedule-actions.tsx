'use client';

import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Button } from '@/components/ui/button';
import { useToast } from '@/components/ui/toast';
import { api } from '@/lib/api-client';
import { paths, scheduleQuery, type Schedule, type ScheduleResponse } from '@/lib/monitor';
import { queryKeys } from '@/lib/query-keys';
import { foldScheduleUpdate } from '@/lib/schedule-cache';

function errorText(error: unknown): string | undefined {
  return error instanceof Error ? error.message : undefined;
}

/** "Run now": beat sends the task at its next tick, outside the timetable. */
export function RunNowButton({ schedule, size = 'sm' }: { schedule: Pick<Schedule, 'name' | 'cluster'>; size?: 'sm' | 'md' }) {
  const { name, cluster } = schedule;
  const queryClient = useQueryClient();
  const { toast } = useToast();
  const run = useMutation({
    mutationFn: () => api.post<ScheduleResponse>(paths.runSchedule(name), undefined, { query: scheduleQuery(cluster) }),
    onSuccess: () => {
      toast({ tone: 'success', title: `${name}: run requested`, description: 'Beat sends it within a second or so.' });
      void queryClient.invalidateQueries({ queryKey: queryKeys.schedules.detail(name, cluster) });
    },
    onError: (error) => toast({ tone: 'error', title: `Could not run ${name}`, description: errorText(error) }),
  });
  return (
    <Button size={size} variant="secondary" disabled={run.isPending} onClick={() => run.mutate()}>
      Run now
    </Button>
  );
}

/** The enabled switch: pauses or resumes the schedule. */
export function EnabledSwitch({ schedule, disabled = false }: { schedule: Schedule; disabled?: boolean }) {
  const queryClient = useQueryClient();
  const { toast } = useToast();
  const toggle = useMutation({
    mutationFn: (enable: boolean) =>
      api.post<ScheduleResponse>(paths.scheduleToggle(schedule.name, enable), { version: schedule.version }, { query: scheduleQuery(schedule.cluster) }),
    onSuccess: (result, enable) => {
      // The answer is the saved schedule: put it in the cache at once, so the switch does not
      // flip back to the old state while the refetch is on its way.
      foldScheduleUpdate(queryClient, { schedules: [result.schedule], removed: [] });
      toast({ tone: 'success', title: `${schedule.name} ${enable ? 'enabled' : 'paused'}` });
      void queryClient.invalidateQueries({ queryKey: queryKeys.schedules.all() });
    },
    onError: (error) => {
      toast({ tone: 'error', title: `Could not change ${schedule.name}`, description: errorText(error) });
      void queryClient.invalidateQueries({ queryKey: queryKeys.schedules.all() });
    },
  });
  // Set in the change handler itself, so the switch moves with the click; react-query's own
  // pending state reaches the component a tick later, which would let it flick back.
  const [wanted, setWanted] = useState<boolean | null>(null);
  const checked = wanted ?? schedule.enabled;
  return (
    <label className="inline-flex cursor-pointer items-center gap-2">
      <input
        type="checkbox"
        role="switch"
        aria-label={`Enabled: ${schedule.name}${schedule.cluster ? ` (${schedule.cluster})` : ''}`}
        checked={checked}
        disabled={disabled || toggle.isPending}
        onChange={(event) => {
          const enable = event.target.checked;
          setWanted(enable);
          toggle.mutate(enable, { onSettled: () => setWanted(null) });
        }}
        className="peer sr-only"
      />
      <span
        aria-hidden="true"
        className="relative inline-block h-5 w-9 rounded-full bg-line transition-colors peer-checked:bg-accent peer-focus-visible:outline-2 peer-focus-visible:outline-accent peer-disabled:opacity-60 after:absolute after:top-0.5 after:left-0.5 after:size-4 after:rounded-full after:bg-surface-raised after:transition-transform peer-checked:after:translate-x-4"
      />
      <span className="text-xs text-ink-muted">{checked ? 'On' : 'Off'}</span>
    </label>
  );
}
