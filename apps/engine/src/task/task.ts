import { randomUUID } from 'node:crypto';
import { toMs, type Duration } from '../time/duration.js';
import type { AsyncResult } from '../result/async-result.js';
import type { RetryPolicy } from './backoff.js';
import { currentTaskOrUndefined, type TaskContext } from './context.js';
import { Signature, type CanvasHost, type SetOptions } from '../canvas/signature.js';
import { encodeArgs, toJsonValue } from './serialization.js';
import type { TaskMessage } from './message.js';
import { ConfigError } from '../errors.js';

export type ErrorClass = abstract new (...args: never[]) => Error;

export interface TaskOptions extends RetryPolicy {
  /** Retries allowed after the first run. Default 3. */
  maxRetries?: number;
  /** Errors that retry the task automatically (with the backoff policy). */
  autoretryFor?: ErrorClass[];
  /** Hard limit: the task fails with TimeLimitExceeded (its thread is killed on the threads pool). */
  timeLimit?: Duration;
  /** Soft limit: the task's signal fires with SoftTimeLimitExceeded, which it may catch. */
  softTimeLimit?: Duration;
  /** '100/s', '100/m' or '100/h', shared by every worker. */
  rateLimit?: string;
  queue?: string;
  /** 0 (lowest, default) … 9 (highest). */
  priority?: number;
  ignoreResult?: boolean;
  /**
   * true (the default): ack after the task finishes, so a crash hands it to
   * another worker (at least once). false: ack when it starts, so a crash loses
   * it (at most once), for tasks that must never run twice.
   */
  acksLate?: boolean;
  /** Default expiry of calls to this task. */
  expires?: Duration;
  trackStarted?: boolean;
}

export interface ApplyOptions extends SetOptions {
  /** Keyword arguments: the handler gets them as one trailing object (Celery's kwargs). */
  kwargs?: Record<string, unknown>;
  headers?: Record<string, unknown>;
}

export type TaskHandler<A extends unknown[], R> = (this: TaskContext, ...args: A) => R | Promise<R>;

/** What a Task needs from its app (narrow, to keep the import graph acyclic). */
export interface TaskHost extends CanvasHost {
  defaultQueue(): string;
  publish<R>(message: TaskMessage): Promise<AsyncResult<R>>;
  publishBulk<R>(messages: TaskMessage[]): Promise<AsyncResult<R>[]>;
}

/** A registered task. `A` and `R` come from the handler, so delay() and get() are typed. */
export class Task<A extends unknown[] = unknown[], R = unknown> {
  constructor(
    readonly name: string,
    readonly handler: TaskHandler<A, R>,
    readonly options: TaskOptions,
    private readonly host: TaskHost,
  ) {}

  /** Sends the task with these arguments. Serialization errors throw here, synchronously. */
  delay(...args: A): Promise<AsyncResult<Awaited<R>>> {
    return this.applyAsync(args);
  }

  /** Sends the task with options. Serialization errors throw here, synchronously. */
  applyAsync(args: A, options: ApplyOptions = {}): Promise<AsyncResult<Awaited<R>>> {
    return this.host.publish<Awaited<R>>(this.message(args, options));
  }

  /** Sends many calls in one round trip per queue. */
  bulkApply(calls: A[], options: ApplyOptions = {}): Promise<AsyncResult<Awaited<R>>[]> {
    // One copy for every call (each gets an id of its own), not a spread per call.
    const each: ApplyOptions = { ...options, taskId: undefined };
    return this.host.publishBulk<Awaited<R>>(calls.map((args) => this.message(args, each)));
  }

  /**
   * A signature of a call (for chain, group, chord, link): mutable, so in a
   * chain it gets the previous step's result as its first argument, in front of `args`.
   */
  s(...args: unknown[]): Signature<Awaited<R>> {
    return this.signature(args, false);
  }

  /** An immutable signature: it gets exactly `args`, never a parent's result. */
  si(...args: unknown[]): Signature<Awaited<R>> {
    return this.signature(args, true);
  }

  private signature(args: unknown[], immutable: boolean): Signature<Awaited<R>> {
    const o = this.options;
    return Signature.of<Awaited<R>>(this.host, this.name, args, immutable, {
      queue: o.queue ?? this.host.defaultQueue(),
      priority: o.priority,
      expires: o.expires,
    });
  }

  /** Builds the wire message (exposed for the outbox). */
  message(args: A, options: ApplyOptions = {}, now = Date.now()): TaskMessage {
    return buildMessage(this.name, args, this.options, options, this.host.defaultQueue(), now);
  }
}

/**
 * The wire message of one call. A free function, so a producer can send a task
 * it never registered (`app.sendTask(name, args)`): then `taskOptions` is empty.
 * Arguments and headers are checked here: what JSON cannot carry throws
 * SerializationError at the call site.
 */
export function buildMessage(
  name: string,
  args: unknown[],
  taskOptions: TaskOptions,
  options: ApplyOptions,
  defaultQueue: string,
  now = Date.now(),
): TaskMessage {
  const encoded = encodeArgs(args);
  const kwargs =
    options.kwargs === undefined || Object.keys(options.kwargs).length === 0
      ? undefined
      : (toJsonValue(options.kwargs, 'kwargs') as Record<string, unknown>);
  const headers = options.headers === undefined ? {} : (toJsonValue(options.headers, 'headers') as Record<string, unknown>);
  // Sent from inside a running task: linked to it (and to its workflow) unless the caller linked it already.
  const current = currentTaskOrUndefined();
  if (current && headers.parentId === undefined && headers.rootId === undefined) {
    headers.parentId = current.id;
    headers.rootId = typeof current.headers.rootId === 'string' ? current.headers.rootId : current.id;
  }
  // Said in the message too, as Celery's ignore_result header: a worker that does not know the task (a Python one) obeys it.
  if (taskOptions.ignoreResult === true) headers.ignoreResult = true;
  let eta: number | undefined;
  if (options.eta !== undefined) eta = options.eta instanceof Date ? options.eta.getTime() : options.eta;
  else if (options.countdown !== undefined) eta = now + toMs(options.countdown, 'countdown');
  const expiresOpt = options.expires ?? taskOptions.expires;
  let expires: number | undefined;
  if (expiresOpt instanceof Date) expires = expiresOpt.getTime();
  else if (expiresOpt !== undefined) expires = (eta ?? now) + toMs(expiresOpt, 'expires');
  const priority = options.priority ?? taskOptions.priority ?? 0;
  if (!Number.isInteger(priority) || priority < 0 || priority > 9) {
    throw new ConfigError(`priority: must be an integer 0-9, got ${String(priority)}`);
  }
  return {
    v: 1,
    id: options.taskId ?? randomUUID(),
    task: name,
    args: encoded,
    kwargs,
    queue: options.queue ?? taskOptions.queue ?? defaultQueue,
    priority,
    eta,
    expires,
    retries: 0,
    headers,
    attempts: [],
    sentAt: now,
  };
}
