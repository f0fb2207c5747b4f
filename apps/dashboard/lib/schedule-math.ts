// Beat's own schedule math (validation, next runs, human-readable description), so the
// schedule form's preview is computed by exactly the code the engine runs. The engine's beat
// module is pure (Intl and plain TypeScript) and the engine exports it on its own, as
// `@lovage/engine/beat`, so the page never pulls in the Node entry point (and ioredis).
import {
  describeSchedule,
  isTimeZone,
  listTimeZones,
  nextRuns,
  resolveSchedule,
  type ResolvedSchedule,
} from '@lovage/engine/beat';

export { describeSchedule, isTimeZone, listTimeZones, nextRuns, resolveSchedule, type ResolvedSchedule };

/** The engine's validation message without its `beatSchedule.<name>.` prefix. */
export function scheduleErrorText(error: unknown, name: string): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.replace(`beatSchedule.${name}.`, '').replace(`beatSchedule.${name}`, 'schedule');
}

/** "At 08:00 every day, Europe/Paris" for a stored schedule; its raw form when it does not resolve. */
export function describeStored(schedule: {
  name: string;
  task: string;
  schedule: { kind: 'interval'; everyMs: number } | { kind: 'crontab'; expression: string } | { kind: 'clocked'; at: string };
  timezone: string;
}): string {
  try {
    const spec =
      schedule.schedule.kind === 'interval'
        ? schedule.schedule.everyMs
        : schedule.schedule.kind === 'crontab'
          ? schedule.schedule.expression
          : { clocked: schedule.schedule.at };
    return describeSchedule(resolveSchedule(schedule.name, { task: schedule.task, schedule: spec, timezone: schedule.timezone }));
  } catch {
    return schedule.schedule.kind === 'crontab' ? schedule.schedule.expression : schedule.schedule.kind;
  }
}
