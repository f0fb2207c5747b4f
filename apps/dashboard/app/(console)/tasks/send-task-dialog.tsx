'use client';

// "Send task": a task by name with JSON args (POST /tasks), for operators. The names come from
// the live workers' registries and from the tasks the monitor has seen; any other name may be typed.
import { useMutation, useQuery } from '@tanstack/react-query';
import { useRouter } from 'next/navigation';
import { useId, useMemo, useState } from 'react';
import { RequireRole } from '@/components/current-user';
import { JsonField } from '@/components/json-field';
import { Alert } from '@/components/ui/alert';
import { Button } from '@/components/ui/button';
import { DialogButtons, Modal } from '@/components/ui/dialog';
import { Field } from '@/components/ui/field';
import { Input, Select } from '@/components/ui/input';
import { useToast } from '@/components/ui/toast';
import { api } from '@/lib/api-client';
import { parseJsonArray, parseJsonObject } from '@/lib/json-input';
import { paths, type ApplyTaskBody, type ApplyTaskResponse, type RegisteredTaskList, type TaskFacets } from '@/lib/monitor';
import { queryKeys } from '@/lib/query-keys';

/** Lovage's own broker in the "Send to" menu (a watched Celery cluster otherwise). */
const LOVAGE = '';

function countdownError(text: string): string | undefined {
  if (text.trim() === '') return undefined;
  const seconds = Number(text);
  return Number.isFinite(seconds) && seconds >= 0 ? undefined : 'Countdown: must be a number of seconds, 0 or more';
}

function priorityError(text: string): string | undefined {
  if (text.trim() === '') return undefined;
  const priority = Number(text);
  return Number.isInteger(priority) && priority >= 0 && priority <= 9 ? undefined : 'Priority: must be a whole number from 0 to 9';
}

function SendTaskForm({ onDone }: { onDone: () => void }) {
  const id = useId();
  const router = useRouter();
  const { toast } = useToast();
  const registered = useQuery({
    queryKey: queryKeys.tasks.registered(),
    queryFn: ({ signal }) => api.get<RegisteredTaskList>(paths.registeredTasks, { signal }),
    staleTime: 30_000,
  });
  const facets = useQuery({
    queryKey: queryKeys.tasks.facets(),
    queryFn: ({ signal }) => api.get<TaskFacets>(paths.taskFacets, { signal }),
    staleTime: 30_000,
  });
  const [name, setName] = useState('');
  // Said once the name was typed or a send tried, not on blur: a message appearing as the focus
  // leaves the field would move the Cancel button from under the pointer that is clicking it.
  const [nameTouched, setNameTouched] = useState(false);
  const [cluster, setCluster] = useState(LOVAGE);
  const [argsText, setArgsText] = useState('[]');
  const [kwargsText, setKwargsText] = useState('');
  const [queue, setQueue] = useState('');
  const [countdown, setCountdown] = useState('');
  const [priority, setPriority] = useState('');

  const names = useMemo(() => {
    const all = new Set([...(registered.data?.tasks ?? []).map((task) => task.name), ...(facets.data?.names ?? [])]);
    return [...all].sort((a, b) => a.localeCompare(b));
  }, [registered.data, facets.data]);
  const clusters = useMemo(
    () => [...new Set([...(registered.data?.tasks ?? []).flatMap((task) => (task.cluster ? [task.cluster] : [])), ...(facets.data?.clusters ?? [])])].sort(),
    [registered.data, facets.data],
  );

  const args = parseJsonArray(argsText, 'Arguments');
  const kwargs = kwargsText.trim() === '' ? null : parseJsonObject(kwargsText, 'Keyword arguments');
  const nameError = name.trim() === '' ? 'Task name: is required' : undefined;
  const errors = { countdown: countdownError(countdown), priority: priorityError(priority) };
  const valid = !nameError && args.ok && (kwargs === null || kwargs.ok) && !errors.countdown && !errors.priority;

  const chooseName = (value: string) => {
    setName(value);
    // A name only a Celery cluster registers goes to that cluster.
    const where = new Set((registered.data?.tasks ?? []).filter((task) => task.name === value.trim()).map((task) => task.cluster));
    const only = where.size === 1 ? [...where][0] : undefined;
    if (only !== undefined) setCluster(only ?? LOVAGE);
  };

  const mutation = useMutation({
    mutationFn: () => {
      const body: ApplyTaskBody = {
        task: name.trim(),
        args: args.ok ? args.value : [],
        ...(kwargs?.ok ? { kwargs: kwargs.value } : {}),
        ...(cluster !== LOVAGE ? { cluster } : {}),
        options: {
          ...(queue.trim() !== '' ? { queue: queue.trim() } : {}),
          ...(countdown.trim() !== '' ? { countdown: Math.round(Number(countdown) * 1000) } : {}),
          ...(priority.trim() !== '' ? { priority: Number(priority) } : {}),
        },
      };
      return api.post<ApplyTaskResponse>(paths.tasks, body);
    },
    onSuccess: (sent) => {
      toast({ tone: 'success', title: 'Task sent', description: `${sent.task} is ${sent.id}, on queue ${sent.queue}.` });
      onDone();
      router.push(`/tasks/${encodeURIComponent(sent.id)}`);
    },
  });

  return (
    <form
      className="mt-4 grid gap-4 sm:grid-cols-2"
      onSubmit={(event) => {
        event.preventDefault();
        setNameTouched(true);
        if (valid && !mutation.isPending) mutation.mutate();
      }}
    >
      <div className="sm:col-span-2">
        <Field
          label="Task name"
          error={nameTouched ? nameError : undefined}
          hint={registered.isError ? 'The workers could not be asked for their task names; type the name.' : 'A name the workers register, or one that ran before.'}
        >
          {(props) => (
            <>
              <Input
                {...props}
                list={`${id}-names`}
                autoComplete="off"
                value={name}
                onChange={(event) => {
                  setNameTouched(true);
                  chooseName(event.target.value);
                }}
              />
              <datalist id={`${id}-names`}>
                {names.map((option) => (
                  <option key={option} value={option} />
                ))}
              </datalist>
            </>
          )}
        </Field>
      </div>
      {clusters.length > 0 ? (
        <Field label="Send to" hint="Lovage's own broker, or a watched Celery cluster's.">
          {(props) => (
            <Select {...props} value={cluster} onChange={(event) => setCluster(event.target.value)}>
              <option value={LOVAGE}>Lovage</option>
              {clusters.map((option) => (
                <option key={option} value={option}>
                  Celery: {option}
                </option>
              ))}
            </Select>
          )}
        </Field>
      ) : null}
      <Field label="Queue" hint="Empty: the task's own queue.">
        {(props) => <Input {...props} value={queue} autoComplete="off" onChange={(event) => setQueue(event.target.value)} />}
      </Field>
      <div className="sm:col-span-2">
        <JsonField label="Arguments (JSON)" rows={4} value={argsText} onChange={setArgsText} error={args.ok ? undefined : args.error} hint='A JSON array of positional arguments, such as [42, "a"].' />
      </div>
      <div className="sm:col-span-2">
        <JsonField
          label="Keyword arguments (JSON)"
          rows={2}
          value={kwargsText}
          onChange={setKwargsText}
          error={kwargs && !kwargs.ok ? kwargs.error : undefined}
          hint="Optional: a JSON object (a Lovage handler gets it as one trailing argument)."
        />
      </div>
      <Field label="Countdown (seconds)" error={errors.countdown} hint="Empty: run now.">
        {(props) => <Input {...props} inputMode="decimal" value={countdown} onChange={(event) => setCountdown(event.target.value)} />}
      </Field>
      <Field label="Priority (0-9)" error={errors.priority} hint="Empty: the task's own.">
        {(props) => <Input {...props} inputMode="numeric" value={priority} onChange={(event) => setPriority(event.target.value)} />}
      </Field>
      <div className="sm:col-span-2">
        {mutation.isError ? <Alert>{mutation.error instanceof Error ? mutation.error.message : 'The task could not be sent.'}</Alert> : null}
        <DialogButtons onCancel={onDone} busy={mutation.isPending}>
          <Button type="submit" disabled={!valid || mutation.isPending}>
            {mutation.isPending ? 'Sending…' : 'Send'}
          </Button>
        </DialogButtons>
      </div>
    </form>
  );
}

/** The Tasks page's "Send task" button and its dialog, for operators. */
export function SendTaskButton() {
  const [open, setOpen] = useState(false);
  return (
    <RequireRole role="operator">
      <Button onClick={() => setOpen(true)}>Send task</Button>
      <Modal open={open} wide title="Send a task" description="Sends a new task by name; it appears in the list as soon as it is sent." onCancel={() => setOpen(false)}>
        {() => (open ? <SendTaskForm onDone={() => setOpen(false)} /> : null)}
      </Modal>
    </RequireRole>
  );
}
