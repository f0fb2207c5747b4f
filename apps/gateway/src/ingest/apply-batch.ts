// Writes one batch of events into the monitor's database in ONE transaction.
//
// Each table is handled the same way: lock the rows the batch touches (in key
// order, so two writers never deadlock), fold the events into them with the
// order-independent rules of task-merge.ts, and write back only the rows that
// changed, many rows per statement (one JSON parameter unpacked by
// jsonb_to_recordset, so a statement's size never hits the bind-parameter cap).
// Counters (metric buckets) are derived from the row transitions themselves (a
// task whose succeeded_at goes from null to a time counts one success), never
// from the number of events, so a replayed or duplicated event counts nothing.
import { TASK_LOG_LEVELS, TASK_REPORT_EVENT_TYPES, type LovageEvent, type WorkerEvent } from '@lovage/engine';
import type { PrismaClient } from '../generated/prisma/client.js';
import { WORKER_ROW_COLUMNS, workerSnapshotOf, type BatchResult, type TaskLogRow, type ScheduleChangeEvent, type ScheduleRunEvent, type WorkerRow } from './batch-result.js';
import type { BucketCounts } from '../store/metric-queries.js';
import { bucketOf, emptyHistogram, percentile } from './runtime-histogram.js';
import { addWaitHistogram, emptyWaitHistogram, waitBinOf } from './wait-histogram.js';
import {
  applyAttemptEvent,
  applyReportEvent,
  applyScheduled,
  applyTaskEvent,
  attemptNumberOf,
  emptyTask,
  sameAttempt,
  sameTask,
  type AttemptRow,
  type ScheduledTask,
  type TaskEvent,
  type TaskReportEvent,
  type TaskRow,
  type TaskStateName,
} from './task-merge.js';

type Sql = Pick<PrismaClient, '$queryRawUnsafe' | '$executeRawUnsafe'>;

/** Log lines kept per task by default (the newest); LOVAGE_TASK_LOG_LIMIT sets it. */
export const DEFAULT_TASK_LOG_LIMIT = 1_000;

const REPORT_TYPES: ReadonlySet<string> = new Set(TASK_REPORT_EVENT_TYPES);
const LOG_LEVELS: ReadonlySet<string> = new Set(TASK_LOG_LEVELS);

/** One heartbeat sample is kept per worker per this many ms. */
export const HEARTBEAT_SAMPLE_MS = 10_000;

/** JSON for Postgres: text columns cannot hold NUL, so it is dropped from every string. */
function toJson(value: unknown): string {
  return JSON.stringify(value, (_key, field: unknown) => (typeof field === 'string' && field.includes('\u0000') ? field.replaceAll('\u0000', '') : field));
}

/**
 * JSON of task, attempt and bucket rows without toJson's per-value replacer (a
 * hot path): every string in them came from an event whose own strings
 * stripNul cleaned, or from the database, which holds no NUL.
 */
const taskJson = (value: unknown): string => JSON.stringify(value);

const isString = (value: unknown): value is string => typeof value === 'string';
const isNumber = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value);

/** A shape check cheap enough for the hot path: the header, and what each kind of event is read for. */
export function isUsableEvent(value: unknown): value is LovageEvent {
  if (typeof value !== 'object' || value === null) return false;
  const event = value as Record<string, unknown>;
  if (!isString(event.type) || !isNumber(event.timestamp) || !isString(event.hostname) || !isNumber(event.pid) || !isNumber(event.seq)) return false;
  if (event.type.startsWith('task-')) {
    if (!isString(event.id) || event.id === '') return false;
    if (event.retries !== undefined && !isNumber(event.retries)) return false;
    switch (event.type) {
      case 'task-sent':
      case 'task-received':
        return isString(event.args);
      case 'task-succeeded':
        return isNumber(event.runtime) && isString(event.result);
      case 'task-failed':
        return isNumber(event.runtime) && isError(event.error);
      case 'task-retried':
        return isNumber(event.attempt) && isNumber(event.nextEta) && isError(event.error);
      case 'task-rejected':
        return isString(event.reason);
      case 'task-progress':
        return isNumber(event.progress) && event.progress >= 0 && event.progress <= 1;
      case 'task-log':
        return isString(event.message) && isString(event.level) && (event.fields === undefined || (typeof event.fields === 'object' && event.fields !== null && !Array.isArray(event.fields)));
      default:
        return true;
    }
  }
  if (event.type.startsWith('worker-')) return Array.isArray(event.queues) && typeof event.pool === 'object' && event.pool !== null;
  if (event.type === 'schedule-fired') return isString(event.schedule) && isString(event.taskId) && isString(event.task) && isString(event.dueAt);
  if (event.type === 'schedule-changed') return isString(event.schedule) && isString(event.action) && isString(event.at);
  return true;
}

/**
 * Drops NUL from the event's own strings (and its error's), in place. Postgres
 * text cannot hold NUL; cleaning here, before any key is derived, keeps the
 * ids, names and queues the batch compares equal to what the tables store.
 */
function stripNul(event: Record<string, unknown>): void {
  for (const key of Object.keys(event)) {
    const value = event[key];
    if (typeof value === 'string') {
      if (value.includes('\u0000')) event[key] = value.replaceAll('\u0000', '');
    } else if (key === 'error' && typeof value === 'object' && value !== null) {
      stripNul(value as Record<string, unknown>);
    }
  }
}

function isError(value: unknown): boolean {
  return typeof value === 'object' && value !== null && isString((value as { name?: unknown }).name) && isString((value as { message?: unknown }).message);
}

const TASK_TIMES = ['eta', 'expires', 'created_at', 'sent_at', 'received_at', 'started_at', 'succeeded_at', 'failed_at', 'retried_at', 'revoked_at', 'rejected_at'] as const;
const ms = (column: string): string => `(extract(epoch from ${column}) * 1000)::float8 AS ${column}`;
const ts = (column: string): string => `to_timestamp(r.${column} / 1000.0)`;

// Rows read, merged in memory and upserted: `FOR UPDATE` locks the rows that
// exist, but two gateways can both find a task (or bucket, or worker) absent
// and the later upsert would overwrite the earlier with a merge that never saw
// it. A transaction-scoped advisory lock per key, taken before the read,
// serializes them. Taken in hash order (volatile functions run after ORDER BY),
// tasks before buckets before workers, so two batches cannot deadlock.
const LOCK_SPACE = { tasks: 1, buckets: 2, workers: 3 } as const;
const LOCK_KEYS = `
SELECT pg_advisory_xact_lock($1::int, h)
  FROM (SELECT DISTINCT hashtext(k) AS h FROM jsonb_array_elements_text($2::jsonb) AS k) AS keys
 ORDER BY h`;

async function lockKeys(tx: Sql, space: keyof typeof LOCK_SPACE, keys: readonly string[]): Promise<void> {
  await tx.$executeRawUnsafe(LOCK_KEYS, LOCK_SPACE[space], toJson(keys));
}

const SELECT_TASKS = `
SELECT id, name, state::text AS state, args::text AS args, kwargs::text AS kwargs, queue, worker, priority, retries,
       parent_id, root_id, group_id, group_index, chord_group_id, result_preview, error_name, error_message, error_stack, runtime,
       cluster, progress, progress_meta::text AS progress_meta, trace_id, ${TASK_TIMES.map(ms).join(', ')}, ${ms('progress_at')}
  FROM tasks
 WHERE id IN (SELECT jsonb_array_elements_text($1::jsonb))
 ORDER BY id
   FOR UPDATE`;

const UPSERT_TASKS = `
INSERT INTO tasks (id, name, state, args, kwargs, queue, worker, priority, retries, parent_id, root_id, group_id, group_index, chord_group_id, result_preview,
                   error_name, error_message, error_stack, runtime, cluster, progress, progress_meta, progress_at, trace_id, ${TASK_TIMES.join(', ')}, updated_at)
SELECT r.id, r.name, r.state::task_state, COALESCE(r.args::jsonb, '[]'::jsonb), r.kwargs::jsonb, r.queue, r.worker, r.priority, r.retries,
       r.parent_id, r.root_id, r.group_id, r.group_index, r.chord_group_id, r.result_preview, r.error_name, r.error_message, r.error_stack, r.runtime,
       r.cluster, r.progress, r.progress_meta::jsonb, ${ts('progress_at')}, r.trace_id, ${TASK_TIMES.map(ts).join(', ')}, now()
  FROM jsonb_to_recordset($1::jsonb) AS r(id text, name text, state text, args text, kwargs text, queue text, worker text, priority int,
       retries int, parent_id text, root_id text, group_id text, group_index int, chord_group_id text, result_preview text, error_name text, error_message text, error_stack text,
       runtime float8, cluster text, progress float8, progress_meta text, progress_at float8, trace_id text, ${TASK_TIMES.map((c) => `${c} float8`).join(', ')})
ON CONFLICT (id) DO UPDATE SET
  name = EXCLUDED.name, state = EXCLUDED.state, args = EXCLUDED.args, kwargs = COALESCE(EXCLUDED.kwargs, tasks.kwargs), queue = EXCLUDED.queue, worker = EXCLUDED.worker,
  priority = EXCLUDED.priority, retries = EXCLUDED.retries, parent_id = EXCLUDED.parent_id, root_id = EXCLUDED.root_id,
  group_id = EXCLUDED.group_id, group_index = EXCLUDED.group_index, chord_group_id = EXCLUDED.chord_group_id,
  result_preview = EXCLUDED.result_preview, error_name = EXCLUDED.error_name, error_message = EXCLUDED.error_message,
  error_stack = EXCLUDED.error_stack, runtime = EXCLUDED.runtime, cluster = EXCLUDED.cluster,
  progress = EXCLUDED.progress, progress_meta = EXCLUDED.progress_meta, progress_at = EXCLUDED.progress_at, trace_id = EXCLUDED.trace_id,
  ${TASK_TIMES.map((c) => `${c} = EXCLUDED.${c}`).join(', ')}, updated_at = now()`;

const SELECT_ATTEMPTS = `
SELECT a.task_id, a.attempt, a.worker, a.outcome::text AS outcome, a.error_name, a.error_message, a.error_stack, a.runtime,
       ${['started_at', 'ended_at', 'next_retry_at'].map((c) => `(extract(epoch from a.${c}) * 1000)::float8 AS ${c}`).join(', ')}
  FROM task_attempts a
  JOIN jsonb_to_recordset($1::jsonb) AS k(t text, n int) ON a.task_id = k.t AND a.attempt = k.n
 ORDER BY a.task_id, a.attempt
   FOR UPDATE OF a`;

const UPSERT_ATTEMPTS = `
INSERT INTO task_attempts (task_id, attempt, worker, started_at, ended_at, outcome, error_name, error_message, error_stack, next_retry_at, runtime)
SELECT r.task_id, r.attempt, r.worker, ${ts('started_at')}, ${ts('ended_at')}, r.outcome::attempt_outcome, r.error_name,
       r.error_message, r.error_stack, ${ts('next_retry_at')}, r.runtime
  FROM jsonb_to_recordset($1::jsonb) AS r(task_id text, attempt int, worker text, started_at float8, ended_at float8, outcome text,
       error_name text, error_message text, error_stack text, next_retry_at float8, runtime float8)
ON CONFLICT (task_id, attempt) DO UPDATE SET
  worker = EXCLUDED.worker, started_at = EXCLUDED.started_at, ended_at = EXCLUDED.ended_at, outcome = EXCLUDED.outcome,
  error_name = EXCLUDED.error_name, error_message = EXCLUDED.error_message, error_stack = EXCLUDED.error_stack,
  next_retry_at = EXCLUDED.next_retry_at, runtime = EXCLUDED.runtime`;

const SELECT_BUCKETS = `
SELECT (extract(epoch from b.minute) * 1000)::float8 AS minute, b.task_name, b.queue, b.received, b.started, b.succeeded,
       b.failed, b.retried, b.revoked, b.runtime_sum, b.runtime_max, b.runtime_histogram, b.wait_sum, b.wait_max, b.wait_histogram
  FROM metric_buckets b
  JOIN jsonb_to_recordset($1::jsonb) AS k(minute float8, task_name text, queue text)
    ON b.minute = to_timestamp(k.minute / 1000.0) AND b.task_name = k.task_name AND b.queue = k.queue
 ORDER BY b.minute, b.task_name, b.queue
   FOR UPDATE OF b`;

const UPSERT_BUCKETS = `
INSERT INTO metric_buckets (minute, task_name, queue, received, started, succeeded, failed, retried, revoked,
                            runtime_sum, runtime_max, runtime_p50, runtime_p95, runtime_p99, runtime_histogram, wait_sum, wait_max, wait_histogram)
SELECT to_timestamp(r.minute / 1000.0), r.task_name, r.queue, r.received, r.started, r.succeeded, r.failed, r.retried, r.revoked,
       r.runtime_sum, r.runtime_max, r.runtime_p50, r.runtime_p95, r.runtime_p99, r.runtime_histogram, r.wait_sum, r.wait_max, r.wait_histogram
  FROM jsonb_to_recordset($1::jsonb) AS r(minute float8, task_name text, queue text, received int, started int, succeeded int,
       failed int, retried int, revoked int, runtime_sum float8, runtime_max float8, runtime_p50 float8, runtime_p95 float8,
       runtime_p99 float8, runtime_histogram int[], wait_sum float8, wait_max float8, wait_histogram int[])
ON CONFLICT (minute, task_name, queue) DO UPDATE SET
  received = EXCLUDED.received, started = EXCLUDED.started, succeeded = EXCLUDED.succeeded, failed = EXCLUDED.failed,
  retried = EXCLUDED.retried, revoked = EXCLUDED.revoked, runtime_sum = EXCLUDED.runtime_sum, runtime_max = EXCLUDED.runtime_max,
  runtime_p50 = EXCLUDED.runtime_p50, runtime_p95 = EXCLUDED.runtime_p95, runtime_p99 = EXCLUDED.runtime_p99,
  runtime_histogram = EXCLUDED.runtime_histogram, wait_sum = EXCLUDED.wait_sum, wait_max = EXCLUDED.wait_max,
  wait_histogram = EXCLUDED.wait_histogram`;

const SELECT_WORKERS = `
SELECT hostname, pid, queues, pool_kind, pool_size, (extract(epoch from first_seen) * 1000)::float8 AS first_seen,
       (extract(epoch from last_heartbeat) * 1000)::float8 AS last_heartbeat
  FROM workers WHERE hostname IN (SELECT jsonb_array_elements_text($1::jsonb)) ORDER BY hostname FOR UPDATE`;

// A Celery worker's events carry no memory and no per-outcome counts: its row
// keeps the memory `inspect stats` stored, and counts its tasks' outcomes
// (ADD_WORKER_OUTCOMES) instead of taking the zeros of its heartbeats.
const UPSERT_WORKERS = `
INSERT INTO workers AS w (hostname, pid, version, queues, pool_kind, pool_size, first_seen, last_heartbeat, online, active,
                     processed, succeeded, failed, loadavg, memory_rss, cluster)
SELECT r.hostname, r.pid, r.version, r.queues, r.pool_kind, r.pool_size, ${ts('first_seen')}, ${ts('last_heartbeat')}, r.online,
       r.active, r.processed, r.succeeded, r.failed, r.loadavg, r.memory_rss, r.cluster
  FROM jsonb_to_recordset($1::jsonb) AS r(hostname text, pid int, version text, queues text[], pool_kind text, pool_size int,
       first_seen float8, last_heartbeat float8, online boolean, active int, processed bigint, succeeded bigint, failed bigint,
       loadavg float8[], memory_rss bigint, cluster text)
ON CONFLICT (hostname) DO UPDATE SET
  pid = EXCLUDED.pid, version = EXCLUDED.version, queues = EXCLUDED.queues, pool_kind = EXCLUDED.pool_kind,
  pool_size = EXCLUDED.pool_size, first_seen = LEAST(w.first_seen, EXCLUDED.first_seen),
  last_heartbeat = EXCLUDED.last_heartbeat, online = EXCLUDED.online, active = EXCLUDED.active, processed = EXCLUDED.processed,
  succeeded = CASE WHEN EXCLUDED.cluster IS NULL THEN EXCLUDED.succeeded ELSE w.succeeded END,
  failed = CASE WHEN EXCLUDED.cluster IS NULL THEN EXCLUDED.failed ELSE w.failed END,
  loadavg = EXCLUDED.loadavg, memory_rss = COALESCE(EXCLUDED.memory_rss, w.memory_rss),
  cluster = COALESCE(EXCLUDED.cluster, w.cluster)
RETURNING ${WORKER_ROW_COLUMNS}`;

const ADD_WORKER_OUTCOMES = `
UPDATE workers w SET succeeded = w.succeeded + r.succeeded, failed = w.failed + r.failed
  FROM jsonb_to_recordset($1::jsonb) AS r(hostname text, succeeded int, failed int)
 WHERE w.hostname = r.hostname AND w.cluster IS NOT NULL
RETURNING ${WORKER_ROW_COLUMNS}`;

const TOUCH_WORKERS_FIRST_SEEN = `
UPDATE workers w SET first_seen = to_timestamp(r.first_seen / 1000.0)
  FROM jsonb_to_recordset($1::jsonb) AS r(hostname text, first_seen float8)
 WHERE w.hostname = r.hostname AND w.first_seen > to_timestamp(r.first_seen / 1000.0)`;

// The sample with the most processed tasks stands for its interval: a max is
// order-independent, so a replay or a late heartbeat picks the same sample.
const UPSERT_HEARTBEATS = `
INSERT INTO worker_heartbeats (hostname, at, active, processed, loadavg, memory_rss)
SELECT r.hostname, to_timestamp(r.at / 1000.0), r.active, r.processed, r.loadavg, r.memory_rss
  FROM jsonb_to_recordset($1::jsonb) AS r(hostname text, at float8, active int, processed bigint, loadavg float8[], memory_rss bigint)
ON CONFLICT (hostname, at) DO UPDATE SET
  active = EXCLUDED.active, processed = EXCLUDED.processed, loadavg = EXCLUDED.loadavg, memory_rss = EXCLUDED.memory_rss
  WHERE EXCLUDED.processed > worker_heartbeats.processed`;

const INSERT_SCHEDULE_RUNS = `
INSERT INTO schedule_runs (schedule_name, task_id, due_at, fired_at)
SELECT r.schedule_name, r.task_id, r.due_at, r.fired_at
  FROM jsonb_to_recordset($1::jsonb) AS r(schedule_name text, task_id text, due_at timestamptz, fired_at timestamptz)
ON CONFLICT (schedule_name, due_at) DO NOTHING
RETURNING task_id`;

// No natural key exists for an audit row: (schedule, action, instant) stands for one.
const INSERT_SCHEDULE_CHANGES = `
INSERT INTO schedule_changes (schedule_name, action, actor, before, after, at)
SELECT r.schedule_name, r.action, r.actor, r.before, r.after, r.at
  FROM jsonb_to_recordset($1::jsonb) AS r(schedule_name text, action text, actor text, before jsonb, after jsonb, at timestamptz)
 WHERE NOT EXISTS (SELECT 1 FROM schedule_changes c WHERE c.schedule_name = r.schedule_name AND c.action = r.action AND c.at = r.at)`;

// A task's log lines: a replayed event writes nothing (its producer, sequence and instant are the key).
const INSERT_TASK_LOGS = `
INSERT INTO task_logs (task_id, attempt, at, level, message, fields, hostname, pid, seq)
SELECT r.task_id, r.attempt, ${ts('at')}, r.level, r.message, r.fields, r.hostname, r.pid, r.seq
  FROM jsonb_to_recordset($1::jsonb) AS r(task_id text, attempt int, at float8, level text, message text, fields jsonb, hostname text, pid int, seq bigint)
ON CONFLICT (task_id, hostname, pid, seq, at) DO NOTHING
RETURNING id::text AS id, task_id, attempt, (extract(epoch from at) * 1000)::float8 AS at, level, message, fields`;

// The bound: only the newest $2 lines of each task the batch wrote to stay.
const PRUNE_TASK_LOGS = `
DELETE FROM task_logs d
 USING (SELECT id FROM (SELECT id, row_number() OVER (PARTITION BY task_id ORDER BY at DESC, id DESC) AS n
                          FROM task_logs WHERE task_id IN (SELECT jsonb_array_elements_text($1::jsonb))) AS ranked
         WHERE n > $2) AS old
 WHERE d.id = old.id`;

interface TaskRecord {
  id: string;
  name: string;
  state: TaskStateName;
  args: string;
  kwargs: string | null;
  queue: string;
  worker: string | null;
  priority: number | null;
  retries: number;
  parent_id: string | null;
  root_id: string | null;
  group_id: string | null;
  group_index: number | null;
  chord_group_id: string | null;
  result_preview: string | null;
  error_name: string | null;
  error_message: string | null;
  error_stack: string | null;
  runtime: number | null;
  cluster: string | null;
  eta: number | null;
  expires: number | null;
  created_at: number;
  sent_at: number | null;
  received_at: number | null;
  started_at: number | null;
  succeeded_at: number | null;
  failed_at: number | null;
  retried_at: number | null;
  revoked_at: number | null;
  rejected_at: number | null;
  progress: number | null;
  progress_meta: string | null;
  progress_at: number | null;
  trace_id: string | null;
}

function taskFromRecord(r: TaskRecord): TaskRow {
  return {
    id: r.id,
    name: r.name,
    state: r.state,
    // args has a default in the table; it is only known once sent or received carried it.
    args: r.sent_at === null && r.received_at === null ? null : r.args,
    kwargs: r.kwargs,
    queue: r.queue,
    worker: r.worker,
    priority: r.priority,
    eta: r.eta,
    expires: r.expires,
    retries: r.retries,
    parentId: r.parent_id,
    rootId: r.root_id,
    groupId: r.group_id,
    groupIndex: r.group_index,
    chordGroupId: r.chord_group_id,
    resultPreview: r.result_preview,
    errorName: r.error_name,
    errorMessage: r.error_message,
    errorStack: r.error_stack,
    runtime: r.runtime,
    cluster: r.cluster,
    createdAt: r.created_at,
    sentAt: r.sent_at,
    receivedAt: r.received_at,
    startedAt: r.started_at,
    succeededAt: r.succeeded_at,
    failedAt: r.failed_at,
    retriedAt: r.retried_at,
    revokedAt: r.revoked_at,
    rejectedAt: r.rejected_at,
    progress: r.progress,
    progressMeta: r.progress_meta,
    progressAt: r.progress_at,
    traceId: r.trace_id,
  };
}

function taskToRecord(t: TaskRow): Record<string, unknown> {
  return {
    id: t.id,
    name: t.name,
    state: t.state,
    // Valid JSON text (argsText keeps it so); Postgres parses it once, in the upsert.
    args: t.args,
    kwargs: t.kwargs,
    queue: t.queue,
    worker: t.worker,
    priority: t.priority,
    retries: t.retries,
    parent_id: t.parentId,
    root_id: t.rootId,
    group_id: t.groupId,
    group_index: t.groupIndex,
    chord_group_id: t.chordGroupId,
    result_preview: t.resultPreview,
    error_name: t.errorName,
    error_message: t.errorMessage,
    error_stack: t.errorStack,
    runtime: t.runtime,
    cluster: t.cluster,
    eta: t.eta,
    expires: t.expires,
    created_at: t.createdAt,
    sent_at: t.sentAt,
    received_at: t.receivedAt,
    started_at: t.startedAt,
    succeeded_at: t.succeededAt,
    failed_at: t.failedAt,
    retried_at: t.retriedAt,
    revoked_at: t.revokedAt,
    rejected_at: t.rejectedAt,
    progress: t.progress,
    progress_meta: t.progressMeta,
    progress_at: t.progressAt,
    trace_id: t.traceId,
  };
}

interface AttemptRecord {
  task_id: string;
  attempt: number;
  worker: string | null;
  outcome: AttemptRow['outcome'];
  error_name: string | null;
  error_message: string | null;
  error_stack: string | null;
  runtime: number | null;
  started_at: number;
  ended_at: number | null;
  next_retry_at: number | null;
}

function attemptFromRecord(r: AttemptRecord): AttemptRow {
  return {
    taskId: r.task_id,
    attempt: r.attempt,
    worker: r.worker,
    startedAt: r.started_at,
    endedAt: r.ended_at,
    outcome: r.outcome,
    errorName: r.error_name,
    errorMessage: r.error_message,
    errorStack: r.error_stack,
    nextRetryAt: r.next_retry_at,
    runtime: r.runtime,
  };
}

function attemptToRecord(a: AttemptRow): Record<string, unknown> {
  return {
    task_id: a.taskId,
    attempt: a.attempt,
    worker: a.worker,
    started_at: a.startedAt,
    ended_at: a.endedAt,
    outcome: a.outcome,
    error_name: a.errorName,
    error_message: a.errorMessage,
    error_stack: a.errorStack,
    next_retry_at: a.nextRetryAt,
    runtime: a.runtime,
  };
}

interface BucketRecord extends BucketCounts {
  minute: number;
  task_name: string;
  queue: string;
  runtime_sum: number;
  runtime_max: number | null;
  runtime_histogram: number[];
  wait_sum: number;
  wait_max: number | null;
  wait_histogram: number[];
}

type Counter = 'received' | 'started' | 'succeeded' | 'failed' | 'retried' | 'revoked';

class BucketDeltas {
  readonly buckets = new Map<string, BucketRecord>();

  private bucket(at: number, taskName: string, queue: string): BucketRecord {
    const minute = Math.floor(at / 60_000) * 60_000;
    const key = `${minute}\u0001${taskName}\u0001${queue}`;
    let bucket = this.buckets.get(key);
    if (!bucket) {
      bucket = { minute, task_name: taskName, queue, received: 0, started: 0, succeeded: 0, failed: 0, retried: 0, revoked: 0, runtime_sum: 0, runtime_max: null, runtime_histogram: emptyHistogram(), wait_sum: 0, wait_max: null, wait_histogram: emptyWaitHistogram() };
      this.buckets.set(key, bucket);
    }
    return bucket;
  }

  count(counter: Counter, at: number, task: TaskRow, runtime: number | null = null): void {
    const bucket = this.bucket(at, task.name, task.queue);
    bucket[counter] += 1;
    if (runtime !== null) {
      bucket.runtime_sum += runtime;
      bucket.runtime_max = bucket.runtime_max === null ? runtime : Math.max(bucket.runtime_max, runtime);
      const index = bucketOf(runtime);
      bucket.runtime_histogram[index] = (bucket.runtime_histogram[index] ?? 0) + 1;
    }
  }

  /** A first start's wait (seconds) in the bucket of the minute it started. */
  wait(at: number, task: TaskRow, seconds: number): void {
    const bucket = this.bucket(at, task.name, task.queue);
    bucket.wait_sum += seconds;
    bucket.wait_max = bucket.wait_max === null ? seconds : Math.max(bucket.wait_max, seconds);
    const index = waitBinOf(seconds);
    bucket.wait_histogram[index] = (bucket.wait_histogram[index] ?? 0) + 1;
  }
}

/**
 * How long a task waited for its first start: from when it was sent, or from
 * its ETA when it had one (a task does not wait before it is due), to the
 * start. Null when the send was not seen (a Celery producer without
 * task-sent events). Retries are not counted: their wait is their backoff.
 */
export function firstStartWait(task: Pick<TaskRow, 'sentAt' | 'eta'>, attempt: number, startedAt: number | null): number | null {
  if (attempt !== 1 || startedAt === null || task.sentAt === null) return null;
  // The row keeps the latest attempt's ETA: one after the first start is a retry's, not the task's own.
  const from = task.eta !== null && task.eta > task.sentAt && task.eta <= startedAt ? task.eta : task.sentAt;
  return Math.max(0, startedAt - from) / 1_000;
}

function countWait(task: TaskRow, attempt: number, startedAt: number, deltas: BucketDeltas, result: BatchResult): void {
  const wait = firstStartWait(task, attempt, startedAt);
  if (wait === null) return;
  deltas.wait(startedAt, task, wait);
  (result.waits ??= []).push({ name: task.name, queue: task.queue, seconds: wait });
}

const SELECT_FIRST_STARTS = `
SELECT task_id, (extract(epoch from started_at) * 1000)::float8 AS started_at
  FROM task_attempts WHERE attempt = 1 AND task_id IN (SELECT jsonb_array_elements_text($1::jsonb))`;

/**
 * Outcome counts from what changed between a task row before and after the
 * batch: the first time a row gets succeeded_at, failed_at or revoked_at.
 * `receipts` are the instants of task-received events that moved the row's
 * received_at forward (each delivery of each attempt, in stream order; a
 * receipt arriving after a later one is not counted: an undercount only when
 * the stream reorders, never a double count on replay). Starts are counted
 * from new attempt rows (see writeTasks), which are keyed and exact.
 */
function countTransitions(before: TaskRow | undefined, after: TaskRow, receipts: readonly number[], deltas: BucketDeltas): void {
  const first = (field: 'succeededAt' | 'failedAt' | 'revokedAt') => after[field] !== null && (before?.[field] ?? null) === null;
  for (const at of receipts) deltas.count('received', at, after);
  if (first('succeededAt')) deltas.count('succeeded', after.succeededAt!, after, after.state === 'SUCCESS' ? after.runtime : null);
  if (first('failedAt')) deltas.count('failed', after.failedAt!, after, after.state === 'FAILURE' ? after.runtime : null);
  if (first('revokedAt')) deltas.count('revoked', after.revokedAt!, after);
}

/** A worker row to write (the JSON keys of the upsert statement). */
interface WorkerUpsert extends WorkerRow {
  pid: number;
  memory_rss: number;
}

interface WorkerRecord {
  hostname: string;
  pid: number | null;
  queues: string[];
  pool_kind: string | null;
  pool_size: number | null;
  first_seen: number;
  last_heartbeat: number;
}

/** Where a batch's events come from, for the rows they create. */
export interface BatchOrigin {
  /** The Celery cluster that sent the events (its configured name); absent for Lovage's own stream. */
  cluster?: string | undefined;
  /** Log lines kept per task (the newest). Default DEFAULT_TASK_LOG_LIMIT. */
  taskLogLimit?: number | undefined;
}

/** Applies a batch of events in one transaction. Safe to call again with the same events. */
export async function applyBatch(
  prisma: PrismaClient,
  rawEvents: readonly unknown[],
  cursor?: { stream: string; lastId: string },
  origin: BatchOrigin = {},
): Promise<BatchResult> {
  const cluster = origin.cluster ?? null;
  // De-duplicate on (hostname, pid, seq) within the batch; across batches the
  // idempotent writes below make a duplicate harmless.
  const seen = new Set<string>();
  const events: LovageEvent[] = [];
  let invalid = 0;
  for (const raw of rawEvents) {
    if (!isUsableEvent(raw)) {
      invalid++;
      continue;
    }
    stripNul(raw as unknown as Record<string, unknown>);
    const key = `${raw.hostname}\u0001${raw.pid}\u0001${raw.seq}\u0001${raw.timestamp}`;
    if (seen.has(key)) continue;
    seen.add(key);
    events.push(raw);
  }

  const taskEvents = new Map<string, TaskEvent[]>();
  const reportEvents = new Map<string, TaskReportEvent[]>();
  const scheduled = new Map<string, ScheduledTask>();
  const workerEvents = new Map<string, WorkerEvent[]>();
  const scheduleRuns: Record<string, unknown>[] = [];
  const scheduleChanges: Record<string, unknown>[] = [];
  const firedEvents: ScheduleRunEvent[] = [];
  const changeEvents: ScheduleChangeEvent[] = [];
  for (const event of events) {
    if (REPORT_TYPES.has(event.type)) {
      const report = event as TaskReportEvent;
      const list = reportEvents.get(report.id);
      if (list) list.push(report);
      else reportEvents.set(report.id, [report]);
    } else if (event.type.startsWith('task-')) {
      const task = event as TaskEvent;
      const list = taskEvents.get(task.id);
      if (list) list.push(task);
      else taskEvents.set(task.id, [task]);
    } else if (event.type.startsWith('worker-')) {
      const worker = event as WorkerEvent;
      const list = workerEvents.get(worker.hostname);
      if (list) list.push(worker);
      else workerEvents.set(worker.hostname, [worker]);
    } else if (event.type === 'schedule-fired') {
      const fired = Date.parse(event.firedAt);
      scheduled.set(event.taskId, { id: event.taskId, name: event.task, at: Number.isFinite(fired) ? fired : event.timestamp });
      scheduleRuns.push({ schedule_name: event.schedule, task_id: event.taskId, due_at: event.dueAt, fired_at: event.firedAt });
      firedEvents.push({ schedule: event.schedule, task: event.task, taskId: event.taskId, dueAt: Date.parse(event.dueAt), firedAt: Number.isFinite(fired) ? fired : event.timestamp, manual: event.manual === true });
    } else if (event.type === 'schedule-changed') {
      scheduleChanges.push({ schedule_name: event.schedule, action: event.action, actor: event.actor ?? 'system', before: event.before, after: event.after, at: event.at });
      changeEvents.push({ schedule: event.schedule, action: event.action, actor: event.actor ?? 'system', at: Date.parse(event.at) });
    }
  }

  const result: BatchResult = { events: events.length, invalid, tasks: [], attempts: [], workers: [], scheduleRuns: [], scheduleChanges: [], logs: [] };
  await prisma.$transaction(
    async (tx) => {
      const outcomes = await writeTasks(tx, { taskEvents, reportEvents, scheduled }, result, cluster, origin.taskLogLimit ?? DEFAULT_TASK_LOG_LIMIT);
      await writeWorkers(tx, workerEvents, outcomes, result, cluster);
      if (scheduleRuns.length > 0) {
        // Only runs not stored before: a replayed schedule-fired is not news.
        const inserted = new Set((await tx.$queryRawUnsafe<{ task_id: string | null }[]>(INSERT_SCHEDULE_RUNS, toJson(scheduleRuns))).map((r) => r.task_id));
        result.scheduleRuns = firedEvents.filter((run) => inserted.has(run.taskId));
      }
      if (scheduleChanges.length > 0) {
        await tx.$executeRawUnsafe(INSERT_SCHEDULE_CHANGES, toJson(scheduleChanges));
        result.scheduleChanges = changeEvents;
      }
      if (cursor) await advanceCursor(tx, cursor.stream, cursor.lastId, events.length);
    },
    { timeout: 60_000, maxWait: 10_000 },
  );
  return result;
}

interface TaskBatch {
  taskEvents: Map<string, TaskEvent[]>;
  reportEvents: Map<string, TaskReportEvent[]>;
  scheduled: Map<string, ScheduledTask>;
}

async function writeTasks(tx: Sql, batch: TaskBatch, result: BatchResult, cluster: string | null, logLimit: number): Promise<WorkerOutcomes> {
  const { taskEvents, reportEvents, scheduled } = batch;
  const outcomes: WorkerOutcomes = new Map();
  const ids = [...new Set([...taskEvents.keys(), ...reportEvents.keys(), ...scheduled.keys()])].sort();
  if (ids.length === 0) return outcomes;
  await lockKeys(tx, 'tasks', ids);
  const existing = new Map<string, TaskRow>();
  for (const record of await tx.$queryRawUnsafe<TaskRecord[]>(SELECT_TASKS, taskJson(ids))) {
    existing.set(record.id, taskFromRecord(record));
  }

  const changedTasks: TaskRow[] = [];
  const sentLate: TaskRow[] = [];
  const deltas = new BucketDeltas();
  const attemptEvents = new Map<string, { taskId: string; attempt: number; events: TaskEvent[] }>();
  for (const id of ids) {
    const before = existing.get(id);
    const list = taskEvents.get(id) ?? [];
    const reports = reportEvents.get(id) ?? [];
    const firstAt = Math.min(...list.map((e) => e.timestamp), ...reports.map((e) => e.timestamp), scheduled.get(id)?.at ?? Infinity);
    const row: TaskRow = before ? { ...before } : emptyTask(id, firstAt);
    const fired = scheduled.get(id);
    if (fired) applyScheduled(row, fired);
    if (row.cluster === null && cluster !== null) row.cluster = cluster;
    const receipts: number[] = [];
    for (const event of list) {
      if (event.type === 'task-received' && (row.receivedAt === null || event.timestamp > row.receivedAt)) receipts.push(event.timestamp);
      applyTaskEvent(row, event);
      const attempt = attemptNumberOf(event);
      if (attempt !== null) {
        const key = `${id}\u0001${attempt}`;
        const entry = attemptEvents.get(key);
        if (entry) entry.events.push(event);
        else attemptEvents.set(key, { taskId: id, attempt, events: [event] });
      }
    }
    for (const report of reports) applyReportEvent(row, report);
    if (before && sameTask(before, row)) continue;
    changedTasks.push(row);
    if (before && before.sentAt === null && row.sentAt !== null) sentLate.push(row);
    countTransitions(before, row, receipts, deltas);
    if (row.cluster !== null && row.worker !== null) countOutcome(before, row, outcomes);
  }
  if (changedTasks.length > 0) await tx.$executeRawUnsafe(UPSERT_TASKS, taskJson(changedTasks.map(taskToRecord)));
  result.tasks = changedTasks;
  // Every log line's task row exists by now (a task first seen by its log was upserted above), under its task's lock.
  result.logs = await writeTaskLogs(tx, reportEvents, logLimit);

  const changedAttempts: AttemptRow[] = [];
  // Tasks whose first attempt started in this batch: their wait is counted here, once.
  const firstStarted = new Set<string>();
  if (attemptEvents.size > 0) {
    const keys = [...attemptEvents.values()].sort((a, b) => (a.taskId < b.taskId ? -1 : a.taskId > b.taskId ? 1 : a.attempt - b.attempt));
    const stored = new Map<string, AttemptRow>();
    const records = await tx.$queryRawUnsafe<AttemptRecord[]>(SELECT_ATTEMPTS, taskJson(keys.map((k) => ({ t: k.taskId, n: k.attempt }))));
    for (const record of records) stored.set(`${record.task_id}\u0001${record.attempt}`, attemptFromRecord(record));
    const tasksById = new Map(changedTasks.map((t) => [t.id, t]));
    for (const { taskId, attempt, events } of keys) {
      const before = stored.get(`${taskId}\u0001${attempt}`);
      // Starts first: a revocation or rejection only closes an attempt that started.
      const ordered = [...events].sort((a, b) => Number(b.type === 'task-started') - Number(a.type === 'task-started') || a.timestamp - b.timestamp);
      let row: AttemptRow | null = before ? { ...before } : null;
      for (const event of ordered) row = applyAttemptEvent(row, event, attempt);
      if (row === null || (before && sameAttempt(before, row))) continue;
      changedAttempts.push(row);
      if (!before) {
        const task = tasksById.get(taskId) ?? existing.get(taskId);
        if (task) {
          deltas.count('started', row.startedAt, task);
          if (attempt === 1) firstStarted.add(taskId);
          countWait(task, attempt, row.startedAt, deltas, result);
        }
      }
      if (row.outcome === 'RETRY' && before?.outcome !== 'RETRY') {
        const task = tasksById.get(taskId) ?? existing.get(taskId);
        if (task) deltas.count('retried', row.endedAt ?? row.startedAt, task);
      }
    }
    if (changedAttempts.length > 0) await tx.$executeRawUnsafe(UPSERT_ATTEMPTS, taskJson(changedAttempts.map(attemptToRecord)));
  }
  result.attempts = changedAttempts;
  // A send seen after the first start (the stream reordered them): the wait is counted now, so
  // the buckets end the same whatever the order.
  const late = sentLate.filter((task) => !firstStarted.has(task.id));
  if (late.length > 0) {
    const starts = await tx.$queryRawUnsafe<{ task_id: string; started_at: number }[]>(SELECT_FIRST_STARTS, taskJson(late.map((task) => task.id)));
    const byId = new Map(late.map((task) => [task.id, task]));
    for (const start of starts) countWait(byId.get(start.task_id)!, 1, start.started_at, deltas, result);
  }
  await writeBuckets(tx, deltas);
  return outcomes;
}

/** Tasks a Celery worker finished, by outcome, in one batch: its events do not count them. */
type WorkerOutcomes = Map<string, { succeeded: number; failed: number }>;

function countOutcome(before: TaskRow | undefined, after: TaskRow, outcomes: WorkerOutcomes): void {
  const succeeded = after.succeededAt !== null && (before?.succeededAt ?? null) === null ? 1 : 0;
  const failed = after.failedAt !== null && (before?.failedAt ?? null) === null ? 1 : 0;
  if (succeeded + failed === 0) return;
  const counts = outcomes.get(after.worker!) ?? { succeeded: 0, failed: 0 };
  counts.succeeded += succeeded;
  counts.failed += failed;
  outcomes.set(after.worker!, counts);
}

async function writeTaskLogs(tx: Sql, reportEvents: Map<string, TaskReportEvent[]>, limit: number): Promise<TaskLogRow[]> {
  const lines: Record<string, unknown>[] = [];
  for (const [taskId, reports] of reportEvents) {
    for (const event of reports) {
      if (event.type !== 'task-log') continue;
      lines.push({
        task_id: taskId,
        attempt: (typeof event.retries === 'number' ? event.retries : 0) + 1,
        at: event.timestamp,
        level: LOG_LEVELS.has(event.level) ? event.level : 'info',
        message: event.message,
        fields: event.fields ?? null,
        hostname: event.hostname,
        pid: event.pid,
        seq: event.seq,
      });
    }
  }
  if (lines.length === 0) return [];
  const inserted = await tx.$queryRawUnsafe<{ id: string; task_id: string; attempt: number; at: number; level: string; message: string; fields: Record<string, unknown> | null }[]>(
    INSERT_TASK_LOGS,
    toJson(lines),
  );
  if (inserted.length === 0) return [];
  const touched = [...new Set(inserted.map((line) => line.task_id))].sort();
  await tx.$executeRawUnsafe(PRUNE_TASK_LOGS, toJson(touched), limit);
  return inserted
    .map((line) => ({ id: line.id, taskId: line.task_id, attempt: line.attempt, at: line.at, level: line.level, message: line.message, fields: line.fields }))
    .sort((a, b) => a.at - b.at || Number(BigInt(a.id) - BigInt(b.id)));
}

async function writeBuckets(tx: Sql, deltas: BucketDeltas): Promise<void> {
  if (deltas.buckets.size === 0) return;
  const keys = [...deltas.buckets.values()].sort((a, b) => a.minute - b.minute || (a.task_name < b.task_name ? -1 : a.task_name > b.task_name ? 1 : a.queue < b.queue ? -1 : a.queue > b.queue ? 1 : 0));
  await lockKeys(tx, 'buckets', keys.map((k) => `${k.minute}\u0001${k.task_name}\u0001${k.queue}`));
  const stored = await tx.$queryRawUnsafe<BucketRecord[]>(SELECT_BUCKETS, taskJson(keys.map((k) => ({ minute: k.minute, task_name: k.task_name, queue: k.queue }))));
  const byKey = new Map(stored.map((b) => [`${b.minute}\u0001${b.task_name}\u0001${b.queue}`, b]));
  const rows = keys.map((delta) => {
    const old = byKey.get(`${delta.minute}\u0001${delta.task_name}\u0001${delta.queue}`);
    const histogram = emptyHistogram().map((_, i) => (delta.runtime_histogram[i] ?? 0) + (old?.runtime_histogram[i] ?? 0));
    const max = old?.runtime_max === null || old?.runtime_max === undefined ? delta.runtime_max : delta.runtime_max === null ? old.runtime_max : Math.max(old.runtime_max, delta.runtime_max);
    const waits = emptyWaitHistogram();
    addWaitHistogram(waits, delta.wait_histogram);
    addWaitHistogram(waits, old?.wait_histogram);
    const waitMax = old?.wait_max === null || old?.wait_max === undefined ? delta.wait_max : delta.wait_max === null ? old.wait_max : Math.max(old.wait_max, delta.wait_max);
    return {
      minute: delta.minute,
      task_name: delta.task_name,
      queue: delta.queue,
      received: delta.received + (old?.received ?? 0),
      started: delta.started + (old?.started ?? 0),
      succeeded: delta.succeeded + (old?.succeeded ?? 0),
      failed: delta.failed + (old?.failed ?? 0),
      retried: delta.retried + (old?.retried ?? 0),
      revoked: delta.revoked + (old?.revoked ?? 0),
      runtime_sum: delta.runtime_sum + (old?.runtime_sum ?? 0),
      runtime_max: max,
      runtime_p50: percentile(histogram, 0.5, max),
      runtime_p95: percentile(histogram, 0.95, max),
      runtime_p99: percentile(histogram, 0.99, max),
      runtime_histogram: histogram,
      wait_sum: delta.wait_sum + (old?.wait_sum ?? 0),
      wait_max: waitMax,
      wait_histogram: waits,
    };
  });
  await tx.$executeRawUnsafe(UPSERT_BUCKETS, taskJson(rows));
}

/** Is `a` after `b` for one worker: the producer's own sequence when it is the same process, else the clock. */
function isAfter(a: WorkerEvent, b: { pid: number | null; timestamp: number; seq?: number }): boolean {
  if (a.pid === b.pid && b.seq !== undefined) return a.seq > b.seq;
  if (a.timestamp !== b.timestamp) return a.timestamp > b.timestamp;
  // Same instant: going offline is the last thing a process says.
  return a.type === 'worker-offline';
}

async function writeWorkers(
  tx: Sql,
  workerEvents: Map<string, WorkerEvent[]>,
  outcomes: WorkerOutcomes,
  result: BatchResult,
  cluster: string | null,
): Promise<void> {
  if (workerEvents.size === 0 && outcomes.size === 0) return;
  const hostnames = [...workerEvents.keys()].sort();
  await lockKeys(tx, 'workers', [...new Set([...hostnames, ...outcomes.keys()])]);
  const stored = new Map<string, WorkerRecord>();
  for (const record of await tx.$queryRawUnsafe<WorkerRecord[]>(SELECT_WORKERS, toJson(hostnames))) stored.set(record.hostname, record);
  const upserts: WorkerUpsert[] = [];
  const firstSeen: Record<string, unknown>[] = [];
  const samples = new Map<string, Record<string, unknown> & { processed: number }>();
  for (const hostname of hostnames) {
    const list = workerEvents.get(hostname)!;
    let latest = list[0]!;
    for (const event of list) if (isAfter(event, latest)) latest = event;
    const earliest = Math.min(...list.map((e) => e.timestamp));
    const old = stored.get(hostname);
    for (const event of list) {
      const at = Math.floor(event.timestamp / HEARTBEAT_SAMPLE_MS) * HEARTBEAT_SAMPLE_MS;
      const key = `${hostname}\u0001${at}`;
      const previous = samples.get(key);
      if (previous && previous.processed >= event.processed) continue;
      samples.set(key, { hostname, at, active: event.active, processed: event.processed, loadavg: event.loadavg, memory_rss: Math.round(event.rss) });
    }
    if (old && !isAfter(latest, { pid: old.pid, timestamp: old.last_heartbeat })) {
      if (earliest < old.first_seen) firstSeen.push({ hostname, first_seen: earliest });
      continue;
    }
    // A Celery worker's events name no queues and no pool: what `inspect stats` stored (celery/cluster-stats.ts) stays.
    const fromStats = cluster !== null && old !== undefined && latest.queues.length === 0 && latest.pool?.kind === undefined;
    upserts.push({
      hostname,
      pid: latest.pid,
      version: latest.software?.version ?? null,
      queues: fromStats ? old.queues : latest.queues,
      pool_kind: fromStats ? old.pool_kind : (latest.pool?.kind ?? null),
      pool_size: fromStats ? old.pool_size : (latest.pool?.size ?? null),
      first_seen: Math.min(earliest, old?.first_seen ?? Infinity),
      last_heartbeat: latest.timestamp,
      online: latest.type !== 'worker-offline',
      active: latest.active,
      processed: latest.processed,
      succeeded: latest.succeeded,
      failed: latest.failed,
      loadavg: latest.loadavg,
      memory_rss: Math.round(latest.rss),
      cluster,
    });
  }
  const written = new Map<string, WorkerRow>();
  if (upserts.length > 0) for (const row of await tx.$queryRawUnsafe<WorkerRow[]>(UPSERT_WORKERS, toJson(upserts))) written.set(row.hostname, row);
  if (outcomes.size > 0) {
    const counts = [...outcomes].map(([hostname, count]) => ({ hostname, ...count }));
    for (const row of await tx.$queryRawUnsafe<WorkerRow[]>(ADD_WORKER_OUTCOMES, toJson(counts))) written.set(row.hostname, row);
  }
  if (firstSeen.length > 0) await tx.$executeRawUnsafe(TOUCH_WORKERS_FIRST_SEEN, toJson(firstSeen));
  // Every sample has its worker row by now: a worker not stored yet is always upserted above.
  if (samples.size > 0) await tx.$executeRawUnsafe(UPSERT_HEARTBEATS, toJson([...samples.values()]));
  result.workers = [...written.values()].map(workerSnapshotOf);
}

/** Stream ids ("<ms>-<n>") in numeric order. */
export function compareStreamIds(a: string, b: string): number {
  const [am = 0, an = 0] = a.split('-').map(Number);
  const [bm = 0, bn = 0] = b.split('-').map(Number);
  return am - bm || an - bn;
}

async function advanceCursor(tx: Sql, stream: string, lastId: string, applied: number): Promise<void> {
  const rows = await tx.$queryRawUnsafe<{ last_event_id: string }[]>(`SELECT last_event_id FROM ingest_cursors WHERE stream = $1 FOR UPDATE`, stream);
  const current = rows[0]?.last_event_id;
  const next = current !== undefined && compareStreamIds(current, lastId) > 0 ? current : lastId;
  await tx.$executeRawUnsafe(
    `INSERT INTO ingest_cursors (stream, last_event_id, events_applied, updated_at) VALUES ($1, $2, $3, now())
     ON CONFLICT (stream) DO UPDATE SET last_event_id = EXCLUDED.last_event_id,
       events_applied = ingest_cursors.events_applied + EXCLUDED.events_applied, updated_at = now()`,
    stream,
    next,
    applied,
  );
}
