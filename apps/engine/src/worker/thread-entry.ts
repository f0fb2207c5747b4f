// Runs inside a worker thread: imports the app module (which registers its
// tasks), then runs the tasks the pool sends, one at a time.
import { parentPort, workerData } from 'node:worker_threads';
import { pathToFileURL } from 'node:url';
import { errorToRemote } from '../result/record.js';
import { Retry, Reject, SoftTimeLimitExceeded, TaskRevokedError } from '../errors.js';
import { applyAutoretry, runWithContext, buildRetry, type TaskContext } from '../task/context.js';
import { fromJsonValue, toJsonValue } from '../task/serialization.js';
import type { Task } from '../task/task.js';
import { withCarriedContext } from '../tracing/tracing.js';
import { ProgressThrottle, taskReportMethods } from '../task/task-report.js';
import type { AbortReason, ThreadRequest, ThreadReply } from './thread-pool.js';

interface AppLike {
  tasks: Map<string, Task<never[], unknown>>;
}

function findApp(mod: Record<string, unknown>): AppLike {
  for (const value of [mod.default, mod.app, ...Object.values(mod)]) {
    if (typeof value === 'object' && value !== null && (value as { tasks?: unknown }).tasks instanceof Map) return value as AppLike;
  }
  throw new Error(`module ${data.appModule} exports no Lovage app`);
}

const port = parentPort!;
const data = workerData as { appModule: string };
const mod = (await import(pathToFileURL(data.appModule).href)) as Record<string, unknown>;
const app = findApp(mod);
const controllers = new Map<string, AbortController>();

port.on('message', (req: ThreadRequest) => {
  if (req.type === 'abort') {
    controllers.get(req.jobId)?.abort(abortError(req.error));
    return;
  }
  void run(req);
});
port.postMessage({ type: 'ready' } satisfies ThreadReply);

async function run(req: Extract<ThreadRequest, { type: 'run' }>): Promise<void> {
  const controller = new AbortController();
  controllers.set(req.jobId, controller);
  let reply: ThreadReply;
  // Throttled here, before the message port, so a tight loop cannot flood it either.
  const throttle = new ProgressThrottle((entry) => port.postMessage({ type: 'progress', jobId: req.jobId, entry } satisfies ThreadReply));
  try {
    const task = app.tasks.get(req.task);
    if (!task) throw new Error(`task ${req.task} is not registered in the app module`);
    const args = fromJsonValue(req.args) as never[];
    const kwargs = fromJsonValue(req.context.kwargs) as Record<string, unknown>;
    const report = taskReportMethods(throttle, (entry) => port.postMessage({ type: 'log', jobId: req.jobId, entry } satisfies ThreadReply));
    const { trace: carried, ...fields } = req.context;
    const context: TaskContext = {
      ...fields,
      name: req.task,
      args: Object.keys(kwargs).length > 0 ? args.slice(0, -1) : args,
      kwargs,
      eta: undefined,
      signal: controller.signal,
      retry(options = {}) {
        throw buildRetry(task.name, req.context.retries, task.options, options);
      },
      updateState(state, meta) {
        // Checked here, like args: what JSON cannot carry throws in the handler.
        const encoded = meta === undefined ? undefined : toJsonValue(meta, 'meta');
        port.postMessage({ type: 'state', jobId: req.jobId, state, meta: encoded } satisfies ThreadReply);
        return Promise.resolve();
      },
      progress: report.progress,
      log: report.log,
      get logger() {
        return report.logger;
      },
    };
    let value: unknown;
    try {
      value = await withCarriedContext(carried, () => runWithContext(context, () => Promise.resolve(task.handler.apply(context, args))));
    } catch (err) {
      // autoretryFor needs the error's class, which only this thread has.
      throw applyAutoretry(err, task.name, req.context.retries, task.options);
    }
    reply = { type: 'done', jobId: req.jobId, ok: true, value: value === undefined ? null : toJsonValue(value, 'result') };
  } catch (err) {
    reply = {
      type: 'done',
      jobId: req.jobId,
      ok: false,
      error: errorToRemote(err),
      retryAt: err instanceof Retry ? err.when : undefined,
      excError: err instanceof Retry && err.exc !== undefined ? errorToRemote(err.exc) : undefined,
      reject: err instanceof Reject ? { requeue: err.requeue } : undefined,
    };
  } finally {
    controllers.delete(req.jobId);
  }
  // The held progress report goes before the outcome.
  throttle.flush();
  port.postMessage(reply);
}

function abortError(reason: AbortReason): Error {
  if (reason.kind === 'soft-time-limit') return new SoftTimeLimitExceeded(reason.limitMs);
  if (reason.kind === 'revoked') return new TaskRevokedError(reason.taskId);
  return new Error(reason.message);
}
