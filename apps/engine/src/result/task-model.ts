// The task model, defined once: the states a task can be in, their precedence,
// how an attempt can end, and which state each task event sets. The result
// backend, the gateway (ingest merge, API schemas, live payloads, the Prisma
// enums, checked by a test) and the dashboard all derive from these lists.

/**
 * Every state of a task, in Celery's names, plus REJECTED (dead-lettered).
 * The result backend stores STARTED (with trackStarted), RETRY, SUCCESS,
 * FAILURE and REVOKED (and custom states from `updateState`); PENDING is what
 * `result.state()` answers when nothing is stored. RECEIVED and REJECTED are
 * known from events only (the monitor's view).
 */
export const TASK_STATES = ['PENDING', 'RECEIVED', 'STARTED', 'RETRY', 'SUCCESS', 'FAILURE', 'REVOKED', 'REJECTED'] as const;
export type TaskState = (typeof TASK_STATES)[number];

/** States after which a task never changes again (what `result.get()` waits for). */
export const READY_STATES: ReadonlySet<string> = new Set<TaskState>(['SUCCESS', 'FAILURE', 'REVOKED']);

/**
 * Precedence within one attempt: Celery's order with RETRY above STARTED (a
 * retry ends the attempt that started) and REJECTED below RETRY. A later
 * attempt (more retries) always wins over an earlier one, whatever the states.
 *   PENDING < RECEIVED < STARTED < REJECTED < RETRY < REVOKED < FAILURE < SUCCESS
 */
export const STATE_PRECEDENCE: Readonly<Record<TaskState, number>> = {
  PENDING: 0,
  RECEIVED: 1,
  STARTED: 2,
  REJECTED: 3,
  RETRY: 4,
  REVOKED: 5,
  FAILURE: 6,
  SUCCESS: 7,
};

/** How one run of a task ended: the worker records the last four; the monitor adds RUNNING and LOST (its worker vanished). */
export const ATTEMPT_OUTCOMES = ['RUNNING', 'SUCCESS', 'RETRY', 'FAILURE', 'REVOKED', 'LOST'] as const;
export type AttemptOutcome = (typeof ATTEMPT_OUTCOMES)[number];

/** Precedence of attempt outcomes: a final outcome wins over RUNNING or LOST, whatever order events arrive in. */
export const OUTCOME_PRECEDENCE: Readonly<Record<AttemptOutcome, number>> = { RUNNING: 0, LOST: 1, RETRY: 2, REVOKED: 3, FAILURE: 4, SUCCESS: 5 };

/** Every task event type, in the order of a task's life. */
export const TASK_EVENT_TYPES = [
  'task-sent',
  'task-received',
  'task-started',
  'task-succeeded',
  'task-failed',
  'task-retried',
  'task-revoked',
  'task-rejected',
] as const;
export type TaskEventType = (typeof TASK_EVENT_TYPES)[number];

/**
 * What a running task reports about itself (`currentTask().progress()` and
 * `.log()`): task events that set no state and belong to no attempt's outcome.
 */
export const TASK_REPORT_EVENT_TYPES = ['task-progress', 'task-log'] as const;
export type TaskReportEventType = (typeof TASK_REPORT_EVENT_TYPES)[number];

/** Worker and beat event types. */
export const WORKER_EVENT_TYPES = ['worker-online', 'worker-heartbeat', 'worker-offline'] as const;
export const BEAT_EVENT_TYPES = ['schedule-fired', 'schedule-changed', 'beat-leadership'] as const;

/** The state a task event sets; task-rejected sets REJECTED only when it dead-lettered (a requeue sets none). */
export function stateOfEvent(event: { type: TaskEventType; deadLettered?: boolean }): TaskState | null {
  switch (event.type) {
    case 'task-sent':
      return 'PENDING';
    case 'task-received':
      return 'RECEIVED';
    case 'task-started':
      return 'STARTED';
    case 'task-succeeded':
      return 'SUCCESS';
    case 'task-failed':
      return 'FAILURE';
    case 'task-retried':
      return 'RETRY';
    case 'task-revoked':
      return 'REVOKED';
    case 'task-rejected':
      return event.deadLettered === true ? 'REJECTED' : null;
  }
}
