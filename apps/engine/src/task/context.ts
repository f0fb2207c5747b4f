// The running task's context, reachable as currentTask() from anywhere in the
// handler's async call tree (AsyncLocalStorage), and as `this` in a `function`
// handler.
import { AsyncLocalStorage } from 'node:async_hooks';
import { LovageError, MaxRetriesExceededError, NonRetriableError, Retry } from '../errors.js';
import { toMs, type Duration } from '../time/duration.js';
import { retryDelayMs, type RetryPolicy } from './backoff.js';
import type { TaskLogger } from './task-report.js';

export interface RetryOptions {
  exc?: unknown;
  countdown?: Duration;
  eta?: Date | number;
  maxRetries?: number;
}

export interface TaskContext {
  readonly id: string;
  readonly name: string;
  readonly args: readonly unknown[];
  /** Keyword arguments (a Celery message's kwargs); also the handler's last argument when not empty. */
  readonly kwargs: Readonly<Record<string, unknown>>;
  /** How many times this task has been retried before this run. */
  readonly retries: number;
  readonly hostname: string;
  readonly queue: string;
  readonly eta: Date | undefined;
  readonly headers: Readonly<Record<string, unknown>>;
  /** Fires on revoke and on the soft time limit; pass it to fetch() and friends. */
  readonly signal: AbortSignal;
  // The functions below may be taken off the context (`const { progress } = currentTask()`).
  /**
   * Asks for another run later. It throws by itself — a Retry, or past maxRetries
   * `exc` (or MaxRetriesExceededError) — and is typed as returning the Retry so
   * that `throw currentTask().retry({ exc })` reads the way Celery's does.
   */
  readonly retry: (options?: RetryOptions) => Retry;
  /** Stores a custom state (e.g. 'PROGRESS') with metadata for observers. */
  readonly updateState: (state: string, meta?: unknown) => Promise<void>;
  /**
   * Reports how far the task is, a fraction from 0 to 1 (InvalidProgressError
   * otherwise), with optional JSON metadata: a task-progress event the monitor
   * shows as a live progress bar. At most a few per second reach the stream; the
   * last one always does.
   */
  readonly progress: (fraction: number, meta?: unknown) => void;
  /** Writes one log line (level info) to the task's history: a task-log event. `fields`: JSON data. */
  readonly log: (message: string, fields?: Record<string, unknown>) => void;
  /** A pino-compatible logger bound to this task (trace … fatal, child), writing the same task-log events. */
  readonly logger: TaskLogger;
}

const storage = new AsyncLocalStorage<TaskContext>();

export function runWithContext<T>(context: TaskContext, fn: () => T): T {
  return storage.run(context, fn);
}

/** The running task's context, or undefined outside a task (links what a handler sends to it). */
export function currentTaskOrUndefined(): TaskContext | undefined {
  return storage.getStore();
}

export function currentTask(): TaskContext {
  const ctx = storage.getStore();
  if (!ctx) throw new LovageError('NO_TASK', 'currentTask() was called outside a running task');
  return ctx;
}

/** Builds the Retry a task throws, honouring countdown / eta / maxRetries and the task's backoff policy. */
export function buildRetry(
  name: string,
  retries: number,
  policy: RetryPolicy & { maxRetries?: number | undefined },
  options: RetryOptions,
  now = Date.now(),
): Retry {
  const max = options.maxRetries ?? policy.maxRetries ?? 3;
  if (retries >= max) {
    // Celery's rule: past maxRetries the original error is what the task fails with.
    if (options.exc instanceof Error) throw options.exc;
    throw new MaxRetriesExceededError(name, max);
  }
  let when: number;
  if (options.eta !== undefined) when = options.eta instanceof Date ? options.eta.getTime() : options.eta;
  else if (options.countdown !== undefined) when = now + toMs(options.countdown, 'countdown');
  else when = now + retryDelayMs(policy, retries);
  const reason = options.exc instanceof Error ? `${options.exc.name}: ${options.exc.message}` : 'retry requested';
  return new Retry(`retry in ${when - now}ms: ${reason}`, options.exc, when);
}

/**
 * A handler's error after the task's `autoretryFor`: an error of a listed class
 * becomes the Retry its backoff policy gives (or, past maxRetries, the error the
 * task fails with). Both pools call this, so they retry alike.
 */
export function applyAutoretry(
  err: unknown,
  name: string,
  retries: number,
  options: RetryPolicy & { maxRetries?: number | undefined; autoretryFor?: readonly (abstract new (...args: never[]) => Error)[] | undefined },
): unknown {
  if (err instanceof Retry || err instanceof NonRetriableError) return err;
  if (!options.autoretryFor?.some((c) => err instanceof c)) return err;
  try {
    return buildRetry(name, retries, options, { exc: err });
  } catch (final) {
    return final;
  }
}
