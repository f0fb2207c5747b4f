// What one committed ingest batch changed: handed to `ingest.onApplied(listener)`
// after the batch's transaction committed and the stream was acknowledged, so
// the live feed can push the changes without querying the database again.
//
// STABLE API: the live feed (apps/gateway/src/live) and the actions module
// depend on these shapes. Add optional fields freely; rename or remove one only
// together with its consumers. Instants are epoch milliseconds (numbers),
// runtimes are seconds, as in the rows the ingest writes.
import type { AttemptRow, TaskRow } from './task-merge.js';

export type { AttemptRow, TaskRow, TaskStateName, AttemptOutcomeName } from './task-merge.js';

/** A worker row as the batch left it. */
export interface WorkerSnapshot {
  hostname: string;
  pid: number | null;
  version: string | null;
  queues: string[];
  poolKind: string | null;
  poolSize: number | null;
  firstSeen: number;
  lastHeartbeat: number;
  online: boolean;
  active: number;
  processed: number;
  succeeded: number;
  failed: number;
  loadavg: number[];
  /** Bytes. */
  memoryRss: number | null;
  /** The Celery cluster the worker belongs to; null for Lovage's own workers. */
  cluster: string | null;
  /** A Celery worker's max-concurrency, prefetch count and when `inspect stats` answered (epoch ms), as celery/worker-stats.ts stored them. */
  maxConcurrency: number | null;
  prefetchCount: number | null;
  statsAt: number | null;
}

/** Beat sent a schedule's task (a `schedule-fired` event). */
/** A worker row as the ingest's SQL writes and returns it (snake_case JSON keys, instants in epoch ms). */
export interface WorkerRow {
  hostname: string;
  pid: number | null;
  version: string | null;
  queues: string[];
  pool_kind: string | null;
  pool_size: number | null;
  first_seen: number;
  last_heartbeat: number;
  online: boolean;
  active: number;
  processed: number;
  succeeded: number;
  failed: number;
  loadavg: number[];
  memory_rss: number | null;
  cluster: string | null;
  max_concurrency?: number | null;
  prefetch_count?: number | null;
  stats_at?: number | null;
}

/** The columns of a WorkerRow, for `RETURNING` (or SELECT) on `workers w`. */
export const WORKER_ROW_COLUMNS = `w.hostname, w.pid, w.version, w.queues, w.pool_kind, w.pool_size, w.online,
  (extract(epoch from w.first_seen) * 1000)::float8 AS first_seen,
  (extract(epoch from w.last_heartbeat) * 1000)::float8 AS last_heartbeat,
  w.active, w.processed::float8 AS processed, w.succeeded::float8 AS succeeded, w.failed::float8 AS failed,
  w.loadavg, w.memory_rss::float8 AS memory_rss, w.cluster, w.max_concurrency, w.prefetch_count,
  (extract(epoch from w.stats_at) * 1000)::float8 AS stats_at`;

export function workerSnapshotOf(row: WorkerRow): WorkerSnapshot {
  return {
    hostname: row.hostname,
    pid: row.pid,
    version: row.version,
    queues: row.queues,
    poolKind: row.pool_kind,
    poolSize: row.pool_size,
    firstSeen: row.first_seen,
    lastHeartbeat: row.last_heartbeat,
    online: row.online,
    active: row.active,
    processed: row.processed,
    succeeded: row.succeeded,
    failed: row.failed,
    loadavg: row.loadavg,
    memoryRss: row.memory_rss,
    cluster: row.cluster,
    maxConcurrency: row.max_concurrency ?? null,
    prefetchCount: row.prefetch_count ?? null,
    statsAt: row.stats_at ?? null,
  };
}

export interface ScheduleRunEvent {
  schedule: string;
  task: string;
  taskId: string;
  dueAt: number;
  firedAt: number;
  manual: boolean;
}

/** An edit of a schedule (a `schedule-changed` event). */
export interface ScheduleChangeEvent {
  schedule: string;
  action: string;
  actor: string;
  at: number;
}

export interface BatchResult {
  /** Events in the batch after validation and de-duplication (0 for the offline sweep). */
  events: number;
  /** Events dropped as malformed. */
  invalid: number;
  /**
   * Task rows this batch changed, as stored after it: id, name, state, queue,
   * worker, retries, runtime, every state's timestamp, args / result / error
   * previews. A replayed batch that changed nothing lists nothing.
   */
  tasks: TaskRow[];
  /** Attempt rows (retry history) this batch created or changed. */
  attempts: AttemptRow[];
  /** Worker rows this batch changed (heartbeats, online/offline, including the offline sweep). */
  workers: WorkerSnapshot[];
  /** Schedules beat fired in this batch. */
  scheduleRuns: ScheduleRunEvent[];
  /** Schedule edits in this batch. */
  scheduleChanges: ScheduleChangeEvent[];
  /** Task log lines this batch wrote (a replayed line is not listed), oldest first. */
  logs?: TaskLogRow[] | undefined;
  /** Waits (seconds from sent, or ETA, to the first start) of the tasks whose first attempt this batch started. */
  waits?: TaskWait[] | undefined;
}

/** One task's wait for its first start. */
export interface TaskWait {
  name: string;
  queue: string;
  seconds: number;
}

/** One line of a task's log as the ingest wrote it. */
export interface TaskLogRow {
  /** The row's id (a bigint, as text). */
  id: string;
  taskId: string;
  attempt: number;
  at: number;
  level: string;
  message: string;
  fields: Record<string, unknown> | null;
}

export type BatchListener = (result: BatchResult) => void;
