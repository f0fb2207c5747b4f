// A worker: the reserve loop. It reserves batches of messages under leases,
// runs them on a pool (run-task.ts), and hands every outcome to the settle
// pipeline (settle.ts), which records it and only then settles it in the
// broker: acks are late, so a crash at any point loses nothing. Remote control
// is the control panel's (control/panel.ts). The worker sees the app only
// through WorkerHost.
import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import { hostname as osHostname, loadavg } from 'node:os';
import { redact } from '../adapters/adapter.js';
import type { ResolvedConfig } from '../app/config.js';
import type { Logger } from '../app/logger.js';
import type { ControlBus } from '../control/control-bus.js';
import type { TaskInfo } from '../control/control.js';
import type { CanvasRuntime } from '../canvas/canvas-runtime.js';
import { IDENTITY_TASK } from '../canvas/planner.js';
import { ControlPanel, type PanelTarget } from '../control/panel.js';
import type { WorkerRegistry } from '../control/worker-registry.js';
import { ConfigError, TaskRevokedError } from '../errors.js';
import { encodeMembers, preview, type EventProducer, type WorkerHeartbeat } from '../events/events.js';
import type { ResultBackend } from '../result/backend.js';
import type { DecodeResult, MessageCodec } from '../task/message-codec.js';
import { toJsonValue } from '../task/serialization.js';
import type { TaskMessage } from '../task/message.js';
import type { TaskLogEntry, TaskProgressEntry } from '../task/task-report.js';
import type { Task } from '../task/task.js';
import { toMs, type Duration } from '../time/duration.js';
import { startRun, traceIdOf } from '../tracing/tracing.js';
import type { Broker, Delivery } from './broker.js';
import { parseRateLimit } from './rate-limit.js';
import { runTask, type RunHandle, type RunOptions, type RunReports, type RunResult } from './run-task.js';
import { eventFieldsOf, SettlePipeline, type Outcome, type Settling } from './settle.js';
import { ThreadPool } from './thread-pool.js';

/** What a worker needs from its app (narrow, so the worker does not import the app). */
export interface WorkerHost {
  readonly config: ResolvedConfig;
  readonly logger: Logger;
  readonly tasks: ReadonlyMap<string, Task<never[], unknown>>;
  readonly backend: ResultBackend;
  /** Turns delivered bodies into task messages (and retries back into bodies), in the app's wire format. */
  readonly codec: MessageCodec;
  readonly events: { producer(hostname: string): EventProducer; flush(): Promise<void> };
  broker(): Broker;
  controlBus(): ControlBus;
  workerRegistry(): WorkerRegistry;
  /** Carries canvases on as their tasks end (called by the settle pipeline). */
  readonly canvas: Pick<CanvasRuntime, 'onSucceeded' | 'onFailed'>;
}

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

interface Job extends Settling, RunHandle {
  delivery: Delivery;
  /** The parsed message (parsed once, when reserved). */
  parsed: DecodeResult;
  /** Frees the job's concurrency slot once its handler is done (settling continues). */
  release?: () => void;
  revoked?: boolean;
}

/**
 * A job with every field it will ever have, so it is allocated once at its
 * full size: fields added one by one after a two-field literal went to a
 * property array that grew (was copied) as they came, a few allocations a task.
 * The type lists every key of Job, so a field added to Job must be added here.
 */
function newJob(delivery: Delivery, parsed: DecodeResult): Job {
  const job: { [K in keyof Required<Job>]: Job[K] } = {
    delivery,
    parsed,
    message: undefined,
    task: undefined,
    fields: undefined,
    startedAt: undefined,
    ackedEarly: undefined,
    span: undefined,
    controller: undefined,
    terminated: undefined,
    terminate: undefined,
    release: undefined,
    revoked: undefined,
  };
  return job;
}

/** Where a job's reports and custom states go (see JobReports): the worker's, one object for all its jobs. */
interface ReportTarget {
  readonly events: EventProducer;
  storeState(task: Task<never[], unknown>, msg: TaskMessage, state: string, meta: unknown): Promise<void>;
}

/**
 * A run's progress and log reports (made into events) and custom states
 * (stored): one small object per run with its methods on the prototype. Four
 * closures per run instead were objects every task carried until its ack.
 */
class JobReports implements RunReports {
  constructor(
    private readonly to: ReportTarget,
    private readonly job: Job,
    private readonly msg: TaskMessage,
    private readonly task: Task<never[], unknown>,
  ) {}

  // Checked and JSON already (task-report.ts): only the envelope is added here.
  progress(entry: TaskProgressEntry): void {
    if (!this.to.events.enabled) return;
    const meta = entry.meta === undefined ? '' : `,"meta":${JSON.stringify(entry.meta)}`;
    this.to.events.emitEncoded('task-progress', `${eventFieldsOf(this.job, this.msg)},"progress":${entry.progress}${meta}`);
  }

  log(entry: TaskLogEntry): void {
    if (!this.to.events.enabled) return;
    this.to.events.emitEncoded('task-log', `${eventFieldsOf(this.job, this.msg)},${encodeMembers(entry)}`);
  }

  updateState(state: string, meta: unknown): Promise<void> {
    return this.to.storeState(this.task, this.msg, state, meta);
  }
}

/** What identifies a delivery among those held: the broker's receipt when it has one, else the task id. */
const deliveryKey = (d: Delivery): string => d.receipt ?? d.id;

/** A task option's duration in ms, when it is set. */
const optionalMs = (d: Duration | undefined, field: string): number | undefined => (d === undefined ? undefined : toMs(d, field));

/** A positive number of seconds from a message header, in ms. */
const seconds = (value: unknown): number | undefined =>
  typeof value === 'number' && Number.isFinite(value) && value > 0 ? Math.round(value * 1000) : undefined;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * How many times its prefetch a worker may hold, settling messages included. A
 * settling message waits for two round trips (its result, then its ack), which
 * on a busy worker take as long as running a batch: at twice the prefetch the
 * next reserve waited for them, and a worker draining no-op tasks sat idle a
 * sixth of the time.
 */
const SETTLING_BOUND = 4;

/** How often a worker holding prefetched messages asks whether their queues were paused. */
const PAUSE_CHECK_MS = 500;

const VERSION = (createRequire(import.meta.url)('../../package.json') as { version: string }).version;

export class Worker implements PanelTarget {
  readonly hostname: string;
  readonly queues: string[];
  private concurrencyNow: number;
  private prefetchNow: number;
  readonly pool: 'async' | 'threads';
  private readonly leaseMs: number;
  private readonly shutdownGraceMs: number;
  private readonly terminateGraceMs: number;
  private readonly maintenanceMs: number;
  private broker!: Broker;
  private registry!: WorkerRegistry;
  private runningNow = false;
  private loopDone: Promise<void> | undefined;
  private readonly reserved = new Map<string, Job>();
  private readonly waiting: Job[] = [];
  /** A pause check is in flight (see handBackPaused). */
  private checkingPaused = false;
  private executing = 0;
  /** pump() is on the stack (see there). */
  private pumping = false;
  private readonly executingDone = new Set<Promise<void>>();
  private slotWaiter: (() => void) | undefined;
  /** Ends the loop's wait for work on the broker (close() calls it). */
  private endIdleWait: (() => void) | undefined;
  private timers: NodeJS.Timeout[] = [];
  private readonly closedListeners: (() => void)[] = [];
  private readonly threads: ThreadPool | undefined;
  private readonly events: EventProducer;
  private readonly settler: SettlePipeline;
  private readonly reportTo: ReportTarget;
  private panel: ControlPanel | undefined;
  private readonly heartbeatMs: number;
  private startedAt = 0;

  get concurrency(): number {
    return this.concurrencyNow;
  }
  get prefetch(): number {
    return this.prefetchNow;
  }
  get running(): boolean {
    return this.runningNow;
  }
  /** Counts for tests and stats. */
  get stats(): SettlePipeline['stats'] {
    return this.settler.stats;
  }

  constructor(
    private readonly app: WorkerHost,
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
    this.reportTo = {
      events: this.events,
      storeState: async (task, msg, state, meta) => {
        if (this.ignoresResult(task, msg)) return;
        await app.backend.store(
          { id: msg.id, task: msg.task, state, meta: meta === undefined ? undefined : toJsonValue(meta, 'meta'), retries: msg.retries, attempts: msg.attempts },
          app.config.resultExpiresMs,
        );
      },
    };
    this.settler = new SettlePipeline({
      hostname: this.hostname,
      logger: app.logger,
      events: this.events,
      broker: () => this.broker,
      // Looked up when a result is stored: a worker whose tasks all ignore results needs no backend.
      get backend() {
        return app.backend;
      },
      codec: app.codec,
      resultExpiresMs: app.config.resultExpiresMs,
      ignoresResult: (task, message) => this.ignoresResult(task, message),
      canvas: app.canvas,
    });
  }

  onClosed(listener: () => void): void {
    this.closedListeners.push(listener);
  }

  async start(): Promise<void> {
    if (this.runningNow) return;
    this.broker = this.app.broker();
    this.registry = this.app.workerRegistry();
    await this.threads?.start();
    this.panel = new ControlPanel(this, this.app.controlBus(), this.app.config.revokeExpiresMs, (err, command) =>
      this.app.logger.error({ err, command }, 'sending a control reply failed'),
    );
    await this.panel.start();
    this.runningNow = true;
    this.startedAt = Date.now();
    this.events.emit({ type: 'worker-online', ...this.heartbeatBody() });
    await this.beat();
    this.timers.push(setInterval(() => void this.beat(true), this.heartbeatMs));
    this.timers.push(setInterval(() => void this.maintain(), this.maintenanceMs));
    this.timers.push(setInterval(() => void this.renew(), Math.max(50, Math.floor(this.leaseMs / 3))));
    this.timers.push(setInterval(() => void this.handBackPaused(), PAUSE_CHECK_MS));
    await this.maintain();
    this.loopDone = this.loop();
    this.app.logger.info({ hostname: this.hostname, queues: this.queues, pool: this.pool, concurrency: this.concurrency }, 'worker started');
  }

  private async maintain(): Promise<void> {
    try {
      await Promise.all(
        this.queues.flatMap((q) => [
          this.broker.promoteDue(q),
          this.broker.recoverExpired(q, this.app.config.maxDeliveries).then((r) => {
            if (r.dead > 0) this.app.logger.warn({ queue: q, dead: r.dead }, 'messages dead-lettered after too many deliveries');
          }),
        ]),
      );
    } catch (err) {
      if (this.runningNow) this.app.logger.error({ err }, 'worker maintenance failed');
    }
  }

  private async renew(): Promise<void> {
    const held = [...this.reserved.values()].filter((j) => !j.ackedEarly).map((j) => j.delivery);
    if (held.length === 0) return;
    try {
      await this.broker.renewLeases(held, this.leaseMs);
    } catch (err) {
      this.app.logger.error({ err }, 'lease renewal failed');
    }
  }

  /** What this worker reports about itself (heartbeats, worker events, inspect stats). */
  heartbeat(): WorkerHeartbeat {
    return { hostname: this.hostname, pid: process.pid, ...this.heartbeatBody() };
  }

  private heartbeatBody(): Omit<WorkerHeartbeat, 'hostname' | 'pid'> {
    const stats = this.settler.stats;
    return {
      software: { name: 'lovage', version: VERSION },
      queues: [...this.queues],
      pool: { kind: this.pool, size: this.concurrencyNow },
      active: this.executing,
      reserved: this.waiting.length,
      processed: stats.processed,
      succeeded: stats.succeeded,
      failed: stats.failed,
      retried: stats.retried,
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
      await this.registry.heartbeat(this.hostname, JSON.stringify(hb), this.heartbeatMs * 2 + Math.max(500, this.heartbeatMs / 2));
    } catch (err) {
      if (this.runningNow) this.app.logger.error({ err }, 'heartbeat failed');
    }
  }

  // ---- PanelTarget: what the control panel reads and changes

  registered(): string[] {
    // The canvas's built-in task is the engine's, not the user's.
    return [...this.app.tasks.keys()].filter((name) => name !== IDENTITY_TASK).sort();
  }

  held(): { active: TaskInfo[]; reserved: TaskInfo[] } {
    const active: TaskInfo[] = [];
    const reserved: TaskInfo[] = [];
    for (const job of this.reserved.values()) {
      const info = this.taskInfo(job);
      if (info) (job.startedAt === undefined ? reserved : active).push(info);
    }
    return { active, reserved };
  }

  statsReport(): ReturnType<PanelTarget['statsReport']> {
    return {
      ...this.heartbeat(),
      prefetch: this.prefetchNow,
      broker: redact(this.app.config.broker),
      total: Object.fromEntries(this.settler.totals),
    };
  }

  conf(): Record<string, unknown> {
    const c = this.app.config;
    return { ...c, broker: redact(c.broker), backend: redact(c.backend), beatSchedule: Object.keys(c.beatSchedule) };
  }

  resize(concurrency: number, prefetch: number): void {
    this.concurrencyNow = concurrency;
    this.prefetchNow = prefetch;
    this.pump();
    this.wakeLoop();
  }

  revokeRunning(id: string, terminate: boolean): void {
    // Keyed by delivery: a task id may be held twice at once (a Celery retry re-published while its first delivery settles).
    const job = [...this.reserved.values()].find((j) => j.delivery.id === id && j.controller !== undefined);
    if (!job?.controller) return;
    job.revoked = true;
    job.controller.abort(new TaskRevokedError(id));
    if (terminate) setTimeout(() => job.terminate?.(), this.terminateGraceMs).unref();
  }

  shutdown(): void {
    setTimeout(() => void this.close(), 10);
  }

  private taskInfo(job: Job): TaskInfo | undefined {
    const p = job.parsed;
    if (!p.ok) return undefined;
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

  // ---- the loop

  /** Ends the loop's wait for room in the prefetch (a slot freed, a resize, close). */
  private wakeLoop(): void {
    const waiter = this.slotWaiter;
    this.slotWaiter = undefined;
    waiter?.();
  }

  /**
   * How many messages the loop should reserve now, or 0 to wait for room.
   * `prefetch` counts running and waiting messages. One whose handler has
   * returned is still reserved while its result and ack are written; not
   * counting it lets the next reserve overlap those writes instead of waiting
   * for them (a no-op task's worker otherwise ran dry every round). All
   * reserved, settling ones included, stay under SETTLING_BOUND times the
   * prefetch. Refills come in batches of half the prefetch: while at least half
   * is still waiting to run, another round trip would fetch only a few.
   */
  private refillSize(): number {
    const free = Math.min(this.prefetch - this.waiting.length - this.executing, SETTLING_BOUND * this.prefetch - this.reserved.size);
    const half = Math.ceil(this.prefetch / 2);
    if (free <= 0 || (this.waiting.length > 0 && free < half)) return 0;
    return Math.min(free, half);
  }

  private async loop(): Promise<void> {
    while (this.runningNow) {
      let want = this.refillSize();
      if (want === 0 && this.waiting.length > 0) {
        // No room while the last batch waits: start what it can, then ask again.
        this.pump();
        want = this.refillSize();
      }
      if (want === 0) {
        await new Promise<void>((resolve) => (this.slotWaiter = resolve));
        continue;
      }
      let result;
      try {
        // The next batch is asked for before the one just received runs (it runs
        // in this turn's check phase; the reserve is written at once), so the
        // round trip overlaps the run.
        // A worker of quick tasks otherwise sat idle through every reserve.
        const reserving = this.broker.reserve(this.queues, want, this.leaseMs);
        if (this.waiting.length > 0) setImmediate(() => this.pump());
        result = await reserving;
      } catch (err) {
        if (!this.runningNow) break;
        this.app.logger.error({ err }, 'reserve failed; retrying in 1s');
        await sleep(1_000);
        continue;
      }
      for (const dead of result.deadLettered ?? []) this.settler.noteDeadLetter(dead, dead.reason);
      for (const r of result.revoked) {
        const delivery: Delivery = { ...r, deliveries: 0 };
        const parsed = this.app.codec.decode(r.body);
        const message = parsed.ok ? parsed.message : undefined;
        void this.settler
          .settle({ delivery, message, task: message && this.app.tasks.get(message.task) }, { kind: 'revoked-at-reserve' })
          .catch((err: unknown) => this.app.logger.error({ err, id: r.id }, 'recording a revoked message failed'));
      }
      if (!this.runningNow) {
        // Closed while reserving: hand the batch straight back.
        await Promise.all(result.deliveries.map((delivery) => this.settler.settle({ delivery }, { kind: 'handed-back' })));
        break;
      }
      for (const delivery of result.deliveries) {
        const parsed = this.app.codec.decode(delivery.body);
        const job = newJob(delivery, parsed);
        if (parsed.ok) {
          job.message = parsed.message;
          job.task = this.app.tasks.get(parsed.message.task);
          if (this.events.enabled) {
            const m = parsed.message;
            const traceId = traceIdOf(m.headers);
            this.events.emitEncoded(
              'task-received',
              `${eventFieldsOf(job, m)},"args":${JSON.stringify(preview(m.args))},"priority":${m.priority},"deliveries":${delivery.deliveries}${traceId === undefined ? '' : `,"traceId":"${traceId}"`}`,
            );
          }
        }
        this.reserved.set(deliveryKey(delivery), job);
        this.waiting.push(job);
      }
      // The batch runs from the top of the loop: once the next reserve is on its way, or at once if there is no room for one.
      if (result.deliveries.length === 0 && result.revoked.length === 0 && !result.deadLettered?.length) {
        await this.idle();
      }
    }
  }

  /**
   * Waits for work on the broker, for a second at most; close() ends the wait
   * at once instead of letting it run out. Not Promise.race with a promise
   * that close() resolves: each race would leave a reaction on that promise,
   * kept until the worker stops (some 350 bytes per wait, hundreds of waits a
   * second when tasks come one at a time).
   */
  private idle(): Promise<void> {
    if (!this.runningNow) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      this.endIdleWait = resolve;
      this.broker.waitForWork(this.queues, 1_000).then(resolve, reject);
    }).finally(() => (this.endIdleWait = undefined));
  }

  /**
   * A queue paused after this worker prefetched some of its messages: the
   * reserve script stops new ones, but the prefetched ones would still start
   * as slots free up. So while messages wait here, the worker asks twice a
   * second whether their queues are paused and hands those back unstarted
   * (running ones finish). An idle worker asks nothing.
   */
  private async handBackPaused(): Promise<void> {
    if (this.checkingPaused || this.waiting.length === 0) return;
    this.checkingPaused = true;
    try {
      const paused = new Set(await this.broker.pausedQueues([...new Set(this.waiting.map((job) => job.delivery.queue))]));
      if (paused.size === 0 || !this.runningNow) return;
      const held: Job[] = [];
      for (let i = this.waiting.length - 1; i >= 0; i--) {
        if (paused.has(this.waiting[i]!.delivery.queue)) held.unshift(...this.waiting.splice(i, 1));
      }
      await Promise.all(
        held.map(async (job) => {
          this.reserved.delete(deliveryKey(job.delivery));
          await this.settler.settle(job, { kind: 'handed-back' });
        }),
      );
      // Room in the prefetch buffer again: the loop may reserve from the other queues.
      this.wakeLoop();
    } catch (err) {
      this.app.logger.error({ err }, 'checking for paused queues failed');
    } finally {
      this.checkingPaused = false;
    }
  }

  private pump(): void {
    // A handler that returns a plain value frees its slot before process() returns, and the
    // release pumps again: the loop below already takes that slot, so it does not recurse.
    if (this.pumping) return;
    this.pumping = true;
    try {
      this.startWaiting();
    } finally {
      this.pumping = false;
    }
  }

  /** Starts waiting jobs while a slot is free. */
  private startWaiting(): void {
    while (this.runningNow && this.executing < this.concurrency && this.waiting.length > 0) {
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
        // A slot of the prefetch is free too: the loop may reserve again.
        this.wakeLoop();
      };
      const settled = (): void => {
        job.release?.();
        this.executingDone.delete(done);
        this.reserved.delete(deliveryKey(job.delivery));
        this.wakeLoop();
        this.pump();
      };
      const done = this.process(job).then(settled, (err: unknown) => {
        this.app.logger.error({ err, id: job.delivery.id }, 'settling a message failed');
        settled();
      });
      this.executingDone.add(done);
    }
  }

  /** A message may ask for no result (Celery's ignore_result header); otherwise the task's option, then the app's. */
  private ignoresResult(task: Task<never[], unknown> | undefined, message: TaskMessage | undefined): boolean {
    if (message?.headers.ignoreResult === true) return true;
    return task?.options.ignoreResult ?? this.app.config.taskIgnoreResult;
  }

  private isRevoked(id: string): boolean {
    return this.panel?.isRevoked(id) ?? false;
  }

  /**
   * Decides how a job ends (running it if it should run) and hands that to the
   * settle pipeline. A task that needs no round trip before it starts and whose
   * handler returns a plain value is decided without a promise of its own.
   */
  private process(job: Job): Promise<void> {
    let outcome: Outcome | Promise<Outcome>;
    try {
      outcome = this.decide(job);
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
    return outcome instanceof Promise ? outcome.then((o) => this.settler.settle(job, o)) : this.settler.settle(job, outcome);
  }

  private decide(job: Job): Outcome | Promise<Outcome> {
    if (!job.parsed.ok) return { kind: 'invalid', reason: job.parsed.reason };
    const msg = job.parsed.message;
    const task = job.task;
    if (!task) return { kind: 'invalid', reason: `unknown task ${JSON.stringify(msg.task)}` };
    if (msg.expires !== undefined && Date.now() > msg.expires) return { kind: 'revoked', expired: true };
    if (this.isRevoked(msg.id)) return { kind: 'revoked', expired: false };
    // A broker that hands out messages before their eta (kombu's lists hold them like any other, and a
    // Python producer's countdown arrives at once) gets them back, parked until they are due.
    if (msg.eta !== undefined && msg.eta > Date.now()) return { kind: 'parked', eta: msg.eta };
    const override = this.panel?.rateLimitOverride(task.name);
    const rateLimit = override === undefined ? task.options.rateLimit : override;
    if (rateLimit) return this.beginWithinRateLimit(job, msg, task, rateLimit);
    return this.begin(job, msg, task);
  }

  private async beginWithinRateLimit(job: Job, msg: TaskMessage, task: Task<never[], unknown>, rateLimit: string): Promise<Outcome> {
    const { perMs, capacity } = parseRateLimit(rateLimit);
    const wait = await this.broker.takeToken(task.name, perMs, capacity);
    // Over the limit: park the message in the delayed set until its token is due.
    if (wait > 0) return { kind: 'parked', eta: Date.now() + wait };
    return this.begin(job, msg, task);
  }

  /** Starts the run: announced, acknowledged early or recorded as STARTED where the task asks for it, then run. */
  private begin(job: Job, msg: TaskMessage, task: Task<never[], unknown>): Outcome | Promise<Outcome> {
    job.startedAt = Date.now();
    if (this.events.enabled) {
      this.events.emitEncoded('task-started', eventFieldsOf(job, msg));
    }
    const ackEarly = task.options.acksLate === false;
    const recordStarted = (task.options.trackStarted ?? this.app.config.taskTrackStarted) && !this.ignoresResult(task, msg);
    if (!ackEarly && !recordStarted) return this.run(job, msg, task);
    return this.beginAfterWrites(job, msg, task, ackEarly, recordStarted);
  }

  private async beginAfterWrites(job: Job, msg: TaskMessage, task: Task<never[], unknown>, ackEarly: boolean, recordStarted: boolean): Promise<Outcome> {
    if (ackEarly) await this.settler.ackEarly(job);
    if (recordStarted) {
      await this.app.backend.store(
        { id: msg.id, task: msg.task, queue: msg.queue, retries: msg.retries, worker: this.hostname, state: 'STARTED', attempts: msg.attempts },
        this.app.config.resultExpiresMs,
      );
    }
    return this.run(job, msg, task);
  }

  /** Runs the handler; its outcome is known at once when it returns a plain value. */
  private run(job: Job, msg: TaskMessage, task: Task<never[], unknown>): Outcome | Promise<Outcome> {
    const limits = this.panel?.timeLimitOverride(task.name);
    // The attempt's run span (OpenTelemetry installed): active while the handler runs; settling ends it.
    const span = (job.span = startRun(msg, this.hostname));
    const options: RunOptions = {
      task,
      msg,
      hostname: this.hostname,
      // A limit the message carries (Celery's timelimit header, in seconds) wins over the task's, as in Celery.
      softMs: limits ? (limits.soft ?? undefined) : (seconds(msg.headers.softTimeLimit) ?? optionalMs(task.options.softTimeLimit, 'softTimeLimit')),
      hardMs: limits ? (limits.hard ?? undefined) : (seconds(msg.headers.timeLimit) ?? optionalMs(task.options.timeLimit, 'timeLimit')),
      threads: this.threads,
      traceContext: span && this.threads ? span.carrier() : undefined,
      report: new JobReports(this.reportTo, job, msg, task),
    };
    const result = span ? span.with(() => runTask(job, options)) : runTask(job, options);
    return result instanceof Promise ? result.then((r) => this.ran(job, msg, r)) : this.ran(job, msg, result);
  }

  private ran(job: Job, msg: TaskMessage, result: RunResult): Outcome {
    job.release?.();
    const endedAt = Date.now();
    if (job.revoked || this.isRevoked(msg.id)) return { kind: 'revoked-running', terminated: job.terminated === true, endedAt };
    return result.ok ? { kind: 'ran', ok: true, value: result.value, endedAt } : { kind: 'ran', ok: false, error: result.error, endedAt };
  }

  /**
   * Stops reserving, lets running tasks finish for up to `shutdownGrace`, hands
   * back everything else (so other workers take it at once), and releases leases.
   */
  async close(): Promise<void> {
    if (!this.runningNow) return;
    this.runningNow = false;
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    this.endIdleWait?.();
    // Offline as soon as it stops taking work: out of the registry and announced at once.
    this.events.emit({ type: 'worker-offline', ...this.heartbeatBody() });
    void this.app.events.flush();
    await this.registry.remove(this.hostname).catch(() => undefined);
    this.wakeLoop();
    // Not yet started: back to the queue now.
    const notStarted = this.waiting.splice(0);
    await Promise.all(
      notStarted.map(async (job) => {
        this.reserved.delete(deliveryKey(job.delivery));
        await this.settler.settle(job, { kind: 'handed-back' });
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
        await this.settler.settle(job, { kind: 'handed-back' }).catch(() => undefined);
      }
      this.app.logger.warn({ handedBack: this.reserved.size }, 'shutdown grace period over; running tasks handed back');
      this.reserved.clear();
    }
    await Promise.race([this.loopDone, sleep(1_500)]);
    await this.panel?.stop();
    await this.threads?.close();
    await this.app.events.flush();
    this.app.logger.info({ hostname: this.hostname, ...this.settler.stats }, 'worker stopped');
    for (const l of this.closedListeners) l();
  }
}
