// Folding task events into the `tasks` and `task_attempts` rows, whatever order
// they arrive in and however often. Every rule here is order-independent and
// idempotent: applying an event already reflected in a row yields the same row,
// which is what lets the ingest replay a batch after a crash without harm.
//
// State precedence is decided per attempt: an event's key is
// (retries, precedence of its state), so a later attempt always wins over an
// earlier one, and within one attempt the engine's STATE_PRECEDENCE decides (the
// task model is defined once, in @lovage/engine). A late `task-received`
// therefore never overwrites `task-succeeded`, but may fill in fields the row
// lacks (name, args, queue, priority...).
import {
  OUTCOME_PRECEDENCE as OUTCOME_RANK,
  STATE_PRECEDENCE as RANK,
  stateOfEvent,
  type AttemptOutcome,
  type LovageEvent,
  type TaskEventType,
  type TaskLogEvent,
  type TaskProgressEvent,
  type TaskState,
} from '@lovage/engine';

export type TaskStateName = TaskState;
export type AttemptOutcomeName = AttemptOutcome;

/** The columns of `tasks` the ingest owns; instants are epoch ms. */
export interface TaskRow {
  id: string;
  name: string;
  state: TaskStateName;
  /** JSON text of the args preview, or null when no event carried args yet. */
  args: string | null;
  /** JSON text of the kwargs, when an event carried them (Celery's, as a repr string); else null. */
  kwargs: string | null;
  queue: string;
  worker: string | null;
  priority: number | null;
  eta: number | null;
  expires: number | null;
  retries: number;
  parentId: string | null;
  rootId: string | null;
  groupId: string | null;
  groupIndex: number | null;
  chordGroupId: string | null;
  resultPreview: string | null;
  errorName: string | null;
  errorMessage: string | null;
  errorStack: string | null;
  runtime: number | null;
  /** The Celery cluster whose events made the row; null for Lovage's own tasks. */
  cluster: string | null;
  createdAt: number;
  sentAt: number | null;
  receivedAt: number | null;
  startedAt: number | null;
  succeededAt: number | null;
  failedAt: number | null;
  retriedAt: number | null;
  revokedAt: number | null;
  rejectedAt: number | null;
  /** The latest `currentTask().progress()`: 0..1, its metadata as JSON text, and when it was reported. */
  progress: number | null;
  progressMeta: string | null;
  progressAt: number | null;
  /** The W3C trace id the task's message carried (task-sent or task-received), when it was traced. */
  traceId: string | null;
}

export interface AttemptRow {
  taskId: string;
  attempt: number;
  worker: string | null;
  startedAt: number;
  endedAt: number | null;
  outcome: AttemptOutcomeName;
  errorName: string | null;
  errorMessage: string | null;
  errorStack: string | null;
  nextRetryAt: number | null;
  /** Seconds. */
  runtime: number | null;
}

/** A task event that moves the task's state (validated). */
export type TaskEvent = Extract<LovageEvent, { type: TaskEventType }>;
/** What a running task reports about itself: progress (folded into the row) and log lines (rows of task_logs). */
export type TaskReportEvent = TaskProgressEvent | TaskLogEvent;

/** What beat tells about a task it sent (schedule-fired), before any task event arrives. */
export interface ScheduledTask {
  id: string;
  name: string;
  at: number;
}

const STATE_TIMESTAMP = {
  'task-sent': 'sentAt',
  'task-received': 'receivedAt',
  'task-started': 'startedAt',
  'task-succeeded': 'succeededAt',
  'task-failed': 'failedAt',
  'task-retried': 'retriedAt',
  'task-revoked': 'revokedAt',
  'task-rejected': 'rejectedAt',
} as const satisfies Record<TaskEvent['type'], keyof TaskRow>;

/** The state an event sets, or null when it sets none (a rejection that requeued the task). */
export function stateOf(event: TaskEvent): TaskStateName | null {
  return stateOfEvent(event);
}

/** Events a worker emits: their hostname is the task's worker. task-sent comes from the producer. */
function fromWorker(event: TaskEvent): boolean {
  // A reconciled Celery result without result_extended names no worker (celery/reconcile-events.ts).
  return event.type !== 'task-sent' && event.hostname !== '';
}

function keyOf(retries: number, state: TaskStateName): number {
  return retries * 16 + RANK[state];
}

/** A row no real task event has touched yet (only beat's schedule-fired made it). */
function isStub(row: TaskRow): boolean {
  return (
    row.sentAt === null &&
    row.receivedAt === null &&
    row.startedAt === null &&
    row.succeededAt === null &&
    row.failedAt === null &&
    row.retriedAt === null &&
    row.revokedAt === null &&
    row.rejectedAt === null
  );
}

/** The timestamp the row keeps for its current state (for ties between equal keys). */
function stateTimestamp(row: TaskRow): number {
  const field = {
    PENDING: row.sentAt,
    RECEIVED: row.receivedAt,
    STARTED: row.startedAt,
    REJECTED: row.rejectedAt,
    RETRY: row.retriedAt,
    REVOKED: row.revokedAt,
    FAILURE: row.failedAt,
    SUCCESS: row.succeededAt,
  }[row.state];
  return field ?? row.createdAt;
}

function argsText(preview: string): string {
  // The engine's preview is JSON cut at 256 characters: keep it as JSON when it
  // still parses, else as a JSON string so the column always holds valid JSON.
  try {
    JSON.parse(preview);
    return preview;
  } catch {
    return JSON.stringify(preview);
  }
}

function maxOf(a: number | null, b: number): number {
  return a === null || b > a ? b : a;
}

export function emptyTask(id: string, at: number): TaskRow {
  return {
    id,
    name: '',
    state: 'PENDING',
    args: null,
    kwargs: null,
    queue: 'default',
    worker: null,
    priority: null,
    eta: null,
    expires: null,
    retries: 0,
    parentId: null,
    rootId: null,
    groupId: null,
    groupIndex: null,
    chordGroupId: null,
    resultPreview: null,
    errorName: null,
    errorMessage: null,
    errorStack: null,
    runtime: null,
    cluster: null,
    createdAt: at,
    sentAt: null,
    receivedAt: null,
    startedAt: null,
    succeededAt: null,
    failedAt: null,
    retriedAt: null,
    revokedAt: null,
    rejectedAt: null,
    progress: null,
    progressMeta: null,
    progressAt: null,
    traceId: null,
  };
}

/**
 * Folds a progress or log event into a row, in place: the newest progress wins
 * (by its timestamp, then the larger fraction on a tie, so any order of arrival
 * gives the same row), and either fills the name and queue of a row no state
 * event has touched yet.
 */
export function applyReportEvent(row: TaskRow, event: TaskReportEvent): void {
  const stub = isStub(row);
  if (event.timestamp < row.createdAt) row.createdAt = event.timestamp;
  if (event.name && (row.name === '' || stub)) row.name = event.name;
  if (event.queue && stub) row.queue = event.queue;
  if (row.rootId === null && isLink(event.rootId)) row.rootId = event.rootId;
  if (row.parentId === null && isLink(event.parentId)) row.parentId = event.parentId;
  if (event.type !== 'task-progress') return;
  const newer = row.progressAt === null || event.timestamp > row.progressAt || (event.timestamp === row.progressAt && event.progress > (row.progress ?? -1));
  if (!newer) return;
  row.progress = event.progress;
  row.progressMeta = event.meta === undefined ? null : JSON.stringify(event.meta);
  row.progressAt = event.timestamp;
}

/** Folds beat's knowledge of a task it sent into a row (name and creation time, nothing else). */
export function applyScheduled(row: TaskRow, scheduled: ScheduledTask): void {
  if (row.name === '') row.name = scheduled.name;
  if (scheduled.at < row.createdAt) row.createdAt = scheduled.at;
}

/** A link the row can store: a non-empty id (events come from other processes: never trust their types). */
function isLink(value: unknown): value is string {
  return typeof value === 'string' && value !== '';
}

/** A W3C trace id: 32 lowercase hex digits (events come from other processes). */
function isTraceId(value: unknown): value is string {
  return typeof value === 'string' && /^[0-9a-f]{32}$/.test(value);
}

/** A priority to keep: an integer (Celery's events carry NaN or none, see celery-translate.ts). */
function isPriority(value: number | undefined): value is number {
  return value !== undefined && Number.isInteger(value);
}

/** A position in a group that fits the int column. */
function isGroupIndex(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= 2_147_483_647;
}

/** Folds one task event into a row, in place. */
export function applyTaskEvent(row: TaskRow, event: TaskEvent): void {
  const stub = isStub(row);
  const previousStateAt = stateTimestamp(row);
  const ts = event.timestamp;
  if (ts < row.createdAt) row.createdAt = ts;
  const retries = typeof event.retries === 'number' ? event.retries : row.retries;

  // Descriptive fields: filled when missing, whatever the event's precedence.
  if (event.name && (row.name === '' || stub)) row.name = event.name;
  if (event.queue && stub) row.queue = event.queue;
  if ((event.type === 'task-sent' || event.type === 'task-received') && row.args === null) row.args = argsText(event.args);
  if ((event.type === 'task-sent' || event.type === 'task-received') && row.kwargs === null) {
    // Only Celery's events carry kwargs (their repr text): see celery-translate.ts.
    const kwargs = (event as { kwargs?: unknown }).kwargs;
    if (typeof kwargs === 'string') row.kwargs = JSON.stringify(kwargs);
  }
  // A Lovage worker's task-received carries the priority too, so it is known when the worker's events
  // arrive before the producer's task-sent. Celery's carry none (see celery-translate.ts): the column then stays unknown.
  if ((event.type === 'task-sent' || event.type === 'task-received') && row.priority === null && isPriority(event.priority)) row.priority = event.priority;
  if (row.expires === null && typeof event.expires === 'number') row.expires = event.expires;
  // Workflow links never change for one task id: the first event that carries one sets it, and
  // an event without it (a late or foreign one) leaves it, so the order of arrival cannot lose them.
  if (row.parentId === null && event.parentId) row.parentId = event.parentId;
  if (row.rootId === null && event.rootId) row.rootId = event.rootId;
  if (row.groupId === null && isLink(event.groupId)) row.groupId = event.groupId;
  if (row.groupIndex === null && isGroupIndex(event.groupIndex)) row.groupIndex = event.groupIndex;
  if (row.chordGroupId === null && isLink(event.chordGroupId)) row.chordGroupId = event.chordGroupId;
  if (row.traceId === null && (event.type === 'task-sent' || event.type === 'task-received') && isTraceId(event.traceId)) row.traceId = event.traceId;

  const timestampField = STATE_TIMESTAMP[event.type];
  row[timestampField] = maxOf(row[timestampField], ts);

  // Errors come from the latest error-carrying event; a success clears them below.
  const error = event.type === 'task-failed' || event.type === 'task-retried' ? event.error : undefined;

  const state = stateOf(event);
  const rowKey = stub ? -1 : keyOf(row.retries, row.state);
  const eventKey = state === null ? -1 : keyOf(retries, state);
  const wins = state !== null && (eventKey > rowKey || (eventKey === rowKey && ts >= previousStateAt));
  if (wins) {
    row.state = state;
    row.retries = Math.max(row.retries, retries);
    if (event.queue) row.queue = event.queue;
    if (fromWorker(event)) row.worker = event.hostname;
    row.eta = event.type === 'task-retried' ? event.nextEta : typeof event.eta === 'number' ? event.eta : row.eta;
    if (event.type === 'task-succeeded') {
      row.resultPreview = event.result;
      row.runtime = event.runtime / 1_000;
    }
    if (event.type === 'task-failed') row.runtime = event.runtime / 1_000;
    if (error) {
      row.errorName = error.name;
      row.errorMessage = error.message;
      row.errorStack = error.stack ?? null;
    } else if (event.type === 'task-rejected') {
      row.errorName = 'Rejected';
      row.errorMessage = event.reason;
      row.errorStack = null;
    }
  } else {
    row.retries = Math.max(row.retries, retries);
    if (error && row.errorName === null) {
      // An earlier attempt's error arriving late: still the latest error the row knows.
      row.errorName = error.name;
      row.errorMessage = error.message;
      row.errorStack = error.stack ?? null;
    }
  }
  if (row.state === 'SUCCESS') {
    row.errorName = null;
    row.errorMessage = null;
    row.errorStack = null;
  }
}

/** The attempt an event belongs to: 1 for the first run, retries + 1 in general. */
export function attemptNumberOf(event: TaskEvent): number | null {
  switch (event.type) {
    case 'task-retried':
      return event.attempt;
    case 'task-started':
    case 'task-succeeded':
    case 'task-failed':
    case 'task-revoked':
      return (typeof event.retries === 'number' ? event.retries : 0) + 1;
    case 'task-rejected':
      return event.deadLettered ? (event.retries ?? 0) + 1 : null;
    default:
      return null;
  }
}

/** A new attempt, running on `worker` since `startedAt`. */
function runningAttempt(taskId: string, attempt: number, worker: string, startedAt: number): AttemptRow {
  return { taskId, attempt, worker: worker === '' ? null : worker, startedAt, endedAt: null, outcome: 'RUNNING', errorName: null, errorMessage: null, errorStack: null, nextRetryAt: null, runtime: null };
}

/**
 * Folds one event into an attempt row (null when none exists yet), returning the
 * row or null. `task-revoked` and `task-rejected` only close an attempt that
 * started: a task revoked in the queue never ran, so it has no attempt.
 */
export function applyAttemptEvent(row: AttemptRow | null, event: TaskEvent, attempt: number): AttemptRow | null {
  const ts = event.timestamp;
  if (event.type === 'task-started') {
    if (row === null) {
      return runningAttempt(event.id, attempt, event.hostname, ts);
    }
    if (row.outcome === 'RUNNING') {
      // A redelivery of the same attempt (its first worker was lost): the latest start wins.
      if (ts > row.startedAt) {
        row.startedAt = ts;
        row.worker = event.hostname;
      }
    } else if (row.worker === event.hostname || row.worker === null) {
      // The real start of an attempt first seen by its end: replace the estimate.
      row.startedAt = ts;
      if (row.endedAt !== null && row.runtime === null) row.runtime = Math.max(0, row.endedAt - ts) / 1_000;
    }
    return row;
  }

  let outcome: AttemptOutcomeName;
  let error: { name: string; message: string; stack?: string | undefined } | undefined;
  let runtime: number | null = null;
  let nextRetryAt: number | null = null;
  switch (event.type) {
    case 'task-succeeded':
      outcome = 'SUCCESS';
      runtime = event.runtime / 1_000;
      break;
    case 'task-failed':
      outcome = 'FAILURE';
      error = event.error;
      runtime = event.runtime / 1_000;
      break;
    case 'task-retried':
      outcome = 'RETRY';
      error = event.error;
      nextRetryAt = event.nextEta;
      break;
    case 'task-revoked':
      if (row === null || row.outcome !== 'RUNNING') return row;
      outcome = 'REVOKED';
      break;
    case 'task-rejected':
      if (row === null || row.outcome !== 'RUNNING') return row;
      outcome = 'FAILURE';
      error = { name: 'Rejected', message: event.reason };
      break;
    default:
      return row;
  }
  if (row !== null && row.outcome !== 'RUNNING' && OUTCOME_RANK[row.outcome] >= OUTCOME_RANK[outcome]) return row;
  // Read before `next` (which may be `row` itself) is overwritten below.
  const wasRunning = row !== null && row.outcome === 'RUNNING';
  const startedAt = row?.startedAt ?? (runtime === null ? ts : ts - Math.round(runtime * 1_000));
  const next: AttemptRow = row ?? runningAttempt(event.id, attempt, event.hostname, startedAt);
  if (row !== null && wasRunning && event.hostname !== '' && row.worker !== event.hostname) {
    // Ended on another worker than the start we know of: that start belonged to a lost run.
    next.startedAt = runtime === null ? ts : ts - Math.round(runtime * 1_000);
  }
  if (event.hostname !== '') next.worker = event.hostname;
  next.endedAt = ts;
  next.outcome = outcome;
  next.errorName = error?.name ?? null;
  next.errorMessage = error?.message ?? null;
  next.errorStack = error?.stack ?? null;
  next.nextRetryAt = nextRetryAt;
  next.runtime = runtime ?? (wasRunning ? Math.max(0, ts - next.startedAt) / 1_000 : null);
  return next;
}

export function sameTask(a: TaskRow, b: TaskRow): boolean {
  for (const key of Object.keys(a) as (keyof TaskRow)[]) if (a[key] !== b[key]) return false;
  return true;
}

export function sameAttempt(a: AttemptRow, b: AttemptRow): boolean {
  for (const key of Object.keys(a) as (keyof AttemptRow)[]) if (a[key] !== b[key]) return false;
  return true;
}
