// A worker reserves batches of messages under leases, runs them on a pool, and
// settles each one (ack, retry later, dead letter) only after its outcome is
// recorded: acks are late, so a crash at any point loses nothing — the lease
// expires and another worker gets the message.
import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import { hostname as osHostname, loadavg } from 'node:os';
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
import { INSPECT_METHODS, type ControlRequest, type InspectWhat, type TaskInfo, type WorkerStats } from '../control/control.js';
import { encodeMembers, preview, type EventProducer, type TaskEventFields, type WorkerHeartbeat } from '../events/events.js';
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
  /** The parsed message (parsed once, when reserved). */
  parsed?: ReturnType<typeof parseMessage>;
  /** The task's event fields as JSON members, encoded once for all of its events (events on only). */
  fields?: string;
  /** Epoch ms when its handler started. */
  startedAt?: number;
  /** Frees the job's concurrency slot once its handler is done (settling continues). */
  release?: () => void;
  controller?: LazyAbort;
  revoked?: boolean;
  terminated?: boolean;
  terminate?: () => void;
}

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (typeof value === 'object' || typeof value === 'function') && value !== null && typeof (value as { then?: unknown }).then === 'function';
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A promise with its resolve function (Promise.withResolvers needs Node 22). */
function resolvable(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

const VERSION = (createRequire(import.meta.url)('../../package.json') as { version: string }).version;

function taskFields(msg: TaskMessage): TaskEventFields {
  return {
    id: msg.id,
    name: msg.task,
    queue: msg.queue,
    retries: msg.retries,
    eta: msg.eta,
    expires: msg.expires,
    parentId: typeof msg.headers.parentId === 'string' ? msg.headers.parentId : undefined,
    rootId: typeof msg.headers.rootId === 'string' ? msg.headers.rootId : undefined,
  };
}

export class Worker {
  readonly hostname: string;
  readonly queues: string[];
  private concurrencyNow: number;
  private prefetchNow: number;
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
  private readonly totals = new Map<string, number>();
  /** Rate and time limits set by remote control; they win over the task's own options on this worker. */
  private readonly rateLimits = new Map<string, string | null>();
  private readonly timeLimits = new Map<string, { soft: number | null; hard: number | null }>();
  private readonly events: EventProducer;
  private readonly heartbeatMs: number;
  private startedAt = 0;
  private stopped = resolvable();

  get concurrency(): number {
    return this.concurrencyNow;
  }
  get prefetch(): number {
    return this.prefetchNow;
  }

  constructor(
    private readonly app: Lovage,
    options: WorkerOptions = {},
  ) {
    this.hostname = options.hostname ?? `${app.config.name}-${randomUUID().slice(0, 8)}@${osHostname()}`;
    this.queues = options.queues ?? [app.config.defaultQueue];
    this.concurrencyNow = options.concurrency ?? 10;
    this.prefetchNow = Math.max(options.prefetch ?? this.concurrencyNow * 2, 1);
    this.events = app.events.producer(this.hostname);
    this.heartbeatMs = app.config.heartbeatIntervalMs;
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
    this.stopped = resolvable();
    this.startedAt = Date.now();
    this.events.emit({ type: 'worker-online', ...this.heartbeatBody() });
    await this.beat();
    this.timers.push(setInterval(() => void this.beat(true), this.heartbeatMs));
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

  /** What this worker reports about itself (heartbeats, worker events, inspect stats). */
  heartbeat(): WorkerHeartbeat {
    return { hostname: this.hostname, pid: process.pid, ...this.heartbeatBody() };
  }

  private heartbeatBody(): Omit<WorkerHeartbeat, 'hostname' | 'pid'> {
    return {
      software: { name: 'lovage', version: VERSION },
      queues: [...this.queues],
      pool: { kind: this.pool, size: this.concurrencyNow },
      active: this.executing,
      reserved: this.waiting.length,
      processed: this.stats.processed,
      succeeded: this.stats.succeeded,
      failed: this.stats.failed,
      retried: this.stats.retried,
      loadavg: loadavg(),
      rss: process.memoryUsage.rss(),
      uptime: this.startedAt === 0 ? 0 : Math.round((Date.now() - this.startedAt) / 1000),
      heartbeatInterval: this.heartbeatMs,
    };
  }

  /** Refreshes the registry entry (TTL: two intervals plus a margin) and, from the timer, emits worker-heartbeat. */
  private async beat(emit = false): Promise<void> {
    const hb = this.heartbeat();
    if (emit) this.events.emit({ type: 'worker-heartbeat', ...this.heartbeatBody() });
    try {
      await this.transport.heartbeat(this.hostname, JSON.stringify(hb), this.heartbeatMs * 2 + Math.max(500, this.heartbeatMs / 2));
    } catch (err) {
      if (this.running) this.app.logger.error({ err }, 'heartbeat failed');
    }
  }

  private taskInfo(job: Job): TaskInfo | undefined {
    const p = job.parsed;
    if (!p?.ok) return undefined;
    const m = p.message;
    return {
      id: m.id,
      name: m.task,
      args: preview(m.args),
      queue: m.queue,
      hostname: this.hostname,
      retries: m.retries,
      deliveries: job.delivery.deliveries,
      startedAt: job.startedAt ?? null,
      eta: m.eta,
    };
  }

  private inspect(what: InspectWhat): unknown {
    const jobs = [...this.reserved.values()];
    switch (what) {
      case 'active':
        return jobs.filter((j) => j.startedAt !== undefined).map((j) => this.taskInfo(j)).filter(Boolean);
      case 'reserved':
        return jobs.filter((j) => j.startedAt === undefined).map((j) => this.taskInfo(j)).filter(Boolean);
      case 'scheduled':
        // ETA messages wait in the broker's delayed set, not in a worker: none are held here.
        return [];
      case 'revoked': {
        const now = Date.now();
        return [...this.revokedIds].filter(([, until]) => until > now).map(([id]) => id);
      }
      case 'registered':
        return [...this.app.tasks.keys()].sort();
      case 'stats': {
        const stats: WorkerStats = {
          ...this.heartbeat(),
          prefetch: this.prefetchNow,
          broker: this.app.config.broker.replace(/\/\/[^@]*@/, '//***@'),
          total: Object.fromEntries(this.totals),
          rateLimits: Object.fromEntries(this.rateLimits),
          timeLimits: Object.fromEntries(this.timeLimits),
        };
        return stats;
      }
      case 'conf': {
        const c = this.app.config;
        return { ...c, broker: c.broker.replace(/\/\/[^@]*@/, '//***@'), backend: c.backend.replace(/\/\/[^@]*@/, '//***@'), beatSchedule: Object.keys(c.beatSchedule) };
      }
      case 'activeQueues':
        return this.queues.map((name) => ({ name }));
    }
  }

  /** Runs one remote-control command and returns the reply (or throws with a message for `{ error }`). */
  private command(request: ControlRequest): unknown {
    const a = request.arguments;
    const str = (key: string): string => {
      const v = a[key];
      if (typeof v !== 'string' || v === '') throw new Error(`${key}: expected a non-empty string`);
      return v;
    };
    const count = (): number => {
      const n = a.n === undefined ? 1 : a.n;
      if (typeof n !== 'number' || !Number.isInteger(n) || n < 1) throw new Error('n: expected a positive integer');
      return n;
    };
    switch (request.command) {
      case 'ping':
        return { ok: 'pong' };
      case 'inspect': {
        const what = a.what as InspectWhat;
        if (!INSPECT_METHODS.includes(what)) throw new Error(`inspect: unknown method ${String(a.what)}`);
        return this.inspect(what);
      }
      case 'revoke': {
        const ids = Array.isArray(a.ids) ? (a.ids as string[]) : [];
        this.onControl({ type: 'revoke', ids, terminate: a.terminate === true });
        return { ok: `tasks flagged as revoked: ${ids.join(', ')}` };
      }
      case 'rateLimit': {
        const task = str('task');
        if (!this.app.tasks.has(task)) throw new Error(`unknown task ${task}`);
        const rate = typeof a.rate === 'string' && a.rate !== '' ? a.rate : null;
        if (rate !== null) parseRateLimit(rate);
        this.rateLimits.set(task, rate);
        return { ok: rate === null ? `rate limit of ${task} removed` : `new rate limit set for ${task}: ${rate}` };
      }
      case 'timeLimit': {
        const task = str('task');
        if (!this.app.tasks.has(task)) throw new Error(`unknown task ${task}`);
        const num = (v: unknown): number | null => (typeof v === 'number' && v > 0 ? v : null);
        this.timeLimits.set(task, { soft: num(a.soft), hard: num(a.hard) });
        return { ok: `time limits set for ${task}` };
      }
      case 'poolGrow':
      case 'poolShrink': {
        if (this.pool === 'threads') throw new Error('the threads pool has a fixed size; restart the worker with -c');
        const n = count();
        const next = request.command === 'poolGrow' ? this.concurrencyNow + n : Math.max(1, this.concurrencyNow - n);
        const ratio = this.prefetchNow / this.concurrencyNow;
        this.concurrencyNow = next;
        this.prefetchNow = Math.max(1, Math.round(next * ratio));
        this.pump();
        this.slotWaiter?.();
        return { ok: `pool size is now ${next}` };
      }
      case 'addConsumer': {
        const queue = str('queue');
        if (this.queues.includes(queue)) return { ok: `already consuming from ${queue}` };
        this.queues.push(queue);
        return { ok: `now consuming from ${queue}` };
      }
      case 'cancelConsumer': {
        const queue = str('queue');
        const i = this.queues.indexOf(queue);
        if (i < 0) return { ok: `not consuming from ${queue}` };
        if (this.queues.length === 1) throw new Error(`${queue} is the only queue this worker consumes`);
        this.queues.splice(i, 1);
        return { ok: `no longer consuming from ${queue}` };
      }
      case 'shutdown':
        setTimeout(() => void this.close(), 10);
        return { ok: 'shutting down' };
    }
  }

  private async answer(request: ControlRequest): Promise<void> {
    // A stopping worker still honours revocations (plain 'revoke' messages) but answers nothing else.
    if (!this.running || (request.destination && !request.destination.includes(this.hostname))) return;
    let reply: unknown;
    try {
      reply = this.command(request);
    } catch (err) {
      reply = { error: err instanceof Error ? err.message : String(err) };
    }
    if (!request.replyTo) return;
    try {
      await this.transport.sendReply(request.replyTo, { hostname: this.hostname, reply: JSON.stringify(reply ?? null) });
    } catch (err) {
      this.app.logger.error({ err, command: request.command }, 'sending a control reply failed');
    }
  }

  private onControl(message: ControlMessage): void {
    if (message.type === 'control') {
      void this.answer(message as ControlRequest);
      return;
    }
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
      for (const r of result.revoked) void this.recordRevokedAtReserve(r.id, r.body, r.queue);
      if (!this.running) {
        // Closed while reserving: hand the batch straight back.
        await Promise.all(result.deliveries.map((d) => this.transport.retryLater(d, d.body, Date.now(), { keepDeliveries: true })));
        break;
      }
      for (const delivery of result.deliveries) {
        const parsed = parseMessage(delivery.body);
        const job: Job = { delivery, parsed };
        if (parsed.ok && this.events.enabled) {
          const m = parsed.message;
          job.fields = encodeMembers(taskFields(m));
          this.events.emitEncoded('task-received', `${job.fields},"args":${JSON.stringify(preview(m.args))},"deliveries":${delivery.deliveries}`);
        }
        this.reserved.set(delivery.id, job);
        this.waiting.push(job);
      }
      this.pump();
      if (result.deliveries.length === 0 && result.revoked.length === 0) {
        // close() ends the wait at once instead of letting it run out.
        await Promise.race([this.transport.waitForWork(this.queues, 1_000), this.stopped.promise]);
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
      const settled = (): void => {
        job.release?.();
        this.executingDone.delete(done);
        this.reserved.delete(job.delivery.id);
        const waiter = this.slotWaiter;
        this.slotWaiter = undefined;
        waiter?.();
        this.pump();
      };
      const done = this.process(job).then(settled, (err: unknown) => {
        this.app.logger.error({ err, id: job.delivery.id }, 'settling a message failed');
        settled();
      });
      this.executingDone.add(done);
    }
  }

  private async recordRevokedAtReserve(id: string, body: string, queue: string): Promise<void> {
    const parsed = parseMessage(body);
    const task = parsed.ok ? this.app.tasks.get(parsed.message.task) : undefined;
    this.stats.revoked++;
    if (parsed.ok) this.events.emit({ type: 'task-revoked', ...taskFields(parsed.message), terminated: false, expired: false });
    else this.events.emit({ type: 'task-revoked', id, name: '', queue, retries: 0, terminated: false, expired: false });
    if (!parsed.ok || this.ignoresResult(task)) return;
    await this.app.backend.storeUnlessReady(
      { id, task: parsed.message.task, state: 'REVOKED', reason: 'revoked', retries: parsed.message.retries, attempts: parsed.message.attempts, queue: parsed.message.queue, dateDone: new Date().toISOString() },
      this.app.config.resultExpiresMs,
    );
  }

  private ignoresResult(task: Task<never[], unknown> | undefined): boolean {
    return task?.options.ignoreResult ?? this.app.config.taskIgnoreResult;
  }

  private async deadLetter(d: Delivery, reason: string, msg?: TaskMessage): Promise<void> {
    this.app.logger.warn({ id: d.id, queue: d.queue, reason }, 'message dead-lettered');
    this.stats.deadLettered++;
    this.events.emit({ type: 'task-rejected', ...(msg ? taskFields(msg) : { id: d.id, queue: d.queue }), deadLettered: true, reason });
    await this.transport.deadLetter(d, reason);
  }

  private async store(task: Task<never[], unknown>, record: ResultRecord): Promise<void> {
    if (this.ignoresResult(task)) return;
    await this.app.backend.store(record, this.app.config.resultExpiresMs);
  }

  private async process(job: Job): Promise<void> {
    const d = job.delivery;
    const parsed = job.parsed ?? parseMessage(d.body);
    if (!parsed.ok) return this.deadLetter(d, parsed.reason);
    const msg = parsed.message;
    const task = this.app.tasks.get(msg.task);
    if (!task) return this.deadLetter(d, `unknown task ${JSON.stringify(msg.task)}`, msg);
    // Rare transitions build their event from taskFields(); the common ones (started, succeeded) reuse the encoded job.fields.
    const ev = this.events.enabled;
    const base = { id: msg.id, task: msg.task, queue: msg.queue, retries: msg.retries, worker: this.hostname };

    if (msg.expires !== undefined && Date.now() > msg.expires) {
      this.stats.revoked++;
      if (ev) this.events.emit({ type: 'task-revoked', ...taskFields(msg), terminated: false, expired: true });
      await this.store(task, { ...base, state: 'REVOKED', reason: 'expired', attempts: msg.attempts, dateDone: new Date().toISOString() });
      return this.transport.ack(d);
    }
    if (this.isRevoked(msg.id)) {
      this.stats.revoked++;
      if (ev) this.events.emit({ type: 'task-revoked', ...taskFields(msg), terminated: false, expired: false });
      await this.store(task, { ...base, state: 'REVOKED', reason: 'revoked', attempts: msg.attempts, dateDone: new Date().toISOString() });
      return this.transport.ack(d);
    }
    const rateLimit = this.rateLimits.has(task.name) ? this.rateLimits.get(task.name) : task.options.rateLimit;
    if (rateLimit) {
      const { perMs, capacity } = parseRateLimit(rateLimit);
      const wait = await this.transport.takeToken(task.name, perMs, capacity);
      if (wait > 0) {
        // Over the limit: park the message in the delayed set until its token is due.
        return this.transport.retryLater(d, d.body, Date.now() + wait, { keepDeliveries: true });
      }
    }

    const trackStarted = task.options.trackStarted ?? this.app.config.taskTrackStarted;
    const startedMs = Date.now();
    job.startedAt = startedMs;
    if (ev) {
      job.fields ??= encodeMembers(taskFields(msg));
      this.events.emitEncoded('task-started', job.fields);
    }
    if (trackStarted) await this.store(task, { ...base, state: 'STARTED', attempts: msg.attempts });
    const outcome = await this.run(job, task, msg);
    job.release?.();
    const endedMs = Date.now();
    const runtime = endedMs - startedMs;
    const endedIso = new Date(endedMs).toISOString();
    this.totals.set(task.name, (this.totals.get(task.name) ?? 0) + 1);
    const attempt: AttemptRecord = {
      attempt: msg.attempts.length + 1,
      hostname: this.hostname,
      startedAt: new Date(startedMs).toISOString(),
      endedAt: endedIso,
      outcome: 'SUCCESS',
    };
    this.stats.processed++;

    if (job.revoked || this.isRevoked(msg.id)) {
      attempt.outcome = 'REVOKED';
      this.stats.revoked++;
      if (ev) this.events.emit({ type: 'task-revoked', ...taskFields(msg), terminated: job.terminated === true, expired: false });
      await this.store(task, { ...base, state: 'REVOKED', reason: 'revoked', attempts: [...msg.attempts, attempt], dateDone: endedIso });
      return this.transport.ack(d);
    }
    if (outcome.ok) {
      let encoded: unknown;
      try {
        encoded = outcome.value === undefined ? null : toJsonValue(outcome.value, 'result');
      } catch (err) {
        return this.fail(d, task, base, msg, attempt, err, runtime);
      }
      this.stats.succeeded++;
      if (ev) this.events.emitEncoded('task-succeeded', `${job.fields},"runtime":${runtime},"result":${JSON.stringify(preview(encoded))}`);
      await this.store(task, { ...base, state: 'SUCCESS', result: encoded, attempts: [...msg.attempts, attempt], dateDone: endedIso });
      return this.transport.ack(d);
    }

    let err = outcome.error;
    if (err instanceof Reject) {
      attempt.outcome = 'FAILURE';
      attempt.error = errorToRemote(err);
      if (err.requeue) {
        if (ev) this.events.emit({ type: 'task-rejected', ...taskFields(msg), deadLettered: false, reason: `requeued: ${err.message}` });
        return this.transport.retryLater(d, d.body, Date.now());
      }
      await this.store(task, { ...base, state: 'FAILURE', error: errorToRemote(err), attempts: [...msg.attempts, attempt], dateDone: endedIso });
      return this.deadLetter(d, `rejected: ${err.message}`, msg);
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
      if (ev) this.events.emit({ type: 'task-retried', ...taskFields(msg), attempt: attempt.attempt, error: attempt.error, nextEta: err.when });
      await this.store(task, { ...base, state: 'RETRY', error: attempt.error, attempts: next.attempts });
      return this.transport.retryLater(d, JSON.stringify(next), err.when);
    }
    return this.fail(d, task, base, msg, attempt, err, runtime);
  }

  private async fail(
    d: Delivery,
    task: Task<never[], unknown>,
    base: Omit<ResultRecord, 'state' | 'attempts'>,
    msg: TaskMessage,
    attempt: AttemptRecord,
    err: unknown,
    runtime: number,
  ): Promise<void> {
    attempt.outcome = 'FAILURE';
    attempt.error = errorToRemote(err);
    this.stats.failed++;
    if (this.events.enabled) this.events.emit({ type: 'task-failed', ...taskFields(msg), runtime, error: attempt.error });
    this.app.logger.warn({ id: msg.id, task: msg.task, err: attempt.error }, 'task failed');
    await this.store(task, { ...base, state: 'FAILURE', error: attempt.error, attempts: [...msg.attempts, attempt], dateDone: attempt.endedAt });
    await this.transport.ack(d);
  }

  private isRevoked(id: string): boolean {
    const until = this.revokedIds.get(id);
    return until !== undefined && until > Date.now();
  }

  /** Runs the handler with its context, soft and hard time limits, and terminate. */
  private run(job: Job, task: Task<never[], unknown>, msg: TaskMessage): Promise<Outcome> {
    const controller = new LazyAbort();
    job.controller = controller;
    const args = fromJsonValue(msg.args) as never[];
    const override = this.timeLimits.get(task.name);
    const softMs = override ? (override.soft ?? undefined) : task.options.softTimeLimit === undefined ? undefined : toMs(task.options.softTimeLimit, 'softTimeLimit');
    const hardMs = override ? (override.hard ?? undefined) : task.options.timeLimit === undefined ? undefined : toMs(task.options.timeLimit, 'timeLimit');
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
    // One promise settles with whichever comes first: the handler, the hard
    // time limit or terminate. (No race over a limits promise per task: a
    // no-op task then costs one promise here, and no timer unless it has limits.)
    return new Promise<Outcome>((resolve) => {
      let soft: NodeJS.Timeout | undefined;
      let hard: NodeJS.Timeout | undefined;
      let settled = false;
      // The threads pool watches this one to kill a thread that the hard limit or terminate stopped.
      let stopThread: ((err: unknown) => void) | undefined;
      const limits = this.threads ? new Promise<never>((_, reject) => (stopThread = reject)) : undefined;
      limits?.catch(() => undefined);
      const finish = (outcome: Outcome): void => {
        if (settled) return;
        settled = true;
        if (soft !== undefined) clearTimeout(soft);
        if (hard !== undefined) clearTimeout(hard);
        resolve(outcome);
      };
      if (softMs !== undefined) soft = setTimeout(() => controller.abort(new SoftTimeLimitExceeded(softMs)), softMs);
      if (hardMs !== undefined) {
        hard = setTimeout(() => {
          const err = new TimeLimitExceeded(hardMs);
          controller.abort(err);
          stopThread?.(err);
          finish({ ok: false, error: err });
        }, hardMs);
      }
      job.terminate = () => {
        job.terminated = true;
        const err = new TaskRevokedError(msg.id, 'terminated');
        stopThread?.(err);
        finish({ ok: false, error: err });
      };
      let value: unknown;
      try {
        if (this.threads && limits) {
          value = this.threads.run({ task: msg.task, args: msg.args, context: { id: msg.id, retries: msg.retries, hostname: this.hostname, queue: msg.queue, headers: msg.headers } }, controller.signal, limits);
        } else {
          value = runWithContext(context, () => task.handler.apply(context, args));
        }
      } catch (error) {
        finish({ ok: false, error });
        return;
      }
      if (isThenable(value)) {
        Promise.resolve(value).then(
          (v) => finish({ ok: true, value: v }),
          (error: unknown) => finish({ ok: false, error }),
        );
      } else {
        finish({ ok: true, value });
      }
    });
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
    this.stopped.resolve();
    // Offline as soon as it stops taking work: out of the registry and announced at once.
    this.events.emit({ type: 'worker-offline', ...this.heartbeatBody() });
    void this.app.events.flush();
    await this.transport.removeWorker(this.hostname).catch(() => undefined);
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
    await this.app.events.flush();
    this.app.logger.info({ hostname: this.hostname, ...this.stats }, 'worker stopped');
    for (const l of this.closedListeners) l();
  }
}
