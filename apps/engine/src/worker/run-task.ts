// Runs one task's handler with its context, its soft and hard time limits and
// terminate, on either pool. Both pools mean the same thing: the soft limit
// aborts the signal with SoftTimeLimitExceeded, the hard limit fails the run
// with TimeLimitExceeded (killing the thread on the threads pool), and
// `updateState` stores the custom state.
import { SoftTimeLimitExceeded, TaskRevokedError, TimeLimitExceeded, type Retry } from '../errors.js';
import { buildRetry, runWithContext, type RetryOptions, type TaskContext } from '../task/context.js';
import { callArguments, type TaskMessage } from '../task/message.js';
import { fromJsonValue } from '../task/serialization.js';
import { ProgressThrottle, taskReportMethods, type TaskLogger, type TaskReportMethods, type TaskReportSink } from '../task/task-report.js';
import type { Task } from '../task/task.js';
import { LazyAbort } from './lazy-abort.js';
import type { ThreadPool } from './thread-pool.js';

export type RunResult = { ok: true; value: unknown } | { ok: false; error: unknown };

/** What the worker keeps of a run to act on it (revoke, terminate, shutdown); `controller` and `terminate` only while it runs. */
export interface RunHandle {
  controller?: LazyAbort | undefined;
  terminated?: boolean;
  terminate?: (() => void) | undefined;
}

export interface RunOptions {
  task: Task<never[], unknown>;
  msg: TaskMessage;
  hostname: string;
  softMs: number | undefined;
  hardMs: number | undefined;
  /** Set: run in a thread of this pool. */
  threads: ThreadPool | undefined;
  /** The run span's context as headers, for the thread to continue it (OpenTelemetry installed). */
  traceContext?: Record<string, string> | undefined;
  /** Where `progress` and `log` reports go (the worker turns them into events), and custom states (stored). */
  report: RunReports;
}

/** A run's reports and custom states: the worker's, one small object per run. */
export interface RunReports extends TaskReportSink {
  updateState(state: string, meta: unknown): Promise<void>;
}

/**
 * A run's context on the async pool: one object per run, its methods on the
 * prototype. `progress`, `log` and `logger` (and the progress throttle behind
 * them) are made on first use, since most tasks never report; like `retry`,
 * they are getters returning functions, so a handler may also take them off
 * the context (`const { progress } = currentTask()`). So is `updateState`.
 */
class AsyncRunContext implements TaskContext {
  readonly id: string;
  readonly name: string;
  readonly kwargs: Readonly<Record<string, unknown>>;
  readonly retries: number;
  readonly queue: string;
  readonly eta: Date | undefined;
  readonly headers: Readonly<Record<string, unknown>>;
  /** Reports made after the run ended (a handler still going past its hard limit) are dropped. */
  private ended = false;
  private throttle: ProgressThrottle | undefined;
  private reports: TaskReportMethods | undefined;

  constructor(
    msg: TaskMessage,
    /** The handler's arguments, without the kwargs appended to them. */
    readonly args: readonly unknown[],
    kwargs: Record<string, unknown>,
    readonly hostname: string,
    private readonly task: Task<never[], unknown>,
    private readonly controller: LazyAbort,
    private readonly sink: RunReports,
  ) {
    this.id = msg.id;
    this.name = msg.task;
    this.kwargs = kwargs;
    this.retries = msg.retries;
    this.queue = msg.queue;
    this.eta = msg.eta === undefined ? undefined : new Date(msg.eta);
    this.headers = msg.headers;
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  get updateState(): (state: string, meta?: unknown) => Promise<void> {
    return (state, meta) => this.sink.updateState(state, meta);
  }

  get retry(): (options?: RetryOptions) => Retry {
    return (options = {}) => {
      throw buildRetry(this.task.name, this.retries, this.task.options, options);
    };
  }

  get progress(): (fraction: number, meta?: unknown) => void {
    return this.reportMethods().progress;
  }

  get log(): (message: string, fields?: Record<string, unknown>) => void {
    return this.reportMethods().log;
  }

  get logger(): TaskLogger {
    return this.reportMethods().logger;
  }

  /** The run ended: the progress report the throttle holds goes now, before the outcome's own event, and later reports are dropped. */
  end(): void {
    this.throttle?.flush();
    this.ended = true;
  }

  private reportMethods(): TaskReportMethods {
    if (!this.reports) {
      this.throttle = new ProgressThrottle((entry) => this.ended || this.sink.progress(entry));
      this.reports = taskReportMethods(this.throttle, (entry) => this.ended || this.sink.log(entry));
    }
    return this.reports;
  }
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (typeof value === 'object' || typeof value === 'function') && value !== null && typeof (value as { then?: unknown }).then === 'function';
}

/**
 * The run's result: at once when the handler returns a plain value (no promise
 * is made), else one promise that settles with whichever comes first: the
 * handler, the hard time limit or terminate. (No race over a limits promise per
 * task, and no timer unless it has limits.)
 */
export function runTask(handle: RunHandle, o: RunOptions): RunResult | Promise<RunResult> {
  const { task, msg } = o;
  const controller = new LazyAbort();
  handle.controller = controller;
  let soft: NodeJS.Timeout | undefined;
  let hard: NodeJS.Timeout | undefined;
  /** The outcome, once there is one. */
  let ended: RunResult | undefined;
  /** Set once the run is asynchronous: settles the run's promise. */
  let resolveRun: ((outcome: RunResult) => void) | undefined;
  // The threads pool watches this one to kill a thread that the hard limit or terminate stopped.
  let stopThread: ((err: unknown) => void) | undefined;
  const limits = o.threads ? new Promise<never>((_, reject) => (stopThread = reject)) : undefined;
  limits?.catch(() => undefined);
  // The async pool throttles progress in the context; the threads pool throttles in the thread and relays what passes.
  let context: AsyncRunContext | undefined;
  const finish = (outcome: RunResult): void => {
    if (ended) return;
    ended = outcome;
    // Over: the worker holds the job until its ack lands, which should not keep this run's state alive.
    handle.controller = undefined;
    handle.terminate = undefined;
    context?.end();
    if (soft !== undefined) clearTimeout(soft);
    if (hard !== undefined) clearTimeout(hard);
    resolveRun?.(outcome);
  };
  const softMs = o.softMs;
  if (softMs !== undefined) soft = setTimeout(() => controller.abort(new SoftTimeLimitExceeded(softMs)), softMs);
  const hardMs = o.hardMs;
  if (hardMs !== undefined) {
    hard = setTimeout(() => {
      const err = new TimeLimitExceeded(hardMs);
      controller.abort(err);
      stopThread?.(err);
      finish({ ok: false, error: err });
    }, hardMs);
  }
  handle.terminate = () => {
    handle.terminated = true;
    const err = new TaskRevokedError(msg.id, 'terminated');
    stopThread?.(err);
    finish({ ok: false, error: err });
  };
  let value: unknown;
  try {
    if (o.threads && limits) {
      const context = {
        id: msg.id,
        retries: msg.retries,
        hostname: o.hostname,
        queue: msg.queue,
        headers: msg.headers,
        kwargs: msg.kwargs ?? {},
        trace: o.traceContext,
      };
      value = o.threads.run({ task: msg.task, args: callArguments(msg), context }, controller.signal, limits, { state: (state, meta) => o.report.updateState(state, meta), report: o.report });
    } else {
      const args = fromJsonValue(callArguments(msg)) as never[];
      const kwargs = fromJsonValue(msg.kwargs ?? {}) as Record<string, unknown>;
      const ownArgs = args.length > msg.args.length ? args.slice(0, msg.args.length) : args;
      const ctx = new AsyncRunContext(msg, ownArgs, kwargs, o.hostname, task, controller, o.report);
      context = ctx;
      value = runWithContext(ctx, () => task.handler.apply(ctx, args));
    }
  } catch (error) {
    finish({ ok: false, error });
    return ended!;
  }
  if (!isThenable(value)) {
    finish({ ok: true, value });
    return ended!;
  }
  return new Promise<RunResult>((resolve) => {
    // Terminated while the handler's synchronous part ran: already over.
    if (ended) return resolve(ended);
    resolveRun = resolve;
    Promise.resolve(value).then(
      (v) => finish({ ok: true, value: v }),
      (error: unknown) => finish({ ok: false, error }),
    );
  });
}
