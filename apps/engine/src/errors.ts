// Every error Lovage throws on purpose. Each has a stable `code` so callers
// (and the gateway, across the wire) can branch on it without string matching.

export class LovageError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** A setting, option or environment variable has a value Lovage cannot use. */
export class ConfigError extends LovageError {
  constructor(message: string, options?: ErrorOptions) {
    super('CONFIG', message, options);
  }
}

/** A task's arguments or return value cannot travel as JSON. `path` names the offending value. */
export class SerializationError extends LovageError {
  readonly path: string;
  constructor(path: string, message: string, options?: ErrorOptions) {
    super('SERIALIZATION', `${path}: ${message}`, options);
    this.path = path;
  }
}

/** No task with this name is registered on the app. */
export class NotRegisteredError extends LovageError {
  readonly taskName: string;
  constructor(taskName: string) {
    super('NOT_REGISTERED', `no task named ${JSON.stringify(taskName)} is registered`);
    this.taskName = taskName;
  }
}

/** The remote task failed. Carries the remote error's name, message and stack. */
export class TaskFailedError extends LovageError {
  readonly taskId: string;
  readonly remoteName: string;
  readonly remoteMessage: string;
  readonly remoteStack: string | undefined;
  constructor(taskId: string, remote: { name: string; message: string; stack?: string | undefined }) {
    super('TASK_FAILED', `task ${taskId} failed: ${remote.name}: ${remote.message}`);
    this.taskId = taskId;
    this.remoteName = remote.name;
    this.remoteMessage = remote.message;
    this.remoteStack = remote.stack;
  }
}

/** The task was revoked (by a user, or because it expired) and will not produce a value. */
export class TaskRevokedError extends LovageError {
  readonly taskId: string;
  readonly reason: string;
  constructor(taskId: string, reason = 'revoked') {
    super('TASK_REVOKED', `task ${taskId} was revoked (${reason})`);
    this.taskId = taskId;
    this.reason = reason;
  }
}

/** Waiting for something (a result, usually) took longer than allowed. */
export class TimeoutError extends LovageError {
  constructor(message: string) {
    super('TIMEOUT', message);
  }
}

/** The soft time limit passed: the task's signal fired, and it may catch this to clean up. */
export class SoftTimeLimitExceeded extends LovageError {
  constructor(limitMs: number) {
    super('SOFT_TIME_LIMIT', `soft time limit of ${limitMs}ms exceeded`);
  }
}

/** The hard time limit passed: the task failed (and on the threads pool its thread was killed). */
export class TimeLimitExceeded extends LovageError {
  constructor(limitMs: number) {
    super('TIME_LIMIT', `time limit of ${limitMs}ms exceeded`);
  }
}

/** Control flow: thrown by `currentTask().retry()`, asks the worker to run the task again later. */
export class Retry extends LovageError {
  readonly exc: unknown;
  readonly when: number | undefined;
  constructor(message: string, exc?: unknown, when?: number) {
    super('RETRY', message, exc === undefined ? undefined : { cause: exc });
    this.exc = exc;
    this.when = when;
  }
}

/** Control flow: the task refuses its message; it goes to the dead-letter queue (or back, with `requeue`). */
export class Reject extends LovageError {
  readonly requeue: boolean;
  constructor(reason: string, options: { requeue?: boolean } = {}) {
    super('REJECT', reason);
    this.requeue = options.requeue ?? false;
  }
}

/** Thrown from a task to fail at once, without the retries `autoretryFor` would grant. */
export class NonRetriableError extends LovageError {
  constructor(message: string, options?: ErrorOptions) {
    super('NON_RETRIABLE', message, options);
  }
}

/** A task was retried more than its `maxRetries` allow. */
export class MaxRetriesExceededError extends LovageError {
  constructor(taskName: string, maxRetries: number) {
    super('MAX_RETRIES', `task ${taskName} exceeded its ${maxRetries} retries`);
  }
}

/** A schedule edit was made against a stale version: someone else changed it first. Re-read and retry. */
export class ScheduleConflictError extends LovageError {
  readonly schedule: string;
  readonly expectedVersion: number;
  /** The version now in the store (0 when the schedule does not exist). */
  readonly currentVersion: number;
  constructor(schedule: string, expectedVersion: number, currentVersion: number) {
    super(
      'SCHEDULE_CONFLICT',
      `schedule ${JSON.stringify(schedule)} is at version ${currentVersion}, not ${expectedVersion}: it was changed by someone else`,
    );
    this.schedule = schedule;
    this.expectedVersion = expectedVersion;
    this.currentVersion = currentVersion;
  }
}

/** No schedule with this name is in the schedule store. */
export class ScheduleNotFoundError extends LovageError {
  readonly schedule: string;
  constructor(schedule: string) {
    super('SCHEDULE_NOT_FOUND', `no schedule named ${JSON.stringify(schedule)}`);
    this.schedule = schedule;
  }
}

/** The broker could not be reached (wrong URL, server down). The CLI prints it on one line and exits 1. */
export class BrokerUnreachableError extends LovageError {
  constructor(url: string, cause: unknown) {
    super('BROKER_UNREACHABLE', `cannot reach the broker at ${url}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
}

/** The broker's adapter cannot do what was asked (pausing a queue on RabbitMQ, say). `adapter` names it. */
export class UnsupportedByAdapterError extends LovageError {
  readonly adapter: string;
  constructor(adapter: string, what: string) {
    super('UNSUPPORTED_BY_ADAPTER', `the ${adapter} adapter cannot ${what}`);
    this.adapter = adapter;
  }
}

/**
 * A chord's member failed (or was revoked), so its callback never runs: the
 * callback's result is FAILURE with this error, naming the member.
 */
export class ChordError extends LovageError {
  readonly memberId: string;
  readonly memberIndex: number;
  constructor(memberId: string, memberIndex: number, cause: { name: string; message: string }) {
    super('CHORD_ERROR', `chord member ${memberId} (index ${memberIndex}) failed: ${cause.name}: ${cause.message}`);
    this.memberId = memberId;
    this.memberIndex = memberIndex;
  }
}

/** `currentTask().progress()` was given a fraction outside 0..1 (or not a finite number). */
export class InvalidProgressError extends LovageError {
  readonly value: unknown;
  constructor(value: unknown) {
    super('INVALID_PROGRESS', `progress must be a finite number from 0 to 1, got ${typeof value === 'number' ? String(value) : typeof value}`);
    this.value = value;
  }
}
