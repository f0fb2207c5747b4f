// The monitor API's shapes and paths in one place. Types come from the gateway's own schemas
// (type-only imports: nothing server-side reaches the browser bundle), so a changed API stops
// the dashboard compiling instead of drifting.
export type {
  CeleryCluster,
  CeleryClusterList,
  DeadLetter,
  DeadLetterList,
  HeartbeatSample,
  Overview,
  QueueHistory,
  QueueHistoryEntry,
  QueueHistoryList,
  QueueHistoryPoint,
  QueueList,
  QueueSummary,
  Schedule,
  ScheduleChange,
  ScheduleDetail,
  ScheduleList,
  ScheduleRun,
  TaskAttempt,
  TaskDetail,
  TaskDetailResponse,
  TaskFacets,
  TaskLink,
  TaskLogLine,
  TaskLogPage,
  TaskPage,
  TaskProgress,
  TaskState,
  TaskSummary,
  Throughput,
  ThroughputPoint,
  WorkerDetail,
  WorkerDetailResponse,
  WorkerList,
  WorkerSummary,
  WorkflowEdge,
  WorkflowGraph,
  WorkflowGroup,
  WorkflowNode,
  WorkflowResponse,
} from '@lovage/gateway/api-types';
import type { TaskState } from '@lovage/gateway/api-types';

export const taskStates = [
  'PENDING',
  'RECEIVED',
  'STARTED',
  'RETRY',
  'SUCCESS',
  'FAILURE',
  'REVOKED',
  'REJECTED',
] as const satisfies readonly TaskState[];
// Every state the gateway (and so the engine) knows is listed above: typecheck fails otherwise.
type UnlistedState = Exclude<TaskState, (typeof taskStates)[number]>;
export const everyStateListed: [UnlistedState] extends [never] ? true : UnlistedState = true;

/** States a task does not leave on its own. */
export const finishedStates: ReadonlySet<TaskState> = new Set(['SUCCESS', 'FAILURE', 'REVOKED', 'REJECTED']);

export const throughputWindows = ['15m', '1h', '6h', '24h', '7d', '30d', '90d', '365d'] as const;
export type ThroughputWindow = (typeof throughputWindows)[number];

// ---------- operator actions ----------

export type {
  ApplyTaskBody,
  ApplyTaskResponse,
  BulkJob,
  DeadLetterResponse,
  PauseAllQueuesResponse,
  PauseQueueResponse,
  PurgeQueueResponse,
  QueueConcurrencyBody,
  QueueConcurrencyResponse,
  RegisteredTaskList,
  RetryFailedMembersResponse,
  RetryTaskBody,
  RetryTaskResponse,
  RevokeTaskResponse,
  ScheduleResponse,
  TaskFilter as BulkTaskFilter,
  WorkerControlBody,
  WorkerControlResponse,
} from '@lovage/gateway/api-types';

/** Every gateway path the monitor pages use (under the dashboard's same-origin /api proxy). */
export const paths = {
  clusters: '/api/v1/clusters',
  tasks: '/api/v1/tasks',
  taskFacets: '/api/v1/tasks/facets',
  /** Task names the live workers register (operators). */
  registeredTasks: '/api/v1/tasks/registered',
  task: (id: string) => `/api/v1/tasks/${encodeURIComponent(id)}`,
  revokeTask: (id: string) => `/api/v1/tasks/${encodeURIComponent(id)}/revoke`,
  retryTask: (id: string) => `/api/v1/tasks/${encodeURIComponent(id)}/retry`,
  taskWorkflow: (id: string) => `/api/v1/tasks/${encodeURIComponent(id)}/workflow`,
  taskLogs: (id: string) => `/api/v1/tasks/${encodeURIComponent(id)}/logs`,
  retryWorkflowFailed: (id: string) => `/api/v1/tasks/${encodeURIComponent(id)}/workflow/retry-failed`,
  bulkTasks: '/api/v1/tasks/bulk',
  job: (id: string) => `/api/v1/jobs/${encodeURIComponent(id)}`,
  workers: '/api/v1/workers',
  worker: (hostname: string) => `/api/v1/workers/${encodeURIComponent(hostname)}`,
  workerControl: (hostname: string) => `/api/v1/workers/${encodeURIComponent(hostname)}/control`,
  queues: '/api/v1/queues',
  /** `cluster`: a watched Celery cluster's queue (kombu's lists on its broker); none for Lovage's own. */
  purgeQueue: (name: string, cluster?: string | null) =>
    `/api/v1/queues/${encodeURIComponent(name)}/purge${cluster ? `?cluster=${encodeURIComponent(cluster)}` : ''}`,
  /** Pause or resume one of Lovage's own queues (a Celery cluster's queues cannot be paused). */
  pauseQueue: (name: string, paused: boolean) => `/api/v1/queues/${encodeURIComponent(name)}/${paused ? 'pause' : 'resume'}`,
  pauseAllQueues: (paused: boolean) => `/api/v1/queues/${paused ? 'pause' : 'resume'}-all`,
  /** PUT `{ limit: n | null }`: one of Lovage's own queues' global concurrency limit. */
  queueConcurrency: (name: string) => `/api/v1/queues/${encodeURIComponent(name)}/concurrency`,
  /** GET ?window=: every queue's depth, oldest waiting age and wait percentiles over a window. */
  queuesHistory: '/api/v1/queues/history',
  /** GET ?window=&cluster=: one queue's history (a watched Celery cluster's with `cluster`). */
  queueHistory: (name: string) => `/api/v1/queues/${encodeURIComponent(name)}/history`,
  deadLetters: '/api/v1/dead-letters',
  requeueDeadLetters: '/api/v1/dead-letters/requeue',
  dropDeadLetters: '/api/v1/dead-letters/drop',
  schedules: '/api/v1/schedules',
  schedule: (name: string) => `/api/v1/schedules/${encodeURIComponent(name)}`,
  runSchedule: (name: string) => `/api/v1/schedules/${encodeURIComponent(name)}/run`,
  /** POST `{ version }`: pauses or resumes a schedule. */
  scheduleToggle: (name: string, enable: boolean) => `/api/v1/schedules/${encodeURIComponent(name)}/${enable ? 'enable' : 'disable'}`,
  throughput: '/api/v1/metrics/throughput',
  overview: '/api/v1/overview',
} as const;

/**
 * The query every schedule route takes to mean a watched Celery cluster's beat's store rather
 * than the gateway's own (see the gateway's schedule-sources.ts).
 */
export function scheduleQuery(cluster: string | null | undefined): { cluster?: string } {
  return cluster ? { cluster } : {};
}

/** A schedule's page (or a page under it, such as '/edit'), in its store. */
export function scheduleHref(name: string, cluster: string | null | undefined, page = ''): string {
  return `/schedules/${encodeURIComponent(name)}${page}${cluster ? `?cluster=${encodeURIComponent(cluster)}` : ''}`;
}
