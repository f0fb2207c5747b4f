'use client';

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import Link from 'next/link';
import { useRouter } from 'next/navigation';
import { useId, useMemo, useState, type FormEvent } from 'react';
import { Alert } from '@/components/ui/alert';
import { Button, buttonClasses } from '@/components/ui/button';
import { Card } from '@/components/ui/card';
import { Field } from '@/components/ui/field';
import { Input } from '@/components/ui/input';
import { useToast } from '@/components/ui/toast';
import { api, ApiError } from '@/lib/api-client';
import { paths, scheduleHref, scheduleQuery, type Schedule, type ScheduleList, type ScheduleResponse, type TaskFacets } from '@/lib/monitor';
import { queryKeys } from '@/lib/query-keys';
import { describeSchedule, isTimeZone, listTimeZones, nextRuns, resolveSchedule, scheduleErrorText, type ResolvedSchedule } from '@/lib/schedule-math';

interface FormValues {
  name: string;
  task: string;
  interval: string;
  crontab: string;
  timezone: string;
  args: string;
  queue: string;
  enabled: boolean;
}

type Errors = Partial<Record<keyof FormValues, string>>;

function formatInterval(everyMs: number): string {
  for (const [unit, ms] of [['d', 86_400_000], ['h', 3_600_000], ['m', 60_000], ['s', 1_000]] as const) {
    if (everyMs % ms === 0) return `${everyMs / ms}${unit}`;
  }
  return `${everyMs}ms`;
}

function valuesOf(schedule: Schedule | undefined): FormValues {
  if (!schedule) {
    return { name: '', task: '', interval: '', crontab: '', timezone: 'UTC', args: '[]', queue: '', enabled: true };
  }
  return {
    name: schedule.name,
    task: schedule.task,
    interval: schedule.schedule.kind === 'interval' ? formatInterval(schedule.schedule.everyMs) : '',
    crontab: schedule.schedule.kind === 'crontab' ? schedule.schedule.expression : '',
    timezone: schedule.timezone,
    args: JSON.stringify(schedule.args),
    queue: schedule.queue ?? '',
    enabled: schedule.enabled,
  };
}

/** What beat would store, with every problem found on the way: the form validates as you type. */
function check(values: FormValues, original: Schedule | undefined): { errors: Errors; definition?: Record<string, unknown>; resolved?: ResolvedSchedule } {
  const errors: Errors = {};
  const name = values.name.trim();
  if (!name) errors.name = 'Give the schedule a name.';
  else if (name.length > 200) errors.name = 'At most 200 characters.';
  if (!values.task.trim()) errors.task = 'Choose the task to send.';
  const interval = values.interval.trim();
  const crontab = values.crontab.trim();
  if (interval && crontab) errors.crontab = 'Give an interval or a crontab, not both.';
  else if (!interval && !crontab && original?.schedule.kind !== 'clocked') errors.interval = 'Give an interval (such as 30s or 5m) or a crontab.';
  if (!isTimeZone(values.timezone.trim())) errors.timezone = `"${values.timezone}" is not an IANA time zone (such as Europe/Paris or UTC).`;
  let args: unknown = [];
  try {
    args = JSON.parse(values.args.trim() || '[]');
    if (!Array.isArray(args)) errors.args = 'Must be a JSON array, such as ["weekly", 3].';
  } catch (error) {
    errors.args = `Not valid JSON: ${error instanceof Error ? error.message : 'parse error'}`;
  }
  if (Object.keys(errors).length > 0) return { errors };

  const schedule: unknown = interval ? (/^\d+$/.test(interval) ? Number(interval) : interval) : crontab || (original ? original.schedule : '');
  // Fields this form does not edit are sent back as they were, so saving keeps them.
  const definition: Record<string, unknown> = {
    task: values.task.trim(),
    schedule,
    args,
    queue: values.queue.trim() || null,
    enabled: values.enabled,
    timezone: values.timezone.trim(),
    ...(original
      ? {
          kwargs: original.kwargs,
          priority: original.priority,
          expiresMs: original.expiresMs,
          oneOff: original.oneOff,
          startAt: original.startAt,
          endAt: original.endAt,
          description: original.description,
          catchUp: original.catchUp,
        }
      : {}),
  };
  try {
    return { errors, definition, resolved: resolveSchedule(name, definition) };
  } catch (error) {
    const text = scheduleErrorText(error, name);
    const field: keyof FormValues = text.startsWith('timezone')
      ? 'timezone'
      : text.startsWith('args')
        ? 'args'
        : text.startsWith('queue')
          ? 'queue'
          : text.startsWith('task')
            ? 'task'
            : interval
              ? 'interval'
              : 'crontab';
    return { errors: { [field]: text } };
  }
}

/** The New schedule and Edit forms: live validation and the next five runs by beat's own code. */
export function ScheduleForm({ original }: { original?: Schedule }) {
  const id = useId();
  const router = useRouter();
  const queryClient = useQueryClient();
  const { toast } = useToast();
  const [values, setValues] = useState<FormValues>(() => valuesOf(original));
  const [touched, setTouched] = useState<Partial<Record<keyof FormValues, boolean>>>({});
  const [submitted, setSubmitted] = useState(false);
  const [conflict, setConflict] = useState(false);
  const [serverError, setServerError] = useState<string | null>(null);
  const [now] = useState(() => Date.now());

  const facets = useQuery({
    queryKey: queryKeys.tasks.facets(),
    queryFn: ({ signal }) => api.get<TaskFacets>(paths.taskFacets, { signal }),
    staleTime: 60_000,
    retry: false,
  });
  const schedules = useQuery({
    queryKey: queryKeys.schedules.list(),
    queryFn: ({ signal }) => api.get<ScheduleList>(paths.schedules, { signal }),
  });
  const taskNames = useMemo(
    () => [...new Set([...(facets.data?.names ?? []), ...(schedules.data?.schedules ?? []).map((schedule) => schedule.task)])].sort(),
    [facets.data, schedules.data],
  );
  const timeZones = useMemo(() => listTimeZones(), []);

  const result = useMemo(() => check(values, original), [values, original]);
  const preview = useMemo(() => {
    if (!result.resolved) return null;
    try {
      return { text: describeSchedule(result.resolved), runs: nextRuns(result.resolved, new Date(now), 5) };
    } catch {
      return null;
    }
  }, [result.resolved, now]);

  const save = useMutation({
    mutationFn: (definition: Record<string, unknown>) =>
      original
        ? api.put<ScheduleResponse>(paths.schedule(original.name), { ...definition, version: original.version }, { query: scheduleQuery(original.cluster) })
        : api.post<ScheduleResponse>(paths.schedules, { name: values.name.trim(), ...definition }),
    onSuccess: (response) => {
      toast({ tone: 'success', title: original ? 'Schedule saved' : 'Schedule created' });
      void queryClient.invalidateQueries({ queryKey: queryKeys.schedules.all() });
      router.push(scheduleHref(response.schedule.name, response.schedule.cluster));
    },
    onError: (error) => {
      if (error instanceof ApiError && error.status === 409) {
        setConflict(true);
        return;
      }
      setServerError(error instanceof Error ? error.message : 'The schedule could not be saved.');
    },
  });

  function set<K extends keyof FormValues>(key: K, value: FormValues[K]) {
    setValues((current) => ({ ...current, [key]: value }));
    setTouched((current) => ({ ...current, [key]: true }));
    setServerError(null);
  }

  function submit(event: FormEvent) {
    event.preventDefault();
    setSubmitted(true);
    if (result.definition && Object.keys(result.errors).length === 0) save.mutate(result.definition);
  }

  const errorFor = (key: keyof FormValues) => (submitted || touched[key] ? result.errors[key] : undefined);

  return (
    <form onSubmit={submit} noValidate aria-label={original ? `Edit schedule ${original.name}` : 'New schedule'} className="grid gap-6 lg:grid-cols-[1fr_22rem]">
      <Card title="Definition">
        <div className="grid gap-4 sm:grid-cols-2">
          <Field label="Name" error={errorFor('name')} hint={original ? 'The name cannot change.' : 'Unique, such as nightly-report.'}>
            {(props) => <Input {...props} value={values.name} disabled={Boolean(original)} onChange={(event) => set('name', event.target.value)} />}
          </Field>
          <Field label="Task" error={errorFor('task')} hint="A registered task name.">
            {(props) => (
              <>
                <Input {...props} list={`${id}-tasks`} autoComplete="off" value={values.task} onChange={(event) => set('task', event.target.value)} />
                <datalist id={`${id}-tasks`}>
                  {taskNames.map((name) => (
                    <option key={name} value={name} />
                  ))}
                </datalist>
              </>
            )}
          </Field>
          <Field label="Interval" error={errorFor('interval')} hint="Every 30s, 5m, 1h… (or milliseconds). Leave empty for a crontab.">
            {(props) => <Input {...props} value={values.interval} placeholder="5m" onChange={(event) => set('interval', event.target.value)} />}
          </Field>
          <Field label="Crontab" error={errorFor('crontab')} hint="minute hour day-of-month month day-of-week, such as 0 8 * * 1-5.">
            {(props) => <Input {...props} value={values.crontab} placeholder="0 8 * * *" className="font-mono" onChange={(event) => set('crontab', event.target.value)} />}
          </Field>
          <Field label="Timezone" error={errorFor('timezone')} hint="The zone a crontab's hours are in.">
            {(props) => (
              <>
                <Input {...props} list={`${id}-zones`} autoComplete="off" value={values.timezone} onChange={(event) => set('timezone', event.target.value)} />
                <datalist id={`${id}-zones`}>
                  {timeZones.map((zone) => (
                    <option key={zone} value={zone} />
                  ))}
                </datalist>
              </>
            )}
          </Field>
          <Field label="Queue" error={errorFor('queue')} hint="Empty: the task's own queue.">
            {(props) => <Input {...props} value={values.queue} onChange={(event) => set('queue', event.target.value)} />}
          </Field>
          <div className="sm:col-span-2">
            <Field label="Arguments (JSON)" error={errorFor('args')} hint='A JSON array of positional arguments, such as ["weekly", 3].'>
              {(props) => (
                <textarea
                  {...props}
                  rows={4}
                  value={values.args}
                  spellCheck={false}
                  onChange={(event) => set('args', event.target.value)}
                  className="block w-full rounded-md border border-line bg-surface px-3 py-2 font-mono text-sm text-ink aria-[invalid=true]:border-bad"
                />
              )}
            </Field>
          </div>
          <label className="flex items-center gap-2 text-sm font-medium">
            <input type="checkbox" checked={values.enabled} onChange={(event) => set('enabled', event.target.checked)} />
            Enabled
          </label>
        </div>
        {conflict ? (
          <div className="mt-4">
            <Alert>
              Someone else saved this schedule after you opened it, so your changes were not saved.{' '}
              <Link href={scheduleHref(original?.name ?? values.name, original?.cluster)} className="underline">
                See their version
              </Link>{' '}
              and make your edit again.
            </Alert>
          </div>
        ) : null}
        {serverError ? (
          <div className="mt-4">
            <Alert>{serverError}</Alert>
          </div>
        ) : null}
        <div className="mt-6 flex gap-2">
          <Button type="submit" disabled={save.isPending}>
            {original ? 'Save schedule' : 'Create schedule'}
          </Button>
          <Link href={original ? scheduleHref(original.name, original.cluster) : '/schedules'} className={buttonClasses('ghost')}>
            Cancel
          </Link>
        </div>
      </Card>
      <section aria-label="Next runs" aria-live="polite" className="h-fit rounded-lg border border-line bg-surface-raised p-4 shadow-sm">
        <h2 className="mb-2 text-sm font-semibold tracking-wide text-ink-muted uppercase">Next runs</h2>
        {preview ? (
          <>
            <p className="font-medium">{preview.text}</p>
            {preview.runs.length === 0 ? (
              <p className="mt-2 text-sm text-ink-muted">No runs ahead.</p>
            ) : (
              <ol aria-label="Next five runs" className="mt-2 space-y-1 text-sm">
                {preview.runs.map((run) => (
                  <li key={run.getTime()} className="tabular-nums">
                    {run.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short', timeZone: result.resolved?.timezone ?? 'UTC' })}{' '}
                    <span className="text-xs text-ink-muted">
                      ({result.resolved?.timezone}; {run.toLocaleString(undefined, { timeStyle: 'short' })} your time)
                    </span>
                  </li>
                ))}
              </ol>
            )}
          </>
        ) : (
          <p className="text-sm text-ink-muted">Fill in the task and a valid interval or crontab to see when it runs.</p>
        )}
      </section>
    </form>
  );
}
