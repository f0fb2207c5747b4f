// A worker reserves batches of messages under leases, runs them on a pool, and
// settles each one (ack, retry later, dead letter) only after its outcome is
// recorded: acks are late, so a crash at any point loses nothing — the lease
// expires and another worker gets the message.
import { randomUUID } from 'node:crypto';
import { hostname as osHostname } from 'node:os';
import type { Lovage } from '../app/lovage.js';
import {
  ConfigError,
  NonRetriableError,
  Reject,
  Retry,
  SoftTimeLimitExceeded,
  TaskRevokedError,
  TimeLimitExceeded,
} from '../errors.js';
import { errorToRemote, type AttemptRecord, type ResultRecord } from '../result/record.js';
import { buildRetry, runWithContext, type TaskContext } from '../task/context.js';
import { parseMessage, type TaskMessage } from '../task/message.js';
import { fromJsonValue, toJsonValue } from '../task/serialization.js';
import type { Task } from '../task/task.js';
import { toMs, type Duration } from '../time/duration.js';
import type { ControlMessage, Delivery, Transport } from '../transport/transport.js';
import { LazyAbort } from './lazy-abort.js';
import { parseRateLimit } from './rate-limit.js';
import { ThreadPool } from './thread-pool.js';

export interface WorkerOptions {
  /** Queues to consume, in priority order. Default: the app's default queue. */
  queues?: string[];
  /** Tasks run at once. Default 10. */
  concurrency?: number;
  /** Messages reserved at once (running + waiting). Default 2 × concurrency. */
  prefetch?: number;
  /** 'async' (event loop, the default) or 'threads' (worker_threads; needs `appModule`). */
  pool?: 'async' | 'threads';
  /** Module that builds the app (the threads pool imports it in each thread). */
  appModule?: string;
  hostname?: string;
  /** Lease length; default the app's visibilityTimeout. */
  lease?: Duration;
  /** How long close() lets running tasks finish before handing them back. Default '30s'. */
  shutdownGrace?: Duration;
  /** How long a revoke with `terminate` waits for the task to stop by itself. Default '1s'. */
  terminateGrace?: Duration;
  /** How often delayed messages are promoted and expired leases recovered. Default 250 ms. */
  maintenanceInterval?: Duration;
}

interface Job {
  delivery: Delivery;
  /** Frees the job's concurrency slot once its handler is done (settling continues). */
  release?: () => void;
  controller?: LazyAbort;
  revoked?: boolean;
  terminate?: () => void;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export class Worker {
  readonly hostname: string;
  readonly queues: string[];
  readonly concurrency: number;
  readonly prefetch: number;
  readonly pool: 'async' | 'threads';
  private readonly leaseMs: number;
  private readonly shutdownGraceMs: number;
  private readonly terminateGraceMs: number;
  private readonly maintenanceMs: number;
  private transport!: Transport;
  private running = false;
  private loopDone: Promise<void> | undefined;
  private readonly reserved = new Map<string, Job>();
  private readonly waiting: Job[] = [];
  private executing = 0;
  private readonly executingDone = new Set<Promise<void>>();
  private slotWaiter: (() => void) | undefined;
  private readonly revokedIds = new Map<string, number>();
  private timers: NodeJS.Timeout[] = [];
  private unsubscribe: (() => Promise<void>) | undefined;
  private readonly closedListeners: (() => void)[] = [];
  private threads: ThreadPool | undefined;
  /** Counts for tests and stats. */
  readonly stats = { processed: 0, succeeded: 0, failed: 0, retried: 0, revoked: 0, deadLettered: 0 };

  constructor(
    private readonly app: Lovage,
    options: WorkerOptions = {},
  ) {
    this.hostname = options.hostname ?? `${app.config.name}-${randomUUID().slice(0, 8)}@${osHostname()}`;
    this.queues = options.queues ?? [app.config.defaultQueue];
    this.concurrency = options.concurrency ?? 10;
    this.prefetch = Math.max(options.prefetch ?? this.concurrency * 2, 1);
    this.pool = options.pool ?? 'async';
    this.leaseMs = options.lease === undefined ? app.config.visibilityTimeoutMs : toMs(options.lease, 'lease');
    this.shutdownGraceMs = toMs(options.shutdownGrace ?? '30s', 'shutdownGrace');
    this.terminateGraceMs = toMs(options.terminateGrace ?? '1s', 'terminateGrace');
    this.maintenanceMs = toMs(options.maintenanceInterval ?? 250, 'maintenanceInterval');
    if (this.pool === 'threads') {
      if (!options.appModule) throw new ConfigError('pool: the threads pool needs `appModule`, the module that builds the app');
      this.threads = new ThreadPool(options.appModule, this.concurrency);
    }
  }

  onClosed(listener: () => void): void {
    this.closedListeners.push(listener);
  }

  async start(): Promise<void> {
    if (this.running) return;
    this.transport = await this.app.transport();
    await this.threads?.start();
    this.unsubscribe = await this.transport.onControl((m) => this.onControl(m));
    this.running = true;
    this.timers.push(setInterval(() => void this.maintain(), this.maintenanceMs));
    this.timers.push(setInterval(() => void this.renew(), Math.max(50, Math.floor(this.leaseMs / 3))));
    await this.maintain();
    this.loopDone = this.loop();
    this.app.logger.info({ hostname: this.hostname, queues: this.queues, pool: this.pool, concurrency: this.concurrency }, 'worker started');
  }

  private async maintain(): Promise<void> {
    try {
      await Promise.all(
        this.queues.flatMap((q) => [
          this.transport.promoteDue(q),
          this.transport.recoverExpired(q, this.app.config.maxDeliveries).then((r) => {
            if (r.dead > 0) this.app.logger.warn({ queue: q, dead: r.dead }, 'messages dead-lettered after too many deliveries');
          }),
        ]),
      );
    } catch (err) {
      if (this.running) this.app.logger.error({ err }, 'worker maintenance failed');
    }
  }

  private async renew(): Promise<void> {
    if (this.reserved.size === 0) return;
    try {
      await this.transport.renewLeases([...this.reserved.values()].map((j) => j.delivery), this.leaseMs);
    } catch (err) {
      this.app.logger.error({ err }, 'lease renewal failed');
    }
  }

  private onControl(message: ControlMessage): void {
    if (message.type !== 'revoke' || !Array.isArray(message.ids)) return;
    const until = Date.now() + this.app.config.revokeExpiresMs;
    for (const id of message.ids as string[]) {
      this.revokedIds.set(id, until);
      const job = this.reserved.get(id);
      if (!job?.controller) continue;
      job.revoked = true;
      job.controller.abort(new TaskRevokedError(id));
      if (message.terminate === true) setTimeout(() => job.terminate?.(), this.terminateGraceMs).unref();
    }
    if (this.revokedIds.size > 10_000) {
      const now = Date.now();
      for (const [id, t] of this.revokedIds) if (t < now) this.revokedIds.delete(id);
    }
  }

  private async loop(): Promise<void> {
    while (this.running) {
      const free = this.prefetch - this.reserved.size;
      // Refill in batches: while at least half the prefetch is still waiting to
      // run, another reserve round trip would fetch only a few messages.
      if (free <= 0 || (this.waiting.length > 0 && free < Math.ceil(this.prefetch / 2))) {
        await new Promise<void>((resolve) => (this.slotWaiter = resolve));
        continue;
      }
      let result;
      try {
        result = await this.transport.reserve(this.queues, free, this.leaseMs);
      } catch (err) {
        if (!this.running) break;
        this.app.logger.error({ err }, 'reserve failed; retrying in 1s');
        await sleep(1_000);
        continue;
      }
      for (const r of result.revoked) void this.recordRevokedAtReserve(r.id, r.body);
      if (!this.running) {
        // Closed while reserving: hand the batch straight back.
        await Promise.all(result.deliveries.map((d) => this.transport.retryLater(d, d.body, Date.now(), { keepDeliveries: true })));
        break;
      }
      for (const delivery of result.deliveries) {
        const job: Job = { delivery };
        this.reserved.set(delivery.id, job);
        this.waiting.push(job);
      }
      this.pump();
      if (result.deliveries.length === 0 && result.revoked.length === 0) {
        await this.transport.waitForWork(this.queues, 1_000);
      }
    }
  }

  private pump(): void {
    while (this.running && this.executing < this.concurrency && this.waiting.length > 0) {
      const job = this.waiting.shift()!;
      this.executing++;
      let released = false;
      // The slot is freed as soon as the handler returns: storing the result and
      // acking (late) carry on in the background, still under the lease, so the
      // next task need not wait for those round trips.
      job.release = () => {
        if (released) return;
        released = true;
        this.executing--;
        this.pump();
      };
      const done = this.process(job)
        .catch((err: unknown) => this.app.logger.error({ err, id: job.delivery.id }, 'settling a message failed'))
        .finally(() => {
          job.release?.();
          this.executingDone.delete(done);
          this.reserved.delete(job.delivery.id);
          const waiter = this.slotWaiter;
          this.slotWaiter = undefined;
          waiter?.();
          this.pump();
        });
      this.executingDone.add(done);
    }
  }

  private async recordRevokedAtReserve(id: string, body: string): Promise<void> {
    const parsed = parseMessage(body);
    const task = parsed.ok ? this.app.tasks.get(parsed.message.task) : undefined;
    this.stats.revoked++;
    if (!parsed.ok || this.ignoresResult(task)) return;
    await this.app.backend.storeUnlessReady(
      { id, task: parsed.message.task, state: 'REVOKED', reason: 'revoked', retries: parsed.message.retries, attempts: parsed.message.attempts, queue: parsed.message.queue, dateDone: new Date().toISOString() },
      this.app.config.resultExpiresMs,
    );
  }

  private ignoresResult(task: Task<never[], unknown> | undefined): boolean {
    return task?.options.ignoreResult ?? this.app.config.taskIgnoreResult;
  }

  private async deadLetter(d: Delivery, reason: string): Promise<void> {
    this.app.logger.warn({ id: d.id, queue: d.queue, reason }, 'message dead-lettered');
    this.stats.deadLettered++;
    await this.transport.deadLetter(d, reason);
  }

  private async store(task: Task<never[], unknown>, record: ResultRecord): Promise<void> {
    if (this.ignoresResult(task)) return;
    await this.app.backend.store(record, this.app.config.resultExpiresMs);
  }

  private async process(job: Job): Promise<void> {
    const d = job.delivery;
    const parsed = parseMessage(d.body);
    if (!parsed.ok) return this.deadLetter(d, parsed.reason);
    const msg = parsed.message;
    const task = this.app.tasks.get(msg.task);
    if (!task) return this.deadLetter(d, `unknown task ${JSON.stringify(msg.task)}`);
    const base = { id: msg.id, task: msg.task, queue: msg.queue, retries: msg.retries, worker: this.hostname };

    if (msg.expires !== undefined && Date.now() > msg.expires) {
      this.stats.revoked++;
      await this.store(task, { ...base, state: 'REVOKED', reason: 'expired', attempts: msg.attempts, dateDone: new Date().toISOString() });
      return this.transport.ack(d);
    }
    if (this.isRevoked(msg.id)) {
      this.stats.revoked++;
      await this.store(task, { ...base, state: 'REVOKED', reason: 'revoked', attempts: msg.attempts, dateDone: new Date().toISOString() });
      return this.transport.ack(d);
    }
    if (task.options.rateLimit) {
      const { perMs, capacity } = parseRateLimit(task.options.rateLimit);
      const wait = await this.transport.takeToken(task.name, perMs, capacity);
      if (wait > 0) {
        // Over the limit: park the message in the delayed set until its token is due.
        return this.transport.retryLater(d, d.body, Date.now() + wait, { keepDeliveries: true });
      }
    }

    const trackStarted = task.options.trackStarted ?? this.app.config.taskTrackStarted;
    const startedAt = new Date();
    if (trackStarted) await this.store(task, { ...base, state: 'STARTED', attempts: msg.attempts });
    const outcome = await this.run(job, task, msg);
    job.release?.();
    const endedAt = new Date();
    const attempt: AttemptRecord = {
      attempt: msg.attempts.length + 1,
      hostname: this.hostname,
      startedAt: startedAt.toISOString(),
      endedAt: endedAt.toISOString(),
      outcome: 'SUCCESS',
    };
    this.stats.processed++;

    if (job.revoked || this.isRevoked(msg.id)) {
      attempt.outcome = 'REVOKED';
      this.stats.revoked++;
      await this.store(task, { ...base, state: 'REVOKED', reason: 'revoked', attempts: [...msg.attempts, attempt], dateDone: endedAt.toISOString() });
      return this.transport.ack(d);
    }
    if (outcome.ok) {
      let encoded: unknown;
      try {
        encoded = outcome.value === undefined ? null : toJsonValue(outcome.value, 'result');
      } catch (err) {
        return this.fail(d, task, base, msg, attempt, err);
      }
      this.stats.succeeded++;
      await this.store(task, { ...base, state: 'SUCCESS', result: encoded, attempts: [...msg.attempts, attempt], dateDone: endedAt.toISOString() });
      return this.transport.ack(d);
    }

    let err = outcome.error;
    if (err instanceof Reject) {
      attempt.outcome = 'FAILURE';
      attempt.error = errorToRemote(err);
      if (err.requeue) return this.transport.retryLater(d, d.body, Date.now());
      await this.store(task, { ...base, state: 'FAILURE', error: errorToRemote(err), attempts: [...msg.attempts, attempt], dateDone: endedAt.toISOString() });
      return this.deadLetter(d, `rejected: ${err.message}`);
    }
    if (!(err instanceof Retry) && !(err instanceof NonRetriableError) && task.options.autoretryFor?.some((c) => err instanceof c)) {
      try {
        err = buildRetry(task.name, msg.retries, task.options, { exc: err });
      } catch (final) {
        err = final;
      }
    }
    if (err instanceof Retry && err.when !== undefined) {
      attempt.outcome = 'RETRY';
      attempt.error = errorToRemote(err.exc ?? err);
      attempt.nextRetryAt = new Date(err.when).toISOString();
      const next: TaskMessage = { ...msg, retries: msg.retries + 1, eta: err.when, attempts: [...msg.attempts, attempt] };
      this.stats.retried++;
      await this.store(task, { ...base, state: 'RETRY', error: attempt.error, attempts: next.attempts });
      return this.transport.retryLater(d, JSON.stringify(next), err.when);
    }
    return this.fail(d, task, base, msg, attempt, err);
  }

  private async fail(
    d: Delivery,
    task: Task<never[], unknown>,
    base: Omit<ResultRecord, 'state' | 'attempts'>,
    msg: TaskMessage,
    attempt: AttemptRecord,
    err: unknown,
  ): Promise<void> {
    attempt.outcome = 'FAILURE';
    attempt.error = errorToRemote(err);
    this.stats.failed++;
    this.app.logger.warn({ id: msg.id, task: msg.task, err: attempt.error }, 'task failed');
    await this.store(task, { ...base, state: 'FAILURE', error: attempt.error, attempts: [...msg.attempts, attempt], dateDone: attempt.endedAt });
    await this.transport.ack(d);
  }

  private isRevoked(id: string): boolean {
    const until = this.revokedIds.get(id);
    return until !== undefined && until > Date.now();
  }

  /** Runs the handler with its context, soft and hard time limits, and terminate. */
  private async run(job: Job, task: Task<never[], unknown>, msg: TaskMessage): Promise<{ ok: true; value: unknown } | { ok: false; error: unknown }> {
    const controller = new LazyAbort();
    job.controller = controller;
    const args = fromJsonValue(msg.args) as never[];
    const timers: NodeJS.Timeout[] = [];
    const softMs = task.options.softTimeLimit === undefined ? undefined : toMs(task.options.softTimeLimit, 'softTimeLimit');
    const hardMs = task.options.timeLimit === undefined ? undefined : toMs(task.options.timeLimit, 'timeLimit');
    if (softMs !== undefined) timers.push(setTimeout(() => controller.abort(new SoftTimeLimitExceeded(softMs)), softMs));
    const limits = new Promise<never>((_, reject) => {
      if (hardMs !== undefined) {
        timers.push(
          setTimeout(() => {
            const err = new TimeLimitExceeded(hardMs);
            controller.abort(err);
            reject(err);
          }, hardMs),
        );
      }
      job.terminate = () => reject(new TaskRevokedError(msg.id, 'terminated'));
    });
    limits.catch(() => undefined);
    const app = this.app;
    const context: TaskContext = {
      id: msg.id,
      name: msg.task,
      args,
      retries: msg.retries,
      hostname: this.hostname,
      queue: msg.queue,
      eta: msg.eta === undefined ? undefined : new Date(msg.eta),
      headers: msg.headers,
      get signal() {
        return controller.signal;
      },
      retry(options = {}) {
        throw buildRetry(task.name, msg.retries, task.options, options);
      },
      async updateState(state, meta) {
        if (task.options.ignoreResult ?? app.config.taskIgnoreResult) return;
        await app.backend.store(
          { id: msg.id, task: msg.task, state, meta: meta === undefined ? undefined : toJsonValue(meta, 'meta'), retries: msg.retries, attempts: msg.attempts },
          app.config.resultExpiresMs,
        );
      },
    };
    try {
      let running: Promise<unknown>;
      if (this.threads) {
        running = this.threads.run({ task: msg.task, args: msg.args, context: { id: msg.id, retries: msg.retries, hostname: this.hostname, queue: msg.queue, headers: msg.headers } }, controller.signal, limits);
      } else {
        running = runWithContext(context, () => Promise.resolve(task.handler.apply(context, args)));
      }
      const value = await Promise.race([running, limits]);
      return { ok: true, value };
    } catch (error) {
      return { ok: false, error };
    } finally {
      for (const t of timers) clearTimeout(t);
    }
  }

  /**
   * Stops reserving, lets running tasks finish for up to `shutdownGrace`, hands
   * back everything else (so other workers take it at once), and releases leases.
   */
  async close(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    this.slotWaiter?.();
    // Not yet started: back to the queue now.
    const notStarted = this.waiting.splice(0);
    await Promise.all(
      notStarted.map(async (job) => {
        this.reserved.delete(job.delivery.id);
        await this.transport.retryLater(job.delivery, job.delivery.body, Date.now(), { keepDeliveries: true });
      }),
    );
    const renewer = setInterval(() => void this.renew(), Math.max(50, Math.floor(this.leaseMs / 3)));
    const graceOver = sleep(this.shutdownGraceMs).then(() => 'timeout' as const);
    const allDone = Promise.all([...this.executingDone]).then(() => 'done' as const);
    const how = await Promise.race([allDone, graceOver]);
    clearInterval(renewer);
    if (how === 'timeout') {
      for (const job of this.reserved.values()) {
        job.controller?.abort(new Error('worker shutting down'));
        await this.transport.retryLater(job.delivery, job.delivery.body, Date.now(), { keepDeliveries: true }).catch(() => undefined);
      }
      this.app.logger.warn({ handedBack: this.reserved.size }, 'shutdown grace period over; running tasks handed back');
      this.reserved.clear();
    }
    await Promise.race([this.loopDone, sleep(1_500)]);
    await this.unsubscribe?.();
    await this.threads?.close();
    this.app.logger.info({ hostname: this.hostname, ...this.stats }, 'worker stopped');
    for (const l of this.closedListeners) l();
  }
}
