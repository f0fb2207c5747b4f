// The task list's filters, kept in the URL so a view can be bookmarked and shared.
import type { LiveTaskFilter } from './live';
import { taskStates, type BulkTaskFilter, type TaskState, type TaskSummary } from './monitor';

export interface TaskFilters {
  state: TaskState[];
  name: string;
  worker: string;
  queue: string;
  /** A watched Celery cluster's name, OWN_CLUSTER for Lovage's own tasks, '' for all. */
  cluster: string;
  q: string;
  /** ISO 8601 instants (created at or after / before). */
  since: string;
  until: string;
}

export const emptyTaskFilters: TaskFilters = { state: [], name: '', worker: '', queue: '', cluster: '', q: '', since: '', until: '' };

/** The cluster filter's value for Lovage's own tasks (the gateway's name for a null cluster). */
export const OWN_CLUSTER = 'lovage';

const stateSet: ReadonlySet<string> = new Set(taskStates);

function isTaskState(value: string): value is TaskState {
  return stateSet.has(value);
}

function validInstant(value: string): string {
  return value && !Number.isNaN(Date.parse(value)) ? value : '';
}

export function parseTaskFilters(params: URLSearchParams): TaskFilters {
  const text = (key: string) => (params.get(key) ?? '').trim().slice(0, 200);
  return {
    state: (params.get('state') ?? '')
      .split(',')
      .map((part) => part.trim().toUpperCase())
      .filter(isTaskState),
    name: text('name'),
    worker: text('worker'),
    queue: text('queue'),
    cluster: text('cluster'),
    q: text('q'),
    since: validInstant(text('since')),
    until: validInstant(text('until')),
  };
}

/** The filters as URL parameters (empty ones left out), for the page URL and the API query alike. */
export function taskFilterParams(filters: TaskFilters): Record<string, string> {
  const params: Record<string, string> = {};
  if (filters.state.length > 0) params.state = filters.state.join(',');
  for (const key of ['name', 'worker', 'queue', 'cluster', 'q', 'since', 'until'] as const) {
    if (filters[key]) params[key] = filters[key];
  }
  return params;
}

export function tasksHref(filters: TaskFilters): string {
  const search = new URLSearchParams(taskFilterParams(filters)).toString();
  return search ? `/tasks?${search}` : '/tasks';
}

export function hasTaskFilters(filters: TaskFilters): boolean {
  return Object.keys(taskFilterParams(filters)).length > 0;
}

/**
 * The bulk action's filter. Free text and the cluster have no bulk equivalent, so callers refuse
 * bulk-by-filter when either is set (mayActOnAllMatching).
 */
export function bulkFilterOf(filters: TaskFilters): BulkTaskFilter {
  const filter: BulkTaskFilter = { ...liveFilterOf(filters) };
  if (filters.since) filter.since = filters.since;
  if (filters.until) filter.until = filters.until;
  return filter;
}

/** Whether "every task matching this filter" can be handed to a bulk action as a filter. */
export function mayActOnAllMatching(filters: TaskFilters): boolean {
  return !filters.q && !filters.cluster;
}

/**
 * Whether a task seen on the live feed belongs in this filtered list. Free text is judged by
 * the gateway's search only, so a list filtered by text takes no new rows live (it still
 * updates the rows it shows).
 */
export function taskMatchesFilters(task: TaskSummary, filters: TaskFilters): boolean {
  if (filters.q) return false;
  if (filters.state.length > 0 && !filters.state.includes(task.state)) return false;
  if (filters.name && task.name !== filters.name) return false;
  if (filters.worker && task.worker !== filters.worker) return false;
  if (filters.queue && task.queue !== filters.queue) return false;
  if (filters.cluster && (task.cluster ?? OWN_CLUSTER) !== filters.cluster) return false;
  const created = Date.parse(task.createdAt);
  if (filters.since && created < Date.parse(filters.since)) return false;
  if (filters.until && created >= Date.parse(filters.until)) return false;
  return true;
}

/** The part of the filters the live feed applies on the gateway (the rest, cluster included, is checked on arrival). */
export function liveFilterOf(filters: TaskFilters): LiveTaskFilter {
  const filter: LiveTaskFilter = {};
  if (filters.state.length > 0) filter.state = filters.state;
  if (filters.name) filter.name = filters.name;
  if (filters.worker) filter.worker = filters.worker;
  if (filters.queue) filter.queue = filters.queue;
  return filter;
}
