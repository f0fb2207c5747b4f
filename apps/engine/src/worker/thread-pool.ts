// The threads pool: CPU-bound tasks run in worker_threads, one task per thread
// at a time. Each thread imports the app module to find its handlers. A thread
// whose task passes its hard time limit (or is revoked with terminate) is
// killed and replaced, which an event-loop pool cannot do.
import { randomUUID } from 'node:crypto';
import { Worker as Thread } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import { existsSync } from 'node:fs';
import { Reject, Retry, SoftTimeLimitExceeded, TaskRevokedError } from '../errors.js';
import type { RemoteError } from '../result/record.js';
import type { TaskLogEntry, TaskProgressEntry, TaskReportSink } from '../task/task-report.js';

export type ThreadRequest =
  | {
      type: 'run';
      jobId: string;
      task: string;
      args: unknown[];
      context: {
        id: string;
        retries: number;
        hostname: string;
        queue: string;
        headers: Record<string, unknown>;
        kwargs: Record<string, unknown>;
        /** The main thread's run span as trace headers: the handler runs under it. */
        trace?: Record<string, string> | undefined;
      };
    }
  /** `error`: the abort reason as the thread should see it (SoftTimeLimitExceeded, TaskRevokedError, …). */
  | { type: 'abort'; jobId: string; error: AbortReason };

/** An abort reason that crosses the thread boundary: the thread rebuilds the same error class. */
export type AbortReason =
  | { kind: 'soft-time-limit'; limitMs: number }
  | { kind: 'revoked'; taskId: string }
  | { kind: 'other'; message: string };

export type ThreadReply =
  | { type: 'ready' }
  /** `updateState` called in the thread: the main thread stores it. */
  | { type: 'state'; jobId: string; state: string; meta: unknown }
  /** `progress` (already checked and throttled in the thread) and `log`: the main thread emits the events. */
  | { type: 'progress'; jobId: string; entry: TaskProgressEntry }
  | { type: 'log'; jobId: string; entry: TaskLogEntry }
  | {
      type: 'done';
      jobId: string;
      ok: boolean;
      value?: unknown;
      error?: RemoteError;
      retryAt?: number | undefined;
      excError?: RemoteError | undefined;
      reject?: { requeue: boolean } | undefined;
    };

/** An error rebuilt from a thread's report, keeping the remote name and stack. */
class RemoteTaskError extends Error {
  constructor(remote: RemoteError) {
    super(remote.message);
    this.name = remote.name;
    if (remote.stack) this.stack = remote.stack;
  }
}

interface Slot {
  thread: Thread;
  busy: boolean;
  ready: Promise<void>;
}

export class ThreadPool {
  private slots: Slot[] = [];
  /** Jobs waiting for a thread to come free (see acquire). */
  private readonly waiters: Array<() => void> = [];
  private readonly entry: string;
  private readonly bootstrap: URL;

  constructor(
    private readonly appModule: string,
    private readonly size: number,
  ) {
    const ts = fileURLToPath(new URL('./thread-entry.ts', import.meta.url));
    this.entry = existsSync(ts) ? ts : fileURLToPath(new URL('./thread-entry.js', import.meta.url));
    // tsc does not copy .mjs files: compiled code (dist/) uses the one in src/, which the package ships.
    const beside = new URL('./thread-bootstrap.mjs', import.meta.url);
    this.bootstrap = existsSync(beside) ? beside : new URL('../../src/worker/thread-bootstrap.mjs', import.meta.url);
  }

  private spawn(): Slot {
    const thread = new Thread(this.bootstrap, {
      workerData: { entry: this.entry, appModule: this.appModule },
      execArgv: ['--conditions=@lovage/source'],
    });
    const ready = new Promise<void>((resolve, reject) => {
      const onMessage = (m: ThreadReply): void => {
        if (m.type === 'ready') {
          thread.off('message', onMessage);
          resolve();
        }
      };
      thread.on('message', onMessage);
      thread.once('error', reject);
    });
    return { thread, busy: false, ready };
  }

  async start(): Promise<void> {
    this.slots = Array.from({ length: this.size }, () => this.spawn());
    await Promise.all(this.slots.map((s) => s.ready));
  }

  async run(
    job: Omit<Extract<ThreadRequest, { type: 'run' }>, 'type' | 'jobId'>,
    signal: AbortSignal,
    limits: Promise<never>,
    relay: { state: (state: string, meta: unknown) => Promise<void>; report: TaskReportSink },
  ): Promise<unknown> {
    const slot = await this.acquire();
    await slot.ready;
    const jobId = randomUUID();
    const onAbort = (): void => slot.thread.postMessage({ type: 'abort', jobId, error: abortReason(signal.reason) } satisfies ThreadRequest);
    signal.addEventListener('abort', onAbort);
    // Both listeners are removed when the job settles, so a long-lived thread does not collect them.
    let detach = (): void => undefined;
    // Set when the thread answered (or died): only a run the limit or terminate cut short kills its thread.
    let answered = false;
    const done = new Promise<unknown>((resolve, reject) => {
      const onExit = (code: number): void => {
        answered = true;
        detach();
        reject(new Error(`task thread exited with code ${code}`));
      };
      const onMessage = (m: ThreadReply): void => {
        if (m.type === 'state' && m.jobId === jobId) {
          void relay.state(m.state, m.meta).catch(() => undefined);
          return;
        }
        if (m.type === 'progress' && m.jobId === jobId) return relay.report.progress(m.entry);
        if (m.type === 'log' && m.jobId === jobId) return relay.report.log(m.entry);
        if (m.type !== 'done' || m.jobId !== jobId) return;
        answered = true;
        detach();
        if (m.ok) return resolve(m.value);
        const remote = m.error ?? { name: 'Error', message: 'thread failed' };
        if (m.retryAt !== undefined) return reject(new Retry(remote.message, m.excError ? new RemoteTaskError(m.excError) : undefined, m.retryAt));
        if (m.reject) return reject(new Reject(remote.message, m.reject));
        reject(new RemoteTaskError(remote));
      };
      detach = () => {
        slot.thread.off('message', onMessage);
        slot.thread.off('exit', onExit);
      };
      slot.thread.on('message', onMessage);
      slot.thread.once('exit', onExit);
    });
    slot.thread.postMessage({ type: 'run', jobId, ...job } satisfies ThreadRequest);
    try {
      return await Promise.race([done, limits]);
    } catch (err) {
      // (A race against an already-settled promise cannot tell this: a failed run used to kill its thread.)
      if (!answered) {
        // The limit (or terminate) won: kill the thread and put a fresh one in its slot.
        await slot.thread.terminate();
        const index = this.slots.indexOf(slot);
        // Gone when the pool closed meanwhile: nothing to replace.
        if (index >= 0) {
          const fresh = this.spawn();
          this.slots[index] = fresh;
          await fresh.ready.catch(() => undefined);
        }
        throw err;
      }
      throw err;
    } finally {
      signal.removeEventListener('abort', onAbort);
      slot.busy = false;
      this.waiters.shift()?.();
    }
  }

  /**
   * An idle thread, marked busy. The worker frees a job's concurrency as soon
   * as a hard limit or terminate fires, while the pool is still replacing the
   * killed thread: a job that arrives then waits for a thread instead of failing.
   */
  private async acquire(): Promise<Slot> {
    for (;;) {
      const slot = this.slots.find((s) => !s.busy);
      if (slot) {
        slot.busy = true;
        return slot;
      }
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  async close(): Promise<void> {
    await Promise.all(this.slots.map((s) => s.thread.terminate()));
    this.slots = [];
  }
}

function abortReason(reason: unknown): AbortReason {
  if (reason instanceof SoftTimeLimitExceeded) return { kind: 'soft-time-limit', limitMs: Number(/(\d+)ms/.exec(reason.message)?.[1] ?? 0) };
  if (reason instanceof TaskRevokedError) return { kind: 'revoked', taskId: reason.taskId };
  return { kind: 'other', message: reason instanceof Error ? reason.message : typeof reason === 'string' ? reason : 'aborted' };
}
