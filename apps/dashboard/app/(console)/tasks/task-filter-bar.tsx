'use client';

import { useQuery } from '@tanstack/react-query';
import { memo, useId, useState, type FormEvent } from 'react';
import { ClusterOptions } from '@/components/cluster-badge';
import { Button } from '@/components/ui/button';
import { Input, Select } from '@/components/ui/input';
import { Label } from '@/components/ui/label';
import { api } from '@/lib/api-client';
import { paths, taskStates, type TaskFacets, type TaskState } from '@/lib/monitor';
import { queryKeys } from '@/lib/query-keys';
import { emptyTaskFilters, hasTaskFilters, OWN_CLUSTER, type TaskFilters } from '@/lib/task-filters';

/** An ISO instant as the value of a datetime-local input (local time, minutes). */
function toLocalInput(iso: string): string {
  if (!iso) return '';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return '';
  const local = new Date(date.getTime() - date.getTimezoneOffset() * 60_000);
  return local.toISOString().slice(0, 16);
}

function fromLocalInput(value: string): string {
  if (!value) return '';
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? '' : date.toISOString();
}

function Suggestions({ id, values }: { id: string; values: string[] | undefined }) {
  return (
    <datalist id={id}>
      {(values ?? []).map((value) => (
        <option key={value} value={value} />
      ))}
    </datalist>
  );
}

/** The filters as a form: text fields apply on submit, the state menu at once. */
/** Memoised: the task list re-renders with every live batch, this does not need to. */
export const TaskFilterBar = memo(function TaskFilterBar({ filters, onChange }: { filters: TaskFilters; onChange: (next: TaskFilters) => void }) {
  const id = useId();
  const facets = useQuery({
    queryKey: queryKeys.tasks.facets(),
    queryFn: ({ signal }) => api.get<TaskFacets>(paths.taskFacets, { signal }),
    staleTime: 60_000,
    retry: false,
  });
  const [draft, setDraft] = useState(filters);
  const filtersKey = JSON.stringify(filters);
  const [appliedKey, setAppliedKey] = useState(filtersKey);
  // The URL changed under the form (back button, a link): show what it now says.
  if (appliedKey !== filtersKey) {
    setAppliedKey(filtersKey);
    setDraft(filters);
  }

  function submit(event: FormEvent) {
    event.preventDefault();
    onChange(draft);
  }

  // The text filters the gateway suggests values for (names, workers and queues it has seen).
  const suggested = [
    { key: 'name', label: 'Task name', placeholder: 'e.g. emails.send', values: facets.data?.names },
    { key: 'worker', label: 'Worker', placeholder: undefined, values: facets.data?.workers },
    { key: 'queue', label: 'Queue', placeholder: undefined, values: facets.data?.queues },
  ] as const;
  const stateValue = filters.state.join(',');
  const several = filters.state.length > 1;
  // The cluster menu appears once a watched Celery cluster's tasks are stored (or the URL names one).
  const clusters = facets.data?.clusters ?? [];
  const clusterOptions = filters.cluster && filters.cluster !== OWN_CLUSTER && !clusters.includes(filters.cluster) ? [...clusters, filters.cluster] : clusters;

  return (
    <form role="search" aria-label="Filter tasks" onSubmit={submit} className="mb-4 grid gap-3 sm:grid-cols-2 lg:grid-cols-4">
      <div>
        <Label htmlFor={`${id}-state`}>State</Label>
        <Select
          id={`${id}-state`}
          value={stateValue}
          onChange={(event) => {
            const state = event.target.value ? (event.target.value.split(',') as TaskState[]) : [];
            onChange({ ...draft, state });
          }}
        >
          <option value="">Any state</option>
          {several ? <option value={stateValue}>{filters.state.join(', ')}</option> : null}
          {taskStates.map((state) => (
            <option key={state} value={state}>
              {state}
            </option>
          ))}
        </Select>
      </div>
      {clusterOptions.length > 0 ? (
        <div>
          <Label htmlFor={`${id}-cluster`}>Cluster</Label>
          <Select id={`${id}-cluster`} value={filters.cluster} onChange={(event) => onChange({ ...draft, cluster: event.target.value })}>
            <ClusterOptions clusters={clusterOptions} />
          </Select>
        </div>
      ) : null}
      {suggested.map(({ key, label, placeholder, values }) => (
        <div key={key}>
          <Label htmlFor={`${id}-${key}`}>{label}</Label>
          <Input
            id={`${id}-${key}`}
            list={`${id}-${key}-suggestions`}
            value={draft[key]}
            placeholder={placeholder}
            onChange={(event) => setDraft({ ...draft, [key]: event.target.value })}
          />
          <Suggestions id={`${id}-${key}-suggestions`} values={values} />
        </div>
      ))}
      <div className="sm:col-span-2">
        <Label htmlFor={`${id}-q`}>Search</Label>
        <Input
          id={`${id}-q`}
          type="search"
          value={draft.q}
          placeholder="Words in args, result or error"
          onChange={(event) => setDraft({ ...draft, q: event.target.value })}
        />
      </div>
      <div>
        <Label htmlFor={`${id}-since`}>Created after</Label>
        <Input
          id={`${id}-since`}
          type="datetime-local"
          value={toLocalInput(draft.since)}
          onChange={(event) => setDraft({ ...draft, since: fromLocalInput(event.target.value) })}
        />
      </div>
      <div>
        <Label htmlFor={`${id}-until`}>Created before</Label>
        <Input
          id={`${id}-until`}
          type="datetime-local"
          value={toLocalInput(draft.until)}
          onChange={(event) => setDraft({ ...draft, until: fromLocalInput(event.target.value) })}
        />
      </div>
      <div className="flex gap-2 sm:col-span-2 lg:col-span-4">
        <Button type="submit">Apply filters</Button>
        {hasTaskFilters(filters) ? (
          <Button variant="ghost" onClick={() => onChange(emptyTaskFilters)}>
            Clear filters
          </Button>
        ) : null}
      </div>
    </form>
  );
});
