// Every react-query key in one place, so invalidation after a mutation or a live event
// names exactly what it means to refresh.
import type { TaskFilters } from './task-filters';

export const queryKeys = {
  auth: {
    me: () => ['auth', 'me'] as const,
  },
  users: {
    all: () => ['users'] as const,
    list: () => ['users', 'list'] as const,
  },
  clusters: {
    list: () => ['clusters', 'list'] as const,
  },
  security: {
    warnings: () => ['security', 'warnings'] as const,
    lockouts: () => ['security', 'lockouts'] as const,
  },
  tokens: {
    all: () => ['tokens'] as const,
    list: () => ['tokens', 'list'] as const,
  },
  audit: {
    all: () => ['audit'] as const,
    list: (filters: { actor?: string; action?: string; cursor?: string; limit?: number }) =>
      ['audit', 'list', filters] as const,
  },
  tasks: {
    all: () => ['tasks'] as const,
    lists: () => ['tasks', 'list'] as const,
    list: (filters: TaskFilters) => ['tasks', 'list', filters] as const,
    facets: () => ['tasks', 'facets'] as const,
    registered: () => ['tasks', 'registered'] as const,
    detail: (id: string) => ['tasks', 'detail', id] as const,
    workflow: (id: string) => ['tasks', 'workflow', id] as const,
    logs: (id: string) => ['tasks', 'logs', id] as const,
  },
  jobs: {
    detail: (id: string) => ['jobs', id] as const,
  },
  workers: {
    all: () => ['workers'] as const,
    list: () => ['workers', 'list'] as const,
    detail: (hostname: string) => ['workers', 'detail', hostname] as const,
  },
  queues: {
    all: () => ['queues'] as const,
    list: () => ['queues', 'list'] as const,
    history: (window: string) => ['queues', 'history', window] as const,
    detailHistory: (name: string, cluster: string | null, window: string) => ['queues', 'history', name, cluster ?? '', window] as const,
  },
  deadLetters: {
    all: () => ['dead-letters'] as const,
    list: (queue: string) => ['dead-letters', 'list', queue] as const,
  },
  schedules: {
    all: () => ['schedules'] as const,
    list: () => ['schedules', 'list'] as const,
    /** cluster null: the gateway's own store. */
    detail: (name: string, cluster: string | null) => ['schedules', 'detail', cluster ?? '', name] as const,
  },
  alerts: {
    all: () => ['alerts'] as const,
    rules: () => ['alerts', 'rules'] as const,
    firing: () => ['alerts', 'firing'] as const,
    events: () => ['alerts', 'events'] as const,
  },
  palette: {
    /** A task id typed into the command palette: its task, or null when none has it. */
    task: (id: string) => ['palette', 'task', id] as const,
  },
  overview: () => ['overview'] as const,
  throughput: (window: string) => ['throughput', window] as const,
  health: () => ['health'] as const,
} as const;
